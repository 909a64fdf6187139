/**
 * gitlab.manageProjects (issue 13 point 6) under mocks: one GitLabProject per gitops-config and
 * service repository under the group, each retainOnDelete (never deleted by destroy or by removing a
 * service); with argocd.url the push hooks wait for the projects; off by default.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { clearStrings, isSecretAt, ofType, recorded } from "../support/mocks";
import { runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";
import { managedProjectPaths } from "../../stacks/program";
import { parseStackConfig } from "../../stacks/config";

const PROJECT_TYPE = "pulumi-nodejs:dynamic/gitlab:Project";
const GITLAB_TOKEN = "glpat-test-api-token-0123456789";
let services: { name: string; repo?: string }[];

before(async () => {
    const base = stackConfig("dev");
    services = JSON.parse(base["gitops-platform:services"]);
    const gitlab = JSON.parse(base["gitops-platform:gitlab"]);
    const argocd = JSON.parse(base["gitops-platform:argocd"] ?? "{}");
    const config = stackConfig("dev", {
        "gitops-platform:gitlabToken": GITLAB_TOKEN,
        "gitops-platform:gitlab": { ...gitlab, manageProjects: true },
        "gitops-platform:services": [...services.slice(0, -1), { ...services[services.length - 1], repo: "backend/health" }],
        "gitops-platform:argocd": { ...argocd, url: "https://argocd.example.com" },
        "vault:token": "hvs.test-vault-root-token",
    });
    await runProgram("dev", config, ["gitops-platform:gitlabToken", "vault:token"]);
});

test("one project per repository: gitops-config and every service (repo or name) under the group, each retainOnDelete", () => {
    const projects = ofType(PROJECT_TYPE);
    const expected = ["gitops-poc-dzha/gitops-config", ...services.slice(0, -1).map((s) => `gitops-poc-dzha/${s.repo ?? s.name}`), "gitops-poc-dzha/backend/health"];
    assert.deepEqual(projects.map((p) => p.inputs.path).sort(), expected.sort());
    for (const p of projects) {
        assert.equal(p.retainOnDelete, true, `${p.name} is never deleted`);
        assert.ok(isSecretAt(p.wire, "apiToken"));
    }
    assert.equal(projects.find((p) => p.inputs.path.endsWith("/gitops-config"))!.inputs.configKey, "gitops-platform:gitlab.configRepo");
    assert.ok(projects.some((p) => p.name === "gitlab-project-backend-health"));
});

test("the push hooks depend on the projects they go on", () => {
    const projects = ofType(PROJECT_TYPE);
    const hooks = ofType("pulumi-nodejs:dynamic/gitlab:ProjectHook");
    assert.ok(hooks.length > 0);
    for (const h of hooks) for (const p of projects) assert.ok(h.dependencies.includes(p.urn), `${h.name} waits for ${p.name}`);
});

test("no API token in clear; off by default and the paths are deduplicated", () => {
    assert.deepEqual(recorded.flatMap((r) => clearStrings(r.wire).filter((s) => s.value.includes(GITLAB_TOKEN)).map((s) => `${r.name} ${s.path}`)), []);
    const P = "gitops-platform:";
    const cfg = (gitlab: Record<string, unknown>) =>
        parseStackConfig(
            {
                [P + "environments"]: JSON.stringify({ dev: {} }),
                [P + "services"]: JSON.stringify([{ name: "a" }, { name: "b", repo: "gitops-config" }]),
                [P + "gitlab"]: JSON.stringify({ group: "g", ...gitlab }),
                [P + "gitlabToken"]: "glpat-x",
                [P + "registry"]: JSON.stringify({ server: "r.example.com", username: "u", password: "p" }),
                [P + "argocd"]: JSON.stringify({ repoUsername: "r" }),
                [P + "argocdRepoToken"]: "t",
            },
            new Set([`${P}gitlabToken`, `${P}registry`, `${P}argocdRepoToken`]),
            "dev",
        );
    assert.equal(cfg({}).gitlab.manageProjects, false);
    assert.deepEqual(managedProjectPaths(cfg({ manageProjects: true })), ["g/gitops-config", "g/a"]);
});

test("gitlab.manageProjects without gitlabToken: an error naming gitlabToken; a non-boolean names the key with an example", async () => {
    const { ConfigError } = await import("../../stacks/config");
    const P = "gitops-platform:";
    const raw = (gitlab: unknown, token: boolean) => ({
        [P + "environments"]: JSON.stringify({ dev: {} }),
        [P + "gitlab"]: JSON.stringify({ group: "g", deployToken: {}, ...(gitlab as object) }),
        ...(token ? { [P + "gitlabToken"]: "glpat-x" } : {}),
    });
    const problems = (r: Record<string, string>) => {
        try {
            parseStackConfig(r, new Set([`${P}gitlabToken`]), "dev");
        } catch (e) {
            assert.ok(e instanceof ConfigError);
            return e.problems;
        }
        return assert.fail("accepted");
    };
    assert.ok(problems(raw({ manageProjects: true }, false)).some((p) => p.key === `${P}gitlabToken` && /manageProjects/.test(p.message)));
    const bad = problems(raw({ manageProjects: "yes" }, true)).find((p) => p.key === `${P}gitlab.manageProjects`)!;
    assert.match(bad.message, /true or false/);
    assert.match(bad.example!, /manageProjects: true/);
});
