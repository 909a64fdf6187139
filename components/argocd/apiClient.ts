// A small client for the parts of Argo CD's REST API (grpc-gateway) the AccountToken provider needs:
// POST /api/v1/session (log in), GET /api/v1/account/{name} (its tokens), POST
// /api/v1/account/{name}/token (a new token), DELETE /api/v1/account/{name}/token/{id}.
// Plain global `fetch`, no imports: captured by value when the provider is closure-serialized into
// the state. Messages carry the method, the URL and Argo CD's message, never a password or a token
// (every known secret is replaced by `[secret]`).

/** One token of an account as GET /api/v1/account/{name} lists it (times in ms since the epoch). */
export interface ArgoCdAccountToken {
    id: string;
    issuedAt: number;
    /** 0 when it never expires. */
    expiresAt: number;
}

/** Where the API is and how long to wait. */
export interface ArgoCdApiOptions {
    /** Base URL, e.g. `https://argocd.example.com` (a trailing `/` is ignored). */
    apiUrl: string;
    /** Per-request timeout in ms (default 30000). */
    timeoutMs?: number;
    /** Values to redact from every message (passwords, tokens). */
    secrets?: string[];
}

/** An answer Argo CD gave that is not a success; `status` 0 for a network error or a timeout. */
export class ArgoCdApiError extends Error {
    /** HTTP status; 0 for a network error or a timeout. */
    readonly status: number;

    constructor(message: string, status: number) {
        super(message);
        // Closure-serialized with the dynamic provider: Pulumi's serializer turns this class into a plain
        // function, `super(message)` into `Error.call(this, message)`, which sets nothing on `this`, and
        // the engine then saw "[object Object]: undefined" / "Unknown Error" (e2e, real argocd-server).
        // So message and stack are set explicitly, and `toString` keeps the prototype in the serialized
        // code (as GitLabApiError does).
        this.message = message;
        if (!this.stack) Error.captureStackTrace(this, ArgoCdApiError);
        this.name = "ArgoCdApiError";
        this.status = status;
    }

    toString(): string {
        return `${this.name}: ${this.message}`;
    }
}

/** Replaces every known secret (4+ characters) in `text` with `[secret]`. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
    let out = String(text);
    for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("[secret]");
    return out;
}

/** grpc-gateway sends int64 as strings; seconds since the epoch → ms (0 stays 0). */
function secondsToMs(v: unknown): number {
    const n = typeof v === "string" ? Number(v) : typeof v === "number" ? v : 0;
    return Number.isFinite(n) ? n * 1000 : 0;
}

/** The Argo CD REST calls of the CI token, one instance per provider call. */
export class ArgoCdApi {
    private readonly base: string;
    private readonly timeoutMs: number;
    private readonly secrets: string[];
    private bearer = "";

    constructor(private readonly options: ArgoCdApiOptions) {
        this.base = String(options.apiUrl ?? "").replace(/\/+$/, "");
        this.timeoutMs = options.timeoutMs ?? 30000;
        this.secrets = [...(options.secrets ?? [])];
    }

    /** POST /api/v1/session: logs in as `username`; later calls carry the session token. */
    async login(username: string, password: string, passwordKey: string): Promise<void> {
        this.secrets.push(password);
        const res = await this.call("POST", "/api/v1/session", { username, password }, `log in to Argo CD as ${username}`, true);
        if (res.status === 401 || res.status === 403) {
            throw new ArgoCdApiError(
                `Argo CD at ${this.base} rejected the login of ${username} (HTTP ${res.status}): check the password in ${passwordKey} ` +
                    `(pulumi config set --secret ${passwordKey} <password>) and that ${username} may log in with a password.`,
                res.status,
            );
        }
        this.fail(res, "POST", "/api/v1/session", `log in to Argo CD as ${username}`);
        const token = (res.body as { token?: unknown })?.token;
        if (typeof token !== "string" || token === "") throw new ArgoCdApiError(`Argo CD at ${this.base} answered the login without a token`, res.status);
        this.secrets.push(token);
        this.bearer = token;
    }

    /** GET /api/v1/account/{name}: its tokens; undefined when the account does not exist (404). */
    async accountTokens(account: string): Promise<ArgoCdAccountToken[] | undefined> {
        const path = `/api/v1/account/${encodeURIComponent(account)}`;
        const res = await this.call("GET", path, undefined, `read Argo CD account ${account}`, true);
        if (res.status === 404) return undefined;
        this.fail(res, "GET", path, `read Argo CD account ${account}`);
        const tokens = ((res.body as { tokens?: unknown })?.tokens ?? []) as Record<string, unknown>[];
        return (Array.isArray(tokens) ? tokens : []).map((t) => ({
            id: String(t.id ?? ""),
            issuedAt: secondsToMs(t.issuedAt),
            expiresAt: secondsToMs(t.expiresAt),
        }));
    }

    /** POST /api/v1/account/{name}/token: a new token with this id, valid `expiresInSeconds`. */
    async createToken(account: string, id: string, expiresInSeconds: number): Promise<string> {
        const path = `/api/v1/account/${encodeURIComponent(account)}/token`;
        const what = `create an API token for Argo CD account ${account}`;
        const res = await this.call("POST", path, { id, name: account, expiresIn: Math.max(1, Math.floor(expiresInSeconds)) }, what, false);
        if (res.status === 404 || (res.status >= 400 && res.status < 500 && /not.*(exist|found)|apiKey/i.test(this.messageOf(res.body)))) {
            throw new ArgoCdApiError(
                `Argo CD refused to ${what} (HTTP ${res.status}): the account must exist with the apiKey capability ` +
                    `(argocd-cm: accounts.${account}: apiKey, which the stack sets with argocd.enabled; otherwise set it in your Argo CD install).` +
                    this.said(res.body),
                res.status,
            );
        }
        this.fail(res, "POST", path, what);
        const token = (res.body as { token?: unknown })?.token;
        if (typeof token !== "string" || token === "") throw new ArgoCdApiError(`Argo CD answered "${what}" without a token`, res.status);
        return token;
    }

    /** DELETE /api/v1/account/{name}/token/{id}; false when the token or the account was already gone. */
    async deleteToken(account: string, id: string): Promise<boolean> {
        const path = `/api/v1/account/${encodeURIComponent(account)}/token/${encodeURIComponent(id)}`;
        const res = await this.call("DELETE", path, undefined, `delete token ${id} of Argo CD account ${account}`, true);
        if (res.status === 404) return false;
        this.fail(res, "DELETE", path, `delete token ${id} of Argo CD account ${account}`);
        return true;
    }

    private messageOf(body: unknown): string {
        if (body && typeof body === "object") {
            const b = body as Record<string, unknown>;
            return String(b.message ?? b.error ?? JSON.stringify(body)).slice(0, 500);
        }
        return typeof body === "string" ? body.slice(0, 500) : "";
    }

    private said(body: unknown): string {
        const m = this.messageOf(body);
        return m ? ` Argo CD said: "${redactSecrets(m, this.secrets)}".` : "";
    }

    private fail(res: { status: number; body: unknown }, method: string, path: string, what: string): void {
        if (res.status >= 200 && res.status < 300) return;
        const hint =
            res.status === 401 ? " The session was rejected: check argocd.apiUsername and argocdAdminPassword." :
            res.status === 403 ? " The user lacks the RBAC permission (accounts: get/update on the account; use the admin user)." : "";
        throw new ArgoCdApiError(`Argo CD could not ${what}: HTTP ${res.status} for ${method} ${this.base}${path}.${hint}${this.said(res.body)}`, res.status);
    }

    private async call(method: string, path: string, body: unknown, what: string, retry: boolean): Promise<{ status: number; body: unknown }> {
        const attempts = retry ? 3 : 1;
        let last: ArgoCdApiError | undefined;
        for (let i = 1; i <= attempts; i++) {
            const controller = new AbortController();
            const timer = setTimeout(() => controller.abort(), this.timeoutMs);
            try {
                const headers: Record<string, string> = { Accept: "application/json" };
                // argocd-server answers 415 "Invalid content type" to any non-GET request without
                // Content-Type: application/json, a DELETE without a body included (seen in the e2e).
                if (body !== undefined || method !== "GET") headers["Content-Type"] = "application/json";
                if (this.bearer) headers.Authorization = `Bearer ${this.bearer}`;
                const r = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: controller.signal });
                const text = await r.text();
                let parsed: unknown = text;
                try {
                    parsed = text === "" ? undefined : JSON.parse(text);
                } catch {
                    /* not JSON */
                }
                if (r.status >= 500 && i < attempts) {
                    last = new ArgoCdApiError(`HTTP ${r.status}`, r.status);
                    await new Promise((res) => setTimeout(res, 300 * i));
                    continue;
                }
                return { status: r.status, body: parsed };
            } catch (e) {
                const cause = (e as { cause?: { code?: string; message?: string } }).cause;
                const why = controller.signal.aborted ? `no answer within ${this.timeoutMs} ms` : cause?.code ?? cause?.message ?? (e as Error).message;
                last = new ArgoCdApiError(
                    redactSecrets(`Could not reach Argo CD at ${this.base} for ${method} ${path} (${why}) while trying to ${what}. ` +
                        `Check gitops-platform:argocd.apiUrl and network access from where Pulumi runs.`, this.secrets),
                    0,
                );
                if (i < attempts) await new Promise((res) => setTimeout(res, 300 * i));
            } finally {
                clearTimeout(timer);
            }
        }
        throw last!;
    }
}
