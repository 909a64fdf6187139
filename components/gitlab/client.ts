// A small client for GitLab's REST API v4: group deploy tokens (doc/api/deploy_tokens.md), group
// access tokens (doc/api/group_access_tokens.md), group CI/CD variables, projects. Plain global `fetch`, no dependencies: this module is captured by
// value when the GroupDeployToken dynamic provider is closure-serialized into Pulumi state, so it
// must stay self-contained (no imports, no module-level state, no secrets).
//
// Secrets: the API token travels only in the PRIVATE-TOKEN header. Error messages carry the method,
// the URL (which never holds a secret), GitLab's own message, and are passed through `redact`
// with every secret this client has seen (the API token and any deploy token value it created).

/** Config keys named in error messages (the stack config contract, DESIGN.md). */
export const GITLAB_CONFIG_KEYS = {
    apiToken: "gitops-platform:gitlabToken",
    host: "gitops-platform:gitlab.host",
    group: "gitops-platform:gitlab.group",
    deployToken: "gitops-platform:gitlab.deployToken",
};

/** A deploy token as GitLab lists it (the value itself is never returned after creation). */
export interface DeployToken {
    id: number;
    name: string;
    username: string;
    /** ISO 8601, or null when the token never expires. */
    expires_at: string | null;
    revoked: boolean;
    expired: boolean;
    scopes: string[];
}

/** The create response: the only time GitLab returns the token value. */
export interface NewDeployToken extends DeployToken {
    token: string;
}

export interface CreateDeployTokenRequest {
    name: string;
    scopes: string[];
    /** ISO 8601 date-time; omitted = never expires. */
    expiresAt?: string;
    /** Default on GitLab's side: gitlab+deploy-token-{n}. */
    username?: string;
}

export interface RetryOptions {
    /** Total attempts for retryable failures (5xx, 429, network errors, timeouts). Default 4. */
    attempts?: number;
    /** Delay before the first retry, doubled each time. Default 500 ms. */
    baseDelayMs?: number;
    /** Upper bound for one delay. Default 8000 ms. */
    maxDelayMs?: number;
}

export interface GitLabClientOptions {
    /** `gitlab.com`, `gitlab.example.com`, `https://gitlab.example.com/gitlab` or `http://127.0.0.1:8080`. */
    host: string;
    /** API token (PRIVATE-TOKEN header); needs the `api` scope and the Owner role on the group. */
    token: string;
    /** Per-request timeout. Default 30000 ms. */
    timeoutMs?: number;
    retry?: RetryOptions;
    /** More secrets to redact from every message (e.g. a CI/CD variable value this client writes). */
    secrets?: string[];
}

/** A group CI/CD variable as GitLab returns it (doc/api/group_level_variables.md). */
export interface GroupVariable {
    key: string;
    value: string;
    variable_type?: string;
    protected: boolean;
    masked: boolean;
    /** true: the value is taken as is (`$VAR` references are not expanded). */
    raw: boolean;
    environment_scope?: string;
}

/** What a group variable is set to. */
export interface GroupVariableRequest {
    value: string;
    protected: boolean;
    masked: boolean;
    raw: boolean;
}

/** `GET /personal_access_tokens/self`: the token that authenticates the request. */
export interface PersonalAccessTokenSelf {
    id: number;
    name: string;
    revoked: boolean;
    active: boolean;
    scopes: string[];
    /** `YYYY-MM-DD`, or null when it never expires. */
    expires_at: string | null;
}

/** A group access token as GitLab lists it (doc/api/group_access_tokens.md); the value only on create. */
export interface GroupAccessToken {
    id: number;
    name: string;
    scopes: string[];
    /** `YYYY-MM-DD` (the token expires at midnight UTC on that date), or null. */
    expires_at: string | null;
    active: boolean;
    revoked: boolean;
    /** 10 Guest, 15 Planner, 20 Reporter, 30 Developer, 40 Maintainer, 50 Owner. */
    access_level: number;
    /** The token's bot user. */
    user_id?: number;
    created_at?: string;
}

/** The create response: the only time GitLab returns the token value. */
export interface NewGroupAccessToken extends GroupAccessToken {
    token: string;
}

/** What a new group access token is. */
export interface CreateGroupAccessTokenRequest {
    name: string;
    scopes: string[];
    /** GitLab access level, e.g. 30 (Developer). */
    accessLevel: number;
    /** `YYYY-MM-DD` (at most one year ahead). */
    expiresAt: string;
}

/** A project as GitLab returns it (doc/api/projects.md), the fields this client uses. */
export interface Project {
    id: number;
    name: string;
    path: string;
    path_with_namespace: string;
    web_url?: string;
    namespace?: { id: number; full_path: string; kind?: string };
    archived?: boolean;
}

/** A group as GitLab returns it (doc/api/groups.md), the fields this client uses. */
export interface Group {
    id: number;
    full_path: string;
}

export type GitLabErrorKind =
    | "unauthorized"
    | "forbidden"
    | "group-not-found"
    | "not-found"
    | "rejected"
    | "server"
    | "timeout"
    | "network"
    | "unexpected";

/** Every failure of this client. `message` never contains the API token or a deploy token value. */
export class GitLabApiError extends Error {
    /** What went wrong, for callers that branch on it. */
    readonly kind: GitLabErrorKind;
    /** HTTP status, when GitLab answered. */
    readonly status?: number;
    readonly method: string;
    /** Request URL (holds no secret). */
    readonly url: string;
    /** GitLab's own `message`/`error`, when it sent one. */
    readonly gitlabMessage?: string;
    /** Attempts made (more than 1 after retries). */
    readonly attempts: number;

    constructor(
        message: string,
        details: {
            kind: GitLabErrorKind;
            status?: number;
            method: string;
            url: string;
            gitlabMessage?: string;
            attempts?: number;
        },
    ) {
        super(message);
        // This class is closure-serialized with the dynamic provider, and Pulumi's serializer turns it
        // into a plain function: `super(message)` becomes `Error.call(this, message)`, which sets
        // nothing on `this`, and a prototype without methods is not serialized (not linked to
        // Error.prototype). The engine then saw an object without a message ("Unknown Error").
        // So: message and stack set explicitly, and `toString` keeps the prototype (and its link to
        // Error.prototype) in the serialized code.
        this.message = message;
        if (!this.stack) Error.captureStackTrace(this, GitLabApiError);
        this.name = "GitLabApiError";
        this.kind = details.kind;
        this.status = details.status;
        this.method = details.method;
        this.url = details.url;
        this.gitlabMessage = details.gitlabMessage;
        this.attempts = details.attempts ?? 1;
    }

    toString(): string {
        return `${this.name}: ${this.message}`;
    }
}

/**
 * `https://<host>/api/v4` for a bare host; keeps an explicit `http://`/`https://` scheme and a
 * relative URL root (`https://example.com/gitlab`); tolerates a trailing `/` or `/api/v4`.
 */
export function gitlabApiBaseUrl(host: string): string {
    let h = String(host ?? "").trim();
    if (h === "") {
        throw new Error(`GitLab host is empty: set ${GITLAB_CONFIG_KEYS.host} (e.g. "gitlab.com").`);
    }
    if (!/^https?:\/\//i.test(h)) {
        h = `https://${h}`;
    }
    let url: URL;
    try {
        url = new URL(h);
    } catch {
        throw new Error(
            `GitLab host "${host}" is not a host name or URL: set ${GITLAB_CONFIG_KEYS.host} ` +
                `to e.g. "gitlab.com" or "https://gitlab.example.com".`,
        );
    }
    const path = url.pathname.replace(/\/+$/, "").replace(/\/api\/v4$/, "");
    return `${url.protocol}//${url.host}${path}/api/v4`;
}

/** `:id` of the group endpoints: a numeric id as is, a (nested) path URL-encoded (`a%2Fb`). */
export function encodeGroupId(group: string | number): string {
    const g = String(group ?? "").trim().replace(/^\/+|\/+$/g, "");
    if (g === "") {
        throw new Error(`GitLab group is empty: set ${GITLAB_CONFIG_KEYS.group} (e.g. "my-org/platform").`);
    }
    return /^\d+$/.test(g) ? g : encodeURIComponent(g);
}

/** Replaces every occurrence of a known secret with `[secret]`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
    let out = String(text);
    for (const s of secrets) {
        if (s && s.length >= 4) {
            out = out.split(s).join("[secret]");
        }
    }
    return out;
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function statusText(status: number): string {
    const texts: Record<number, string> = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        422: "Unprocessable Entity",
        429: "Too Many Requests",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    };
    return texts[status] ? `${status} ${texts[status]}` : String(status);
}

/** GitLab sends `{"message": "..."}`, `{"message": {"field": ["..."]}}` or `{"error": "..."}`. */
function gitlabMessageOf(body: unknown): string | undefined {
    if (body === null || body === undefined) return undefined;
    if (typeof body === "string") return body.trim() === "" ? undefined : body.trim().slice(0, 500);
    if (typeof body !== "object") return String(body);
    const b = body as Record<string, unknown>;
    const m = b.message ?? b.error ?? b.error_description;
    if (m === undefined) return JSON.stringify(body).slice(0, 500);
    if (typeof m === "string") return m;
    if (Array.isArray(m)) return m.map(String).join("; ");
    if (typeof m === "object" && m !== null) {
        return Object.entries(m as Record<string, unknown>)
            .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(", ") : String(v)}`)
            .join("; ");
    }
    return String(m);
}

interface RawResponse {
    status: number;
    headers: Headers;
    body: unknown;
}

interface RequestContext {
    /** Human description of the operation for messages, e.g. `list deploy tokens of group "a/b"`. */
    what: string;
    group: string;
    /** Treat a token-level 404 as an answer (returned) instead of an error. */
    allowNotFound?: boolean;
    /** What to check on a 400/403 (default: the deploy token advice). */
    hint?: { rejected?: string; forbidden?: string };
}

export class GitLabClient {
    /** `https://gitlab.com/api/v4` */
    readonly baseUrl: string;
    private readonly token: string;
    private readonly timeoutMs: number;
    private readonly attempts: number;
    private readonly baseDelayMs: number;
    private readonly maxDelayMs: number;
    /** Deploy token values created by this client: redacted from every message. */
    private readonly seenSecrets: string[];

    constructor(options: GitLabClientOptions) {
        this.baseUrl = gitlabApiBaseUrl(options.host);
        this.token = String(options.token ?? "");
        if (this.token.trim() === "") {
            throw new GitLabApiError(
                `No GitLab API token: set one with: pulumi config set --secret ${GITLAB_CONFIG_KEYS.apiToken} <token> ` +
                    `(a token with the api scope from an Owner of the group).`,
                { kind: "unauthorized", method: "-", url: this.baseUrl },
            );
        }
        this.timeoutMs = options.timeoutMs ?? 30000;
        this.attempts = Math.max(1, options.retry?.attempts ?? 4);
        this.baseDelayMs = Math.max(0, options.retry?.baseDelayMs ?? 500);
        this.maxDelayMs = Math.max(0, options.retry?.maxDelayMs ?? 8000);
        this.seenSecrets = (options.secrets ?? []).filter((x) => typeof x === "string" && x !== "");
    }

    /** One group CI/CD variable, or `undefined` when the group has no variable with this key (404). */
    async getGroupVariable(group: string | number, key: string): Promise<GroupVariable | undefined> {
        const url = `${this.baseUrl}/groups/${encodeGroupId(group)}/variables/${encodeURIComponent(key)}`;
        const res = await this.send("GET", url, undefined, this.variableCtx(`read CI/CD variable ${key} of group "${group}"`, group, true), true);
        if (res.status === 404) return undefined;
        return res.body as GroupVariable;
    }

    /** Creates the group variable (POST; not retried: a lost answer surfaces as an error, the next run updates). */
    async createGroupVariable(group: string | number, key: string, v: GroupVariableRequest): Promise<GroupVariable> {
        const url = `${this.baseUrl}/groups/${encodeGroupId(group)}/variables`;
        const body = { key, value: v.value, protected: v.protected, masked: v.masked, raw: v.raw, variable_type: "env_var" };
        const res = await this.send("POST", url, body, this.variableCtx(`create CI/CD variable ${key} in group "${group}"`, group, false), false);
        return res.body as GroupVariable;
    }

    /** Updates the group variable (PUT is idempotent: retried); `undefined` when it does not exist (404). */
    async updateGroupVariable(group: string | number, key: string, v: GroupVariableRequest): Promise<GroupVariable | undefined> {
        const url = `${this.baseUrl}/groups/${encodeGroupId(group)}/variables/${encodeURIComponent(key)}`;
        const body = { value: v.value, protected: v.protected, masked: v.masked, raw: v.raw, variable_type: "env_var" };
        const res = await this.send("PUT", url, body, this.variableCtx(`update CI/CD variable ${key} of group "${group}"`, group, true), true);
        if (res.status === 404) return undefined;
        return res.body as GroupVariable;
    }

    /** Deletes the group variable. Returns false when it was already gone (404). */
    async deleteGroupVariable(group: string | number, key: string): Promise<boolean> {
        const url = `${this.baseUrl}/groups/${encodeGroupId(group)}/variables/${encodeURIComponent(key)}`;
        const res = await this.send("DELETE", url, undefined, this.variableCtx(`delete CI/CD variable ${key} of group "${group}"`, group, true), true);
        return res.status !== 404;
    }

    /** The personal access token this client authenticates with (its expiry, scopes). 401: rejected. */
    async getPersonalAccessTokenSelf(): Promise<PersonalAccessTokenSelf> {
        const url = `${this.baseUrl}/personal_access_tokens/self`;
        const res = await this.send("GET", url, undefined, { what: "read the token's own details", group: "-" }, true);
        return res.body as PersonalAccessTokenSelf;
    }

    private variableCtx(what: string, group: string | number, allowNotFound: boolean): RequestContext {
        return {
            what,
            group: String(group),
            allowNotFound,
            hint: {
                rejected:
                    `Check the variable: a masked value needs at least 8 characters on one line, from the Base64 ` +
                    `alphabet and @:.~-_+/=; the key only letters, digits and _.`,
                forbidden:
                    `Managing group CI/CD variables needs the Owner role on the group (or Maintainer, as the group allows) ` +
                    `and an API token with the \`api\` scope in ${GITLAB_CONFIG_KEYS.apiToken}.`,
            },
        };
    }

    private accessTokenCtx(what: string, group: string | number, allowNotFound: boolean): RequestContext {
        const why =
            `Group access tokens need the Owner role on the group and an API token with the \`api\` scope in ` +
            `${GITLAB_CONFIG_KEYS.apiToken}; on GitLab.com the group needs Premium or Ultimate (not Free, not a trial; ` +
            `self-managed: any tier). Without them keep the personal token: gitlab.ciPushToken.mode personalAccessToken ` +
            `and pulumi config set --secret gitops-platform:ciPushToken <token>.`;
        return {
            what,
            group: String(group),
            allowNotFound,
            hint: {
                rejected: `Check gitops-platform:gitlab.ciPushToken (name, scopes, accessLevel, expiresInDays: at most 365). ${why}`,
                forbidden: why,
            },
        };
    }

    /** Every group access token of the group (all pages, per_page=100), revoked and expired ones included. */
    async listGroupAccessTokens(group: string | number): Promise<GroupAccessToken[]> {
        const base = `${this.baseUrl}/groups/${encodeGroupId(group)}/access_tokens`;
        const ctx = this.accessTokenCtx(`list the access tokens of group "${group}"`, group, false);
        const all: GroupAccessToken[] = [];
        let page = "1";
        for (let guard = 0; guard < 10000; guard++) {
            const q = new URLSearchParams({ per_page: "100", page });
            const res = await this.send("GET", `${base}?${q.toString()}`, undefined, ctx, true);
            if (!Array.isArray(res.body)) throw this.unexpected("GET", `${base}?${q.toString()}`, ctx, res.status, "expected a JSON array");
            all.push(...(res.body as GroupAccessToken[]));
            const next = nextPage(res.headers);
            if (!next || next === page) break;
            page = next;
        }
        return all;
    }

    /** One group access token, or `undefined` when GitLab does not know it (404). */
    async getGroupAccessToken(group: string | number, tokenId: number | string): Promise<GroupAccessToken | undefined> {
        const url = `${this.baseUrl}/groups/${encodeGroupId(group)}/access_tokens/${encodeURIComponent(String(tokenId))}`;
        const res = await this.send("GET", url, undefined, this.accessTokenCtx(`read access token ${tokenId} of group "${group}"`, group, true), true);
        if (res.status === 404) return undefined;
        return res.body as GroupAccessToken;
    }

    /**
     * Creates a group access token (POST /groups/:id/access_tokens); the result holds the value,
     * which GitLab never returns again. Sent once, never retried: after an ambiguous failure (5xx,
     * timeout, dropped connection) GitLab may have made the token and lost the answer, so the
     * client revokes every active token with this name that did not exist before the call, then
     * throws (the next `pulumi up` creates it again). If that check fails too, the error names the
     * token to revoke by hand.
     */
    async createGroupAccessToken(group: string | number, req: CreateGroupAccessTokenRequest): Promise<NewGroupAccessToken> {
        const url = `${this.baseUrl}/groups/${encodeGroupId(group)}/access_tokens`;
        const ctx = this.accessTokenCtx(`create access token "${req.name}" in group "${group}"`, group, false);
        const named = (list: GroupAccessToken[]) => list.filter((t) => t.name === req.name && t.active && !t.revoked).map((t) => t.id);
        const before = new Set(named(await this.listGroupAccessTokens(group)));
        const body = { name: req.name, scopes: req.scopes, access_level: req.accessLevel, expires_at: req.expiresAt };
        try {
            const res = await this.send("POST", url, body, ctx, false);
            const created = res.body as NewGroupAccessToken;
            if (!created || typeof created.token !== "string" || created.token === "") {
                throw this.unexpected("POST", url, ctx, res.status, "the answer holds no token value");
            }
            this.seenSecrets.push(created.token);
            return created;
        } catch (e) {
            if (!(e instanceof GitLabApiError) || !isRetryable(e.kind)) throw e;
            try {
                for (const id of named(await this.listGroupAccessTokens(group))) {
                    if (!before.has(id)) await this.revokeGroupAccessToken(group, id);
                }
            } catch {
                throw this.error(
                    `${e.message} GitLab may have created access token "${req.name}" in group "${group}" without returning it, ` +
                        `and the client could not check: in GitLab (group "${group}", Settings > Access tokens) revoke every active ` +
                        `token named "${req.name}" whose id is not in the stack state (pulumi stack export), then run pulumi up again.`,
                    { kind: e.kind, status: e.status, method: e.method, url: e.url, gitlabMessage: e.gitlabMessage },
                );
            }
            throw e;
        }
    }

    /** Revokes a group access token (DELETE, 204). Returns false when it was already gone or revoked. */
    async revokeGroupAccessToken(group: string | number, tokenId: number | string): Promise<boolean> {
        const url = `${this.baseUrl}/groups/${encodeGroupId(group)}/access_tokens/${encodeURIComponent(String(tokenId))}`;
        try {
            const res = await this.send("DELETE", url, undefined, this.accessTokenCtx(`revoke access token ${tokenId} of group "${group}"`, group, true), true);
            return res.status !== 404;
        } catch (e) {
            // GitLab answers 400 "Token was not revoked" for a token that is already revoked.
            if (e instanceof GitLabApiError && e.kind === "rejected") {
                const t = await this.getGroupAccessToken(group, tokenId);
                if (!t || t.revoked || !t.active) return false;
            }
            throw e;
        }
    }

    private projectCtx(what: string, group: string, allowNotFound: boolean): RequestContext {
        return {
            what,
            group,
            allowNotFound,
            hint: {
                rejected: `Check gitops-platform:gitlab.configRepo and services[].repo (a project path inside the group, e.g. backend/api-gateway).`,
                forbidden:
                    `Creating projects in the group needs a role that may create projects there (Developer or Maintainer, as the ` +
                    `group allows; Owner always) and an API token with the \`api\` scope in ${GITLAB_CONFIG_KEYS.apiToken}; ` +
                    `or turn gitops-platform:gitlab.manageProjects off and create the projects by hand.`,
            },
        };
    }

    /** The project at a full path (`group/sub/name`) or numeric id, or `undefined` when GitLab has none there (404). */
    async getProject(pathOrId: string | number): Promise<Project | undefined> {
        const url = `${this.baseUrl}/projects/${encodeGroupId(pathOrId)}`;
        try {
            const res = await this.send("GET", url, undefined, this.projectCtx(`read project "${pathOrId}"`, String(pathOrId), true), true);
            return res.status === 404 ? undefined : (res.body as Project);
        } catch (e) {
            // GitLab says "404 Project Not Found" for a project that does not exist (or that the token cannot see).
            if (e instanceof GitLabApiError && e.status === 404) return undefined;
            throw e;
        }
    }

    /** The group at a full path or id, or `undefined` when GitLab has none there (404). */
    async getGroup(pathOrId: string | number): Promise<Group | undefined> {
        const url = `${this.baseUrl}/groups/${encodeGroupId(pathOrId)}`;
        try {
            const res = await this.send("GET", url, undefined, this.projectCtx(`read group "${pathOrId}"`, String(pathOrId), true), true);
            return res.status === 404 ? undefined : (res.body as Group);
        } catch (e) {
            if (e instanceof GitLabApiError && e.status === 404) return undefined;
            throw e;
        }
    }

    /** Creates a project in a group (POST /projects with `namespace_id`; not retried: a lost answer surfaces as an error, the next run adopts it). */
    async createProject(req: { name: string; path: string; namespaceId: number; group: string }): Promise<Project> {
        const url = `${this.baseUrl}/projects`;
        const res = await this.send(
            "POST",
            url,
            { name: req.name, path: req.path, namespace_id: req.namespaceId },
            this.projectCtx(`create project "${req.group}/${req.path}"`, req.group, false),
            false,
        );
        return res.body as Project;
    }

    /** Every deploy token of the group (all pages, per_page=100); `active` filters revoked/expired ones. */
    async listGroupDeployTokens(group: string | number, options: { active?: boolean } = {}): Promise<DeployToken[]> {
        const base = `${this.baseUrl}/groups/${encodeGroupId(group)}/deploy_tokens`;
        const ctx: RequestContext = { what: `list the deploy tokens of group "${group}"`, group: String(group) };
        const all: DeployToken[] = [];
        let page = "1";
        for (let guard = 0; guard < 10000; guard++) {
            const q = new URLSearchParams({ per_page: "100", page });
            if (options.active !== undefined) q.set("active", String(options.active));
            const res = await this.send("GET", `${base}?${q.toString()}`, undefined, ctx, true);
            if (!Array.isArray(res.body)) {
                throw this.unexpected("GET", `${base}?${q.toString()}`, ctx, res.status, "expected a JSON array");
            }
            all.push(...(res.body as DeployToken[]));
            const next = nextPage(res.headers);
            if (!next || next === page) break;
            page = next;
        }
        return all;
    }

    /** One deploy token, or `undefined` when GitLab says it does not exist (404 on the token). */
    async getGroupDeployToken(group: string | number, tokenId: number | string): Promise<DeployToken | undefined> {
        const url = `${this.baseUrl}/groups/${encodeGroupId(group)}/deploy_tokens/${encodeURIComponent(String(tokenId))}`;
        const res = await this.send("GET", url, undefined, {
            what: `read deploy token ${tokenId} of group "${group}"`,
            group: String(group),
            allowNotFound: true,
        }, true);
        if (res.status === 404) return undefined;
        return res.body as DeployToken;
    }

    /**
     * Creates a deploy token; the result holds the value (`token`), which GitLab never returns again.
     *
     * POST is not idempotent, so an ambiguous failure (5xx, 429, timeout, dropped connection) is not
     * blindly retried: GitLab may have created the token and lost the answer, and its value is then
     * unknown for good (it cannot be adopted). Before the next POST the client lists the group's
     * active tokens and revokes every one with this name that did not exist before the call; no new
     * POST is sent until that check has succeeded (if listing fails too, the next attempt checks
     * again). After a success that followed a failed attempt, the same check runs once more, for a
     * failed attempt that GitLab committed late. If the attempts run out while a lost token could
     * not be ruled out, the error says so and names the token to revoke.
     */
    async createGroupDeployToken(group: string | number, req: CreateDeployTokenRequest): Promise<NewDeployToken> {
        const url = `${this.baseUrl}/groups/${encodeGroupId(group)}/deploy_tokens`;
        const ctx: RequestContext = { what: `create deploy token "${req.name}" in group "${group}"`, group: String(group) };
        const body: Record<string, unknown> = { name: req.name, scopes: req.scopes };
        if (req.expiresAt) body.expires_at = req.expiresAt;
        if (req.username) body.username = req.username;

        const before = new Set(
            (await this.listGroupDeployTokens(group, { active: true })).filter((t) => t.name === req.name).map((t) => t.id),
        );
        let lastError: GitLabApiError | undefined;
        // true while a POST may have created a token whose value was lost and no check ruled it out
        let unsure = false;
        let failedPosts = 0;
        for (let attempt = 1; attempt <= this.attempts; attempt++) {
            let posting = false;
            try {
                if (unsure) {
                    await this.revokeOrphans(group, req.name, before);
                    unsure = false;
                }
                posting = true;
                const res = await this.send("POST", url, body, ctx, false);
                const created = res.body as NewDeployToken;
                if (!created || typeof created.token !== "string" || created.token === "") {
                    throw this.unexpected("POST", url, ctx, res.status, "the answer holds no token value");
                }
                this.seenSecrets.push(created.token);
                if (failedPosts > 0) {
                    // A failed attempt GitLab committed after the check: best effort, the token is made.
                    await this.revokeOrphans(group, req.name, before, created.id).catch(() => undefined);
                }
                return created;
            } catch (e) {
                if (!(e instanceof GitLabApiError) || !isRetryable(e.kind)) throw e;
                lastError = e;
                if (posting) {
                    failedPosts++;
                    unsure = true;
                }
                if (attempt < this.attempts) await sleep(this.delay(attempt));
            }
        }
        if (unsure) {
            try {
                await this.revokeOrphans(group, req.name, before);
                unsure = false;
            } catch (e) {
                if (e instanceof GitLabApiError) lastError = e;
            }
        }
        const exhausted = this.exhausted(lastError!, lastError!.method, lastError!.url, ctx);
        if (!unsure) throw exhausted;
        throw this.error(
            `${exhausted.message} GitLab may have created deploy token "${req.name}" in group "${group}" without ` +
                `returning it, and the client could not check: in GitLab (group "${group}", Settings > Repository > ` +
                `Deploy tokens) revoke every active token named "${req.name}" whose id is not in the stack state ` +
                `(pulumi stack export), then run pulumi up again.`,
            { kind: exhausted.kind, status: exhausted.status, method: exhausted.method, url: exhausted.url, gitlabMessage: exhausted.gitlabMessage, attempts: this.attempts },
        );
    }

    /** Revokes (deletes) a deploy token. Returns false when it was already gone (404), true otherwise. */
    async deleteGroupDeployToken(group: string | number, tokenId: number | string): Promise<boolean> {
        const url = `${this.baseUrl}/groups/${encodeGroupId(group)}/deploy_tokens/${encodeURIComponent(String(tokenId))}`;
        const res = await this.send("DELETE", url, undefined, {
            what: `revoke deploy token ${tokenId} of group "${group}"`,
            group: String(group),
            allowNotFound: true,
        }, true);
        return res.status !== 404;
    }

    /**
     * Revokes every active token named `name` that is not in `before` (and is not `keep`): tokens a
     * failed POST created whose value was lost. Throws when GitLab cannot be asked (the caller must
     * not POST again then).
     */
    private async revokeOrphans(group: string | number, name: string, before: Set<number>, keep?: number): Promise<void> {
        const now = await this.listGroupDeployTokens(group, { active: true });
        for (const t of now) {
            if (t.name === name && !before.has(t.id) && t.id !== keep) {
                await this.deleteGroupDeployToken(group, t.id);
            }
        }
    }

    private delay(attempt: number): number {
        return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    }

    /** One HTTP exchange, retried (when `retry`) on 5xx/429/network errors/timeouts with exponential backoff. */
    private async send(
        method: string,
        url: string,
        body: unknown,
        ctx: RequestContext,
        retry: boolean,
    ): Promise<RawResponse> {
        const max = retry ? this.attempts : 1;
        let last: GitLabApiError | undefined;
        for (let attempt = 1; attempt <= max; attempt++) {
            try {
                return await this.exchange(method, url, body, ctx);
            } catch (e) {
                if (!(e instanceof GitLabApiError) || !isRetryable(e.kind)) throw e;
                last = e;
                if (attempt < max) await sleep(this.delay(attempt));
            }
        }
        if (max === 1) throw last!;
        throw this.exhausted(last!, method, url, ctx);
    }

    private async exchange(method: string, url: string, body: unknown, ctx: RequestContext): Promise<RawResponse> {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), this.timeoutMs);
        let response: Response;
        let parsed: unknown;
        try {
            const headers: Record<string, string> = { "PRIVATE-TOKEN": this.token, Accept: "application/json" };
            if (body !== undefined) headers["Content-Type"] = "application/json";
            response = await fetch(url, {
                method,
                headers,
                body: body === undefined ? undefined : JSON.stringify(body),
                signal: controller.signal,
            });
            const text = await response.text();
            try {
                parsed = text === "" ? undefined : JSON.parse(text);
            } catch {
                parsed = text;
            }
        } catch (e) {
            if (controller.signal.aborted) {
                throw this.error(
                    `GitLab did not answer ${method} ${url} within ${this.timeoutMs} ms (trying to ${ctx.what}).`,
                    { kind: "timeout", method, url },
                );
            }
            const cause = (e as { cause?: { code?: string; message?: string } }).cause;
            const why = cause?.code ?? cause?.message ?? (e as Error).message;
            throw this.error(
                `Could not reach GitLab for ${method} ${url} (${why}) while trying to ${ctx.what}. ` +
                    `Check ${GITLAB_CONFIG_KEYS.host} and network access from where Pulumi runs.`,
                { kind: "network", method, url },
            );
        } finally {
            clearTimeout(timer);
        }

        const status = response.status;
        if (status >= 200 && status < 300) return { status, headers: response.headers, body: parsed };
        const gitlabMessage = gitlabMessageOf(parsed);
        const said = gitlabMessage ? ` GitLab said: "${gitlabMessage}".` : "";
        const details = { status, method, url, gitlabMessage };

        if (status === 401) {
            throw this.error(
                `GitLab rejected the API token (${statusText(status)}) for ${method} ${url}: it is invalid, expired or revoked. ` +
                    `Set a valid token (api scope, from an Owner of group "${ctx.group}") with: ` +
                    `pulumi config set --secret ${GITLAB_CONFIG_KEYS.apiToken} <token>`,
                { ...details, kind: "unauthorized" },
            );
        }
        if (status === 403) {
            if (ctx.hint?.forbidden) {
                throw this.error(`GitLab refused to ${ctx.what} (${statusText(status)}) at ${method} ${url}. ${ctx.hint.forbidden}${said}`, {
                    ...details,
                    kind: "forbidden",
                });
            }
            throw this.error(
                `GitLab refused to ${ctx.what} (${statusText(status)}) at ${method} ${url}. Managing group deploy tokens needs ` +
                    `the Owner role on the group and an API token with the \`api\` scope: use a token of a group ` +
                    `Owner with that scope in ${GITLAB_CONFIG_KEYS.apiToken}.${said}`,
                { ...details, kind: "forbidden" },
            );
        }
        if (status === 404) {
            const groupMissing = /group/i.test(gitlabMessage ?? "") || !ctx.allowNotFound;
            if (!groupMissing) {
                return { status, headers: response.headers, body: parsed };
            }
            throw this.error(
                `GitLab group "${ctx.group}" was not found (${statusText(status)}) at ${method} ${url}. ` +
                    `Check ${GITLAB_CONFIG_KEYS.group}: the group's full path (e.g. "my-org/platform", ` +
                    `nested groups included) or its numeric id, on ${GITLAB_CONFIG_KEYS.host}; ` +
                    `also check that the API token's user can see the group.${said}`,
                { ...details, kind: "group-not-found" },
            );
        }
        if ((status === 400 || status === 409 || status === 422) && ctx.hint?.rejected) {
            throw this.error(`GitLab rejected the request to ${ctx.what} (${statusText(status)}).${said} ${ctx.hint.rejected}`, {
                ...details,
                kind: "rejected",
            });
        }
        if (status === 400 || status === 409 || status === 422) {
            throw this.error(
                `GitLab rejected the request to ${ctx.what} (${statusText(status)}).${said} ` +
                    `Usually the deploy token name is already taken or the expiry date is invalid: check ` +
                    `${GITLAB_CONFIG_KEYS.deployToken} (name, expiresInDays, rotateBeforeDays).`,
                { ...details, kind: "rejected" },
            );
        }
        if (status >= 500 || status === 429) {
            throw this.error(
                `GitLab answered ${statusText(status)} for ${method} ${url} while trying to ${ctx.what}.${said}`,
                { ...details, kind: "server" },
            );
        }
        throw this.error(`GitLab answered ${statusText(status)} for ${method} ${url} while trying to ${ctx.what}.${said}`, {
            ...details,
            kind: "unexpected",
        });
    }

    private exhausted(last: GitLabApiError, method: string, url: string, ctx: RequestContext): GitLabApiError {
        const what =
            last.kind === "timeout"
                ? `did not answer within ${this.timeoutMs} ms`
                : last.kind === "network"
                  ? `could not be reached`
                  : `answered ${statusText(last.status ?? 0)}`;
        return this.error(
            `GitLab ${what} for ${method} ${url} on all ${this.attempts} attempts (retried with exponential backoff) ` +
                `while trying to ${ctx.what}. GitLab at ${this.baseUrl} may be down or overloaded, or ` +
                `${GITLAB_CONFIG_KEYS.host} points to the wrong server; try again later.` +
                (last.gitlabMessage ? ` Last answer: "${last.gitlabMessage}".` : ""),
            { kind: last.kind, status: last.status, method, url, gitlabMessage: last.gitlabMessage, attempts: this.attempts },
        );
    }

    private unexpected(method: string, url: string, ctx: RequestContext, status: number, why: string): GitLabApiError {
        return this.error(`Unexpected answer from GitLab (${statusText(status)}) for ${method} ${url} while trying to ${ctx.what}: ${why}.`, {
            kind: "unexpected",
            status,
            method,
            url,
        });
    }

    private error(
        message: string,
        details: { kind: GitLabErrorKind; status?: number; method: string; url: string; gitlabMessage?: string; attempts?: number },
    ): GitLabApiError {
        const secrets = [this.token, ...this.seenSecrets];
        return new GitLabApiError(redact(message, secrets), {
            ...details,
            gitlabMessage: details.gitlabMessage === undefined ? undefined : redact(details.gitlabMessage, secrets),
        });
    }
}

function isRetryable(kind: GitLabErrorKind): boolean {
    return kind === "server" || kind === "timeout" || kind === "network";
}

/** `x-next-page` (empty on the last page), else the `Link: <...page=N...>; rel="next"` header. */
function nextPage(headers: Headers): string | undefined {
    const x = headers.get("x-next-page");
    if (x !== null) return x.trim() === "" ? undefined : x.trim();
    const link = headers.get("link");
    if (!link) return undefined;
    for (const part of link.split(",")) {
        const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
        if (m) {
            try {
                return new URL(m[1]).searchParams.get("page") ?? undefined;
            } catch {
                return undefined;
            }
        }
    }
    return undefined;
}
