// Project webhooks for the GitLab double (doc/api/project_webhooks.md), for the ProjectHook provider:
//   GET    /api/v4/projects/:id/hooks            (list; page/per_page; the secret token is never returned)
//   GET    /api/v4/projects/:id/hooks/:hook_id   (404 "404 Not found" for an unknown hook)
//   POST   /api/v4/projects/:id/hooks            (url required; push_events, token, enable_ssl_verification, …; 201)
//   PUT    /api/v4/projects/:id/hooks/:hook_id   (url required; 200)
//   DELETE /api/v4/projects/:id/hooks/:hook_id   (204)
// Access as GitLab: an unknown token → 401; a project the user cannot see → 404; managing hooks
// needs the Maintainer role and, for every call (read included), the `api` scope (else 403).
// Hooks live per double (keyed by its `users` object); `storedHooks` exposes them, tokens included,
// to tests that check what GitLab would send.

/** The double's internals a hook route needs (passed by server.ts). */
export interface HookRouteContext {
    users: Record<string, { scopes: string[]; groups: Record<string, string>; projects?: Record<string, string> }>;
    resolveProject(idOrPath: string): { id: number; path: string } | undefined;
    projectRole(user: any, projectPath: string): string | undefined;
}

/** One stored hook, the secret token included (GitLab never returns it). */
export interface StoredHook {
    id: number;
    project: string;
    project_id: number;
    url: string;
    token: string;
    push_events: boolean;
    tag_push_events: boolean;
    merge_requests_events: boolean;
    issues_events: boolean;
    note_events: boolean;
    pipeline_events: boolean;
    enable_ssl_verification: boolean;
    created_at: string;
}

const stores = new WeakMap<object, { hooks: StoredHook[]; nextId: number }>();
function storeOf(users: object) {
    let s = stores.get(users);
    if (!s) {
        s = { hooks: [], nextId: 300 };
        stores.set(users, s);
    }
    return s;
}

/** Every hook of the double whose users object is `users` (in a project, when given), tokens included. */
export function storedHooks(users: object, project?: string): StoredHook[] {
    return storeOf(users).hooks.filter((h) => project === undefined || h.project === project);
}

/** True for `/api/v4/projects/:id/hooks[/:hook_id]`. */
export function isProjectHooksRoute(segments: string[]): boolean {
    return segments[0] === "api" && segments[1] === "v4" && segments[2] === "projects" && segments[4] === "hooks" && segments.length >= 5 && segments.length <= 6;
}

const LEVEL: Record<string, number> = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 };
const FLAGS = ["push_events", "tag_push_events", "merge_requests_events", "issues_events", "note_events", "pipeline_events", "enable_ssl_verification"] as const;

function view(h: StoredHook) {
    const { token: _t, project: _p, ...rest } = h;
    return { ...rest, push_events_branch_filter: null, alert_status: "executable" };
}

/** Answers one project hooks request. */
export function projectHooksRoute(ctx: HookRouteContext, method: string, segments: string[], rawQuery: string, body: any, privateToken: string | undefined): { status: number; body?: unknown; headers?: Record<string, string> } {
    const user = privateToken ? ctx.users[privateToken] : undefined;
    if (!user) return { status: 401, body: { message: "401 Unauthorized" } };
    const project = ctx.resolveProject(segments[3]);
    const role = project ? ctx.projectRole(user, project.path) : undefined;
    if (!project || !role) return { status: 404, body: { message: "404 Project Not Found" } };
    if (!user.scopes.includes("api")) {
        return { status: 403, body: { error: "insufficient_scope", error_description: "The request requires higher privileges than provided by the access token.", scope: "api" } };
    }
    if ((LEVEL[role] ?? 0) < LEVEL.maintainer) return { status: 403, body: { message: "403 Forbidden" } };
    const store = storeOf(ctx.users);
    const ofProject = store.hooks.filter((h) => h.project === project.path);
    const b = body && typeof body === "object" ? body : {};
    const urlProblem = (u: unknown) => (typeof u !== "string" || !/^https?:\/\/\S+$/.test(u) ? { status: 400, body: { error: "url is missing" } } : undefined);

    if (segments.length === 5 && method === "GET") {
        const q = new URLSearchParams(rawQuery);
        const perPage = Math.min(100, Math.max(1, Number(q.get("per_page") ?? 20) || 20));
        const page = Math.max(1, Number(q.get("page") ?? 1) || 1);
        return { status: 200, body: ofProject.slice((page - 1) * perPage, page * perPage).map(view), headers: { "x-total": String(ofProject.length) } };
    }
    if (segments.length === 5 && method === "POST") {
        const problem = urlProblem(b.url);
        if (problem) return problem;
        const h: StoredHook = {
            id: store.nextId++,
            project: project.path,
            project_id: project.id,
            url: b.url,
            token: typeof b.token === "string" ? b.token : "",
            push_events: b.push_events === undefined ? true : Boolean(b.push_events),
            tag_push_events: Boolean(b.tag_push_events),
            merge_requests_events: Boolean(b.merge_requests_events),
            issues_events: Boolean(b.issues_events),
            note_events: Boolean(b.note_events),
            pipeline_events: Boolean(b.pipeline_events),
            enable_ssl_verification: b.enable_ssl_verification === undefined ? true : Boolean(b.enable_ssl_verification),
            created_at: new Date().toISOString(),
        };
        store.hooks.push(h);
        return { status: 201, body: view(h) };
    }
    if (segments.length === 6) {
        const h = ofProject.find((x) => x.id === Number(segments[5]));
        if (!h) return { status: 404, body: { message: "404 Not found" } };
        if (method === "GET") return { status: 200, body: view(h) };
        if (method === "DELETE") {
            store.hooks.splice(store.hooks.indexOf(h), 1);
            return { status: 204 };
        }
        if (method === "PUT") {
            const problem = urlProblem(b.url);
            if (problem) return problem;
            h.url = b.url;
            if (typeof b.token === "string") h.token = b.token;
            for (const f of FLAGS) if (b[f] !== undefined) (h as any)[f] = Boolean(b[f]);
            return { status: 200, body: view(h) };
        }
    }
    return { status: 405, body: { error: "405 Method Not Allowed" } };
}
