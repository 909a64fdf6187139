// Drives the ProjectHook dynamic provider against the GitLab double (project hooks in hooks.ts):
// create, adopt a hook with the same URL, refresh, drift, update, delete, permission errors, and no
// secret token or API token in any message.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { makeProjectHookProvider, type ProjectHookInputs, type ProjectHookOutputs } from "../../../components/gitlab/projectHookProvider";
import { storedHooks } from "../../support/gitlab-double/hooks";
import type { GitLabDouble } from "../../support/gitlab-double/server";
import { API_TOKENS, GROUP, allSecrets, startFixture } from "../../support/gitlab-double/fixture";

const HOOK_TOKEN = "webhook-SECRET-never-printed-0123456789abcdef";
const URL_ = "https://argocd.example.com/api/webhook";
let double: GitLabDouble;
let n = 0;
before(async () => {
    double = await startFixture();
});
after(async () => {
    await double.close();
});

type Provider = Required<pulumi.dynamic.ResourceProvider>;
const provider = () => makeProjectHookProvider({ timeoutMs: 2000 }) as Provider;
function newProject(): string {
    const path = `${GROUP}/repo-${++n}`;
    double.addProject(path);
    return path;
}
function inputs(project: string, over: Partial<ProjectHookInputs> = {}): ProjectHookInputs {
    return { host: double.url, project, url: URL_, token: HOOK_TOKEN, pushEvents: true, enableSslVerification: true, apiToken: API_TOKENS.owner, ...over };
}
async function fails(p: Promise<unknown>): Promise<Error> {
    try {
        await p;
    } catch (e) {
        const text = String((e as Error).message) + String((e as Error).stack ?? "");
        for (const s of [...allSecrets(double), HOOK_TOKEN]) assert.ok(!text.includes(s), `no secret in: ${text}`);
        return e as Error;
    }
    assert.fail("expected an error");
}

describe("ProjectHook provider against the GitLab double", () => {
    it("create adds one push hook with the secret token; the state keeps the hook id", async () => {
        const project = newProject();
        const r = await provider().create(inputs(project));
        const hooks = storedHooks(double.users, project);
        assert.equal(hooks.length, 1);
        assert.equal(hooks[0].url, URL_);
        assert.equal(hooks[0].token, HOOK_TOKEN);
        assert.equal(hooks[0].push_events, true);
        assert.equal(hooks[0].merge_requests_events, false);
        assert.equal(r.id, `${project}:${hooks[0].id}`);
        assert.equal((r.outs as ProjectHookOutputs).hookId, hooks[0].id);
    });

    it("a hook with the same URL is adopted (updated), not duplicated", async () => {
        const project = newProject();
        await fetch(`${double.url}/api/v4/projects/${encodeURIComponent(project)}/hooks`, {
            method: "POST",
            headers: { "PRIVATE-TOKEN": API_TOKENS.owner, "Content-Type": "application/json" },
            body: JSON.stringify({ url: URL_, token: "old", push_events: false }),
        });
        const r = await provider().create(inputs(project));
        const hooks = storedHooks(double.users, project);
        assert.equal(hooks.length, 1);
        assert.equal(hooks[0].token, HOOK_TOKEN);
        assert.equal(hooks[0].push_events, true);
        assert.equal((r.outs as ProjectHookOutputs).hookId, hooks[0].id);
    });

    it("read shows drift on push events changed in GitLab and drops a deleted hook", async () => {
        const project = newProject();
        const p = provider();
        const r = await p.create(inputs(project));
        const outs = r.outs as ProjectHookOutputs;
        storedHooks(double.users, project)[0].push_events = false;
        const read = await p.read(r.id, outs);
        assert.equal((read.props as ProjectHookOutputs).pushEvents, false);
        assert.equal((await p.diff(r.id, read.props as ProjectHookOutputs, inputs(project))).changes, true);
        await p.update(r.id, read.props as ProjectHookOutputs, inputs(project));
        assert.equal(storedHooks(double.users, project)[0].push_events, true);
        await p.delete(r.id, outs);
        assert.equal(storedHooks(double.users, project).length, 0);
        assert.equal((await p.read(r.id, outs)).id, "");
        await p.delete(r.id, outs); // already gone: success
    });

    it("update of a hook deleted in GitLab makes it again", async () => {
        const project = newProject();
        const p = provider();
        const r = await p.create(inputs(project));
        await p.delete(r.id, r.outs as ProjectHookOutputs);
        const u = await p.update(r.id, r.outs as ProjectHookOutputs, inputs(project, { token: HOOK_TOKEN + "-2" }));
        assert.equal(storedHooks(double.users, project).length, 1);
        assert.equal((u.outs as ProjectHookOutputs).hookId, storedHooks(double.users, project)[0].id);
    });

    it("no change, no diff; a new secret token is an in-place update", async () => {
        const project = newProject();
        const p = provider();
        const r = await p.create(inputs(project));
        assert.equal((await p.diff(r.id, r.outs as ProjectHookOutputs, inputs(project))).changes, false);
        const d = await p.diff(r.id, r.outs as ProjectHookOutputs, inputs(project, { token: "another-webhook-secret" }));
        assert.equal(d.changes, true);
        assert.deepEqual(d.replaces, []);
    });

    it("a Maintainer-less token, a missing project and a rejected token give errors without secrets", async () => {
        const project = newProject();
        assert.match((await fails(provider().create(inputs(project, { apiToken: API_TOKENS.readApiOwner })))).message, /api scope/);
        assert.match((await fails(provider().create(inputs(`${GROUP}/does-not-exist`)))).message, /gitlab\.configRepo/);
        assert.match((await fails(provider().create(inputs(project, { apiToken: API_TOKENS.unknown })))).message, /gitops-platform:gitlabToken/);
    });
});
