// Drives the GitLabProject dynamic provider against the GitLab double's project and group endpoints:
// a missing project is created in its group (POST /projects with namespace_id), a present one is
// adopted without a write, a missing subgroup is an error naming the config key, a project deleted
// in GitLab leaves the state on refresh, and delete never calls GitLab.
import { after, before, beforeEach, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { makeProjectProvider, splitProjectPath, type ProjectInputs, type ProjectOutputs } from "../../../components/gitlab/projectProvider";
import type { GitLabDouble } from "../../support/gitlab-double/server";
import { API_TOKENS, GROUP, allSecrets, startFixture } from "../../support/gitlab-double/fixture";

let double: GitLabDouble;
before(async () => {
    double = await startFixture();
});
after(async () => double.close());
beforeEach(() => {
    double.requests.length = 0;
});

type Provider = Required<pulumi.dynamic.ResourceProvider>;
const provider = () => makeProjectProvider({ timeoutMs: 1500, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } }) as Provider;
const inputs = (path: string, over: Partial<ProjectInputs> = {}): ProjectInputs => ({ host: double.url, path, apiToken: API_TOKENS.owner, configKey: "gitops-platform:services", ...over });
const writes = () => double.requests.filter((r) => r.method !== "GET");
async function project(path: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${double.url}/api/v4/projects/${encodeURIComponent(path)}`, { headers: { "PRIVATE-TOKEN": API_TOKENS.owner } });
    return { status: res.status, body: await res.json() };
}

describe("GitLabProject provider", () => {
    it("splits a full path into namespace and project path", () => {
        assert.deepEqual(splitProjectPath("acme/platform/backend/api"), { namespace: "acme/platform/backend", path: "api" });
        assert.deepEqual(splitProjectPath("solo"), { namespace: "", path: "solo" });
    });

    it("missing: GET 404, the group's id, POST /projects {name, path, namespace_id}; adopted false", async () => {
        const p = provider();
        assert.equal((await project(`${GROUP}/api-gateway`)).status, 404);
        const r = await p.create(inputs(`${GROUP}/api-gateway`));
        const outs = r.outs as ProjectOutputs;
        const post = writes();
        assert.equal(post.length, 1);
        assert.equal(post[0].path, "/api/v4/projects");
        assert.deepEqual(post[0].body, { name: "api-gateway", path: "api-gateway", namespace_id: double.groupId(GROUP) });
        assert.equal(outs.adopted, false);
        assert.equal(outs.pathWithNamespace, `${GROUP}/api-gateway`);
        const live = await project(`${GROUP}/api-gateway`);
        assert.equal(live.status, 200);
        assert.equal(String(live.body.id), r.id);
    });

    it("present: adopted as it is, nothing written; a second create (e.g. after a lost state) adopts too", async () => {
        const id = double.addProject(`${GROUP}/gitops-config`);
        const r = await provider().create(inputs(`${GROUP}/gitops-config`, { configKey: "gitops-platform:gitlab.configRepo" }));
        assert.equal(r.id, String(id));
        assert.equal((r.outs as ProjectOutputs).adopted, true);
        assert.deepEqual(writes(), []);
    });

    it("a nested repo in a missing subgroup: an error naming the group and the config key, nothing created", async () => {
        const p = provider();
        await assert.rejects(p.create(inputs(`${GROUP}/backend/billing`)), (e: Error) => {
            assert.match(e.message, /no group "acme\/platform\/backend" for project "acme\/platform\/backend\/billing" \(gitops-platform:services\)/);
            assert.match(e.message, /creates projects, not groups/);
            for (const s of allSecrets(double)) assert.ok(!e.message.includes(s));
            return true;
        });
        assert.deepEqual(writes(), []);
        // In an existing subgroup it works.
        double.addGroup(`${GROUP}/team-b`);
        double.users[API_TOKENS.owner].groups[`${GROUP}/team-b`] = "owner";
        const r = await p.create(inputs(`${GROUP}/team-b/billing`));
        assert.equal((r.outs as ProjectOutputs).pathWithNamespace, `${GROUP}/team-b/billing`);
    });

    it("refresh keeps a live project; a project deleted in GitLab leaves the state", async () => {
        const p = provider();
        const r = await p.create(inputs(`${GROUP}/web-http`));
        const read = await p.read(r.id, r.outs as ProjectOutputs);
        assert.equal(read.id, r.id);
        assert.deepEqual(await p.read("999999", { ...(r.outs as ProjectOutputs), projectId: 999999 }), { id: "", props: {} });
    });

    it("delete never calls GitLab; another path is a replacement (the old project is kept)", async () => {
        const p = provider();
        const r = await p.create(inputs(`${GROUP}/health-demo`));
        double.requests.length = 0;
        await p.delete(r.id, r.outs as ProjectOutputs);
        assert.deepEqual(double.requests, [], "no request at all");
        assert.equal((await project(`${GROUP}/health-demo`)).status, 200, "the project is still there");
        const d = await p.diff(r.id, r.outs as ProjectOutputs, inputs(`${GROUP}/health-demo-2`));
        assert.deepEqual([d.changes, d.replaces, d.deleteBeforeReplace], [true, ["path"], false]);
        const same = await p.diff(r.id, r.outs as ProjectOutputs, inputs(`${GROUP}/health-demo`));
        assert.equal(same.changes, false);
    });

    it("a token that may not create projects: GitLab's 403 with what to check, no secret", async () => {
        double.users[API_TOKENS.readApiOwner].groups[GROUP] = "owner";
        await assert.rejects(provider().create(inputs(`${GROUP}/auth-adapter`, { apiToken: API_TOKENS.readApiOwner })), (e: Error) => {
            assert.match(e.message, /api/);
            assert.match(e.message, /gitlab\.manageProjects/);
            for (const s of allSecrets(double)) assert.ok(!e.message.includes(s));
            return true;
        });
    });
});

describe("closure serialization (GitLabProject)", () => {
    it("the serialized provider captures no secret and creates, adopts and never deletes", async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const pulumiRt = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
        const fresh = makeProjectProvider();
        const sf = await pulumiRt.runtime.serializeFunction(() => fresh, { allowSecrets: false });
        for (const s of allSecrets(double)) assert.ok(!sf.text.includes(s));
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const revived = require("require-from-string")(sf.text).handler() as Provider;
        const made = await revived.create(inputs(`${GROUP}/serialized`));
        assert.equal((made.outs as ProjectOutputs).adopted, false);
        const again = await revived.create(inputs(`${GROUP}/serialized`));
        assert.deepEqual([again.id, (again.outs as ProjectOutputs).adopted], [made.id, true]);
        double.requests.length = 0;
        await revived.delete(made.id, made.outs);
        assert.deepEqual(double.requests, []);
    });
});
