// Group access tokens for the GitLab double (doc/api/group_access_tokens.md), for the
// GroupAccessToken provider:
//   GET    /api/v4/groups/:id/access_tokens            (state=active|inactive; page/per_page)
//   GET    /api/v4/groups/:id/access_tokens/:token_id  (404 "404 Not Found" for an unknown id)
//   POST   /api/v4/groups/:id/access_tokens            (name, scopes, access_level default 40, expires_at
//                                                       YYYY-MM-DD, at most one year ahead, default one year;
//                                                       201 + token once)
//   POST   /api/v4/groups/:id/access_tokens/:token_id/rotate  (revokes it, answers a new token with a new id)
//   DELETE /api/v4/groups/:id/access_tokens/:token_id  (204; an already revoked token → 400 "Token was not revoked")
// Access as GitLab: an unknown API token → 401; a group the user cannot see → 404 "404 Group Not
// Found"; every route needs the Owner role and the `api` scope (else 403). A created token is also an
// API user of the double (its bot: the scopes and the role in the group), so it authenticates until it
// is revoked or expires (then 401). Admin (server.ts): GET /_double/access-tokens?group= (values
// included), POST /_double/access-token/revoke|expire?group=&id= (out of band).

/** The double's internals these routes need (passed by server.ts). */
export interface AccessTokenContext {
    users: Record<string, { scopes: string[]; groups: Record<string, string>; projects?: Record<string, string>; username?: string }>;
    findGroup(idOrPath: string): { id: number; path: string } | undefined;
    clock(): number;
    /** Every token value issued, for leak checks. */
    issuedValues: string[];
}

/** One group access token as the double keeps it, the value included. */
export interface StoredAccessToken {
    id: number;
    group: string;
    name: string;
    scopes: string[];
    access_level: number;
    /** `YYYY-MM-DD`. */
    expires_at: string;
    revoked: boolean;
    user_id: number;
    created_at: string;
    token: string;
}

const SCOPES = ["api", "read_api", "read_repository", "write_repository", "read_registry", "write_registry", "read_virtual_registry", "write_virtual_registry", "create_runner", "manage_runner", "ai_features", "k8s_proxy", "self_rotate"];
const LEVELS: Record<number, string> = { 10: "guest", 15: "planner", 20: "reporter", 30: "developer", 40: "maintainer", 50: "owner" };
const ROLE_LEVEL: Record<string, number> = { guest: 10, planner: 15, reporter: 20, developer: 30, maintainer: 40, owner: 50 };
const DAY = 86_400_000;

const stores = new WeakMap<object, { tokens: StoredAccessToken[]; nextId: number; nextUser: number }>();
function storeOf(users: object) {
    let s = stores.get(users);
    if (!s) {
        s = { tokens: [], nextId: 400, nextUser: 9000 };
        stores.set(users, s);
    }
    return s;
}

/** Every group access token of the double whose users object is `users` (in `group` when given), values included. */
export function storedAccessTokens(users: object, group?: string): StoredAccessToken[] {
    return storeOf(users).tokens.filter((t) => group === undefined || t.group === group);
}

function expired(t: StoredAccessToken, now: number): boolean {
    return Date.parse(`${t.expires_at}T00:00:00Z`) <= now;
}

function view(t: StoredAccessToken, now: number) {
    const { token: _t, group: _g, ...rest } = t;
    return { ...rest, scopes: [...t.scopes], active: !t.revoked && !expired(t, now), last_used_at: null, description: null };
}

function revoke(ctx: AccessTokenContext, t: StoredAccessToken) {
    t.revoked = true;
    delete ctx.users[t.token];
}

/** Revokes (`revoke`) or expires (`expire`) a token out of band, as a change in GitLab's UI would. */
export function accessTokenAdmin(ctx: AccessTokenContext, action: string, group: string, id: number): StoredAccessToken {
    const t = storeOf(ctx.users).tokens.find((x) => x.group === group && x.id === id);
    if (!t) throw new Error(`double: no access token ${id} in ${group}`);
    if (action === "revoke") revoke(ctx, t);
    else if (action === "expire") {
        t.expires_at = new Date(ctx.clock() - DAY).toISOString().slice(0, 10);
        delete ctx.users[t.token];
    } else throw new Error(`double: unknown access token action ${action}`);
    return t;
}

/** True for `/api/v4/groups/:id/access_tokens[/:token_id[/rotate]]`. */
export function isAccessTokensRoute(segments: string[]): boolean {
    return segments[0] === "api" && segments[1] === "v4" && segments[2] === "groups" && segments[4] === "access_tokens" && segments.length >= 5 && segments.length <= 7;
}

/** Answers one group access token request. */
export function accessTokensRoute(ctx: AccessTokenContext, method: string, segments: string[], rawQuery: string, body: any, privateToken: string | undefined): { status: number; body?: unknown; headers?: Record<string, string> } {
    const user = privateToken ? ctx.users[privateToken] : undefined;
    if (!user) return { status: 401, body: { message: "401 Unauthorized" } };
    const group = ctx.findGroup(segments[3]);
    const role = group ? user.groups[group.path] : undefined;
    if (!group || !role) return { status: 404, body: { message: "404 Group Not Found" } };
    if (!user.scopes.includes("api")) {
        return { status: 403, body: { error: "insufficient_scope", error_description: "The request requires higher privileges than provided by the access token.", scope: "api" } };
    }
    if ((ROLE_LEVEL[role] ?? 0) < ROLE_LEVEL.owner) return { status: 403, body: { message: "403 Forbidden" } };
    const store = storeOf(ctx.users);
    const now = ctx.clock();
    const ofGroup = store.tokens.filter((t) => t.group === group.path);
    const b = body && typeof body === "object" ? body : {};

    const issue = (name: string, scopes: string[], level: number, expiresAt: string): StoredAccessToken => {
        const t: StoredAccessToken = {
            id: store.nextId++,
            group: group.path,
            name,
            scopes,
            access_level: level,
            expires_at: expiresAt,
            revoked: false,
            user_id: store.nextUser++,
            created_at: new Date(now).toISOString(),
            token: `glpat-${Buffer.from(`${group.path}:${store.nextId}:${Math.random()}`).toString("base64url").slice(0, 20)}${Math.random().toString(36).slice(2, 8)}`,
        };
        store.tokens.push(t);
        ctx.issuedValues.push(t.token);
        // The bot user: authenticates with the token's scopes and role in the group.
        ctx.users[t.token] = { scopes: [...scopes], groups: { [group.path]: LEVELS[level] }, username: `group_${group.id}_bot_${t.user_id}` };
        return t;
    };
    /** `expires_at`: YYYY-MM-DD, after today and at most one year ahead (default: one year). */
    const expiry = (v: unknown): string | { status: number; body: unknown } => {
        const max = new Date(now + 365 * DAY).toISOString().slice(0, 10);
        if (v === undefined || v === null || v === "") return max;
        if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v))) return { status: 400, body: { error: "expires_at is invalid" } };
        if (Date.parse(`${v}T00:00:00Z`) <= now) return { status: 400, body: { message: "400 Bad request - Expiration date must be in the future" } };
        if (v > max) return { status: 400, body: { message: "400 Bad request - Expiration date must be before " + max } };
        return v;
    };

    if (segments.length === 5 && method === "GET") {
        const q = new URLSearchParams(rawQuery);
        let list = ofGroup;
        if (q.get("state") === "active") list = list.filter((t) => !t.revoked && !expired(t, now));
        if (q.get("state") === "inactive") list = list.filter((t) => t.revoked || expired(t, now));
        const perPage = Math.min(100, Math.max(1, Number(q.get("per_page") ?? 20) || 20));
        const page = Math.max(1, Number(q.get("page") ?? 1) || 1);
        const pages = Math.max(1, Math.ceil(list.length / perPage));
        return {
            status: 200,
            body: list.slice((page - 1) * perPage, page * perPage).map((t) => view(t, now)),
            headers: { "x-total": String(list.length), "x-page": String(page), "x-next-page": page < pages ? String(page + 1) : "" },
        };
    }
    if (segments.length === 5 && method === "POST") {
        if (typeof b.name !== "string" || b.name === "") return { status: 400, body: { error: "name is missing" } };
        if (b.scopes === undefined || (Array.isArray(b.scopes) && b.scopes.length === 0)) return { status: 400, body: { error: "scopes is missing" } };
        if (!Array.isArray(b.scopes) || b.scopes.some((s: unknown) => !SCOPES.includes(String(s)))) return { status: 400, body: { error: "scopes does not have a valid value" } };
        const level = b.access_level === undefined ? 40 : Number(b.access_level);
        if (!(level in LEVELS)) return { status: 400, body: { error: "access_level does not have a valid value" } };
        if (level > ROLE_LEVEL[role]) return { status: 400, body: { message: "400 Bad request - Access level of the token can't be greater the access level of the user who created the token" } };
        const exp = expiry(b.expires_at);
        if (typeof exp !== "string") return exp;
        const t = issue(b.name, b.scopes.map(String), level, exp);
        return { status: 201, body: { ...view(t, now), token: t.token } };
    }
    const t = ofGroup.find((x) => x.id === Number(segments[5]));
    if (!t) return { status: 404, body: { message: "404 Not Found" } };
    if (segments.length === 6 && method === "GET") return { status: 200, body: view(t, now) };
    if (segments.length === 6 && method === "DELETE") {
        if (t.revoked) return { status: 400, body: { message: "400 Bad request - Token was not revoked" } };
        revoke(ctx, t);
        return { status: 204 };
    }
    if (segments.length === 7 && segments[6] === "rotate" && method === "POST") {
        if (t.revoked || expired(t, now)) return { status: 401, body: { message: "401 Unauthorized" } };
        const exp = expiry(b.expires_at ?? new Date(now + 7 * DAY).toISOString().slice(0, 10));
        if (typeof exp !== "string") return exp;
        revoke(ctx, t);
        const fresh = issue(t.name, [...t.scopes], t.access_level, exp);
        return { status: 200, body: { ...view(fresh, now), token: fresh.token } };
    }
    return { status: 405, body: { error: "405 Method Not Allowed" } };
}
