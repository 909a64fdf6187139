// The scheduled drift job's issue against the local GitLab double: one open issue per marker,
// updated in place, found by search or (when search misses) by label, closed ones left closed.
import { after, before, beforeEach, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { readGitLabProjectContext, type GitLabProjectContext } from "../../../ops/lib/gitlabCi";
import { GitLabRequestError } from "../../../ops/lib/gitlabApi";
import { GITLAB_ISSUE_DESCRIPTION_MAX_CHARS, upsertIssue } from "../../../ops/lib/gitlabIssues";
import { upsertIssue as upsertIssueFromNotes } from "../../../ops/lib/gitlabNotes";
import { hiddenMarker } from "../../../ops/lib/hiddenMarker";
import type { GitLabDouble } from "../../support/gitlab-double/server";
import { API_TOKENS, GROUP, startFixture } from "../../support/gitlab-double/fixture";

const BOT_TOKEN = "glpat-DRIFT-BOT-project-token-do-not-print-8765";
const DRIFT = hiddenMarker("drift", "dev");

let double: GitLabDouble;
let projectCounter = 0;

before(async () => {
    double = await startFixture();
});
after(async () => {
    await double.close();
});
beforeEach(() => double.clearFaults());

/** A fresh project per test (its bot a Reporter), so tests do not see each other's issues. */
function freshProject(): { path: string; ctx: GitLabProjectContext } {
    const path = `${GROUP}/drift-${projectCounter++}`;
    const id = double.addProject(path);
    double.users[BOT_TOKEN] = {
        scopes: ["api"],
        groups: {},
        projects: { ...double.users[BOT_TOKEN]?.projects, [path]: "reporter" },
    };
    return { path, ctx: ctx(String(id)) };
}

function ctx(projectId: string, token = BOT_TOKEN): GitLabProjectContext {
    return readGitLabProjectContext({ CI_API_V4_URL: `${double.url}/api/v4`, CI_PROJECT_ID: projectId, GITLAB_NOTE_TOKEN: token });
}

describe("upsertIssue", () => {
    it("opens the issue on the first run and replaces title and description on the next: one issue", async () => {
        const { path, ctx: c } = freshProject();
        const first = await upsertIssue({ ctx: c, marker: DRIFT, title: "Drift in dev: 2 resources", body: "first report", labels: ["drift"] });
        assert.equal(first.action, "created");
        assert.equal(first.issueIid, 1);
        assert.match(first.webUrl ?? "", new RegExp(`/${path}/-/issues/1$`));

        const second = await upsertIssue({ ctx: c, marker: DRIFT, title: "Drift in dev: 1 resource", body: "second report", labels: ["drift"] });
        assert.deepEqual({ action: second.action, issueIid: second.issueIid }, { action: "updated", issueIid: 1 });

        const issues = double.issues(path);
        assert.equal(issues.length, 1);
        assert.equal(issues[0].title, "Drift in dev: 1 resource");
        assert.equal(issues[0].description, `${DRIFT}\nsecond report`);
        assert.deepEqual(issues[0].labels, ["drift"]);
        assert.equal(issues[0].state, "opened");
    });

    it("adds its labels on update without removing the ones people added", async () => {
        const { path, ctx: c } = freshProject();
        await upsertIssue({ ctx: c, marker: DRIFT, title: "Drift", body: "a", labels: ["drift"] });
        double.issues(path)[0].labels.push("priority::1");
        await upsertIssue({ ctx: c, marker: DRIFT, title: "Drift", body: "b", labels: ["drift", "platform"] });
        assert.deepEqual(double.issues(path)[0].labels, ["drift", "priority::1", "platform"]);
    });

    it("opens a new issue once the previous one was closed, and leaves the closed one as it was", async () => {
        const { path, ctx: c } = freshProject();
        await upsertIssue({ ctx: c, marker: DRIFT, title: "Drift", body: "old", labels: ["drift"] });
        double.issues(path)[0].state = "closed";
        const r = await upsertIssue({ ctx: c, marker: DRIFT, title: "Drift again", body: "new", labels: ["drift"] });
        assert.deepEqual({ action: r.action, issueIid: r.issueIid }, { action: "created", issueIid: 2 });
        assert.equal(double.issues(path)[0].description, `${DRIFT}\nold`);
    });

    it("finds its issue by label when GitLab's search does not match the marker", async () => {
        const { path, ctx: c } = freshProject();
        const first = await upsertIssue({ ctx: c, marker: DRIFT, title: "Drift", body: "a", labels: ["drift"] });
        // A full-text search that does not index HTML comments: the search answers nothing.
        double.inject({ method: "GET", path: /\/issues$/, status: 200, body: [] });
        const before = double.requests.length;
        const r = await upsertIssue({ ctx: c, marker: DRIFT, title: "Drift", body: "b", labels: ["drift"] });
        assert.deepEqual({ action: r.action, issueIid: r.issueIid }, { action: "updated", issueIid: first.issueIid });
        assert.equal(double.issues(path).length, 1);
        const lists = double.requests.slice(before).filter((q) => q.method === "GET");
        assert.deepEqual(
            lists.map((q) => [q.query.get("state"), q.query.get("search"), q.query.get("labels")]),
            [["opened", "gitops-platform:drift:dev", null], ["opened", null, "drift"]],
        );
    });

    it("leaves issues that only quote or mention the marker alone", async () => {
        const { path, ctx: c } = freshProject();
        const quoting = double.seedIssue(path, { title: "Question", description: `> ${DRIFT}\n> drift\nIs this expected?`, labels: ["drift"] }, API_TOKENS.owner);
        const mentioning = double.seedIssue(path, { title: "Docs", description: `The drift job writes ${DRIFT} into its issue.` }, API_TOKENS.owner);
        const snapshot = double.issues(path).map((i) => ({ ...i, labels: [...i.labels] }));
        const r = await upsertIssue({ ctx: c, marker: DRIFT, title: "Drift", body: "report", labels: ["drift"] });
        assert.equal(r.action, "created");
        assert.ok(![quoting.iid, mentioning.iid].includes(r.issueIid));
        assert.deepEqual(double.issues(path).slice(0, 2), snapshot);
    });

    it("finds its issue among many open ones (pagination)", async () => {
        const { path, ctx: c } = freshProject();
        const ours = double.seedIssue(path, { title: "Drift", description: `${DRIFT}\nold`, labels: ["drift"] }, BOT_TOKEN);
        for (let i = 0; i < 110; i++) double.seedIssue(path, { title: `drift-dev follow-up ${i}`, description: "gitops-platform:drift:dev" }, API_TOKENS.owner);
        const r = await upsertIssue({ ctx: c, marker: DRIFT, title: "Drift", body: "new", labels: ["drift"] });
        assert.deepEqual({ action: r.action, issueIid: r.issueIid }, { action: "updated", issueIid: ours.iid });
        assert.equal(double.issues(path).length, 111);
    });

    it("is also exported from gitlabNotes, for commands that post both", () => {
        assert.equal(upsertIssueFromNotes, upsertIssue);
    });

    it("refuses a description over GITLAB_ISSUE_DESCRIPTION_MAX_CHARS (doc/api/issues.md: 1,048,576) and an empty title", async () => {
        const { ctx: c } = freshProject();
        assert.equal(GITLAB_ISSUE_DESCRIPTION_MAX_CHARS, 1_048_576);
        await assert.rejects(
            upsertIssue({ ctx: c, marker: DRIFT, title: "Drift", body: "x".repeat(GITLAB_ISSUE_DESCRIPTION_MAX_CHARS) }),
            /GITLAB_ISSUE_DESCRIPTION_MAX_CHARS/,
        );
        await assert.rejects(upsertIssue({ ctx: c, marker: DRIFT, title: " ", body: "x" }), /title .* must have 1 to 255 characters/);
    });

    describe("errors", () => {
        async function failure(p: Promise<unknown>): Promise<GitLabRequestError> {
            try {
                await p;
            } catch (e) {
                assert.ok(e instanceof GitLabRequestError, `expected a GitLabRequestError, got ${String(e)}`);
                for (const s of [BOT_TOKEN, ...Object.values(API_TOKENS)]) assert.ok(!e.message.includes(s), `the message shows a token: ${e.message}`);
                return e;
            }
            assert.fail("expected the call to fail");
        }

        it("401 names GITLAB_NOTE_TOKEN", async () => {
            const { ctx: c } = freshProject();
            const e = await failure(upsertIssue({ ctx: ctx(c.projectId, API_TOKENS.unknown), marker: DRIFT, title: "t", body: "b" }));
            assert.equal(e.status, 401);
            assert.match(e.message, /401 Unauthorized to GET .*\/issues\?.*GITLAB_NOTE_TOKEN is invalid, expired or revoked/);
        });

        it("403 for a read_api token says which scope is missing", async () => {
            const { path } = freshProject();
            double.users[API_TOKENS.readApiOwner].projects = { [path]: "owner" };
            const e = await failure(upsertIssue({ ctx: ctx(path, API_TOKENS.readApiOwner), marker: DRIFT, title: "t", body: "b" }));
            assert.equal(e.status, 403);
            assert.equal(e.method, "POST");
            assert.match(e.message, /open an issue in project acme\/platform\/drift-\d+.*`api` scope/);
        });

        it("404 for an unknown project names CI_PROJECT_ID", async () => {
            const e = await failure(upsertIssue({ ctx: ctx("987654"), marker: DRIFT, title: "t", body: "b" }));
            assert.equal(e.status, 404);
            assert.match(e.message, /projects\/987654\/issues.*"404 Project Not Found".*Check CI_PROJECT_ID \("987654"\)/);
        });

        it("times out with a clear message", { timeout: 10_000 }, async () => {
            const { ctx: c } = freshProject();
            double.inject({ method: "POST", path: /\/issues$/, hang: true });
            const e = await failure(upsertIssue({ ctx: c, marker: DRIFT, title: "t", body: "b", timeoutMs: 300 }));
            assert.equal(e.kind, "timeout");
            assert.match(e.message, /GitLab did not answer POST http:\/\/127\.0\.0\.1:\d+\/api\/v4\/projects\/\d+\/issues within 300 ms \(trying to open an issue/);
        });
    });
});
