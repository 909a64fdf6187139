// One HTTP exchange with GitLab's REST API v4 for the ops commands (notes, issues), on global fetch.
// The token travels only in the PRIVATE-TOKEN header; URLs never hold it, and every message is
// passed through `redact` anyway. Failures become a GitLabRequestError whose message names the
// HTTP status, GitLab's own message, the method and URL, what was being done, and what to fix
// (the variable to change, the scope or role the token needs). Each request has a timeout
// (AbortSignal.timeout). No retries: the callers' upserts are safe to rerun as a whole.

import { GITLAB_CI_VARIABLES, type GitLabProjectContext } from "./gitlabCi";

/** Per-request timeout used when the caller gives none. */
export const GITLAB_DEFAULT_TIMEOUT_MS = 30_000;

/** Upper bound on pages followed by `gitlabListAll` (100 items each). */
const MAX_PAGES = 1000;

/** What went wrong, for callers that branch on it. */
export type GitLabRequestErrorKind =
    | "unauthorized"
    | "forbidden"
    | "not-found"
    | "rejected"
    | "server"
    | "timeout"
    | "network"
    | "unexpected";

/** A failed GitLab request. `message` never contains the token. */
export class GitLabRequestError extends Error {
    /** What went wrong. */
    readonly kind: GitLabRequestErrorKind;
    /** HTTP status, when GitLab answered. */
    readonly status?: number;
    /** HTTP method of the request. */
    readonly method: string;
    /** Request URL (holds no secret). */
    readonly url: string;
    /** GitLab's own `message`/`error`, when it sent one. */
    readonly gitlabMessage?: string;

    constructor(
        message: string,
        details: { kind: GitLabRequestErrorKind; status?: number; method: string; url: string; gitlabMessage?: string },
    ) {
        super(message);
        this.name = "GitLabRequestError";
        this.kind = details.kind;
        this.status = details.status;
        this.method = details.method;
        this.url = details.url;
        this.gitlabMessage = details.gitlabMessage;
    }
}

/** One request: a path under the API root, its query and JSON body, and words for the messages. */
export interface GitLabRequest {
    method: "GET" | "POST" | "PUT";
    /** Under the API root, e.g. `/projects/42/merge_requests/7/notes`. */
    path: string;
    query?: Record<string, string>;
    body?: unknown;
    /** What the request does, for messages: e.g. `list the notes of merge request !7 in project 42`. */
    what: string;
    /** What to check when GitLab answers 404 (default: the project id and the token user's access to it). */
    notFoundHint?: string;
    /** Default GITLAB_DEFAULT_TIMEOUT_MS. */
    timeoutMs?: number;
}

/** A successful answer: status, headers and the parsed JSON body. */
export interface GitLabResponse {
    status: number;
    headers: Headers;
    body: unknown;
}

/** `/projects/<id>`: a numeric id as is, a full path URL-encoded (`group%2Fproject`). */
export function projectApiPath(projectId: string): string {
    return `/projects/${/^\d+$/.test(projectId) ? projectId : encodeURIComponent(projectId)}`;
}

/** Replaces every occurrence of the token with `[secret]`. */
export function redactToken(text: string, token: string): string {
    return token.length >= 4 ? String(text).split(token).join("[secret]") : String(text);
}

/** Sends one request; resolves on 2xx, throws a GitLabRequestError otherwise. */
export async function gitlabRequest(ctx: GitLabProjectContext, req: GitLabRequest): Promise<GitLabResponse> {
    const url = requestUrl(ctx.apiUrl, req.path, req.query);
    const timeoutMs = req.timeoutMs ?? GITLAB_DEFAULT_TIMEOUT_MS;
    const fail = (message: string, details: Omit<ConstructorParameters<typeof GitLabRequestError>[1], "method" | "url">) =>
        new GitLabRequestError(redactToken(message, ctx.token), {
            ...details,
            method: req.method,
            url,
            gitlabMessage: details.gitlabMessage === undefined ? undefined : redactToken(details.gitlabMessage, ctx.token),
        });

    let response: Response;
    let text: string;
    try {
        const headers: Record<string, string> = { "PRIVATE-TOKEN": ctx.token, Accept: "application/json" };
        if (req.body !== undefined) headers["Content-Type"] = "application/json";
        response = await fetch(url, {
            method: req.method,
            headers,
            body: req.body === undefined ? undefined : JSON.stringify(req.body),
            signal: AbortSignal.timeout(timeoutMs),
        });
        text = await response.text();
    } catch (e) {
        const name = (e as { name?: string }).name;
        if (name === "TimeoutError" || name === "AbortError") {
            throw fail(
                `GitLab did not answer ${req.method} ${url} within ${timeoutMs} ms (trying to ${req.what}). ` +
                    `Check that ${GITLAB_CI_VARIABLES.apiUrl} points to your GitLab and that the runner can reach it; ` +
                    `GitLab may also be overloaded: retry the job later.`,
                { kind: "timeout" },
            );
        }
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (e as Error).message;
        throw fail(
            `Could not reach GitLab for ${req.method} ${url} (${why}) while trying to ${req.what}. ` +
                `Check ${GITLAB_CI_VARIABLES.apiUrl} and network access from the runner.`,
            { kind: "network" },
        );
    }

    const body = parseBody(text);
    const status = response.status;
    if (status >= 200 && status < 300) return { status, headers: response.headers, body };

    const gitlabMessage = gitlabMessageOf(body);
    const answered = `GitLab answered ${statusText(status)} to ${req.method} ${url} while trying to ${req.what}.` +
        (gitlabMessage ? ` GitLab said: "${gitlabMessage}".` : "");
    const details = { status, gitlabMessage };
    const token = GITLAB_CI_VARIABLES.token;
    if (status === 401) {
        throw fail(
            `${answered} The token in ${token} is invalid, expired or revoked: create a new project access token ` +
                `(api scope, Reporter role or higher) and store it in the masked CI/CD variable ${token}.`,
            { ...details, kind: "unauthorized" },
        );
    }
    if (status === 403) {
        throw fail(
            `${answered} The token in ${token} lacks a permission: it needs the \`api\` scope (\`read_api\` cannot write) ` +
                `and at least the Reporter role in the project; the CI job token cannot write notes or issues.`,
            { ...details, kind: "forbidden" },
        );
    }
    if (status === 404) {
        const hint =
            req.notFoundHint ??
            `Check ${GITLAB_CI_VARIABLES.projectId} ("${ctx.projectId}") and that the user or bot of ${token} is a member of the project ` +
                `(GitLab answers 404 for projects a token cannot see).`;
        throw fail(`${answered} ${hint}`, { ...details, kind: "not-found" });
    }
    if (status === 400 || status === 409 || status === 413 || status === 422) {
        throw fail(answered, { ...details, kind: "rejected" });
    }
    if (status >= 500 || status === 429) {
        throw fail(`${answered} GitLab is failing or rate-limiting: retry the job later.`, { ...details, kind: "server" });
    }
    throw fail(answered, { ...details, kind: "unexpected" });
}

/**
 * Every item of a paginated list (`per_page=100`), following `x-next-page`, or the `Link` header's
 * `rel="next"` when GitLab sends only that. The next page is always requested from `ctx.apiUrl`
 * (only the Link's query is taken), so the token is never sent to another host.
 */
export async function gitlabListAll<T>(
    ctx: GitLabProjectContext,
    req: Omit<GitLabRequest, "method" | "body">,
): Promise<T[]> {
    const items: T[] = [];
    let query: Record<string, string> = { ...req.query, per_page: "100", page: "1" };
    for (let n = 0; n < MAX_PAGES; n++) {
        const res = await gitlabRequest(ctx, { ...req, method: "GET", query });
        if (!Array.isArray(res.body)) {
            throw new GitLabRequestError(
                `Unexpected answer from GitLab to GET ${requestUrl(ctx.apiUrl, req.path, query)} while trying to ${req.what}: ` +
                    `expected a JSON array. Check that ${GITLAB_CI_VARIABLES.apiUrl} is the API root (…/api/v4).`,
                { kind: "unexpected", status: res.status, method: "GET", url: requestUrl(ctx.apiUrl, req.path, query) },
            );
        }
        items.push(...(res.body as T[]));
        const next = nextPageQuery(res.headers, query);
        if (!next) return items;
        query = next;
    }
    return items;
}

/** `body[field]` when it is a number; otherwise an error saying the answer is not GitLab's API. */
export function numberField(body: unknown, field: string, request: string): number {
    const value = (body as Record<string, unknown> | undefined)?.[field];
    if (typeof value !== "number") {
        throw new Error(
            `Unexpected answer from GitLab to ${request}: no numeric "${field}". ` +
                `Check that ${GITLAB_CI_VARIABLES.apiUrl} is the API root of your GitLab (…/api/v4).`,
        );
    }
    return value;
}

/** The query of the next page, or undefined on the last page. */
function nextPageQuery(headers: Headers, current: Record<string, string>): Record<string, string> | undefined {
    const x = headers.get("x-next-page");
    if (x !== null) {
        const page = x.trim();
        return page === "" || page === current.page ? undefined : { ...current, page };
    }
    const link = headers.get("link");
    if (!link) return undefined;
    for (const part of link.split(",")) {
        const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
        if (!m) continue;
        try {
            const next = Object.fromEntries(new URL(m[1]).searchParams.entries());
            return next.page !== undefined && next.page === current.page ? undefined : next;
        } catch {
            return undefined;
        }
    }
    return undefined;
}

function requestUrl(apiUrl: string, path: string, query?: Record<string, string>): string {
    const q = query && Object.keys(query).length > 0 ? `?${new URLSearchParams(query).toString()}` : "";
    return `${apiUrl}${path}${q}`;
}

function parseBody(text: string): unknown {
    if (text === "") return undefined;
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** GitLab sends `{"message": "..."}`, `{"message": {"field": ["..."]}}` or `{"error": "...", "error_description": "..."}`. */
function gitlabMessageOf(body: unknown): string | undefined {
    if (body === null || body === undefined) return undefined;
    if (typeof body === "string") return body.trim() === "" ? undefined : body.trim().slice(0, 300);
    if (typeof body !== "object") return String(body);
    const b = body as Record<string, unknown>;
    if (typeof b.error === "string" && typeof b.error_description === "string") return `${b.error}: ${b.error_description}`;
    const m = b.message ?? b.error;
    if (m === undefined) return JSON.stringify(body).slice(0, 300);
    if (typeof m === "string") return m;
    if (Array.isArray(m)) return m.map(String).join("; ");
    if (typeof m === "object" && m !== null) {
        return Object.entries(m as Record<string, unknown>)
            .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(", ") : String(v)}`)
            .join("; ");
    }
    return String(m);
}

function statusText(status: number): string {
    const texts: Record<number, string> = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        413: "Payload Too Large",
        422: "Unprocessable Entity",
        429: "Too Many Requests",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    };
    return texts[status] ? `${status} ${texts[status]}` : String(status);
}
