/**
 * The `cloudflare` block of the stack config contract (README "Cloudflare tunnel"): a tunnel with
 * its ingress routes, proxied DNS records, the connector in the cluster and, optionally, a DNS-01
 * API token for cert-manager. Off by default. Shapes are checked always; what an enabled tunnel
 * needs (account, zone, name, at least one route) only when `enabled` is true. Cross-block checks
 * (the namespace against the environments') are in schema.ts.
 */
import { z } from "zod";

/** Cloudflare account and zone identifiers: 32 lowercase hexadecimal digits. */
export const CLOUDFLARE_ID = /^[0-9a-f]{32}$/;
/** A public DNS host name: two or more lowercase labels, no port, no trailing dot, no wildcard. */
export const PUBLIC_HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/**
 * The only origin a route may name: a Service in the cluster by its full DNS name,
 * `http://<service>.<namespace>.svc.cluster.local:<port>` (service: RFC 1035 label; namespace: RFC 1123 label).
 */
export const IN_CLUSTER_SERVICE_URL = /^http:\/\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.svc\.cluster\.local:(?<port>[0-9]{1,5})$/;
/** A tunnel name as cloudflared accepts it (`cloudflared tunnel create`): letters, digits, '_', '.', '-'. */
export const TUNNEL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** A container image pinned by tag or digest: `repo[:tag][@sha256:…]` with at least one of them, never `:latest`. */
export const PINNED_IMAGE = /^[a-z0-9]+([._/-][a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$/;
/** RFC 1123 label (Kubernetes namespace names). */
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The cloudflared image the connector runs unless `cloudflare.image` says otherwise (pinned). */
export const DEFAULT_CLOUDFLARED_IMAGE = "cloudflare/cloudflared:2025.11.1";

/** Suffix of the default connector namespace: `<namespacePrefix>-cloudflared`. */
export const CLOUDFLARED_NAMESPACE_SUFFIX = "cloudflared";

/** The connector's namespace: `cloudflare.namespace`, else `<namespacePrefix>-cloudflared`. */
export function cloudflaredNamespace(namespacePrefix: string, c: { namespace?: string }): string {
    return c.namespace ?? `${namespacePrefix}-${CLOUDFLARED_NAMESPACE_SUFFIX}`;
}

/** True when `hostname` is `zone` itself or a name under it. */
export function inZone(hostname: string, zone: string): boolean {
    return hostname === zone || hostname.endsWith(`.${zone}`);
}

const cloudflareId = (what: string) =>
    z.string({ error: `must be a string (${what})` }).regex(CLOUDFLARE_ID, { error: `must be the 32 lowercase hex digits of the ${what}, as the Cloudflare dashboard shows it` });

const route = z.strictObject({
    hostname: z
        .string({ error: "is required: the public host name, e.g. app.example.com" })
        .regex(PUBLIC_HOSTNAME, { error: "must be a public DNS host name in lowercase without scheme, port or wildcard, e.g. app.example.com" }),
    service: z
        .string({ error: "is required: the in-cluster Service URL, e.g. http://api-gateway.poc-dev.svc.cluster.local:80" })
        .regex(IN_CLUSTER_SERVICE_URL, {
            error: "must be an in-cluster Service URL http://<service>.<namespace>.svc.cluster.local:<port>, e.g. http://api-gateway.poc-dev.svc.cluster.local:80",
        })
        .refine(
            (s) => {
                // Only the port of an otherwise well-formed URL (the regex reports the rest).
                const port = IN_CLUSTER_SERVICE_URL.exec(s)?.groups?.port;
                return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
            },
            { error: "must name a port between 1 and 65535" },
        ),
});

/** The `gitops-platform:cloudflare` block. */
export const cloudflareSchema = z
    .strictObject({
        enabled: z.boolean({ error: "must be true or false, e.g. gitops-platform:cloudflare.enabled: false" }).default(false),
        /** Cloudflare account that owns the tunnel (and the API token's zone). */
        accountId: cloudflareId("Cloudflare account ID").optional(),
        /** Zone of every route's DNS record. */
        zoneId: cloudflareId("zone ID").optional(),
        /** Zone name; when set, every route's host name must be in it (checked before anything is created). */
        zoneName: z.string().regex(PUBLIC_HOSTNAME, { error: "must be the zone's DNS name, e.g. example.com" }).optional(),
        /** Name of the tunnel in Cloudflare Zero Trust. */
        tunnelName: z
            .string({ error: "must be a string (tunnel name)" })
            .max(100, { error: "must be at most 100 characters (tunnel name)" })
            .regex(TUNNEL_NAME, { error: "must be a tunnel name of letters, digits, '_', '.' and '-', e.g. minikube-dev" })
            .optional(),
        /** Public host name → in-cluster Service, in order; a catch-all 404 follows them. */
        routes: z.array(route).default([]),
        /** Namespace of the cloudflared connector; default `<namespacePrefix>-cloudflared`. */
        namespace: z
            .string()
            .max(63, { error: "must be at most 63 characters (namespace name)" })
            .regex(LABEL, { error: "must be an RFC 1123 label: lowercase letters, digits and '-' (namespace name)" })
            .optional(),
        /** cloudflared image, pinned by tag or digest. */
        image: z
            .string()
            .regex(PINNED_IMAGE, { error: "must be an image reference like cloudflare/cloudflared:2025.11.1 (a tag or @sha256 digest)" })
            .refine((i) => /:[^/]+$/.test(i) || i.includes("@sha256:"), { error: "must be pinned by a tag or an @sha256 digest, e.g. cloudflare/cloudflared:2025.11.1" })
            .refine((i) => !/:latest(@|$)/.test(i), { error: "must not use the moving tag latest: pin a release, e.g. cloudflare/cloudflared:2025.11.1" })
            .default(DEFAULT_CLOUDFLARED_IMAGE),
        /** Connector replicas (each keeps its own connections to Cloudflare's edge). */
        replicas: z.number({ error: "must be a number of replicas" }).int({ error: "must be a whole number" }).min(1).max(10).default(2),
        /** Also make a zone-scoped API token (DNS Write + Zone Read on zoneId) for cert-manager's DNS-01 solver, kept in Vault. */
        dns01Token: z.boolean({ error: "must be true or false, e.g. gitops-platform:cloudflare.dns01Token: true" }).default(false),
    })
    .superRefine((c, ctx) => {
        const seen = new Map<string, number>();
        c.routes.forEach((r, i) => {
            const first = seen.get(r.hostname);
            if (first !== undefined) {
                ctx.addIssue({ code: "custom", path: ["routes", i, "hostname"], message: `"${r.hostname}" is already routed by routes[${first}]` });
            } else {
                seen.set(r.hostname, i);
            }
            if (c.zoneName !== undefined && !inZone(r.hostname, c.zoneName)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["routes", i, "hostname"],
                    message: `"${r.hostname}" is not in the zone ${c.zoneName} (cloudflare.zoneName): its DNS record could not be created in that zone`,
                });
            }
        });
        if (!c.enabled) {
            return;
        }
        for (const k of ["accountId", "zoneId", "tunnelName"] as const) {
            if (c[k] === undefined) {
                ctx.addIssue({ code: "custom", path: [k], message: "is required when cloudflare.enabled is true" });
            }
        }
        if (c.routes.length === 0) {
            ctx.addIssue({ code: "custom", path: ["routes"], message: "must list at least one route when cloudflare.enabled is true (a tunnel with only the catch-all 404 serves nothing)" });
        }
    });

/** The `cloudflare` block after defaults. */
export type CloudflareConfig = z.output<typeof cloudflareSchema>;
