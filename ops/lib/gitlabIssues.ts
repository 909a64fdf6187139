// One open issue per marker in a project (doc/api/issues.md), for the scheduled drift job: the first
// run opens it, later runs replace its title and description while it stays open; once it is
// closed, the next report opens a new one.
//
// Lookup: the open issues that GitLab's `search` (title and description) finds for the marker's
// text; when none carries the marker and labels are given, the open issues with those labels too,
// since GitLab's search is fuzzy or full-text and may not match an HTML comment. Either way the
// marker itself is checked here (a line of the description equal to it). Labels are added on
// update, never removed, so labels people put on the issue stay.

import type { GitLabProjectContext } from "./gitlabCi";
import { gitlabListAll, gitlabRequest, numberField, projectApiPath } from "./gitlabApi";
import { assertHiddenMarker, carriesMarker, withMarker } from "./hiddenMarker";

/**
 * The longest issue description GitLab accepts, in characters: "The description of an issue.
 * Limited to 1,048,576 characters." (GitLab docs, doc/api/issues.md, "New issue" / "Edit an issue",
 * `description`). The marker line counts too.
 */
export const GITLAB_ISSUE_DESCRIPTION_MAX_CHARS = 1_048_576;

/** GitLab's limit on an issue title (255 characters). */
const TITLE_MAX_CHARS = 255;

/** Arguments of upsertIssue. */
export interface UpsertIssueArgs {
    /** The project context (no merge request needed). */
    ctx: GitLabProjectContext;
    /** A hidden marker from hiddenMarker(), e.g. `<!-- gitops-platform:drift:dev -->`; added to the body when missing. */
    marker: string;
    /** At most 255 characters. */
    title: string;
    /** Markdown description; with the marker at most GITLAB_ISSUE_DESCRIPTION_MAX_CHARS characters. */
    body: string;
    /** Put on a new issue, added to an existing one; also used to find it. */
    labels?: string[];
    /** Per request; default 30 s. */
    timeoutMs?: number;
}

/** What upsertIssue did, and the issue it did it to. */
export interface UpsertIssueResult {
    action: "created" | "updated";
    /** The number users see as #N. */
    issueIid: number;
    /** The issue's page, when GitLab sent it. */
    webUrl?: string;
}

interface Issue {
    iid: number;
    description: string | null;
    state?: string;
    web_url?: string;
}

/** Opens the project's issue carrying `marker`, or replaces the title and description of the open one. */
export async function upsertIssue(args: UpsertIssueArgs): Promise<UpsertIssueResult> {
    const { ctx, marker, timeoutMs } = args;
    const labels = (args.labels ?? []).map((l) => l.trim()).filter((l) => l !== "");
    assertHiddenMarker(marker);
    const title = args.title.trim();
    if (title === "" || title.length > TITLE_MAX_CHARS) {
        throw new Error(`The issue title for ${marker} must have 1 to ${TITLE_MAX_CHARS} characters, got ${title.length}.`);
    }
    if (labels.some((l) => l.includes(","))) {
        throw new Error(`Issue labels cannot contain commas (GitLab separates labels with them): ${JSON.stringify(labels)}.`);
    }
    const description = withMarker(args.body, marker);
    if (description.length > GITLAB_ISSUE_DESCRIPTION_MAX_CHARS) {
        throw new Error(
            `The issue description for ${marker} has ${description.length} characters; GitLab accepts at most ` +
                `${GITLAB_ISSUE_DESCRIPTION_MAX_CHARS} (GITLAB_ISSUE_DESCRIPTION_MAX_CHARS): trim the report.`,
        );
    }
    const issuesPath = `${projectApiPath(ctx.projectId)}/issues`;
    const project = `project ${ctx.projectId}`;

    const existing = await findOpenIssue(ctx, issuesPath, marker, labels, timeoutMs);
    if (existing) {
        const res = await gitlabRequest(ctx, {
            method: "PUT",
            path: `${issuesPath}/${existing.iid}`,
            body: { title, description, ...(labels.length > 0 ? { add_labels: labels.join(",") } : {}) },
            what: `update issue #${existing.iid} of ${project}`,
            timeoutMs,
        });
        return { action: "updated", issueIid: existing.iid, webUrl: (res.body as Issue | undefined)?.web_url ?? existing.web_url };
    }
    const res = await gitlabRequest(ctx, {
        method: "POST",
        path: issuesPath,
        body: { title, description, ...(labels.length > 0 ? { labels: labels.join(",") } : {}) },
        what: `open an issue in ${project}`,
        timeoutMs,
    });
    return {
        action: "created",
        issueIid: numberField(res.body, "iid", `POST ${issuesPath}`),
        webUrl: (res.body as Issue | undefined)?.web_url,
    };
}

async function findOpenIssue(
    ctx: GitLabProjectContext,
    issuesPath: string,
    marker: string,
    labels: string[],
    timeoutMs?: number,
): Promise<Issue | undefined> {
    const project = `project ${ctx.projectId}`;
    const carries = (i: Issue) => i.state !== "closed" && carriesMarker(i.description, marker);
    const searched = await gitlabListAll<Issue>(ctx, {
        path: issuesPath,
        query: { state: "opened", search: markerText(marker) },
        what: `search the open issues of ${project} for ${marker}`,
        timeoutMs,
    });
    const found = oldest(searched.filter(carries));
    if (found || labels.length === 0) return found;
    const labelled = await gitlabListAll<Issue>(ctx, {
        path: issuesPath,
        query: { state: "opened", labels: labels.join(",") },
        what: `list the open issues of ${project} labelled ${labels.join(", ")}`,
        timeoutMs,
    });
    return oldest(labelled.filter(carries));
}

/** The comment's text, `gitops-platform:drift:dev`, as a search term. */
function markerText(marker: string): string {
    return marker.replace(/^<!--/, "").replace(/-->$/, "").trim();
}

function oldest(issues: Issue[]): Issue | undefined {
    return issues.reduce<Issue | undefined>((a, b) => (a === undefined || b.iid < a.iid ? b : a), undefined);
}
