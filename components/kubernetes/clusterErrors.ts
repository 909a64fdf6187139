// Errors of direct Kubernetes API calls (the dynamic providers' and the preflights' reads) that say
// which cluster was asked and what to check: an unreachable API server otherwise surfaces as
// undici's bare "fetch failed". Only the server URL and the context name are named (never a token
// or a client key from the kubeconfig).

import type { KubeConfig } from "@kubernetes/client-node";

/** Which cluster a call went to, for messages. */
export interface ClusterTarget {
    /** API server URL of the current context's cluster, e.g. `https://127.0.0.1:6443`. */
    server?: string;
    /** Current kubeconfig context. */
    context?: string;
    /** Where the kubeconfig came from, e.g. `kubernetes:kubeconfig` or `KUBECONFIG or ~/.kube/config`. */
    source: string;
}

/** The cluster a loaded kubeconfig points at (`kubeconfigGiven`: it came from `kubernetes:kubeconfig`). */
export function clusterTarget(kc: KubeConfig, kubeconfigGiven: boolean): ClusterTarget {
    let server: string | undefined;
    let context: string | undefined;
    try {
        context = kc.getCurrentContext() || undefined;
        server = kc.getCurrentCluster()?.server || undefined;
    } catch {
        // A kubeconfig without a usable current context: named as such below.
    }
    return { server, context, source: kubeconfigGiven ? "kubernetes:kubeconfig" : "KUBECONFIG or ~/.kube/config" };
}

/** HTTP status of a failed @kubernetes/client-node call (`code`, or `statusCode` in older errors); NaN when no answer came (network, TLS, DNS). */
export function apiStatus(e: unknown): number {
    const err = e as { code?: unknown; statusCode?: unknown } | undefined;
    return Number(err?.code ?? err?.statusCode);
}

/** The low-level reason of a failed request (undici puts it in `cause`: ECONNREFUSED, a TLS error, …). */
export function networkReason(e: unknown): string {
    if (!(e instanceof Error)) return String(e);
    const cause = (e as { cause?: unknown }).cause as { code?: unknown; message?: unknown } | undefined;
    if (cause && typeof cause === "object") {
        const code = typeof cause.code === "string" ? cause.code : undefined;
        const msg = typeof cause.message === "string" ? cause.message : undefined;
        if (code && msg && !msg.includes(code)) return `${code}: ${msg}`;
        if (msg || code) return (msg ?? code)!;
    }
    return e.message;
}

/**
 * An Error for a failed call `action` (e.g. `reading ServiceAccount poc-dev/default`) against `t`:
 * no answer → names the API server and context and what to check; 401/403 → the credentials;
 * otherwise the status and the client's message.
 */
export function kubernetesCallError(action: string, e: unknown, t: ClusterTarget): Error {
    const status = apiStatus(e);
    const server = t.server ?? "(the kubeconfig names no server)";
    const context = t.context ?? "(no current context)";
    if (!Number.isFinite(status)) {
        return new Error(
            `${action}: cannot reach the Kubernetes API server ${server} (kubeconfig context ${context}, from ${t.source}): ` +
                `${networkReason(e)}. Check that kubernetes:kubeconfig / kubernetes:context (or KUBECONFIG) point at the ` +
                `cluster and that it is running and reachable from here: kubectl` +
                (t.context ? ` --context ${t.context}` : "") +
                ` get --raw /readyz`,
        );
    }
    if (status === 401 || status === 403) {
        return new Error(
            `${action}: the Kubernetes API server ${server} (kubeconfig context ${context}) answered ${status}: ` +
                `${status === 401 ? "the kubeconfig's credentials are not accepted (expired or wrong cluster)" : "the kubeconfig's user may not do this (RBAC)"}. ` +
                `Check kubernetes:kubeconfig / kubernetes:context (or KUBECONFIG).`,
        );
    }
    return new Error(`${action}: the Kubernetes API server ${server} (kubeconfig context ${context}) answered ${status}: ${e instanceof Error ? e.message : String(e)}`);
}
