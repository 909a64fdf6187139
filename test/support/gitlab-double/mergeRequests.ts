// Merge request lists for the GitLab double (doc/api/merge_requests.md), for Argo CD's
// ApplicationSet pull-request generator (gitlab.com/gitlab-org/api/client-go
// ListProjectMergeRequests):
//   GET /api/v4/projects/:id/merge_requests   (state=opened|closed|merged|locked|all, labels=a,b —
//        every listed label must be on the merge request —, page/per_page; X-Page, X-Per-Page,
//        X-Total, X-Total-Pages and X-Next-Page headers, X-Next-Page empty on the last page)
// Access as GitLab: an unknown token → 401; a project the user cannot see → 404; the `api` or
// `read_api` scope is needed (else 403).
// Tests set merge requests out of band through the admin route (server.ts):
//   POST /_double/merge-requests?project=<path>  JSON { iid, title?, state?, labels?, sha?, source_branch?, target_branch?, author? }
//        creates or updates (by iid) one merge request; GET lists them.

/** The double's internals a merge request route needs (passed by server.ts). */
export interface MergeRequestRouteContext {
    users: Record<string, { scopes: string[]; groups: Record<string, string>; projects?: Record<string, string> }>;
    resolveProject(idOrPath: string): { id: number; path: string } | undefined;
    projectRole(user: any, projectPath: string): string | undefined;
}

/** One merge request as the double keeps it. */
export interface StoredMergeRequest {
    id: number;
    iid: number;
    project: string;
    project_id: number;
    title: string;
    state: "opened" | "closed" | "merged" | "locked";
    labels: string[];
    sha: string;
    source_branch: string;
    target_branch: string;
    author: string;
    created_at: string;
    updated_at: string;
}

const stores = new WeakMap<object, { mrs: StoredMergeRequest[]; nextId: number }>();
function storeOf(users: object) {
    let s = stores.get(users);
    if (!s) {
        s = { mrs: [], nextId: 8000 };
        stores.set(users, s);
    }
    return s;
}

const STATES = ["opened", "closed", "merged", "locked"] as const;

/** Creates or updates (by iid) a merge request of `project` (the double whose users object is `users`). */
export function upsertMergeRequest(
    ctx: MergeRequestRouteContext,
    projectPath: string,
    input: Partial<Omit<StoredMergeRequest, "id" | "project" | "project_id" | "created_at" | "updated_at">> & { iid: number },
): StoredMergeRequest {
    const project = ctx.resolveProject(projectPath);
    if (!project) throw new Error(`double: no such project ${projectPath}`);
    if (!Number.isInteger(input.iid) || input.iid < 1) throw new Error("double: a merge request needs an integer iid >= 1");
    if (input.state !== undefined && !STATES.includes(input.state)) throw new Error(`double: state must be one of ${STATES.join(", ")}`);
    const store = storeOf(ctx.users);
    const now = new Date().toISOString();
    let mr = store.mrs.find((m) => m.project === project.path && m.iid === input.iid);
    if (!mr) {
        mr = {
            id: store.nextId++,
            iid: input.iid,
            project: project.path,
            project_id: project.id,
            title: `Merge request !${input.iid}`,
            state: "opened",
            labels: [],
            sha: "0".repeat(40),
            source_branch: `feature-${input.iid}`,
            target_branch: "main",
            author: "developer",
            created_at: now,
            updated_at: now,
        };
        store.mrs.push(mr);
    }
    for (const k of ["title", "state", "labels", "sha", "source_branch", "target_branch", "author"] as const) {
        if (input[k] !== undefined) (mr as any)[k] = k === "labels" ? [...(input.labels ?? [])] : input[k];
    }
    mr.updated_at = now;
    return mr;
}

/** Every merge request of `project` (all projects when omitted). */
export function storedMergeRequests(users: object, project?: string): StoredMergeRequest[] {
    return storeOf(users).mrs.filter((m) => project === undefined || m.project === project);
}

/** True for `GET /api/v4/projects/:id/merge_requests`. */
export function isMergeRequestListRoute(segments: string[]): boolean {
    return segments.length === 5 && segments[0] === "api" && segments[1] === "v4" && segments[2] === "projects" && segments[4] === "merge_requests";
}

function view(m: StoredMergeRequest, base: string) {
    return {
        id: m.id,
        iid: m.iid,
        project_id: m.project_id,
        title: m.title,
        description: "",
        state: m.state,
        created_at: m.created_at,
        updated_at: m.updated_at,
        target_branch: m.target_branch,
        source_branch: m.source_branch,
        source_project_id: m.project_id,
        target_project_id: m.project_id,
        labels: [...m.labels],
        draft: false,
        sha: m.sha,
        author: { id: 1, username: m.author, name: m.author, state: "active" },
        web_url: `${base}/${m.project}/-/merge_requests/${m.iid}`,
    };
}

/** Answers `GET /api/v4/projects/:id/merge_requests`. */
export function mergeRequestListRoute(
    ctx: MergeRequestRouteContext,
    method: string,
    segments: string[],
    rawQuery: string,
    privateToken: string | undefined,
    base: string,
): { status: number; body?: unknown; headers?: Record<string, string> } {
    if (method !== "GET") return { status: 405, body: { message: "405 Method Not Allowed" } };
    const user = privateToken ? ctx.users[privateToken] : undefined;
    if (!user) return { status: 401, body: { message: "401 Unauthorized" } };
    const project = ctx.resolveProject(segments[3]);
    if (!project || !ctx.projectRole(user, project.path)) return { status: 404, body: { message: "404 Project Not Found" } };
    if (!user.scopes.includes("api") && !user.scopes.includes("read_api")) {
        return { status: 403, body: { error: "insufficient_scope", error_description: "The request requires higher privileges than provided by the access token.", scope: "api read_api" } };
    }
    const q = new URLSearchParams(rawQuery);
    const state = q.get("state") ?? "all";
    const labels = (q.get("labels") ?? "").split(",").map((l) => l.trim()).filter((l) => l !== "");
    const page = Math.max(1, Number(q.get("page") ?? 1) || 1);
    const perPage = Math.min(100, Math.max(1, Number(q.get("per_page") ?? 20) || 20));
    const all = storedMergeRequests(ctx.users, project.path)
        .filter((m) => state === "all" || m.state === state)
        .filter((m) => labels.every((l) => m.labels.includes(l)))
        .sort((a, b) => b.iid - a.iid);
    const pages = Math.max(1, Math.ceil(all.length / perPage));
    const slice = all.slice((page - 1) * perPage, page * perPage);
    return {
        status: 200,
        body: slice.map((m) => view(m, base)),
        headers: {
            "X-Page": String(page),
            "X-Per-Page": String(perPage),
            "X-Total": String(all.length),
            "X-Total-Pages": String(pages),
            "X-Next-Page": page < pages ? String(page + 1) : "",
        },
    };
}
