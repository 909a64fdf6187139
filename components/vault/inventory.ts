/**
 * What already exists in Vault before the program registers anything: the secrets engine at the KV
 * mount path and the auth method at the Kubernetes auth path. The platform adopts what matches
 * (a dev-mode Vault's `secret/`, what `setup-infrastructure.sh` enabled, a mount an earlier stack
 * left behind with `retainOnDelete`) and refuses what does not, before anything is created.
 * Read with `GET /v1/sys/mounts` and `GET /v1/sys/auth` (capability `read` on both).
 */

import { fetchFailure } from "./kvClient";

/** How to reach Vault. */
export interface VaultEndpoint {
    /** e.g. `https://vault.example.com:8200`. */
    address: string;
    /** Token with `read` on `sys/mounts` and `sys/auth`. */
    token: string;
    /** Vault Enterprise namespace, if any. */
    namespace?: string;
    /** Per-request timeout. @default 15000 */
    timeoutMs?: number;
}

/** One enabled secrets engine or auth method, as Vault lists it. */
export interface MountInfo {
    /** Engine or method type, e.g. `kv`, `kubernetes`. */
    type: string;
    /** Its description (kept as it is when adopted, so the adoption changes nothing). */
    description: string;
    /** Engine options, e.g. `{ version: "2" }` for KV v2. */
    options: Record<string, string>;
}

/** What exists at the two paths the platform uses; `undefined` = nothing there. */
export interface VaultInventory {
    /** The secrets engine at the KV mount path. */
    kvMount?: MountInfo;
    /** The auth method at the Kubernetes auth path. */
    authMount?: MountInfo;
}

/** Vault lists mounts with a trailing '/'. */
function lookup(listing: Record<string, unknown>, path: string): MountInfo | undefined {
    const entry = (listing[`${path.replace(/\/+$/, "")}/`] ?? undefined) as Record<string, unknown> | undefined;
    if (!entry || typeof entry !== "object") return undefined;
    const options = (entry.options ?? {}) as Record<string, unknown> | null;
    return {
        type: String(entry.type ?? ""),
        description: String(entry.description ?? ""),
        options: Object.fromEntries(Object.entries(options ?? {}).map(([k, v]) => [k, String(v)])),
    };
}

async function list(e: VaultEndpoint, what: "mounts" | "auth"): Promise<Record<string, unknown>> {
    const url = `${e.address.replace(/\/+$/, "")}/v1/sys/${what}`;
    const headers: Record<string, string> = { "X-Vault-Token": e.token, "X-Vault-Request": "true" };
    if (e.namespace) headers["X-Vault-Namespace"] = e.namespace;
    let res: Response;
    try {
        res = await fetch(url, { headers, signal: AbortSignal.timeout(e.timeoutMs ?? 15000) });
    } catch (err) {
        const reason = fetchFailure(err);
        throw new Error(
            `cannot reach Vault at ${e.address} to check what is already mounted (GET sys/${what}): ${reason}. ` +
                `Check vault:address (e.g. https://vault.example.com) and that Vault is reachable and unsealed.`,
        );
    }
    if (res.status === 401 || res.status === 403) {
        throw new Error(
            `Vault at ${e.address} refused GET sys/${what} (${res.status}): the token (vault:token or VAULT_TOKEN) needs ` +
                `"read" on sys/mounts and sys/auth so that existing mounts are adopted instead of failing with "path is already in use".`,
        );
    }
    if (res.status === 503) {
        throw new Error(`Vault at ${e.address} is sealed or not initialized (503 on GET sys/${what}): unseal it, then run again.`);
    }
    if (!res.ok) {
        throw new Error(`Vault at ${e.address}: GET sys/${what} answered HTTP ${res.status}.`);
    }
    const body = (await res.json()) as Record<string, unknown>;
    // Vault answers with the listing both at the top level and under `data`.
    return ((body.data ?? body) as Record<string, unknown>) ?? {};
}

/** Reads what is mounted at `kvMount` (secrets engines) and `authMount` (auth methods). */
export async function readVaultInventory(e: VaultEndpoint, kvMount: string, authMount: string): Promise<VaultInventory> {
    const [mounts, auth] = await Promise.all([list(e, "mounts"), list(e, "auth")]);
    return { kvMount: lookup(mounts, kvMount), authMount: lookup(auth, authMount) };
}

/** True for a KV version 2 engine. */
export function isKvV2(m: MountInfo): boolean {
    return (m.type === "kv" && m.options.version === "2") || m.type === "kv-v2";
}
