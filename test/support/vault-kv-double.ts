// A local test double of Vault's KV version 2 HTTP API (secrets/kv/kv-v2 API docs), on 127.0.0.1
// with a random port, limited to what the OwnedKvSecret provider uses:
//   GET    /v1/:mount/data/:path      latest version; 404 when missing, or when the latest version is
//                                      soft-deleted/destroyed (then with `data: null` and its metadata)
//   POST   /v1/:mount/data/:path      { data, options: { cas } }: new version; cas must equal the
//                                      current version (0: must not exist), else 400
//   DELETE /v1/:mount/data/:path      soft-deletes the latest version (204)
//   GET    /v1/:mount/metadata/:path  current_version, versions, custom_metadata; 404 when missing
//   POST   /v1/:mount/metadata/:path  { custom_metadata }: replaces it, creates the entry (204)
//   DELETE /v1/:mount/metadata/:path  deletes every version and the metadata (204, also when missing)
// Authentication: X-Vault-Token must be the double's token, else 403 "permission denied" (Vault
// answers 403 for a missing or unknown token). Unknown mounts answer 404 like Vault's router.
// Test hooks: write/delete out of band (as `vault kv put` / `vault kv delete` would), inject
// faults, inspect the request log and the stored versions.

import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface StoredVersion {
    data: Record<string, unknown>;
    created_time: string;
    /** "" unless soft-deleted. */
    deletion_time: string;
    destroyed: boolean;
}

export interface StoredSecret {
    currentVersion: number;
    versions: Map<number, StoredVersion>;
    customMetadata: Record<string, string>;
}

export interface KvFault {
    method?: string;
    /** Matched against the decoded path, e.g. /v1/secret/data/a/b. */
    path?: RegExp;
    /** Status to answer with (default 500). */
    status?: number;
    body?: unknown;
    /** How many requests this fault applies to (default 1). */
    times?: number;
}

export interface KvRequest {
    method: string;
    /** Raw request target as sent (still URL-encoded). */
    rawUrl: string;
    /** Decoded path, e.g. /v1/secret/data/a/b. */
    path: string;
    /** The X-Vault-Token sent (undefined when none). */
    token?: string;
    /** The X-Vault-Namespace sent. */
    namespace?: string;
    /** Every header as received (lowercase names). */
    headers: http.IncomingHttpHeaders;
    body?: any;
}

export interface VaultKvDouble {
    /** `http://127.0.0.1:<port>`: use as the Vault address. */
    readonly url: string;
    /** The only token the double accepts. */
    readonly token: string;
    /** KV v2 mounts that exist. */
    readonly mounts: Set<string>;
    readonly requests: KvRequest[];
    /** The stored secret at `<mount>/<path>`, or undefined. */
    secret(mount: string, path: string): StoredSecret | undefined;
    /** The data of the latest version when readable. */
    latest(mount: string, path: string): Record<string, unknown> | undefined;
    /** Writes a new version out of band (`vault kv put`); returns its number. */
    put(mount: string, path: string, data: Record<string, unknown>): number;
    /** Replaces custom_metadata out of band (`vault kv metadata put -custom-metadata=…`). */
    setCustomMetadata(mount: string, path: string, customMetadata: Record<string, string>): void;
    /** Soft-deletes the latest version out of band (`vault kv delete`). */
    softDeleteLatest(mount: string, path: string): void;
    /** Answers the next matching requests with a fault instead. */
    inject(fault: KvFault): void;
    clearFaults(): void;
    /** Forgets every secret and request. */
    reset(): void;
    close(): Promise<void>;
}

const SPLIT = /^\/v1\/(.+?)\/(data|metadata)\/(.+)$/;

export async function startVaultKvDouble(options: { token?: string; mounts?: string[] } = {}): Promise<VaultKvDouble> {
    const token = options.token ?? "hvs.DOUBLE-vault-token-do-not-print-7788";
    const mounts = new Set(options.mounts ?? ["secret"]);
    const store = new Map<string, StoredSecret>();
    const requests: KvRequest[] = [];
    let faults: KvFault[] = [];
    const key = (mount: string, path: string) => `${mount}\u0000${path}`;
    const now = () => new Date().toISOString();

    const writeVersion = (mount: string, path: string, data: Record<string, unknown>): number => {
        let s = store.get(key(mount, path));
        if (!s) {
            s = { currentVersion: 0, versions: new Map(), customMetadata: {} };
            store.set(key(mount, path), s);
        }
        s.currentVersion += 1;
        s.versions.set(s.currentVersion, { data: structuredClone(data), created_time: now(), deletion_time: "", destroyed: false });
        return s.currentVersion;
    };
    const readable = (s: StoredSecret | undefined): StoredVersion | undefined => {
        const v = s?.versions.get(s.currentVersion);
        return v && v.deletion_time === "" && !v.destroyed ? v : undefined;
    };
    const metadataOf = (s: StoredSecret) => ({
        current_version: s.currentVersion,
        oldest_version: s.versions.size > 0 ? Math.min(...s.versions.keys()) : 0,
        max_versions: 0,
        cas_required: false,
        delete_version_after: "0s",
        custom_metadata: Object.keys(s.customMetadata).length > 0 ? { ...s.customMetadata } : null,
        versions: Object.fromEntries(
            [...s.versions.entries()].map(([n, v]) => [String(n), { created_time: v.created_time, deletion_time: v.deletion_time, destroyed: v.destroyed }]),
        ),
    });

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const rawUrl = req.url ?? "/";
            const rawPath = rawUrl.split("?")[0];
            const path = rawPath.split("/").map((s) => decodeURIComponent(s)).join("/");
            const text = Buffer.concat(chunks).toString("utf8");
            let body: any;
            try {
                body = text === "" ? undefined : JSON.parse(text);
            } catch {
                body = text;
            }
            const header = (h: string) => {
                const v = req.headers[h];
                return Array.isArray(v) ? v[0] : v;
            };
            const method = req.method ?? "GET";
            requests.push({ method, rawUrl, path, token: header("x-vault-token"), namespace: header("x-vault-namespace"), headers: req.headers, body });

            const send = (status: number, payload?: unknown) => {
                if (payload === undefined) {
                    res.writeHead(status);
                    res.end();
                    return;
                }
                res.writeHead(status, { "Content-Type": "application/json" });
                res.end(JSON.stringify(payload));
            };

            const fault = faults.find((f) => (!f.method || f.method === method) && (!f.path || f.path.test(path)));
            if (fault) {
                fault.times = (fault.times ?? 1) - 1;
                if (fault.times <= 0) faults = faults.filter((f) => f !== fault);
                send(fault.status ?? 500, fault.body ?? { errors: ["injected fault"] });
                return;
            }
            if (header("x-vault-token") !== token) {
                send(403, { errors: ["permission denied"] });
                return;
            }
            const m = SPLIT.exec(path);
            if (!m || !mounts.has(m[1])) {
                send(404, { errors: [`no handler for route "${path.replace(/^\/v1\//, "")}". route entry not found.`] });
                return;
            }
            const [, mount, kind, secretPath] = m;
            const k = key(mount, secretPath);
            const s = store.get(k);

            if (kind === "data" && method === "GET") {
                const v = readable(s);
                if (!s || s.currentVersion === 0) return send(404, { errors: [] });
                const latest = s.versions.get(s.currentVersion)!;
                const meta = {
                    version: s.currentVersion,
                    created_time: latest.created_time,
                    deletion_time: latest.deletion_time,
                    destroyed: latest.destroyed,
                    custom_metadata: Object.keys(s.customMetadata).length > 0 ? { ...s.customMetadata } : null,
                };
                if (!v) return send(404, { data: { data: null, metadata: meta } });
                return send(200, { data: { data: structuredClone(v.data), metadata: meta } });
            }
            if (kind === "data" && (method === "POST" || method === "PUT")) {
                if (!body || typeof body.data !== "object" || body.data === null) return send(400, { errors: ["no data provided"] });
                const cas = body.options?.cas;
                if (cas !== undefined && Number(cas) !== (s?.currentVersion ?? 0)) {
                    return send(400, { errors: ["check-and-set parameter did not match the current version"] });
                }
                const version = writeVersion(mount, secretPath, body.data);
                return send(200, { data: { version, created_time: now(), deletion_time: "", destroyed: false } });
            }
            if (kind === "data" && method === "DELETE") {
                const v = readable(s);
                if (v) v.deletion_time = now();
                return send(204);
            }
            if (kind === "metadata" && method === "GET") {
                if (!s) return send(404, { errors: [] });
                return send(200, { data: metadataOf(s) });
            }
            if (kind === "metadata" && (method === "POST" || method === "PUT")) {
                const entry = s ?? { currentVersion: 0, versions: new Map(), customMetadata: {} };
                if (body && body.custom_metadata !== undefined) {
                    entry.customMetadata = Object.fromEntries(Object.entries(body.custom_metadata ?? {}).map(([a, b]) => [a, String(b)]));
                }
                store.set(k, entry);
                return send(204);
            }
            if (kind === "metadata" && method === "DELETE") {
                store.delete(k);
                return send(204);
            }
            send(405, { errors: [`unsupported operation ${method}`] });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    return {
        url,
        token,
        mounts,
        requests,
        secret: (mount, path) => store.get(key(mount, path)),
        latest: (mount, path) => {
            const v = readable(store.get(key(mount, path)));
            return v ? structuredClone(v.data) : undefined;
        },
        put: (mount, path, data) => writeVersion(mount, path, data),
        setCustomMetadata: (mount, path, customMetadata) => {
            const s = store.get(key(mount, path)) ?? { currentVersion: 0, versions: new Map(), customMetadata: {} };
            s.customMetadata = { ...customMetadata };
            store.set(key(mount, path), s);
        },
        softDeleteLatest: (mount, path) => {
            const v = readable(store.get(key(mount, path)));
            if (!v) throw new Error(`nothing to delete at ${mount}/${path}`);
            v.deletion_time = now();
        },
        inject: (fault) => faults.push({ ...fault }),
        clearFaults: () => {
            faults = [];
        },
        reset: () => {
            store.clear();
            requests.length = 0;
            faults = [];
        },
        close: () =>
            new Promise<void>((resolve, reject) => {
                server.closeAllConnections();
                server.close((e) => (e ? reject(e) : resolve()));
            }),
    };
}
