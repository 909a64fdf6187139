// Projects and groups for the GitLab double (doc/api/projects.md, doc/api/groups.md), for the
// GitLabProject provider (gitlab.manageProjects):
//   GET  /api/v4/projects/:id       (numeric id or URL-encoded full path; 404 "404 Project Not Found"
//                                    when it does not exist or the user cannot see it)
//   POST /api/v4/projects           (name, path (default: name), namespace_id; 201; the path taken in
//                                    the namespace → 400 {"message":{"path":["has already been taken"]}})
//   GET  /api/v4/groups/:id         (numeric id or URL-encoded full path; 404 "404 Group Not Found")
// Access as GitLab: an unknown token → 401; reading needs `api` or `read_api` and a role in the project
// (direct or inherited) or group; creating needs `api` and Developer or higher in the namespace (else
// 403). These routes never create a project on first use (autoProjects applies to notes, issues and
// hooks only), so "missing" and "present" are real.

/** The double's internals these routes need (passed by server.ts). */
export interface ProjectRouteContext {
    users: Record<string, { scopes: string[]; groups: Record<string, string>; projects?: Record<string, string> }>;
    findGroup(idOrPath: string): { id: number; path: string } | undefined;
    findProject(idOrPath: string): { id: number; path: string } | undefined;
    addProject(path: string): number;
    projectRole(user: any, projectPath: string): string | undefined;
    clock(): number;
    baseUrl: string;
}

const LEVEL: Record<string, number> = { guest: 10, planner: 15, reporter: 20, developer: 30, maintainer: 40, owner: 50 };
const created = new WeakMap<object, Map<string, string>>();

/** True for `/api/v4/projects`, `/api/v4/projects/:id` and `/api/v4/groups/:id`. */
export function isProjectsRoute(segments: string[]): boolean {
    if (segments[0] !== "api" || segments[1] !== "v4") return false;
    return (segments[2] === "projects" && (segments.length === 3 || segments.length === 4)) || (segments[2] === "groups" && segments.length === 4);
}

function projectView(ctx: ProjectRouteContext, p: { id: number; path: string }) {
    const i = p.path.lastIndexOf("/");
    const ns = i < 0 ? "" : p.path.slice(0, i);
    const g = ctx.findGroup(ns);
    const at = created.get(ctx.users)?.get(p.path) ?? new Date(0).toISOString();
    return {
        id: p.id,
        name: p.path.slice(i + 1),
        path: p.path.slice(i + 1),
        path_with_namespace: p.path,
        web_url: `${ctx.baseUrl}/${p.path}`,
        visibility: "private",
        default_branch: null,
        archived: false,
        created_at: at,
        namespace: { id: g?.id ?? 0, full_path: ns, kind: "group" },
    };
}

/** Answers one request of these routes. */
export function projectsRoute(ctx: ProjectRouteContext, method: string, segments: string[], body: any, privateToken: string | undefined): { status: number; body?: unknown } {
    const user = privateToken ? ctx.users[privateToken] : undefined;
    if (!user) return { status: 401, body: { message: "401 Unauthorized" } };
    const read = user.scopes.includes("api") || user.scopes.includes("read_api");
    const scopeError = (scope: string) => ({ status: 403, body: { error: "insufficient_scope", error_description: "The request requires higher privileges than provided by the access token.", scope } });

    if (segments[2] === "groups") {
        const g = ctx.findGroup(segments[3]);
        if (!g || !user.groups[g.path]) return { status: 404, body: { message: "404 Group Not Found" } };
        if (!read) return scopeError("api read_api");
        return { status: 200, body: { id: g.id, name: g.path.split("/").pop(), path: g.path.split("/").pop(), full_path: g.path, visibility: "private" } };
    }
    if (segments.length === 4 && method === "GET") {
        const p = ctx.findProject(segments[3]);
        if (!p || !ctx.projectRole(user, p.path)) return { status: 404, body: { message: "404 Project Not Found" } };
        if (!read) return scopeError("api read_api");
        return { status: 200, body: projectView(ctx, p) };
    }
    if (segments.length === 3 && method === "POST") {
        if (!user.scopes.includes("api")) return scopeError("api");
        const b = body && typeof body === "object" ? body : {};
        if (typeof b.name !== "string" || b.name === "") return { status: 400, body: { error: "name is missing" } };
        const path = typeof b.path === "string" && b.path !== "" ? b.path : b.name;
        if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(path)) return { status: 400, body: { message: { path: ["can contain only letters, digits, '_', '-' and '.'"] } } };
        const g = b.namespace_id === undefined ? undefined : ctx.findGroup(String(b.namespace_id));
        if (!g || !user.groups[g.path]) return { status: 404, body: { message: "404 Namespace Not Found" } };
        if ((LEVEL[user.groups[g.path]] ?? 0) < LEVEL.developer) return { status: 403, body: { message: "403 Forbidden" } };
        const full = `${g.path}/${path}`;
        if (ctx.findProject(full)) return { status: 400, body: { message: { path: ["has already been taken"], name: ["has already been taken"] } } };
        const id = ctx.addProject(full);
        let m = created.get(ctx.users);
        if (!m) created.set(ctx.users, (m = new Map()));
        m.set(full, new Date(ctx.clock()).toISOString());
        return { status: 201, body: projectView(ctx, { id, path: full }) };
    }
    return { status: 405, body: { error: "405 Method Not Allowed" } };
}
