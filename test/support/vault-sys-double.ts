// A local test double of the two Vault system endpoints the preflight reads, on 127.0.0.1 with a
// random port, in Vault's response shape:
//   GET /v1/sys/mounts  enabled secrets engines, keyed by path with a trailing '/'
//   GET /v1/sys/auth    enabled auth methods, keyed the same way
// Vault answers with the listing twice: at the top level (for old clients) and under `data`, next
// to request_id, lease fields, wrap_info, warnings and auth. Authentication: X-Vault-Token must be
// the double's token, else 403 with Vault's "permission denied" body. `sealed` answers 503 like a
// sealed Vault. Test hooks: what is mounted, the response shape, the request log, a delay.

import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** One mount as Vault lists it (the fields the platform reads, plus the ones Vault always sends). */
export interface SysMount {
    /** Engine or method type, e.g. `kv`, `kubernetes`, `approle`. */
    type: string;
    /** Free text. */
    description?: string;
    /** Engine options, e.g. `{ version: "2" }`; Vault sends `null` when there are none. */
    options?: Record<string, string> | null;
}

/** One request the double received. */
export interface SysRequest {
    /** HTTP method. */
    method: string;
    /** Path, e.g. `/v1/sys/mounts`. */
    path: string;
    /** The X-Vault-Token sent. */
    token?: string;
    /** The X-Vault-Namespace sent. */
    namespace?: string;
}

/** A running double. */
export interface VaultSysDouble {
    /** `http://127.0.0.1:<port>`: use as the Vault address. */
    readonly url: string;
    /** The only token the double accepts. */
    readonly token: string;
    /** Secrets engines by path without the trailing '/', e.g. `secret`. */
    readonly mounts: Map<string, SysMount>;
    /** Auth methods by path without the trailing '/', e.g. `kubernetes`. */
    readonly auth: Map<string, SysMount>;
    /** Every request, in order. */
    readonly requests: SysRequest[];
    /** Where the listing goes: both (Vault), only under `data`, or only at the top level. Default both. */
    shape: "both" | "data" | "top";
    /** Answer 503 "Vault is sealed". */
    sealed: boolean;
    /** Milliseconds to wait before answering. */
    delayMs: number;
    /** Stops the server. */
    close(): Promise<void>;
}

/** Vault's entry for one mount: the fields Vault sends for every engine or method. */
function entry(path: string, m: SysMount, i: number) {
    return {
        accessor: `${m.type}_${(0x1000 + i).toString(16)}`,
        config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 },
        description: m.description ?? "",
        external_entropy_access: false,
        local: false,
        options: m.options === undefined ? null : m.options,
        plugin_version: "",
        running_plugin_version: `v0.0.0+builtin.${m.type}`,
        running_sha256: "",
        seal_wrap: false,
        type: m.type,
        uuid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
        path: `${path}/`,
    };
}

/** Starts a double with Vault's default mounts (`cubbyhole/`, `identity/`, `sys/`; auth `token/`). */
export async function startVaultSysDouble(options: { token?: string } = {}): Promise<VaultSysDouble> {
    const token = options.token ?? "hvs.SYS-double-token-do-not-print-2718";
    const mounts = new Map<string, SysMount>([
        ["cubbyhole", { type: "cubbyhole", description: "per-token private secret storage" }],
        ["identity", { type: "identity", description: "identity store" }],
        ["sys", { type: "system", description: "system endpoints used for control, policy and debugging" }],
    ]);
    const auth = new Map<string, SysMount>([["token", { type: "token", description: "token based credentials" }]]);
    const requests: SysRequest[] = [];

    const state = { shape: "both" as VaultSysDouble["shape"], sealed: false, delayMs: 0 };

    const server = http.createServer((req, res) => {
        const header = (h: string) => {
            const v = req.headers[h];
            return Array.isArray(v) ? v[0] : v;
        };
        const path = (req.url ?? "/").split("?")[0];
        requests.push({ method: req.method ?? "GET", path, token: header("x-vault-token"), namespace: header("x-vault-namespace") });
        const send = (status: number, payload: unknown) => {
            const answer = () => {
                res.writeHead(status, { "Content-Type": "application/json" });
                res.end(JSON.stringify(payload));
            };
            if (state.delayMs > 0) setTimeout(answer, state.delayMs);
            else answer();
        };
        if (state.sealed) return send(503, { errors: ["Vault is sealed"] });
        if (header("x-vault-token") !== token) return send(403, { errors: ["1 error occurred:\n\t* permission denied\n\n"] });
        const which = path === "/v1/sys/mounts" ? mounts : path === "/v1/sys/auth" ? auth : undefined;
        if (!which || req.method !== "GET") return send(404, { errors: [] });
        const listing = Object.fromEntries([...which.entries()].map(([p, m], i) => [`${p}/`, entry(p, m, i)]));
        const envelope = {
            request_id: "5e3c2b8e-0000-4000-8000-000000000000",
            lease_id: "",
            renewable: false,
            lease_duration: 0,
            wrap_info: null,
            warnings: null,
            auth: null,
        };
        if (state.shape === "data") return send(200, { ...envelope, data: listing });
        if (state.shape === "top") return send(200, { ...listing });
        return send(200, { ...listing, ...envelope, data: listing });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    return {
        url,
        token,
        mounts,
        auth,
        requests,
        get shape() {
            return state.shape;
        },
        set shape(v) {
            state.shape = v;
        },
        get sealed() {
            return state.sealed;
        },
        set sealed(v) {
            state.sealed = v;
        },
        get delayMs() {
            return state.delayMs;
        },
        set delayMs(v) {
            state.delayMs = v;
        },
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
