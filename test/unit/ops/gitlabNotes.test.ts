// The merge request report note against the local GitLab double: one note per marker however often
// the job reruns, found across pages, other people's notes left alone, and errors that say what to
// fix without ever showing the token.
import { after, before, beforeEach, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { readGitLabMergeRequestContext, type GitLabMergeRequestContext } from "../../../ops/lib/gitlabCi";
import { GitLabRequestError } from "../../../ops/lib/gitlabApi";
import { GITLAB_NOTE_MAX_CHARS, upsertMergeRequestNote } from "../../../ops/lib/gitlabNotes";
import { hiddenMarker } from "../../../ops/lib/hiddenMarker";
import { startGitLabDouble, type GitLabDouble } from "../../support/gitlab-double/server";
import { API_TOKENS, GROUP, startFixture } from "../../support/gitlab-double/fixture";

/** A project access token's bot: a direct Reporter member of the project only. */
const BOT_TOKEN = "glpat-NOTE-BOT-project-token-do-not-print-4321";
const PROJECT = `${GROUP}/app`;
const MR = 7;
const DEV = hiddenMarker("preview", "dev");
const PROD = hiddenMarker("preview", "prod");
const SECRETS = [BOT_TOKEN, ...Object.values(API_TOKENS)];

let double: GitLabDouble;
let projectId: number;
let mrCounter = 100;

before(async () => {
    double = await startFixture();
    projectId = double.addProject(PROJECT);
    double.users[BOT_TOKEN] = { scopes: ["api"], groups: {}, projects: { [PROJECT]: "reporter" }, username: "project_1_bot" };
});
after(async () => {
    await double.close();
});
beforeEach(() => {
    double.clearFaults();
    double.linkHeaderOnly = false;
});

/** A fresh merge request per test, so tests do not see each other's notes. */
function freshMergeRequest(): number {
    const iid = mrCounter++;
    double.addMergeRequest(PROJECT, iid);
    return iid;
}

function ctx(overrides: Record<string, string> = {}): GitLabMergeRequestContext {
    return readGitLabMergeRequestContext({
        CI_API_V4_URL: `${double.url}/api/v4`,
        CI_PROJECT_ID: String(projectId),
        CI_MERGE_REQUEST_IID: String(MR),
        GITLAB_NOTE_TOKEN: BOT_TOKEN,
        ...overrides,
    });
}

/** A port on 127.0.0.1 that nothing listens on (just released). */
async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

async function failure(p: Promise<unknown>): Promise<GitLabRequestError> {
    try {
        await p;
    } catch (e) {
        assert.ok(e instanceof GitLabRequestError, `expected a GitLabRequestError, got ${String(e)}`);
        for (const s of SECRETS) assert.ok(!e.message.includes(s), `the message shows a token: ${e.message}`);
        for (const s of SECRETS) assert.ok(!String(e.stack).includes(s), "the stack shows a token");
        return e;
    }
    assert.fail("expected the call to fail");
}

describe("GITLAB_NOTE_MAX_CHARS", () => {
    it("is GitLab's documented note limit (doc/api/notes.md: 1,000,000 characters)", () => {
        assert.equal(GITLAB_NOTE_MAX_CHARS, 1_000_000);
    });
});

describe("upsertMergeRequestNote", () => {
    it("creates the note on the first run and replaces its body on the next: one note after two runs", async () => {
        const iid = freshMergeRequest();
        const c = ctx({ CI_MERGE_REQUEST_IID: String(iid) });
        const first = await upsertMergeRequestNote({ ctx: c, marker: DEV, body: "## Preview dev\n3 to create" });
        assert.equal(first.action, "created");
        const second = await upsertMergeRequestNote({ ctx: c, marker: DEV, body: "## Preview dev\n1 to update" });
        assert.deepEqual(second, { action: "updated", noteId: first.noteId });

        const notes = double.notes(PROJECT, iid);
        assert.equal(notes.length, 1);
        assert.equal(notes[0].id, first.noteId);
        assert.equal(notes[0].body, `${DEV}\n## Preview dev\n1 to update`);
        assert.equal(notes[0].author.username, "project_1_bot");
    });

    it("keeps a body that already carries the marker as it is", async () => {
        const iid = freshMergeRequest();
        const body = `## Preview\nbody\n\n${DEV}\n`;
        await upsertMergeRequestNote({ ctx: ctx({ CI_MERGE_REQUEST_IID: String(iid) }), marker: DEV, body });
        assert.equal(double.notes(PROJECT, iid)[0].body, body);
    });

    it("keeps one note per marker: dev and prod each get their own", async () => {
        const iid = freshMergeRequest();
        const c = ctx({ CI_MERGE_REQUEST_IID: String(iid) });
        await upsertMergeRequestNote({ ctx: c, marker: DEV, body: "dev 1" });
        await upsertMergeRequestNote({ ctx: c, marker: PROD, body: "prod 1" });
        await upsertMergeRequestNote({ ctx: c, marker: DEV, body: "dev 2" });
        await upsertMergeRequestNote({ ctx: c, marker: PROD, body: "prod 2" });
        assert.deepEqual(
            double.notes(PROJECT, iid).map((n) => n.body),
            [`${DEV}\ndev 2`, `${PROD}\nprod 2`],
        );
    });

    for (const linkOnly of [false, true]) {
        it(`finds the marker note on page 2 (per_page=100, ${linkOnly ? "Link header only" : "x-next-page"})`, async () => {
            const iid = freshMergeRequest();
            for (let i = 0; i < 120; i++) double.seedNote(PROJECT, iid, `review comment ${i}`, API_TOKENS.maintainer);
            const ours = double.seedNote(PROJECT, iid, `${DEV}\nold report`, BOT_TOKEN);
            double.linkHeaderOnly = linkOnly;
            const before = double.requests.length;

            const r = await upsertMergeRequestNote({ ctx: ctx({ CI_MERGE_REQUEST_IID: String(iid) }), marker: DEV, body: "new report" });
            assert.deepEqual(r, { action: "updated", noteId: ours.id });
            assert.equal(double.notes(PROJECT, iid).length, 121);
            assert.equal(double.notes(PROJECT, iid).find((n) => n.id === ours.id)!.body, `${DEV}\nnew report`);
            const listed = double.requests.slice(before).filter((q) => q.method === "GET" && q.path.endsWith("/notes"));
            assert.deepEqual(listed.map((q) => [q.query.get("page"), q.query.get("per_page")]), [["1", "100"], ["2", "100"]]);
        });
    }

    it("leaves other people's notes alone: no marker, a quote of the report, a copied marker", async () => {
        const iid = freshMergeRequest();
        const plain = double.seedNote(PROJECT, iid, "LGTM", API_TOKENS.maintainer);
        const quote = double.seedNote(PROJECT, iid, `> ${DEV}\n> ## Preview dev\nWhy does this delete the namespace?`, API_TOKENS.maintainer);
        const copy = double.seedNote(PROJECT, iid, `${DEV}\nmy own notes`, API_TOKENS.owner);
        const snapshot = double.notes(PROJECT, iid).map((n) => ({ ...n }));

        const r = await upsertMergeRequestNote({ ctx: ctx({ CI_MERGE_REQUEST_IID: String(iid) }), marker: DEV, body: "report" });
        assert.equal(r.action, "created");
        assert.ok(![plain.id, quote.id, copy.id].includes(r.noteId));
        const after = double.notes(PROJECT, iid);
        assert.deepEqual(after.slice(0, 3), snapshot);
        assert.equal(after.length, 4);
        assert.ok(!double.requests.some((q) => q.method === "PUT" && [plain.id, quote.id, copy.id].some((id) => q.path.endsWith(`/notes/${id}`))));
    });

    it("posts a new note when the old one was deleted between listing and updating", async () => {
        const iid = freshMergeRequest();
        const c = ctx({ CI_MERGE_REQUEST_IID: String(iid) });
        const first = await upsertMergeRequestNote({ ctx: c, marker: DEV, body: "one" });
        double.inject({ method: "PUT", path: /\/notes\/\d+$/, status: 404, body: { message: "404 Note Not Found" } });
        const second = await upsertMergeRequestNote({ ctx: c, marker: DEV, body: "two" });
        assert.equal(second.action, "created");
        assert.notEqual(second.noteId, first.noteId);
    });

    it("addresses the project by its URL-encoded path when CI_PROJECT_ID is a path", async () => {
        const iid = freshMergeRequest();
        const before = double.requests.length;
        await upsertMergeRequestNote({ ctx: ctx({ CI_PROJECT_ID: PROJECT, CI_MERGE_REQUEST_IID: String(iid) }), marker: DEV, body: "x" });
        const posted = double.requests.slice(before).find((q) => q.method === "POST")!;
        assert.equal(posted.rawUrl, `/api/v4/projects/${encodeURIComponent(PROJECT)}/merge_requests/${iid}/notes`);
        assert.equal(double.notes(PROJECT, iid).length, 1);
    });

    it("sends the token only in the PRIVATE-TOKEN header", async () => {
        const iid = freshMergeRequest();
        const before = double.requests.length;
        await upsertMergeRequestNote({ ctx: ctx({ CI_MERGE_REQUEST_IID: String(iid) }), marker: DEV, body: "x" });
        const sent = double.requests.slice(before);
        assert.ok(sent.length >= 3);
        for (const q of sent) {
            assert.equal(q.privateToken, BOT_TOKEN);
            assert.ok(!q.rawUrl.includes(BOT_TOKEN) && !JSON.stringify(q.body ?? "").includes(BOT_TOKEN));
        }
    });

    it("refuses a body over GITLAB_NOTE_MAX_CHARS before sending anything", async () => {
        const iid = freshMergeRequest();
        const before = double.requests.length;
        await assert.rejects(
            upsertMergeRequestNote({ ctx: ctx({ CI_MERGE_REQUEST_IID: String(iid) }), marker: DEV, body: "x".repeat(GITLAB_NOTE_MAX_CHARS) }),
            /GitLab accepts at most 1000000 \(GITLAB_NOTE_MAX_CHARS\): trim the report/,
        );
        assert.equal(double.requests.length, before);
    });

    it("refuses a marker that GitLab would show", async () => {
        await assert.rejects(upsertMergeRequestNote({ ctx: ctx(), marker: "gitops-platform:preview:dev", body: "x" }), /not a single-line HTML comment/);
    });

    describe("errors", () => {
        it("401: the token is invalid, expired or revoked, naming GITLAB_NOTE_TOKEN", async () => {
            const e = await failure(upsertMergeRequestNote({ ctx: ctx({ GITLAB_NOTE_TOKEN: API_TOKENS.unknown }), marker: DEV, body: "x" }));
            assert.equal(e.status, 401);
            assert.equal(e.kind, "unauthorized");
            assert.match(e.message, /GitLab answered 401 Unauthorized to GET http:\/\/127\.0\.0\.1:\d+\/api\/v4\/user/);
            assert.match(e.message, /GitLab said: "401 Unauthorized"/);
            assert.match(e.message, /The token in GITLAB_NOTE_TOKEN is invalid, expired or revoked/);
        });

        it("403: a read_api token cannot write; the message names the scope and role needed", async () => {
            const iid = freshMergeRequest();
            const e = await failure(
                upsertMergeRequestNote({ ctx: ctx({ GITLAB_NOTE_TOKEN: API_TOKENS.readApiOwner, CI_MERGE_REQUEST_IID: String(iid) }), marker: DEV, body: "x" }),
            );
            assert.equal(e.status, 403);
            assert.equal(e.method, "POST");
            assert.match(e.message, /GitLab answered 403 Forbidden to POST http:\/\/127\.0\.0\.1:\d+\/api\/v4\/projects\/\d+\/merge_requests\/\d+\/notes/);
            assert.match(e.message, /GitLab said: "insufficient_scope: The request requires higher privileges/);
            assert.match(e.message, /needs the `api` scope \(`read_api` cannot write\) and at least the Reporter role/);
        });

        it("403: a Guest cannot add notes", async () => {
            const guest = "glpat-GUEST-token-do-not-print-1111";
            double.users[guest] = { scopes: ["api"], groups: {}, projects: { [PROJECT]: "guest" } };
            const iid = freshMergeRequest();
            const e = await failure(upsertMergeRequestNote({ ctx: ctx({ GITLAB_NOTE_TOKEN: guest, CI_MERGE_REQUEST_IID: String(iid) }), marker: DEV, body: "x" }));
            assert.equal(e.status, 403);
            assert.match(e.message, /at least the Reporter role/);
            assert.ok(!e.message.includes(guest));
        });

        it("404: an unknown merge request names CI_MERGE_REQUEST_IID and CI_PROJECT_ID", async () => {
            const e = await failure(upsertMergeRequestNote({ ctx: ctx({ CI_MERGE_REQUEST_IID: "99999" }), marker: DEV, body: "x" }));
            assert.equal(e.status, 404);
            assert.match(e.message, /GitLab answered 404 Not Found to GET .*\/merge_requests\/99999\/notes\?.*while trying to list the notes of merge request !99999/);
            assert.match(e.message, /GitLab said: "404 Merge Request Not Found"/);
            assert.match(e.message, /Check CI_PROJECT_ID \("\d+"\) and CI_MERGE_REQUEST_IID \(99999\)/);
        });

        it("404: an unknown project, or one the token cannot see", async () => {
            const e = await failure(upsertMergeRequestNote({ ctx: ctx({ CI_PROJECT_ID: "acme/elsewhere" }), marker: DEV, body: "x" }));
            assert.equal(e.status, 404);
            assert.match(e.message, /projects\/acme%2Felsewhere\/merge_requests/);
            assert.match(e.message, /"404 Project Not Found".*Check CI_PROJECT_ID \("acme\/elsewhere"\)/);
        });

        it("times out with a clear message when GitLab does not answer", { timeout: 10_000 }, async () => {
            double.inject({ method: "GET", path: /\/notes$/, hang: true });
            const e = await failure(upsertMergeRequestNote({ ctx: ctx(), marker: DEV, body: "x", timeoutMs: 300 }));
            assert.equal(e.kind, "timeout");
            assert.match(e.message, /GitLab did not answer GET http:\/\/127\.0\.0\.1:\d+\/api\/v4\/projects\/\d+\/merge_requests\/7\/notes\?\S+ within 300 ms/);
            assert.match(e.message, /Check that CI_API_V4_URL points to your GitLab/);
        });

        it("5xx: says GitLab is failing and shows its message", async () => {
            double.inject({ method: "POST", path: /\/notes$/, status: 502, body: "<html>Bad gateway</html>" });
            const iid = freshMergeRequest();
            const e = await failure(upsertMergeRequestNote({ ctx: ctx({ CI_MERGE_REQUEST_IID: String(iid) }), marker: DEV, body: "x" }));
            assert.equal(e.kind, "server");
            assert.match(e.message, /502 Bad Gateway.*GitLab said: "<html>Bad gateway<\/html>".*retry the job later/);
        });

        it("an unreachable GitLab names CI_API_V4_URL", async () => {
            const port = await closedPort();
            const e = await failure(upsertMergeRequestNote({ ctx: ctx({ CI_API_V4_URL: `http://127.0.0.1:${port}/api/v4` }), marker: DEV, body: "x" }));
            assert.equal(e.kind, "network");
            assert.match(e.message, new RegExp(`Could not reach GitLab for GET http://127\\.0\\.0\\.1:${port}/api/v4/user \\(ECONNREFUSED\\).*Check CI_API_V4_URL`));
        });

        it("redacts the token if GitLab echoes it back", async () => {
            double.inject({ method: "GET", path: /\/user$/, status: 401, body: { message: `token ${BOT_TOKEN} is revoked` } });
            const e = await failure(upsertMergeRequestNote({ ctx: ctx(), marker: DEV, body: "x" }));
            assert.match(e.message, /token \[secret\] is revoked/);
            assert.ok(!String(e.gitlabMessage).includes(BOT_TOKEN));
        });
    });
});

describe("GitLab double as e2e scripts run it (admin routes, autoProjects)", () => {
    it("any project id and merge request iid exist; /_double/notes and /_double/issues show what the commands wrote", async () => {
        const e2e = await startGitLabDouble({ admin: true, autoProjects: true });
        try {
            e2e.addGroup(GROUP);
            e2e.users[BOT_TOKEN] = { scopes: ["api"], groups: { [GROUP]: "owner" } };
            const c = readGitLabMergeRequestContext({
                CI_API_V4_URL: `${e2e.url}/api/v4`,
                CI_PROJECT_ID: "42",
                CI_MERGE_REQUEST_IID: "7",
                GITLAB_NOTE_TOKEN: BOT_TOKEN,
            });
            await upsertMergeRequestNote({ ctx: c, marker: DEV, body: "first" });
            await upsertMergeRequestNote({ ctx: c, marker: DEV, body: "report" });
            const notes = await (await fetch(`${e2e.url}/_double/notes?project=42&mr=7`)).json();
            assert.equal(notes.length, 1);
            assert.equal(notes[0].body, `${DEV}\nreport`);
            assert.deepEqual(await (await fetch(`${e2e.url}/_double/issues?project=42`)).json(), []);
            assert.equal((await fetch(`${e2e.url}/_double/notes?project=43&mr=7`)).status, 404);

            // Still 401 for unknown tokens, and a path works as well as an id.
            const unknown = readGitLabMergeRequestContext({ ...envOf(c), GITLAB_NOTE_TOKEN: API_TOKENS.unknown });
            await assert.rejects(upsertMergeRequestNote({ ctx: unknown, marker: DEV, body: "x" }), (e: unknown) => e instanceof GitLabRequestError && e.status === 401);
            const byPath = readGitLabMergeRequestContext({ ...envOf(c), CI_PROJECT_ID: "acme/other-app" });
            assert.equal((await upsertMergeRequestNote({ ctx: byPath, marker: DEV, body: "x" })).action, "created");
            assert.equal(e2e.notes("acme/other-app", 7).length, 1);
        } finally {
            await e2e.close();
        }
    });
});

function envOf(c: GitLabMergeRequestContext): Record<string, string> {
    return { CI_API_V4_URL: c.apiUrl, CI_PROJECT_ID: c.projectId, CI_MERGE_REQUEST_IID: String(c.mergeRequestIid), GITLAB_NOTE_TOKEN: c.token };
}
