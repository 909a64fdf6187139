// A small client for Vault's (and OpenBao's) KV version 2 HTTP API, limited to what the
// OwnedKvSecret dynamic provider needs: read the metadata (current version, custom_metadata) and the
// latest data, write data with check-and-set, write custom_metadata, delete a secret with all its
// versions. Plain global `fetch`, no imports: this module is captured by value when the provider is
// closure-serialized into Pulumi state, so it stays self-contained (no module state, no secrets).
//
// Secrets: the token travels only in the X-Vault-Token header. Error messages carry the method, the
// API path (never a secret) and Vault's `errors`, never the token and never secret data.

/** Where the secret lives and how to reach Vault. */
export interface VaultKvTarget {
    /** Vault address, e.g. `https://vault.example.com:8200`. */
    address: string;
    /** Vault token (X-Vault-Token). */
    token: string;
    /** Vault Enterprise namespace (X-Vault-Namespace); empty for none. */
    namespace?: string;
    /** KV v2 mount path, e.g. `secret`. */
    mount: string;
    /** Path of the secret under the mount, e.g. `my-group/platform/stacks/dev/registry`. */
    path: string;
    /** Per-request timeout. Default 30000 ms. */
    timeoutMs?: number;
}

/** Vault address, token and namespace a KV dynamic provider got from `configure` (the stack's vault:* config). */
export interface KvProviderConfig {
    address?: string;
    token?: string;
    namespace?: string;
}

/**
 * Where a KV dynamic provider reads or writes `p`: the resource's own address and namespace, else
 * the provider's configuration, else VAULT_ADDR / VAULT_TOKEN / VAULT_NAMESPACE. `what` names the
 * resource in the errors (e.g. "the registry secret"). Never puts the token in a message.
 */
export function kvTarget(
    p: { address?: string; namespace?: string; mount: string; path: string },
    configured: KvProviderConfig,
    what: string,
    timeoutMs?: number,
): VaultKvTarget {
    const address = p.address || configured.address || process.env.VAULT_ADDR || "";
    const token = configured.token || process.env.VAULT_TOKEN || "";
    if (address === "") {
        throw new Error(`No Vault address for ${what}: set vault:address (e.g. https://vault.example.com) or VAULT_ADDR.`);
    }
    if (token === "") {
        throw new Error(`No Vault token for ${what}: pulumi config set --secret vault:token <token> (or set VAULT_TOKEN).`);
    }
    return {
        address,
        token,
        namespace: p.namespace || configured.namespace || process.env.VAULT_NAMESPACE || "",
        mount: p.mount,
        path: p.path,
        timeoutMs,
    };
}

/** The KV v2 metadata of one secret (GET <mount>/metadata/<path>). */
export interface KvMetadata {
    /** Latest version number (0 when only metadata exists). */
    currentVersion: number;
    /** Free-form string map kept next to the versions. */
    customMetadata: Record<string, string>;
    /** True when the latest version is soft-deleted or destroyed (no readable data). */
    latestDeleted: boolean;
}

/** The latest readable version of one secret (GET <mount>/data/<path>). */
export interface KvData {
    /** The key/value pairs. */
    data: Record<string, unknown>;
    /** Version number of these data. */
    version: number;
}

/** The API URL of `<mount>/<kind>/<path>` (`kind` = data or metadata); path segments URL-encoded. */
export function kvUrl(address: string, mount: string, kind: "data" | "metadata", path: string): string {
    const base = String(address ?? "").trim().replace(/\/+$/, "");
    const seg = (p: string) =>
        String(p ?? "")
            .split("/")
            .filter((s) => s !== "")
            .map(encodeURIComponent)
            .join("/");
    return `${base}/v1/${seg(mount)}/${kind}/${seg(path)}`;
}

/** Why a `fetch` failed: undici wraps the network error (ECONNREFUSED, a TLS error) in `cause`. */
export function fetchFailure(e: unknown): string {
    if (!(e instanceof Error)) return String(e);
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : e.message;
}

/** Calls the API; returns the status and the parsed JSON body (undefined when empty). */
async function call(
    t: VaultKvTarget,
    method: string,
    kind: "data" | "metadata",
    body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
    const url = kvUrl(t.address, t.mount, kind, t.path);
    const where = `${method} ${t.mount}/${kind}/${t.path}`;
    const headers: Record<string, string> = { "X-Vault-Token": t.token, "X-Vault-Request": "true" };
    if (t.namespace) headers["X-Vault-Namespace"] = t.namespace;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res: Response;
    try {
        res = await fetch(url, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(t.timeoutMs ?? 30000),
            redirect: "error",
        });
    } catch (e) {
        throw new Error(`Vault ${where} at ${t.address} failed: ${fetchFailure(e).split(t.token).join("[token]")}`);
    }
    const text = await res.text();
    let json: Record<string, unknown> | undefined;
    try {
        json = text.trim() === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
    } catch {
        json = undefined;
    }
    if (res.status === 401 || res.status === 403) {
        throw new Error(
            `Vault ${where} at ${t.address}: ${res.status} permission denied. The token (vault:token or ` +
                `VAULT_TOKEN) must be allowed to read, write and delete ${t.mount}/data/${t.path} and ` +
                `${t.mount}/metadata/${t.path}${errorsOf(json, t.token)}.`,
        );
    }
    if (res.status >= 400 && res.status !== 404) {
        throw new Error(`Vault ${where} at ${t.address}: HTTP ${res.status}${errorsOf(json, t.token)}`);
    }
    return { status: res.status, json };
}

/** Vault's `errors` list, never a response's data, with the token blanked out (a proxy may echo it). */
function errorsOf(json: Record<string, unknown> | undefined, token: string): string {
    const errors = json && Array.isArray(json.errors) ? json.errors.map(String).filter((s) => s !== "") : [];
    const text = token ? errors.join("; ").split(token).join("[token]") : errors.join("; ");
    return errors.length > 0 ? ` (${text.slice(0, 400)})` : "";
}

/** Metadata of the secret, or undefined when the path holds nothing at all. */
export async function readMetadata(t: VaultKvTarget): Promise<KvMetadata | undefined> {
    const { status, json } = await call(t, "GET", "metadata");
    if (status === 404) return undefined;
    const d = (json?.data ?? {}) as Record<string, unknown>;
    const currentVersion = Number(d.current_version ?? 0);
    const versions = (d.versions ?? {}) as Record<string, { deletion_time?: string; destroyed?: boolean }>;
    const latest = versions[String(currentVersion)];
    const cm = (d.custom_metadata ?? {}) as Record<string, unknown> | null;
    return {
        currentVersion,
        customMetadata: Object.fromEntries(Object.entries(cm ?? {}).map(([k, v]) => [k, String(v)])),
        latestDeleted: currentVersion === 0 || !latest || !!latest.destroyed || (!!latest.deletion_time && latest.deletion_time !== ""),
    };
}

/** The latest version's data, or undefined when it is missing, soft-deleted or destroyed. */
export async function readData(t: VaultKvTarget): Promise<KvData | undefined> {
    const { status, json } = await call(t, "GET", "data");
    if (status === 404) return undefined;
    const d = (json?.data ?? {}) as { data?: Record<string, unknown> | null; metadata?: { version?: number } };
    if (!d.data) return undefined;
    return { data: d.data, version: Number(d.metadata?.version ?? 0) };
}

/**
 * Writes a new version. `cas` is the version the caller last saw (0: the secret must not exist);
 * Vault refuses the write when another writer got there first.
 */
export async function writeData(t: VaultKvTarget, data: Record<string, unknown>, cas: number): Promise<number> {
    const { status, json } = await call(t, "POST", "data", { data, options: { cas } });
    if (status === 404) {
        throw new Error(`Vault POST ${t.mount}/data/${t.path} at ${t.address}: 404, is ${t.mount} a KV version 2 mount?`);
    }
    return Number(((json?.data ?? {}) as { version?: number }).version ?? 0);
}

/** Replaces the secret's custom_metadata (creates the metadata entry when the path is new). */
export async function writeCustomMetadata(t: VaultKvTarget, customMetadata: Record<string, string>): Promise<void> {
    const { status } = await call(t, "POST", "metadata", { custom_metadata: customMetadata });
    if (status === 404) {
        throw new Error(`Vault POST ${t.mount}/metadata/${t.path} at ${t.address}: 404, is ${t.mount} a KV version 2 mount?`);
    }
}

/** Deletes every version and the metadata. Already gone is success. */
export async function deleteAll(t: VaultKvTarget): Promise<void> {
    await call(t, "DELETE", "metadata");
}
