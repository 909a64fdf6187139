// A local test double of GitLab's REST API v4, on 127.0.0.1 with a random port. It follows the
// documented behaviour its clients rely on:
// group deploy tokens (doc/api/deploy_tokens.md), for the GroupDeployToken provider:
//   GET    /api/v4/groups/:id/deploy_tokens            (active filter, page/per_page, pagination headers)
//   GET    /api/v4/groups/:id/deploy_tokens/:token_id
//   POST   /api/v4/groups/:id/deploy_tokens            (name, scopes, expires_at, username; 201 + token once)
//   DELETE /api/v4/groups/:id/deploy_tokens/:token_id  (204)
// merge request notes (doc/api/notes.md) and project issues (doc/api/issues.md), for the ops reports:
//   GET    /api/v4/user                                              (the token's user: id, username)
//   GET    /api/v4/projects/:id/merge_requests/:iid/notes           (sort, order_by, page/per_page)
//   POST   /api/v4/projects/:id/merge_requests/:iid/notes           (body; 201)
//   GET|PUT /api/v4/projects/:id/merge_requests/:iid/notes/:note_id (PUT: author only)
//   GET    /api/v4/projects/:id/issues                              (state, labels, search, page/per_page)
//   POST   /api/v4/projects/:id/issues                              (title, description, labels; 201)
//   GET|PUT /api/v4/projects/:id/issues/:issue_iid                  (title, description, labels, add_labels, remove_labels, state_event)
// group CI/CD variables (doc/api/group_level_variables.md), for the GroupVariable provider:
//   GET    /api/v4/groups/:id/variables        (page/per_page)
//   GET    /api/v4/groups/:id/variables/:key   (404 "Variable Not Found" for an unknown key)
//   POST   /api/v4/groups/:id/variables        (key, value, protected, masked, raw, variable_type; 201; key taken → 400)
//   PUT    /api/v4/groups/:id/variables/:key   (value, protected, masked, raw, variable_type)
//   DELETE /api/v4/groups/:id/variables/:key   (204)
//   (same access as deploy tokens: reading needs Maintainer, writing Owner and `api`; a masked
//   value must have 8+ characters from the Base64 alphabet and @:.~-_+/= , else 400)
// group access tokens (doc/api/group_access_tokens.md): see accessTokens.ts
// projects and groups (GET /projects/:id, POST /projects, GET /groups/:id): see projects.ts
// personal access tokens (doc/api/personal_access_tokens.md):
//   GET    /api/v4/personal_access_tokens/self (the token in PRIVATE-TOKEN: expires_at YYYY-MM-DD or
//          null, scopes, active; unknown or expired → 401). API users' tokens never expire; more
//          tokens with an expiry through `addPersonalToken` (admin: POST /_double/personal-token).
// `:id` is a numeric id or a URL-encoded full path (`parent%2Fchild`). Authentication is the
// PRIVATE-TOKEN header: missing/unknown → 401. Deploy tokens: the user must see the group (else 404
// "Group Not Found"); listing needs Maintainer, create/delete need Owner and the `api` scope (else
// 403). Projects: the role is the user's project role or the highest role on an ancestor group
// (inherited membership); without one → 404 "Project Not Found"; reading needs `api` or `read_api`,
// writing needs `api` and Reporter (else 403); unknown merge request, note or issue → 404.
// Test hooks: revoke/expire/remove tokens out of band, seed notes and issues, inject faults (status
// codes, hangs, "commit then fail" answers) and inspect the request log.

import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { isProjectHooksRoute, projectHooksRoute } from "./hooks";
import { isMergeRequestListRoute, mergeRequestListRoute, storedMergeRequests, upsertMergeRequest } from "./mergeRequests";
import { accessTokenAdmin, accessTokensRoute, isAccessTokensRoute, storedAccessTokens } from "./accessTokens";
import { isProjectsRoute, projectsRoute } from "./projects";

export type Role = "guest" | "reporter" | "developer" | "maintainer" | "owner";

export interface DoubleUser {
    /** Personal access token scopes, e.g. ["api"] or ["read_api"]. */
    scopes: string[];
    /** Role per group full path. A group without a role is invisible (404). */
    groups: Record<string, Role>;
    /** Role per project full path (direct membership, e.g. a project access token's bot). */
    projects?: Record<string, Role>;
    /** Shown as the author of its notes and issues; default `user-<id>`. */
    username?: string;
}

/** Who a token is: a stable id per token, assigned when first seen. */
export interface DoubleIdentity {
    id: number;
    username: string;
}

/** A merge request note as the double keeps it. */
export interface StoredNote {
    id: number;
    /** Project full path. */
    project: string;
    mergeRequestIid: number;
    body: string;
    author: DoubleIdentity;
    system: boolean;
    created_at: string;
    updated_at: string;
}

/** A project issue as the double keeps it. */
export interface StoredIssue {
    id: number;
    iid: number;
    /** Project full path. */
    project: string;
    title: string;
    description: string | null;
    labels: string[];
    state: "opened" | "closed";
    author: DoubleIdentity;
    created_at: string;
    updated_at: string;
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

/** A group CI/CD variable as the double keeps it. */
export interface StoredVariable {
    key: string;
    value: string;
    protected: boolean;
    masked: boolean;
    raw: boolean;
    variable_type: string;
    environment_scope: string;
}

/** A personal access token the double knows beyond the API users (e.g. a CI push token). */
export interface StoredPersonalToken {
    id: number;
    name: string;
    /** `YYYY-MM-DD` or null. */
    expires_at: string | null;
    scopes: string[];
    revoked: boolean;
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
    /** In-process tests: runs when the fault matches, before anything else (e.g. a late commit). */
    onMatch?: () => void;
    /** Answer as if there were no fault (after `onMatch`); not counted as a faulty answer. */
    passThrough?: boolean;
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
    /** Creates a project (any full path, with a numeric id chosen or given); returns its id. */
    addProject(path: string, id?: number): number;
    projectId(path: string): number;
    /** Opens a merge request `iid` in the project (path or numeric id). */
    addMergeRequest(project: string | number, iid: number): void;
    /** The merge request's notes, oldest first. */
    notes(project: string | number, mergeRequestIid: number): StoredNote[];
    /** Adds a note directly, written by the user of `authorToken` (e.g. a human's reply). */
    seedNote(project: string | number, mergeRequestIid: number, body: string, authorToken: string): StoredNote;
    /** The project's issues, oldest first. */
    issues(project: string | number): StoredIssue[];
    /** Adds an issue directly, written by the user of `authorToken`. */
    seedIssue(project: string | number, issue: Partial<StoredIssue> & { title: string }, authorToken: string): StoredIssue;
    /** The id and username the double gives the user of `token`. */
    identity(token: string): DoubleIdentity;
    /** The group's CI/CD variables. */
    variables(group: string): StoredVariable[];
    /** Sets a variable directly (out of band, like a change in GitLab's UI). */
    setVariable(group: string, v: Partial<StoredVariable> & { key: string; value: string }): StoredVariable;
    /** Registers a personal access token (`expiresAt` `YYYY-MM-DD` or an ISO instant, or null). */
    addPersonalToken(token: string, t?: { name?: string; expiresAt?: string | null; scopes?: string[] }): StoredPersonalToken;
    inject(fault: Fault): void;
    clearFaults(): void;
    /** Faulty answers still to give (the sum of the pending faults' `times`) and given so far. */
    faultStats(): { pending: number; served: number };
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
/** doc/api/notes.md: "Limited to 1,000,000 characters." */
const NOTE_MAX_CHARS = 1_000_000;
/** doc/api/issues.md: "Limited to 1,048,576 characters." */
const ISSUE_DESCRIPTION_MAX_CHARS = 1_048_576;

type Result = { status: number; body?: unknown; headers?: Record<string, string> };

export interface DoubleOptions {
    /** Port on 127.0.0.1 (default 0 = random). */
    port?: number;
    /**
     * Serve test-only admin routes for out-of-process tests (e2e): `GET /_double/tokens?group=`,
     * `POST /_double/revoke|expire|remove?group=&id=`, `POST /_double/fault` (JSON Fault, path as a
     * regex string), `POST /_double/revoke-api-token` (JSON `{ token }`: that API token gets 401 from
     * then on, e.g. a rotated-away `gitlabToken`), `GET /_double/notes?project=&mr=` (a merge
     * request's notes, oldest first), `GET /_double/issues?project=` (a project's issues),
     * `GET /_double/variables?group=` (the group's CI/CD variables, values included),
     * `POST /_double/variable?group=` (JSON variable: set it out of band), `POST /_double/personal-token`
     * (JSON `{ token, expiresAt, name?, scopes? }`: a personal access token `/personal_access_tokens/self` knows),
     * `GET /_double/issued-values` (every deploy token value ever issued, deleted tokens' too, for
     * leak checks), `POST /_double/faults` (JSON `{ status?: 500, count?: 1, method?, path?, commit?, hang? }`: the
     * next `count` API calls that match answer `status`; `commit` performs the call first, a lost
     * answer), `GET /_double/faults` (`{ pending, served }`: faulty answers still to give and given so
     * far), `DELETE /_double/faults` (clears them: the API recovers). Projects by full path or numeric
     * id. Off by default.
     */
    admin?: boolean;
    /**
     * Unknown projects and merge requests exist on first use (any numeric id or full path, any iid),
     * for e2e scripts that pick CI_PROJECT_ID and CI_MERGE_REQUEST_IID themselves. Such a project
     * belongs to no group: a user's role in it is the highest role they have anywhere. Off by
     * default: unit tests register projects and merge requests, and unknown ones answer 404.
     */
    autoProjects?: boolean;
}

export async function startGitLabDouble(options: DoubleOptions = {}): Promise<GitLabDouble> {
    const groups = new Map<string, { id: number; path: string }>();
    const tokens: StoredToken[] = [];
    const faults: Fault[] = [];
    let faultsServed = 0;
    const requests: LoggedRequest[] = [];
    const users: Record<string, DoubleUser> = {};
    const issuedValues: string[] = [];
    let nextGroupId = 100;
    let nextTokenId = 1;
    const projects = new Map<string, { id: number; path: string; auto?: boolean }>();
    const mergeRequests = new Set<string>();
    const notes: StoredNote[] = [];
    const issues: StoredIssue[] = [];
    const identities = new Map<string, DoubleIdentity>();
    let nextProjectId = 1000;
    let nextNoteId = 5000;
    let nextIssueId = 9000;
    let nextUserId = 1;
    const variables = new Map<string, StoredVariable[]>();
    const personalTokens = new Map<string, StoredPersonalToken>();
    let nextPersonalTokenId = 700;

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
            const fields: Record<string, unknown> = {};
            for (const [k, v] of q) if (!k.endsWith("[]")) fields[k] = v;
            return { ...fields, scopes: q.getAll("scopes[]") };
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

    /** One page of `list` as GitLab pages it: page/per_page (max 100), x-* headers and `Link` (or `Link` only). */
    function paginated(req: http.IncomingMessage, rawPath: string, rawQuery: string, list: unknown[]): Result {
        const query = new URLSearchParams(rawQuery);
        const perPage = Math.min(100, Math.max(1, Number(query.get("per_page") ?? 20) || 20));
        const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
        const total = list.length;
        const totalPages = Math.max(1, Math.ceil(total / perPage));
        const items = list.slice((page - 1) * perPage, page * perPage);
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
        return { status: 200, body: items, headers };
    }

    function findProject(idOrPath: string | number): { id: number; path: string; auto?: boolean } | undefined {
        const key = String(idOrPath);
        if (/^\d+$/.test(key)) {
            for (const p of projects.values()) if (p.id === Number(key)) return p;
            return undefined;
        }
        return projects.get(key);
    }

    function freshProjectId(): number {
        while (findProject(nextProjectId)) nextProjectId++;
        return nextProjectId++;
    }

    /** findProject, creating the project first when `autoProjects` is on. */
    function resolveProject(idOrPath: string): { id: number; path: string; auto?: boolean } | undefined {
        const found = findProject(idOrPath);
        if (found || !options.autoProjects || !/^(\d+|[\w.-]+(\/[\w.-]+)+)$/.test(idOrPath)) return found;
        const numeric = /^\d+$/.test(idOrPath);
        const p = { id: numeric ? Number(idOrPath) : freshProjectId(), path: numeric ? `project-${idOrPath}` : idOrPath, auto: true };
        projects.set(p.path, p);
        return p;
    }

    /** The user's role in the project: direct membership or the highest role on an ancestor group. */
    function projectRole(user: DoubleUser, projectPath: string): Role | undefined {
        if (projects.get(projectPath)?.auto) {
            return [...Object.values(user.groups), ...Object.values(user.projects ?? {})].sort((a, b) => ROLE_LEVEL[b] - ROLE_LEVEL[a])[0];
        }
        const candidates: Role[] = [];
        const direct = user.projects?.[projectPath];
        if (direct) candidates.push(direct);
        const parts = projectPath.split("/");
        for (let i = parts.length - 1; i >= 1; i--) {
            const role = user.groups[parts.slice(0, i).join("/")];
            if (role) candidates.push(role);
        }
        return candidates.sort((a, b) => ROLE_LEVEL[b] - ROLE_LEVEL[a])[0];
    }

    function identity(token: string): DoubleIdentity {
        let who = identities.get(token);
        if (!who) {
            const id = nextUserId++;
            who = { id, username: users[token]?.username ?? `user-${id}` };
            identities.set(token, who);
        }
        return who;
    }

    function noteView(n: StoredNote) {
        return {
            id: n.id,
            body: n.body,
            attachment: null,
            author: { id: n.author.id, username: n.author.username, name: n.author.username, state: "active" },
            created_at: n.created_at,
            updated_at: n.updated_at,
            system: n.system,
            noteable_id: n.mergeRequestIid,
            noteable_type: "MergeRequest",
            project_id: projects.get(n.project)!.id,
            noteable_iid: n.mergeRequestIid,
            resolvable: false,
            confidential: false,
            internal: false,
        };
    }

    function issueView(i: StoredIssue) {
        return {
            id: i.id,
            iid: i.iid,
            project_id: projects.get(i.project)!.id,
            title: i.title,
            description: i.description,
            state: i.state,
            labels: [...i.labels],
            author: { id: i.author.id, username: i.author.username, name: i.author.username, state: "active" },
            created_at: i.created_at,
            updated_at: i.updated_at,
            web_url: `${double.url}/${i.project}/-/issues/${i.iid}`,
        };
    }

    /** `labels` as GitLab takes it: a comma-separated string or an array. */
    function labelList(v: unknown): string[] {
        const items = Array.isArray(v) ? v.map(String) : typeof v === "string" ? v.split(",") : [];
        return [...new Set(items.map((l) => l.trim()).filter((l) => l !== ""))];
    }

    function now(): string {
        return new Date(double.clock()).toISOString();
    }

    function noteBodyProblem(body: any): Result | undefined {
        if (!body || typeof body.body !== "string" || body.body.trim() === "") return { status: 400, body: { error: "body is missing" } };
        if (body.body.length > NOTE_MAX_CHARS) {
            return { status: 400, body: { message: { note: [`is too long (maximum is ${NOTE_MAX_CHARS} characters)`] } } };
        }
        return undefined;
    }

    function descriptionProblem(description: unknown): Result | undefined {
        if (typeof description === "string" && description.length > ISSUE_DESCRIPTION_MAX_CHARS) {
            return { status: 400, body: { message: { description: [`is too long (maximum is ${ISSUE_DESCRIPTION_MAX_CHARS} characters)`] } } };
        }
        return undefined;
    }

    /** GET /api/v4/user */
    function currentUser(privateToken: string | undefined): Result {
        const user = privateToken ? users[privateToken] : undefined;
        if (!user) return { status: 401, body: { message: "401 Unauthorized" } };
        if (!user.scopes.some((s) => s === "api" || s === "read_api" || s === "read_user")) {
            return { status: 403, body: { error: "insufficient_scope", error_description: "The request requires higher privileges than provided by the access token.", scope: "api read_api read_user" } };
        }
        const who = identity(privateToken!);
        return { status: 200, body: { id: who.id, username: who.username, name: who.username, state: "active" } };
    }

    /** /api/v4/projects/:id/(merge_requests/:iid/notes[/:note_id] | issues[/:issue_iid]) */
    function projectRoute(req: http.IncomingMessage, method: string, segments: string[], rawPath: string, rawQuery: string, body: any, privateToken: string | undefined): Result {
        const user = privateToken ? users[privateToken] : undefined;
        if (!user) return { status: 401, body: { message: "401 Unauthorized" } };
        const project = resolveProject(segments[3]);
        const role = project ? projectRole(user, project.path) : undefined;
        if (!project || !role) return { status: 404, body: { message: "404 Project Not Found" } };
        const isNotes = segments[4] === "merge_requests" && segments.length >= 7 && segments.length <= 8 && segments[6] === "notes";
        const isIssues = segments[4] === "issues" && segments.length >= 5 && segments.length <= 6;
        if (!isNotes && !isIssues) return { status: 404, body: UNKNOWN_ROUTE };
        const needsWrite = method !== "GET";
        const scopeError = insufficientScope(user.scopes, needsWrite);
        if (scopeError) return scopeError;
        if (needsWrite && ROLE_LEVEL[role] < ROLE_LEVEL.reporter) return { status: 403, body: { message: "403 Forbidden" } };
        const me = identity(privateToken!);
        const query = new URLSearchParams(rawQuery);

        if (isNotes) {
            const iid = Number(segments[5]);
            if (project.auto && Number.isInteger(iid) && iid > 0) mergeRequests.add(`${project.path}!${iid}`);
            if (!mergeRequests.has(`${project.path}!${iid}`)) return { status: 404, body: { message: "404 Merge Request Not Found" } };
            const ofMr = notes.filter((n) => n.project === project.path && n.mergeRequestIid === iid);
            if (segments.length === 7 && method === "GET") {
                const key = query.get("order_by") === "updated_at" ? "updated_at" : "created_at";
                const dir = query.get("sort") === "asc" ? 1 : -1;
                const sorted = [...ofMr].sort((a, b) => dir * (a[key].localeCompare(b[key]) || a.id - b.id));
                return paginated(req, rawPath, rawQuery, sorted.map(noteView));
            }
            if (segments.length === 7 && method === "POST") {
                const problem = noteBodyProblem(body);
                if (problem) return problem;
                const n: StoredNote = { id: nextNoteId++, project: project.path, mergeRequestIid: iid, body: body.body, author: me, system: false, created_at: now(), updated_at: now() };
                notes.push(n);
                return { status: 201, body: noteView(n) };
            }
            if (segments.length === 8 && (method === "GET" || method === "PUT")) {
                const note = ofMr.find((n) => n.id === Number(segments[7]));
                if (!note) return { status: 404, body: { message: "404 Note Not Found" } };
                if (method === "GET") return { status: 200, body: noteView(note) };
                if (note.author.id !== me.id) return { status: 403, body: { message: "403 Forbidden" } };
                const problem = noteBodyProblem(body);
                if (problem) return problem;
                note.body = body.body;
                note.updated_at = now();
                return { status: 200, body: noteView(note) };
            }
            return { status: 405, body: { error: "405 Method Not Allowed" } };
        }

        const ofProject = issues.filter((i) => i.project === project.path);
        if (segments.length === 5 && method === "GET") {
            let list = ofProject;
            const state = query.get("state");
            if (state === "opened" || state === "closed") list = list.filter((i) => i.state === state);
            const wanted = labelList(query.get("labels") ?? "");
            if (wanted.length > 0) list = list.filter((i) => wanted.every((l) => i.labels.includes(l)));
            // Like GitLab's fuzzy search: every term (case-insensitive) in the title or the description.
            const terms = (query.get("search") ?? "").toLowerCase().split(/\s+/).filter((t) => t !== "");
            if (terms.length > 0) {
                list = list.filter((i) => terms.every((t) => `${i.title}\n${i.description ?? ""}`.toLowerCase().includes(t)));
            }
            const dir = query.get("sort") === "asc" ? 1 : -1;
            return paginated(req, rawPath, rawQuery, [...list].sort((a, b) => dir * (a.iid - b.iid)).map(issueView));
        }
        if (segments.length === 5 && method === "POST") {
            if (!body || typeof body.title !== "string" || body.title.trim() === "") return { status: 400, body: { error: "title is missing" } };
            const problem = descriptionProblem(body.description);
            if (problem) return problem;
            const issue: StoredIssue = {
                id: nextIssueId++,
                iid: ofProject.reduce((m, i) => Math.max(m, i.iid), 0) + 1,
                project: project.path,
                title: body.title,
                description: typeof body.description === "string" ? body.description : null,
                labels: labelList(body.labels),
                state: "opened",
                author: me,
                created_at: now(),
                updated_at: now(),
            };
            issues.push(issue);
            return { status: 201, body: issueView(issue) };
        }
        if (segments.length === 6 && (method === "GET" || method === "PUT")) {
            const issue = ofProject.find((i) => i.iid === Number(segments[5]));
            if (!issue) return { status: 404, body: { message: "404 Not found" } };
            if (method === "GET") return { status: 200, body: issueView(issue) };
            if (!body || typeof body !== "object") return { status: 400, body: { error: "title, description, labels, add_labels, remove_labels, state_event are missing, at least one parameter must be provided" } };
            if (body.title !== undefined && (typeof body.title !== "string" || body.title.trim() === "")) return { status: 400, body: { error: "title is empty" } };
            const problem = descriptionProblem(body.description);
            if (problem) return problem;
            if (body.title !== undefined) issue.title = body.title;
            if (body.description !== undefined) issue.description = body.description;
            if (body.labels !== undefined) issue.labels = labelList(body.labels);
            if (body.add_labels !== undefined) issue.labels = [...new Set([...issue.labels, ...labelList(body.add_labels)])];
            if (body.remove_labels !== undefined) {
                const drop = labelList(body.remove_labels);
                issue.labels = issue.labels.filter((l) => !drop.includes(l));
            }
            if (body.state_event === "close") issue.state = "closed";
            if (body.state_event === "reopen") issue.state = "opened";
            issue.updated_at = now();
            return { status: 200, body: issueView(issue) };
        }
        return { status: 405, body: { error: "405 Method Not Allowed" } };
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
                if (method === "GET" && segments[1] === "issued-values") return send(res, 200, [...issuedValues]);
                if (method === "GET" && segments[1] === "variables") return send(res, 200, double.variables(group));
                if (method === "GET" && segments[1] === "access-tokens") return send(res, 200, storedAccessTokens(users, group));
                if (method === "POST" && segments[1] === "access-token") return send(res, 200, accessTokenAdmin({ users, findGroup, clock: () => double.clock(), issuedValues }, segments[2], group, id));
                if (method === "POST" && segments[1] === "variable") {
                    return send(res, 200, double.setVariable(group, body as StoredVariable));
                }
                if (method === "POST" && segments[1] === "personal-token") {
                    const b = (body ?? {}) as { token?: string; name?: string; expiresAt?: string | null; scopes?: string[] };
                    if (!b.token) throw new Error("double: personal-token needs { token }");
                    return send(res, 200, double.addPersonalToken(b.token, b));
                }
                if (method === "GET" && segments[1] === "notes") return send(res, 200, double.notes(q.get("project") ?? "", Number(q.get("mr"))));
                if (method === "GET" && segments[1] === "issues") return send(res, 200, double.issues(q.get("project") ?? ""));
                if (segments[1] === "merge-requests" && method === "GET") return send(res, 200, storedMergeRequests(users, q.get("project") ?? undefined));
                if (segments[1] === "merge-requests" && method === "POST") {
                    return send(res, 200, upsertMergeRequest({ users, resolveProject, projectRole }, q.get("project") ?? "", (body ?? {}) as any));
                }
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
                if (segments[1] === "faults" && segments.length === 2) {
                    if (method === "GET") return send(res, 200, double.faultStats());
                    if (method === "DELETE") {
                        const cleared = double.faultStats().pending;
                        double.clearFaults();
                        return send(res, 200, { cleared });
                    }
                    if (method === "POST") {
                        const f = (body ?? {}) as { status?: unknown; count?: unknown; method?: unknown; path?: unknown; commit?: unknown; hang?: unknown; body?: unknown };
                        const count = f.count === undefined ? 1 : Number(f.count);
                        const status = f.status === undefined ? 500 : Number(f.status);
                        if (!Number.isInteger(count) || count < 1) throw new Error("double: faults needs count >= 1");
                        if (!Number.isInteger(status) || status < 100 || status > 599) throw new Error("double: faults needs an HTTP status");
                        double.inject({
                            status,
                            times: count,
                            method: typeof f.method === "string" ? f.method : undefined,
                            path: typeof f.path === "string" ? new RegExp(f.path) : undefined,
                            commit: f.commit === true,
                            hang: f.hang === true,
                            body: f.body ?? { message: `${status} (a fault injected by the GitLab double)` },
                        });
                        return send(res, 200, double.faultStats());
                    }
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
        const matched = takeFault(method, path);
        matched?.onMatch?.();
        const fault = matched?.passThrough ? undefined : matched;
        if (fault) faultsServed++;
        if (fault?.hang) return; // never answered; the socket is destroyed on close()
        if (fault && !fault.commit) return send(res, fault.status ?? 500, fault.body ?? { message: "500 Internal Server Error" });

        let result: Result;
        if (segments[0] === "api" && segments[1] === "v4" && segments[2] === "user" && segments.length === 3 && method === "GET") {
            result = currentUser(privateToken);
        } else if (segments[0] === "api" && segments[1] === "v4" && segments[2] === "personal_access_tokens" && segments[3] === "self" && segments.length === 4 && method === "GET") {
            result = personalTokenSelf(privateToken);
        } else if (segments[0] === "api" && segments[1] === "v4" && segments[2] === "groups" && segments[4] === "variables" && segments.length >= 5 && segments.length <= 6) {
            result = variableRoute(req, method, segments, rawPath, rawQuery, body, privateToken);
        } else if (isProjectsRoute(segments)) { result = projectsRoute({ users, findGroup, findProject: (p) => findProject(p), addProject: (p) => double.addProject(p), projectRole, clock: () => double.clock(), baseUrl: double.url }, method, segments, body, privateToken);
        } else if (isAccessTokensRoute(segments)) { result = accessTokensRoute({ users, findGroup, clock: () => double.clock(), issuedValues }, method, segments, rawQuery, body, privateToken);
        } else if (isProjectHooksRoute(segments)) { result = projectHooksRoute({ users, resolveProject, projectRole }, method, segments, rawQuery, body, privateToken);
        } else if (isMergeRequestListRoute(segments)) { result = mergeRequestListRoute({ users, resolveProject, projectRole }, method, segments, rawQuery, privateToken, double.url);
        } else if (segments[0] === "api" && segments[1] === "v4" && segments[2] === "projects" && segments.length >= 5) {
            result = projectRoute(req, method, segments, rawPath, rawQuery, body, privateToken);
        } else {
            result = deployTokenRoute(req, method, segments, rawPath, rawQuery, body, privateToken);
        }
        if (fault?.commit) return send(res, fault.status ?? 500, fault.body ?? { message: "500 Internal Server Error" });
        return send(res, result.status, result.body, result.headers);
    }

    /** GET /api/v4/personal_access_tokens/self */
    function personalTokenSelf(privateToken: string | undefined): Result {
        const extra = privateToken ? personalTokens.get(privateToken) : undefined;
        const unauthorized = { status: 401, body: { message: "401 Unauthorized" } };
        if (extra) {
            const expired = extra.expires_at !== null && Date.parse(`${extra.expires_at}T00:00:00Z`) <= double.clock();
            if (extra.revoked || expired) return unauthorized;
            return { status: 200, body: { ...extra, scopes: [...extra.scopes], active: true, created_at: now(), last_used_at: now(), user_id: identity(privateToken!).id } };
        }
        const user = privateToken ? users[privateToken] : undefined;
        if (!user) return unauthorized;
        const who = identity(privateToken!);
        return { status: 200, body: { id: who.id, name: `api-${who.username}`, revoked: false, active: true, expires_at: null, scopes: [...user.scopes], created_at: now(), last_used_at: now(), user_id: who.id } };
    }

    function variableView(v: StoredVariable) {
        return { ...v, hidden: false, description: null };
    }

    /** A value GitLab refuses to mask: under 8 characters, or outside the maskable alphabet. */
    function unmaskable(value: string): boolean {
        return value.length < 8 || !/^[A-Za-z0-9@:.~\-_+/=]+$/.test(value);
    }

    /** /api/v4/groups/:id/variables[/:key] */
    function variableRoute(req: http.IncomingMessage, method: string, segments: string[], rawPath: string, rawQuery: string, body: any, privateToken: string | undefined): Result {
        const user = privateToken ? users[privateToken] : undefined;
        if (!user) return { status: 401, body: { message: "401 Unauthorized" } };
        const group = findGroup(segments[3]);
        const role = group ? user.groups[group.path] : undefined;
        if (!group || !role) return { status: 404, body: { message: "404 Group Not Found" } };
        const needsWrite = method !== "GET";
        const scopeError = insufficientScope(user.scopes, needsWrite);
        if (scopeError) return scopeError;
        if (ROLE_LEVEL[role] < (needsWrite ? ROLE_LEVEL.owner : ROLE_LEVEL.maintainer)) return { status: 403, body: { message: "403 Forbidden" } };
        const list = variables.get(group.path) ?? [];
        variables.set(group.path, list);
        const bool = (v: unknown, dflt: boolean) => (v === undefined ? dflt : v === true || v === "true");
        const valueProblem = (value: unknown, masked: boolean): Result | undefined => {
            if (typeof value !== "string") return { status: 400, body: { error: "value is missing" } };
            if (masked && unmaskable(value)) return { status: 400, body: { message: { value: ["is invalid"] } } };
            return undefined;
        };
        if (segments.length === 5 && method === "GET") return paginated(req, rawPath, rawQuery, list.map(variableView));
        if (segments.length === 5 && method === "POST") {
            if (!body || typeof body.key !== "string" || !/^[A-Za-z0-9_]{1,255}$/.test(body.key)) {
                return { status: 400, body: { message: { key: ["can contain only letters, digits and '_'."] } } };
            }
            const masked = bool(body.masked, false);
            const problem = valueProblem(body.value, masked);
            if (problem) return problem;
            if (list.some((v) => v.key === body.key)) return { status: 400, body: { message: { key: [`(${body.key}) has already been taken`] } } };
            const v: StoredVariable = {
                key: body.key,
                value: body.value,
                protected: bool(body.protected, false),
                masked,
                raw: bool(body.raw, false),
                variable_type: typeof body.variable_type === "string" ? body.variable_type : "env_var",
                environment_scope: "*",
            };
            list.push(v);
            return { status: 201, body: variableView(v) };
        }
        if (segments.length === 6) {
            const i = list.findIndex((v) => v.key === segments[5]);
            if (i < 0) return { status: 404, body: { message: "404 Variable Not Found" } };
            const v = list[i];
            if (method === "GET") return { status: 200, body: variableView(v) };
            if (method === "DELETE") {
                list.splice(i, 1);
                return { status: 204 };
            }
            if (method === "PUT") {
                const masked = bool(body?.masked, v.masked);
                const value = body?.value === undefined ? v.value : body.value;
                const problem = valueProblem(value, masked);
                if (problem) return problem;
                v.value = value;
                v.masked = masked;
                v.protected = bool(body?.protected, v.protected);
                v.raw = bool(body?.raw, v.raw);
                if (typeof body?.variable_type === "string") v.variable_type = body.variable_type;
                return { status: 200, body: variableView(v) };
            }
        }
        return { status: 405, body: { error: "405 Method Not Allowed" } };
    }

    /** /api/v4/groups/:id/deploy_tokens[/:token_id] */
    function deployTokenRoute(req: http.IncomingMessage, method: string, segments: string[], rawPath: string, rawQuery: string, body: unknown, privateToken: string | undefined): Result {
        if (segments[0] !== "api" || segments[1] !== "v4" || segments[2] !== "groups" || segments.length < 5 || segments.length > 6 || segments[4] !== "deploy_tokens") {
            return { status: 404, body: UNKNOWN_ROUTE };
        }
        const user = privateToken ? users[privateToken] : undefined;
        if (!user) return { status: 401, body: { message: "401 Unauthorized" } };
        const group = findGroup(segments[3]);
        const role = group ? user.groups[group.path] : undefined;
        if (!group || !role) return { status: 404, body: { message: "404 Group Not Found" } };
        const needsWrite = method === "POST" || method === "DELETE";
        const scopeError = insufficientScope(user.scopes, needsWrite);
        if (scopeError) return scopeError;
        if (ROLE_LEVEL[role] < (needsWrite ? ROLE_LEVEL.owner : ROLE_LEVEL.maintainer)) {
            return { status: 403, body: { message: "403 Forbidden" } };
        }

        if (segments.length === 5 && method === "GET") {
            const query = new URLSearchParams(rawQuery);
            let list = tokens.filter((t) => t.group === group.path);
            const active = query.get("active");
            if (active === "true") list = list.filter((t) => !t.revoked && !isExpired(t));
            if (active === "false") list = list.filter((t) => t.revoked || isExpired(t));
            return paginated(req, rawPath, rawQuery, list.map(view));
        }
        if (segments.length === 5 && method === "POST") return create(group, body);
        if (segments.length === 6 && (method === "GET" || method === "DELETE")) {
            const id = Number(segments[5]);
            const i = tokens.findIndex((t) => t.group === group.path && t.id === id);
            if (i < 0) return { status: 404, body: { message: "404 Not found" } };
            if (method === "GET") return { status: 200, body: view(tokens[i]) };
            tokens.splice(i, 1);
            return { status: 204 };
        }
        return { status: 405, body: { error: "405 Method Not Allowed" } };
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

    function mustFindProject(project: string | number): { id: number; path: string } {
        const p = findProject(project);
        if (!p) throw new Error(`double: no project ${project}`);
        return p;
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
        addProject(path: string, id?: number) {
            const existing = projects.get(path);
            if (existing) return existing.id;
            const p = { id: id ?? freshProjectId(), path };
            if (findProject(p.id)) throw new Error(`double: project id ${p.id} is taken`);
            projects.set(path, p);
            return p.id;
        },
        projectId(path: string) {
            const p = projects.get(path);
            if (!p) throw new Error(`double: no project ${path}`);
            return p.id;
        },
        addMergeRequest(project: string | number, iid: number) {
            mergeRequests.add(`${mustFindProject(project).path}!${iid}`);
        },
        notes(project: string | number, mergeRequestIid: number) {
            const path = mustFindProject(project).path;
            return notes.filter((n) => n.project === path && n.mergeRequestIid === mergeRequestIid);
        },
        seedNote(project: string | number, mergeRequestIid: number, body: string, authorToken: string) {
            const path = mustFindProject(project).path;
            const n: StoredNote = { id: nextNoteId++, project: path, mergeRequestIid, body, author: identity(authorToken), system: false, created_at: now(), updated_at: now() };
            notes.push(n);
            return n;
        },
        issues(project: string | number) {
            const path = mustFindProject(project).path;
            return issues.filter((i) => i.project === path);
        },
        seedIssue(project: string | number, issue: Partial<StoredIssue> & { title: string }, authorToken: string) {
            const path = mustFindProject(project).path;
            const stored: StoredIssue = {
                id: nextIssueId++,
                iid: issues.filter((i) => i.project === path).reduce((m, i) => Math.max(m, i.iid), 0) + 1,
                description: null,
                labels: [],
                state: "opened",
                author: identity(authorToken),
                created_at: now(),
                updated_at: now(),
                ...issue,
                project: path,
            };
            issues.push(stored);
            return stored;
        },
        identity,
        variables: (group: string) => (variables.get(group) ?? []).map((v) => ({ ...v })),
        setVariable(group: string, v: Partial<StoredVariable> & { key: string; value: string }) {
            if (!groups.has(group)) throw new Error(`double: no group ${group}`);
            const list = variables.get(group) ?? [];
            variables.set(group, list);
            const i = list.findIndex((x) => x.key === v.key);
            const stored: StoredVariable = {
                protected: false,
                masked: false,
                raw: false,
                variable_type: "env_var",
                environment_scope: "*",
                ...(i >= 0 ? list[i] : {}),
                ...v,
            };
            if (i >= 0) list[i] = stored;
            else list.push(stored);
            return { ...stored };
        },
        addPersonalToken(token: string, t: { name?: string; expiresAt?: string | null; scopes?: string[] } = {}) {
            const exp = t.expiresAt ? new Date(Date.parse(t.expiresAt)).toISOString().slice(0, 10) : null;
            const stored: StoredPersonalToken = {
                id: nextPersonalTokenId++,
                name: t.name ?? "ci-push-gitops",
                expires_at: exp,
                scopes: t.scopes ?? ["read_repository", "write_repository"],
                revoked: false,
            };
            personalTokens.set(token, stored);
            return { ...stored };
        },
        inject(fault: Fault) {
            faults.push({ ...fault });
        },
        clearFaults() {
            faults.length = 0;
        },
        faultStats() {
            return { pending: faults.reduce((n, f) => n + Math.max(0, f.times ?? 1), 0), served: faultsServed };
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

/** GitLab's 403 for a token without the scope a request needs (`api` to write, `api` or `read_api` to read); undefined when it has it. */
function insufficientScope(scopes: readonly string[], needsWrite: boolean): { status: number; body: Record<string, string> } | undefined {
    const hasScope = needsWrite ? scopes.includes("api") : scopes.includes("api") || scopes.includes("read_api");
    if (hasScope) return undefined;
    return {
        status: 403,
        body: {
            error: "insufficient_scope",
            error_description: "The request requires higher privileges than provided by the access token.",
            scope: needsWrite ? "api" : "api read_api",
        },
    };
}
