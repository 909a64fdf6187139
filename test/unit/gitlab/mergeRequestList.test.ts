// The GitLab double's merge request list (mergeRequests.ts), as Argo CD's pull-request generator
// calls it (state=opened&labels=preview&per_page=100): label and state filters, pagination headers,
// and GitLab's answers to a missing token, a missing scope and an invisible project.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type { GitLabDouble } from "../../support/gitlab-double/server";
import { upsertMergeRequest } from "../../support/gitlab-double/mergeRequests";
import { API_TOKENS, GROUP, startFixture } from "../../support/gitlab-double/fixture";

let double: GitLabDouble;
const PROJECT = `${GROUP}/api-gateway`;
before(async () => {
    double = await startFixture();
    double.addProject(PROJECT);
    const ctx = { users: double.users, resolveProject: (p: string) => ({ id: 1, path: p }), projectRole: () => "owner" };
    upsertMergeRequest(ctx, PROJECT, { iid: 1, labels: ["preview"], sha: "a".repeat(40) });
    upsertMergeRequest(ctx, PROJECT, { iid: 2, labels: ["preview", "backend"] });
    upsertMergeRequest(ctx, PROJECT, { iid: 3, labels: [] });
    upsertMergeRequest(ctx, PROJECT, { iid: 4, labels: ["preview"], state: "closed" });
});
after(async () => {
    await double.close();
});

async function list(query: string, token: string | undefined = API_TOKENS.readApiOwner, project = PROJECT) {
    const res = await fetch(`${double.url}/api/v4/projects/${encodeURIComponent(project)}/merge_requests?${query}`, {
        headers: token ? { "PRIVATE-TOKEN": token } : {},
    });
    return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

describe("GET /projects/:id/merge_requests", () => {
    it("opened merge requests carrying the label, newest first, with iid, sha, branches and author", async () => {
        const r = await list("state=opened&labels=preview&per_page=100");
        assert.equal(r.status, 200);
        assert.deepEqual(r.body.map((m: any) => m.iid), [2, 1]);
        const one = r.body.find((m: any) => m.iid === 1);
        assert.equal(one.sha, "a".repeat(40));
        assert.equal(one.source_branch, "feature-1");
        assert.equal(one.target_branch, "main");
        assert.equal(one.author.username, "developer");
        assert.equal(r.headers.get("x-next-page"), "");
    });
    it("every listed label must be on the merge request; state filters; no state lists all", async () => {
        assert.deepEqual((await list("labels=preview,backend")).body.map((m: any) => m.iid), [2]);
        assert.deepEqual((await list("state=closed")).body.map((m: any) => m.iid), [4]);
        assert.deepEqual((await list("")).body.map((m: any) => m.iid), [4, 3, 2, 1]);
    });
    it("pages with X-Next-Page", async () => {
        const p1 = await list("per_page=3&page=1");
        assert.deepEqual(p1.body.map((m: any) => m.iid), [4, 3, 2]);
        assert.equal(p1.headers.get("x-next-page"), "2");
        assert.equal(p1.headers.get("x-total"), "4");
        const p2 = await list("per_page=3&page=2");
        assert.deepEqual(p2.body.map((m: any) => m.iid), [1]);
        assert.equal(p2.headers.get("x-next-page"), "");
    });
    it("401 without a known token, 404 for a project the user cannot see", async () => {
        assert.equal((await list("", "")).status, 401);
        assert.equal((await list("", API_TOKENS.unknown)).status, 401);
        assert.equal((await list("", API_TOKENS.maintainer, "other/unknown")).status, 404);
    });
    it("an update by iid changes labels and state: the label removed or the merge request closed drops it from the list", async () => {
        const ctx = { users: double.users, resolveProject: (p: string) => ({ id: 1, path: p }), projectRole: () => "owner" };
        upsertMergeRequest(ctx, PROJECT, { iid: 2, labels: ["backend"] });
        upsertMergeRequest(ctx, PROJECT, { iid: 1, state: "merged" });
        assert.deepEqual((await list("state=opened&labels=preview")).body, []);
    });
});
