// A small double of Argo CD's REST API (grpc-gateway JSON, as argocd-server v3 answers), on
// 127.0.0.1 with a random port, for the AccountToken provider and the argocd-ci e2e when no real
// argocd-server runs:
//   POST   /api/v1/session                      {username, password} → {token}; wrong → 401
//   GET    /api/v1/account/:name                {name, enabled, capabilities, tokens: [{id, issuedAt, expiresAt}]}
//                                              (int64 seconds as strings, like grpc-gateway); unknown → 404
//   POST   /api/v1/account/:name/token          {id?, name?, expiresIn (seconds)} → {token}; the account
//                                              needs the apiKey capability (else 400); id taken → 400
//   DELETE /api/v1/account/:name/token/:id      {} (an unknown id is no error, as in Argo CD)
//   GET    /api/v1/applications                 with an account token: {items: []}; the CI account may
//                                              read, nothing else (POST → 403 permission denied)
// A non-GET /api call without `Content-Type: application/json` (a bodiless DELETE too) → 415
// "Invalid content type", as argocd-server answers (seen in the e2e).
// Every /api/v1 call but the login needs `Authorization: Bearer <session or account token>`
// (missing, unknown, deleted or expired → 401). Only the admin user may manage accounts' tokens.
// Admin routes (test only): GET /_double/accounts (accounts with token values, for leak checks).

import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";

/** One token the double issued. */
export interface DoubleArgoToken {
    id: string;
    account: string;
    value: string;
    issuedAt: number;
    /** Seconds since the epoch; 0 = never. */
    expiresAt: number;
}

/** A running double. */
export interface ArgoCdDouble {
    readonly url: string;
    /** Local accounts: name → capabilities (e.g. ["apiKey"]). */
    readonly accounts: Record<string, string[]>;
    /** Every token ever issued (deleted ones too), account tokens and sessions. */
    readonly issued: DoubleArgoToken[];
    /** Tokens of an account that still exist. */
    tokens(account: string): DoubleArgoToken[];
    /** Deletes a token out of band (as `argocd account delete-token`). */
    deleteToken(account: string, id: string): void;
    /** The double's clock (ms), for expiry. */
    clock: () => number;
    /** Requests seen: method and path. */
    readonly requests: { method: string; path: string }[];
    close(): Promise<void>;
}

/** Options: the admin login. */
export interface ArgoCdDoubleOptions {
    port?: number;
    adminPassword: string;
    /** Accounts besides admin (default `{ "ci-readonly": ["apiKey"] }`). */
    accounts?: Record<string, string[]>;
}

function b64url(b: Buffer | string): string {
    return Buffer.from(b).toString("base64url");
}

/** Starts the double. */
export async function startArgoCdDouble(options: ArgoCdDoubleOptions): Promise<ArgoCdDouble> {
    const accounts: Record<string, string[]> = { ...(options.accounts ?? { "ci-readonly": ["apiKey"] }) };
    const live: DoubleArgoToken[] = [];
    const issued: DoubleArgoToken[] = [];
    const sessions = new Map<string, string>();
    const requests: { method: string; path: string }[] = [];

    const jwt = (sub: string, id: string) =>
        `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64url(JSON.stringify({ iss: "argocd", sub: `${sub}:apiKey`, jti: id, nonce: randomBytes(8).toString("hex") }))}.${b64url(randomBytes(32))}`;

    const send = (res: http.ServerResponse, status: number, body: unknown) => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(body));
    };
    const grpcError = (res: http.ServerResponse, status: number, code: number, message: string) => send(res, status, { error: message, code, message });

    const whoIs = (req: http.IncomingMessage): { user: string; kind: "session" | "token" } | undefined => {
        const h = String(req.headers.authorization ?? "");
        const m = /^Bearer (.+)$/.exec(h);
        if (!m) return undefined;
        const s = sessions.get(m[1]);
        if (s) return { user: s, kind: "session" };
        const t = live.find((x) => x.value === m[1]);
        if (!t) return undefined;
        if (t.expiresAt > 0 && t.expiresAt * 1000 <= double.clock()) return undefined;
        return { user: t.account, kind: "token" };
    };

    const server = http.createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString("utf8");
        let body: any = {};
        try {
            body = text === "" ? {} : JSON.parse(text);
        } catch {
            return grpcError(res, 400, 3, "invalid JSON");
        }
        const path = (req.url ?? "/").split("?")[0];
        const method = (req.method ?? "GET").toUpperCase();
        requests.push({ method, path });
        // As argocd-server: a non-GET API request (DELETE without a body too) needs Content-Type: application/json.
        if (method !== "GET" && path.startsWith("/api/") && !String(req.headers["content-type"] ?? "").startsWith("application/json")) {
            res.writeHead(415, { "Content-Type": "text/plain" });
            return res.end("Invalid content type\n");
        }
        const seg = path.split("/").filter((s) => s !== "").map(decodeURIComponent);

        if (seg[0] === "_double" && seg[1] === "accounts" && method === "GET") {
            return send(res, 200, { accounts, tokens: issued });
        }
        if (path === "/api/v1/session" && method === "POST") {
            if (body.username !== "admin" || body.password !== options.adminPassword) return grpcError(res, 401, 16, "Invalid username or password");
            const token = jwt("admin", randomBytes(8).toString("hex"));
            sessions.set(token, "admin");
            return send(res, 200, { token });
        }
        const who = whoIs(req);
        if (!who) return grpcError(res, 401, 16, "invalid session: token is invalid or expired");

        if (seg[0] === "api" && seg[1] === "v1" && seg[2] === "applications" && seg.length === 3) {
            if (method === "GET") return send(res, 200, { metadata: {}, items: [] });
            return grpcError(res, 403, 7, "permission denied");
        }
        if (seg[0] === "api" && seg[1] === "v1" && seg[2] === "account" && seg[3]) {
            const name = seg[3];
            if (who.user !== "admin") return grpcError(res, 403, 7, "permission denied");
            const caps = name === "admin" ? ["login"] : accounts[name];
            if (!caps) return grpcError(res, 404, 5, `account '${name}' does not exist`);
            const mine = live.filter((t) => t.account === name);
            if (seg.length === 4 && method === "GET") {
                return send(res, 200, {
                    name,
                    enabled: true,
                    capabilities: caps,
                    tokens: mine.map((t) => ({ id: t.id, issuedAt: String(t.issuedAt), ...(t.expiresAt > 0 ? { expiresAt: String(t.expiresAt) } : {}) })),
                });
            }
            if (seg.length === 5 && seg[4] === "token" && method === "POST") {
                if (!caps.includes("apiKey")) return grpcError(res, 400, 9, `account '${name}' does not have 'apiKey' capability`);
                const id = typeof body.id === "string" && body.id !== "" ? body.id : randomBytes(16).toString("hex");
                if (mine.some((t) => t.id === id)) return grpcError(res, 400, 3, `account already has token with id '${id}'`);
                const expiresIn = Number(body.expiresIn ?? 0);
                if (!Number.isInteger(expiresIn) || expiresIn < 0) return grpcError(res, 400, 3, "expiresIn must be a non-negative integer");
                const issuedAt = Math.floor(double.clock() / 1000);
                const t: DoubleArgoToken = { id, account: name, value: jwt(name, id), issuedAt, expiresAt: expiresIn > 0 ? issuedAt + expiresIn : 0 };
                live.push(t);
                issued.push(t);
                return send(res, 200, { token: t.value });
            }
            if (seg.length === 6 && seg[4] === "token" && method === "DELETE") {
                const i = live.findIndex((t) => t.account === name && t.id === seg[5]);
                if (i >= 0) live.splice(i, 1);
                return send(res, 200, {});
            }
        }
        return grpcError(res, 404, 5, "Not Found");
    });
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const double: ArgoCdDouble = {
        url: `http://127.0.0.1:${port}`,
        accounts,
        issued,
        requests,
        clock: () => Date.now(),
        tokens: (account) => live.filter((t) => t.account === account),
        deleteToken: (account, id) => {
            const i = live.findIndex((t) => t.account === account && t.id === id);
            if (i >= 0) live.splice(i, 1);
        },
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections?.();
                server.close(() => resolve());
            }),
    };
    return double;
}
