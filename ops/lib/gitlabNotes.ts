// One report note per merge request and marker (doc/api/notes.md, "Merge requests"): the first run
// creates it, later runs replace its body, so reruns of the preview job never pile up notes.
//
// The note is found among the merge request's notes (all pages, oldest first) as the one written by
// the token's own user (GET /user) that carries the hidden marker on a line of its own. Notes of
// other users are never touched: GitLab lets only a note's author edit it, and a human reply that
// quotes the report is not the report. After the token is replaced by one of another user (a new
// project access token is a new bot user), that user's first run creates its own note once.

import { GITLAB_CI_VARIABLES, type GitLabMergeRequestContext, type GitLabProjectContext } from "./gitlabCi";
import { GitLabRequestError, gitlabListAll, gitlabRequest, numberField, projectApiPath } from "./gitlabApi";
import { assertHiddenMarker, carriesMarker, withMarker } from "./hiddenMarker";

export { upsertIssue, GITLAB_ISSUE_DESCRIPTION_MAX_CHARS } from "./gitlabIssues";
export type { UpsertIssueArgs, UpsertIssueResult } from "./gitlabIssues";

/**
 * The longest note body GitLab accepts, in characters: "The content of a note. Limited to
 * 1,000,000 characters." (GitLab docs, doc/api/notes.md, "Create new merge request note" and
 * "Modify existing merge request note", `body`). The marker line counts too.
 */
export const GITLAB_NOTE_MAX_CHARS = 1_000_000;

/** Arguments of upsertMergeRequestNote. */
export interface UpsertNoteArgs {
    ctx: GitLabMergeRequestContext;
    /** A hidden marker from hiddenMarker(), e.g. `<!-- gitops-platform:preview:dev -->`; added to the body when missing. */
    marker: string;
    /** Markdown; with the marker at most GITLAB_NOTE_MAX_CHARS characters. */
    body: string;
    /** Per request; default 30 s. */
    timeoutMs?: number;
}

/** What upsertMergeRequestNote did, and the note's id. */
export interface UpsertNoteResult {
    action: "created" | "updated";
    noteId: number;
}

interface Note {
    id: number;
    body: string;
    system?: boolean;
    author?: { id?: number };
}

/** Creates the merge request's note carrying `marker`, or replaces the body of the one this token's user wrote before. */
export async function upsertMergeRequestNote(args: UpsertNoteArgs): Promise<UpsertNoteResult> {
    const { ctx, marker, timeoutMs } = args;
    assertHiddenMarker(marker);
    const body = withMarker(args.body, marker);
    if (body.length > GITLAB_NOTE_MAX_CHARS) {
        throw new Error(
            `The note for ${marker} has ${body.length} characters; GitLab accepts at most ${GITLAB_NOTE_MAX_CHARS} ` +
                `(GITLAB_NOTE_MAX_CHARS): trim the report before posting it.`,
        );
    }
    const mr = `merge request !${ctx.mergeRequestIid} of project ${ctx.projectId}`;
    const notesPath = `${projectApiPath(ctx.projectId)}/merge_requests/${ctx.mergeRequestIid}/notes`;
    const notFoundHint =
        `Check ${GITLAB_CI_VARIABLES.projectId} ("${ctx.projectId}") and ${GITLAB_CI_VARIABLES.mergeRequestIid} (${ctx.mergeRequestIid}), ` +
        `and that the user or bot of ${GITLAB_CI_VARIABLES.token} is a member of the project (GitLab answers 404 for projects a token cannot see).`;

    const me = await tokenUserId(ctx, timeoutMs);
    const notes = await gitlabListAll<Note>(ctx, {
        path: notesPath,
        query: { sort: "asc", order_by: "created_at" },
        what: `list the notes of ${mr}`,
        notFoundHint,
        timeoutMs,
    });
    const mine = notes.find((n) => !n.system && n.author?.id === me && carriesMarker(n.body, marker));
    if (mine) {
        try {
            await gitlabRequest(ctx, {
                method: "PUT",
                path: `${notesPath}/${mine.id}`,
                body: { body },
                what: `update note ${mine.id} on ${mr}`,
                notFoundHint,
                timeoutMs,
            });
            return { action: "updated", noteId: mine.id };
        } catch (e) {
            // Deleted between the listing and the update: post a new one below.
            if (!(e instanceof GitLabRequestError && e.kind === "not-found")) throw e;
        }
    }
    const created = await gitlabRequest(ctx, {
        method: "POST",
        path: notesPath,
        body: { body },
        what: `add a note to ${mr}`,
        notFoundHint,
        timeoutMs,
    });
    return { action: "created", noteId: numberField(created.body, "id", `POST ${notesPath}`) };
}

/** The id of the token's user (a project access token's bot user included). */
async function tokenUserId(ctx: GitLabProjectContext, timeoutMs?: number): Promise<number> {
    const res = await gitlabRequest(ctx, {
        method: "GET",
        path: "/user",
        what: `identify the user of ${GITLAB_CI_VARIABLES.token}`,
        notFoundHint: `Check that ${GITLAB_CI_VARIABLES.apiUrl} is the API root of your GitLab (…/api/v4).`,
        timeoutMs,
    });
    return numberField(res.body, "id", "GET /user");
}
