// The GitLab CI context the ops commands need to post reports: where the API is, which project and
// merge request, and the token that may write notes and issues. Read from an env object (process.env
// in CI) and validated once, so a misconfigured pipeline fails with one message naming every
// variable to fix. The token's value never appears in a message, and it is a non-enumerable
// property of the context, so logging or JSON-serializing a context does not print it.

/** Names of the environment variables read here. */
export const GITLAB_CI_VARIABLES = {
    apiUrl: "CI_API_V4_URL",
    projectId: "CI_PROJECT_ID",
    mergeRequestIid: "CI_MERGE_REQUEST_IID",
    token: "GITLAB_NOTE_TOKEN",
} as const;

/** What one variable is and where it comes from, for the error message. */
const EXPLAIN: Record<keyof typeof GITLAB_CI_VARIABLES, string> = {
    apiUrl:
        "the GitLab REST API root, e.g. https://gitlab.com/api/v4 or https://gitlab.example.com/api/v4. " +
        "Predefined by GitLab CI in every job; outside CI export it yourself.",
    projectId:
        "the project's numeric id (or its full path, e.g. my-group/my-project). " +
        "Predefined by GitLab CI in every job; outside CI export it yourself.",
    mergeRequestIid:
        "the merge request's number in the project (the N of !N). Predefined by GitLab CI only in " +
        'merge request pipelines: run the job with `rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event"`.',
    token:
        "an API token allowed to write notes and issues: a project access token (or a bot user's personal " +
        "access token) with the `api` scope and at least the Reporter role; the CI job token cannot write notes. " +
        "Not predefined: add it in Settings > CI/CD > Variables as a masked variable, not protected unless " +
        "every merge request's source branch is protected (protected variables are hidden from other pipelines).",
};

/** The project-level context: enough for issues (the scheduled drift job). */
export interface GitLabProjectContext {
    /** `https://gitlab.example.com/api/v4`, without a trailing slash. */
    readonly apiUrl: string;
    /** Numeric id or full path, as given; encoded when put into a URL. */
    readonly projectId: string;
    /** Sent only in the PRIVATE-TOKEN header. Non-enumerable: not printed by console.log or JSON.stringify. */
    readonly token: string;
}

/** The merge request context: the project context plus the merge request (preview notes). */
export interface GitLabMergeRequestContext extends GitLabProjectContext {
    /** The merge request's iid (the number users see as !N). */
    readonly mergeRequestIid: number;
}

type Env = Record<string, string | undefined>;
type Problem = { variable: string; problem: string };

/** The CI context is incomplete or invalid; `variables` lists the names to fix. */
export class GitLabCiContextError extends Error {
    /** Every variable that is missing or invalid, in the order they are reported. */
    readonly variables: string[];

    constructor(problems: Problem[]) {
        super(
            `The GitLab CI context is incomplete; fix these environment variables:\n` +
                problems.map((p) => `  - ${p.variable}: ${p.problem}`).join("\n"),
        );
        this.name = "GitLabCiContextError";
        this.variables = problems.map((p) => p.variable);
    }
}


/** Reads the project context (`CI_API_V4_URL`, `CI_PROJECT_ID`, `GITLAB_NOTE_TOKEN`); throws a GitLabCiContextError listing every problem. */
export function readGitLabProjectContext(env: Env = process.env): GitLabProjectContext {
    const problems: Problem[] = [];
    const apiUrl = readApiUrl(env, problems);
    const projectId = readProjectId(env, problems);
    const token = readToken(env, problems);
    if (problems.length > 0) throw new GitLabCiContextError(problems);
    return withHiddenToken({ apiUrl: apiUrl!, projectId: projectId! }, token!);
}

/** Reads the merge request context (the project context plus `CI_MERGE_REQUEST_IID`); throws a GitLabCiContextError listing every problem. */
export function readGitLabMergeRequestContext(env: Env = process.env): GitLabMergeRequestContext {
    const problems: Problem[] = [];
    const apiUrl = readApiUrl(env, problems);
    const projectId = readProjectId(env, problems);
    const mergeRequestIid = readMergeRequestIid(env, problems);
    const token = readToken(env, problems);
    if (problems.length > 0) throw new GitLabCiContextError(problems);
    return withHiddenToken({ apiUrl: apiUrl!, projectId: projectId!, mergeRequestIid: mergeRequestIid! }, token!);
}

function missing(key: keyof typeof GITLAB_CI_VARIABLES): Problem {
    return { variable: GITLAB_CI_VARIABLES[key], problem: `not set. It is ${EXPLAIN[key]}` };
}

function readApiUrl(env: Env, problems: Problem[]): string | undefined {
    const name = GITLAB_CI_VARIABLES.apiUrl;
    const raw = (env[name] ?? "").trim();
    if (raw === "") {
        problems.push(missing("apiUrl"));
        return undefined;
    }
    let url: URL;
    try {
        url = new URL(raw);
    } catch {
        problems.push({ variable: name, problem: `"${raw}" is not a URL. It is ${EXPLAIN.apiUrl}` });
        return undefined;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
        problems.push({ variable: name, problem: `must be an http(s) URL, got ${url.protocol}//${url.host}. It is ${EXPLAIN.apiUrl}` });
        return undefined;
    }
    if (url.username !== "" || url.password !== "") {
        // The value itself is not printed: the user info may be a credential.
        problems.push({
            variable: name,
            problem: `must not carry a user name or password (the token goes in ${GITLAB_CI_VARIABLES.token}): use ${url.protocol}//${url.host}${url.pathname}`,
        });
        return undefined;
    }
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

function readProjectId(env: Env, problems: Problem[]): string | undefined {
    const name = GITLAB_CI_VARIABLES.projectId;
    const raw = (env[name] ?? "").trim().replace(/^\/+|\/+$/g, "");
    if (raw === "") {
        problems.push(missing("projectId"));
        return undefined;
    }
    if (!/^\d+$/.test(raw) && !/^[\w.-]+(\/[\w.-]+)+$/.test(raw)) {
        problems.push({ variable: name, problem: `"${raw}" is neither a numeric id nor a full path. It is ${EXPLAIN.projectId}` });
        return undefined;
    }
    return raw;
}

function readMergeRequestIid(env: Env, problems: Problem[]): number | undefined {
    const name = GITLAB_CI_VARIABLES.mergeRequestIid;
    const raw = (env[name] ?? "").trim();
    if (raw === "") {
        problems.push(missing("mergeRequestIid"));
        return undefined;
    }
    if (!/^\d+$/.test(raw) || Number(raw) < 1) {
        problems.push({ variable: name, problem: `"${raw}" is not a positive integer. It is ${EXPLAIN.mergeRequestIid}` });
        return undefined;
    }
    return Number(raw);
}

function readToken(env: Env, problems: Problem[]): string | undefined {
    const name = GITLAB_CI_VARIABLES.token;
    const raw = (env[name] ?? "").trim();
    if (raw === "") {
        problems.push(missing("token"));
        return undefined;
    }
    if (/[\s\x00-\x1f\x7f]/.test(raw)) {
        // An HTTP header cannot carry it, and fetch's error would quote the value.
        problems.push({
            variable: name,
            problem: `contains whitespace or control characters (value not shown); paste the token again without line breaks or spaces.`,
        });
        return undefined;
    }
    return raw;
}

function withHiddenToken<T extends object>(fields: T, token: string): T & { readonly token: string } {
    return Object.defineProperty({ ...fields }, "token", { value: token, enumerable: false }) as T & { readonly token: string };
}
