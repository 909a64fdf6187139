// A local test double of GitLab's REST API v4 group deploy-token endpoints
// (doc/api/deploy_tokens.md), on 127.0.0.1 with a random port. It follows the documented
// behaviour the provider relies on:
//   GET    /api/v4/groups/:id/deploy_tokens            (active filter, page/per_page, pagination headers)
//   GET    /api/v4/groups/:id/deploy_tokens/:token_id
//   POST   /api/v4/groups/:id/deploy_tokens            (name, scopes, expires_at, username; 201 + token once)
//   DELETE /api/v4/groups/:id/deploy_tokens/:token_id  (204)
// `:id` is a numeric id or a URL-encoded full path (`parent%2Fchild`). Authentication is the
// PRIVATE-TOKEN header: missing/unknown → 401; the user must see the group (else 404 "Group Not
// Found"); listing needs Maintainer, create/delete need Owner and the `api` scope (else 403).
// Test hooks: revoke/expire/remove tokens out of band, inject faults (status codes, hangs,
// "commit then fail" answers) and inspect the request log.

import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";

export type Role = "guest" | "reporter" | "developer" | "maintainer" | "owner";

export interface DoubleUser {
    /** Personal access token scopes, e.g. ["api"] or ["read_api"]. */
    scopes: string[];
    /** Role per group full path. A group without a role is invisible (404). */
    groups: Record<string, Role>;
}

export interface StoredToken {
    id: number;
    name: string;
    username: string;
    expires_at: string | null;
    revoked: boolean;
    scopes: string[];
    token: string;
    group: string;
}

export interface Fault {
    method?: string;
    /** Matched against the decoded path (e.g. /api/v4/groups/a/b/deploy_tokens). */
    path?: RegExp;
    /** Status to answer with (default 500). */
    status?: number;
    body?: unknown;
    /** Never answer (the client must time out). */
    hang?: boolean;
    /** Perform the real operation first, then answer with the fault (a lost answer). */
    commit?: boolean;
    /** How many requests this fault applies to (default 1). */
    times?: number;
}

export interface LoggedRequest {
    method: string;
    /** Raw request target as sent (still URL-encoded). */
    rawUrl: string;
    path: string;
    query: URLSearchParams;
    privateToken?: string;
    body?: unknown;
}

export interface GitLabDouble {
    /** `http://127.0.0.1:<port>`: use as the GitLab host. */
    readonly url: string;
    readonly requests: LoggedRequest[];
    readonly users: Record<string, DoubleUser>;
    /** GitLab drops x-next-page/x-total on very large collections and keeps only `Link`. */
    linkHeaderOnly: boolean;
    /** The double's clock (ms since epoch) for expiry checks; tests with a fake clock set it too. */
    clock: () => number;
    /** Every deploy token value ever issued (also of deleted tokens), to check nothing leaks. */
    readonly issuedValues: string[];
    /** Creates a group (and its parents' entries are not needed); returns its numeric id. */
    addGroup(path: string): number;
    groupId(path: string): number;
    tokens(group: string): StoredToken[];
    token(group: string, id: number): StoredToken | undefined;
    /** Adds a token directly (e.g. to fill pages); returns it. */
    seedToken(group: string, t: Partial<StoredToken> & { name: string }): StoredToken;
    revoke(group: string, id: number): void;
    expire(group: string, id: number): void;
    remove(group: string, id: number): void;
    inject(fault: Fault): void;
    clearFaults(): void;
    close(): Promise<void>;
}

const UNKNOWN_ROUTE = { error: "404 Not Found" };
const SCOPES = [
    "read_repository",
    "read_registry",
    "write_registry",
    "read_package_registry",
    "write_package_registry",
    "read_virtual_registry",
    "write_virtual_registry",
];
const ROLE_LEVEL: Record<Role, number> = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 };

export interface DoubleOptions {
    /** Port on 127.0.0.1 (default 0 = random). */
    port?: number;
    /**
     * Serve test-only admin routes for out-of-process tests (e2e): `GET /_double/tokens?group=`,
     * `POST /_double/revoke|expire|remove?group=&id=`, `POST /_double/fault` (JSON Fault, path as a
     * regex string), `POST /_double/revoke-api-token` (JSON `{ token }`: that API token gets 401 from
     * then on, e.g. a rotated-away `gitlabToken`). Off by default.
     */
    admin?: boolean;
}

export async function startGitLabDouble(options: DoubleOptions = {}): Promise<GitLabDouble> {
    const groups = new Map<string, { id: number; path: string }>();
    const tokens: StoredToken[] = [];
    const faults: Fault[] = [];
    const requests: LoggedRequest[] = [];
    const users: Record<string, DoubleUser> = {};
    const issuedValues: string[] = [];
    let nextGroupId = 100;
    let nextTokenId = 1;

    function findGroup(idOrPath: string): { id: number; path: string } | undefined {
        if (/^\d+$/.test(idOrPath)) {
            for (const g of groups.values()) if (g.id === Number(idOrPath)) return g;
            return undefined;
        }
        return groups.get(idOrPath);
    }

    function isExpired(t: StoredToken): boolean {
        return t.expires_at !== null && Date.parse(t.expires_at) <= double.clock();
    }

    function view(t: StoredToken) {
        return {
            id: t.id,
            name: t.name,
            username: t.username,
            expires_at: t.expires_at,
            revoked: t.revoked,
            expired: isExpired(t),
            scopes: [...t.scopes],
        };
    }

    function send(res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
        const text = body === undefined ? "" : JSON.stringify(body);
        res.writeHead(status, { ...(text ? { "Content-Type": "application/json" } : {}), ...headers });
        res.end(text);
    }

    function takeFault(method: string, path: string): Fault | undefined {
        const i = faults.findIndex(
            (f) => (!f.method || f.method.toUpperCase() === method) && (!f.path || f.path.test(path)),
        );
        if (i < 0) return undefined;
        const f = faults[i];
        f.times = (f.times ?? 1) - 1;
        if (f.times <= 0) faults.splice(i, 1);
        return f;
    }

    async function readBody(req: http.IncomingMessage): Promise<unknown> {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString("utf8");
        if (text === "") return undefined;
        const type = String(req.headers["content-type"] ?? "");
        if (type.includes("application/x-www-form-urlencoded")) {
            const q = new URLSearchParams(text);
            return { name: q.get("name") ?? undefined, scopes: q.getAll("scopes[]"), expires_at: q.get("expires_at") ?? undefined, username: q.get("username") ?? undefined };
        }
        return JSON.parse(text);
    }

    function create(group: { path: string }, body: any): { status: number; body: unknown } {
        if (!body || typeof body.name !== "string" || body.name === "") return { status: 400, body: { error: "name is missing" } };
        if (body.scopes === undefined || (Array.isArray(body.scopes) && body.scopes.length === 0)) {
            return { status: 400, body: { error: "scopes is missing" } };
        }
        if (!Array.isArray(body.scopes) || body.scopes.some((s: unknown) => !SCOPES.includes(String(s)))) {
            return { status: 400, body: { error: "scopes does not have a valid value" } };
        }
        let expiresAt: string | null = null;
        if (body.expires_at !== undefined && body.expires_at !== null && body.expires_at !== "") {
            const t = Date.parse(String(body.expires_at));
            if (Number.isNaN(t)) return { status: 400, body: { error: "expires_at is invalid" } };
            if (t <= double.clock()) return { status: 400, body: { message: { expires_at: ["must be in the future"] } } };
            expiresAt = new Date(t).toISOString();
        }
        if (body.username !== undefined && body.username !== "" && !/^[a-zA-Z0-9_\-+.]+$/.test(String(body.username))) {
            return { status: 400, body: { message: { username: ["can contain only letters, digits, '_', '-', '+', and '.'"] } } };
        }
        const id = nextTokenId++;
        const t: StoredToken = {
            id,
            name: body.name,
            username: body.username ? String(body.username) : `gitlab+deploy-token-${id}`,
            expires_at: expiresAt,
            revoked: false,
            scopes: body.scopes.map(String),
            token: `gldt-${randomBytes(15).toString("base64url")}`,
            group: group.path,
        };
        tokens.push(t);
        issuedValues.push(t.token);
        return { status: 201, body: { ...view(t), token: t.token } };
    }

    async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
        const rawUrl = req.url ?? "/";
        const [rawPath, rawQuery = ""] = rawUrl.split("?", 2);
        const segments = rawPath.split("/").filter((s) => s !== "").map((s) => decodeURIComponent(s));
        const path = "/" + segments.join("/");
        const method = (req.method ?? "GET").toUpperCase();
        const privateToken = req.headers["private-token"] as string | undefined;
        let body: unknown;
        try {
            body = await readBody(req);
        } catch {
            return send(res, 400, { error: "400 Bad request - body is not valid JSON" });
        }
        requests.push({ method, rawUrl, path, query: new URLSearchParams(rawQuery), privateToken, body });

        if (options.admin && segments[0] === "_double") {
            const q = new URLSearchParams(rawQuery);
            const group = q.get("group") ?? "";
            const id = Number(q.get("id"));
            try {
                if (method === "GET" && segments[1] === "tokens") return send(res, 200, double.tokens(group));
                if (method === "POST" && segments[1] === "revoke") {
                    double.revoke(group, id);
                    return send(res, 200, {});
                }
                if (method === "POST" && segments[1] === "expire") {
                    double.expire(group, id);
                    return send(res, 200, {});
                }
                if (method === "POST" && segments[1] === "remove") {
                    double.remove(group, id);
                    return send(res, 200, {});
                }
                if (method === "POST" && segments[1] === "revoke-api-token") {
                    const t = String((body as { token?: unknown } | undefined)?.token ?? "");
                    if (!(t in users)) throw new Error("double: no such API token");
                    delete users[t];
                    return send(res, 200, {});
                }
                if (method === "POST" && segments[1] === "fault") {
                    const f = body as Fault & { path?: string };
                    double.inject({ ...f, path: f.path ? new RegExp(f.path as unknown as string) : undefined });
                    return send(res, 200, {});
                }
            } catch (e) {
                return send(res, 404, { message: String((e as Error).message) });
            }
            return send(res, 404, UNKNOWN_ROUTE);
        }
        const fault = takeFault(method, path);
        if (fault?.hang) return; // never answered; the socket is destroyed on close()
        if (fault && !fault.commit) return send(res, fault.status ?? 500, fault.body ?? { message: "500 Internal Server Error" });

        // Routing: /api/v4/groups/:id/deploy_tokens[/:token_id]
        if (segments[0] !== "api" || segments[1] !== "v4" || segments[2] !== "groups" || segments.length < 5 || segments.length > 6 || segments[4] !== "deploy_tokens") {
            return send(res, 404, UNKNOWN_ROUTE);
        }
        const user = privateToken ? users[privateToken] : undefined;
        if (!user) return send(res, 401, { message: "401 Unauthorized" });
        const group = findGroup(segments[3]);
        const role = group ? user.groups[group.path] : undefined;
        if (!group || !role) return send(res, 404, { message: "404 Group Not Found" });
        const needsWrite = method === "POST" || method === "DELETE";
        const hasScope = needsWrite ? user.scopes.includes("api") : user.scopes.includes("api") || user.scopes.includes("read_api");
        if (!hasScope) {
            return send(res, 403, {
                error: "insufficient_scope",
                error_description: "The request requires higher privileges than provided by the access token.",
                scope: needsWrite ? "api" : "api read_api",
            });
        }
        if (ROLE_LEVEL[role] < (needsWrite ? ROLE_LEVEL.owner : ROLE_LEVEL.maintainer)) {
            return send(res, 403, { message: "403 Forbidden" });
        }

        let result: { status: number; body?: unknown; headers?: Record<string, string> };
        if (segments.length === 5 && method === "GET") {
            const query = new URLSearchParams(rawQuery);
            let list = tokens.filter((t) => t.group === group.path);
            const active = query.get("active");
            if (active === "true") list = list.filter((t) => !t.revoked && !isExpired(t));
            if (active === "false") list = list.filter((t) => t.revoked || isExpired(t));
            const perPage = Math.min(100, Math.max(1, Number(query.get("per_page") ?? 20) || 20));
            const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
            const total = list.length;
            const totalPages = Math.max(1, Math.ceil(total / perPage));
            const items = list.slice((page - 1) * perPage, page * perPage).map(view);
            const base = `http://${req.headers.host}${rawPath}`;
            const linkFor = (p: number) => {
                const q = new URLSearchParams(rawQuery);
                q.set("page", String(p));
                q.set("per_page", String(perPage));
                return `<${base}?${q.toString()}>`;
            };
            const links: string[] = [];
            if (page > 1) links.push(`${linkFor(page - 1)}; rel="prev"`);
            if (page < totalPages) links.push(`${linkFor(page + 1)}; rel="next"`);
            links.push(`${linkFor(1)}; rel="first"`, `${linkFor(totalPages)}; rel="last"`);
            const headers: Record<string, string> = double.linkHeaderOnly
                ? { link: links.join(", ") }
                : {
                      "x-page": String(page),
                      "x-per-page": String(perPage),
                      "x-next-page": page < totalPages ? String(page + 1) : "",
                      "x-prev-page": page > 1 ? String(page - 1) : "",
                      "x-total": String(total),
                      "x-total-pages": String(totalPages),
                      link: links.join(", "),
                  };
            result = { status: 200, body: items, headers };
        } else if (segments.length === 5 && method === "POST") {
            result = create(group, body);
        } else if (segments.length === 6 && (method === "GET" || method === "DELETE")) {
            const id = Number(segments[5]);
            const i = tokens.findIndex((t) => t.group === group.path && t.id === id);
            if (i < 0) {
                result = { status: 404, body: { message: "404 Not found" } };
            } else if (method === "GET") {
                result = { status: 200, body: view(tokens[i]) };
            } else {
                tokens.splice(i, 1);
                result = { status: 204 };
            }
        } else {
            result = { status: 405, body: { error: "405 Method Not Allowed" } };
        }
        if (fault?.commit) return send(res, fault.status ?? 500, fault.body ?? { message: "500 Internal Server Error" });
        return send(res, result.status, result.body, result.headers);
    }

    const server = http.createServer((req, res) => {
        handle(req, res).catch((e) => send(res, 500, { message: `500 Internal Server Error (double: ${String(e)})` }));
    });
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;

    function mustFind(group: string, id: number): StoredToken {
        const t = tokens.find((x) => x.group === group && x.id === id);
        if (!t) throw new Error(`double: no token ${id} in ${group}`);
        return t;
    }

    const double: GitLabDouble = {
        url: `http://127.0.0.1:${port}`,
        requests,
        users,
        linkHeaderOnly: false,
        clock: () => Date.now(),
        issuedValues,
        addGroup(path: string) {
            const existing = groups.get(path);
            if (existing) return existing.id;
            const g = { id: nextGroupId++, path };
            groups.set(path, g);
            return g.id;
        },
        groupId(path: string) {
            const g = groups.get(path);
            if (!g) throw new Error(`double: no group ${path}`);
            return g.id;
        },
        tokens: (group: string) => tokens.filter((t) => t.group === group),
        token: (group: string, id: number) => tokens.find((t) => t.group === group && t.id === id),
        seedToken(group: string, t: Partial<StoredToken> & { name: string }) {
            const id = nextTokenId++;
            const stored: StoredToken = {
                id,
                username: `gitlab+deploy-token-${id}`,
                expires_at: null,
                revoked: false,
                scopes: ["read_registry"],
                token: `gldt-${randomBytes(15).toString("base64url")}`,
                ...t,
                group,
            };
            tokens.push(stored);
            issuedValues.push(stored.token);
            return stored;
        },
        revoke(group: string, id: number) {
            mustFind(group, id).revoked = true;
        },
        expire(group: string, id: number) {
            mustFind(group, id).expires_at = new Date(double.clock() - 86400000).toISOString();
        },
        remove(group: string, id: number) {
            const i = tokens.indexOf(mustFind(group, id));
            tokens.splice(i, 1);
        },
        inject(fault: Fault) {
            faults.push({ ...fault });
        },
        clearFaults() {
            faults.length = 0;
        },
        close() {
            return new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            });
        },
    };
    return double;
}
