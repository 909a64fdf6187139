/**
 * Names and paths of the Cloudflare tunnel that users and other tools rely on (README "Cloudflare
 * tunnel"). Pure functions, so the preflight, the program and the tests derive them alike.
 */

/**
 * KV path (no mount, no `data/`) of the tunnel's connector token: `<prefix>/platform/stacks/<stack>/cloudflare-tunnel`.
 * Four segments under the prefix, like the registry secret, so no environment policy
 * (`<prefix>/+/<env>/+`) reaches it.
 */
export function cloudflareTunnelSecretPath(pathPrefix: string, stack: string): string {
    return `${pathPrefix}/platform/stacks/${stack}/cloudflare-tunnel`;
}

/** KV path of the cert-manager DNS-01 API token: `<prefix>/platform/stacks/<stack>/cloudflare-dns01`. */
export function cloudflareDns01SecretPath(pathPrefix: string, stack: string): string {
    return `${pathPrefix}/platform/stacks/${stack}/cloudflare-dns01`;
}

/** Name of the connector's Vault policy, `cloudflared-read-<fragment>` (the stack's policy fragment, as for `registry-read-<stack>`). */
export function cloudflaredPolicyName(stackFragment: string): string {
    return `cloudflared-read-${stackFragment.toLowerCase().replace(/[^a-z0-9_-]/g, "-")}`;
}

/** Kubernetes auth role of the connector (the auth mount is the stack's own, so the name needs no stack suffix). */
export const CLOUDFLARED_ROLE = "cloudflared";

/** Name of the connector's Deployment, ServiceAccount and VaultAuth in its namespace. */
export const CLOUDFLARED_NAME = "cloudflared";

/** Secret (and VaultStaticSecret) holding the connector token, key {@link TUNNEL_TOKEN_KEY}. */
export const TUNNEL_TOKEN_SECRET = "cloudflared-token";

/** Key of the connector token in Vault and in the synced Secret. */
export const TUNNEL_TOKEN_KEY = "token";

/** Key of the DNS-01 API token in Vault (cert-manager's examples use `api-token`). */
export const DNS01_TOKEN_KEY = "api-token";

/** Port of cloudflared's metrics server (`--metrics 0.0.0.0:2000`), which also serves `/ready`. */
export const CLOUDFLARED_METRICS_PORT = 2000;
