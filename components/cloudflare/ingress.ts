/**
 * The tunnel's ingress rules and DNS targets, as pure functions. cloudflared matches ingress rules
 * top to bottom and requires the last one to match every request, hence the final catch-all.
 */

/** One public host name served through the tunnel by an in-cluster Service. */
export interface TunnelRoute {
    /** Public host name, e.g. `app.example.com`. */
    hostname: string;
    /** In-cluster Service URL, e.g. `http://api-gateway.poc-dev.svc.cluster.local:80`. */
    service: string;
}

/** One ingress rule of the tunnel configuration (`ZeroTrustTunnelCloudflaredConfig` `config.ingresses[]`). */
export interface IngressRule {
    /** Host name the rule matches; absent on the catch-all. */
    hostname?: string;
    /** Origin URL, or `http_status:<code>`. */
    service: string;
}

/** The service of the last rule: every request no route matches gets a 404 from Cloudflare's edge. */
export const CATCH_ALL_SERVICE = "http_status:404";

/** One rule per route, in config order, then the catch-all `http_status:404` without a host name. */
export function tunnelIngressRules(routes: readonly TunnelRoute[]): IngressRule[] {
    return [...routes.map((r) => ({ hostname: r.hostname, service: r.service })), { service: CATCH_ALL_SERVICE }];
}

/** `<tunnel id>.cfargotunnel.com`: the CNAME target of every routed host name. */
export function tunnelCname(tunnelId: string): string {
    return `${tunnelId}.cfargotunnel.com`;
}
