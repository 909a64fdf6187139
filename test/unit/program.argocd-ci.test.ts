/**
 * Argo CD for CI and webhooks (issue 13.3) under mocks: the dev stack with argocd.apiUrl, argocd.url,
 * argocdAdminPassword and gitlabToken: the CI account and its read-only role in the Helm values, the
 * webhook secret (secret Helm value), the token resource, Vault secrets, the two group variables,
 * push hooks on gitops-config and every service repo, and no secret in clear.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { GITLAB_GROUP_VARIABLE_TYPE, OWNED_KV_SECRET_TYPE, clearStrings, isSecretAt, isSecretOutput, ofType, recorded } from "./../support/mocks";
import { resolveDeep, runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";
import { ciPolicyLines } from "../../components/argocd/ciAccount";

const ADMIN_PASSWORD = "argocd-admin-PASSWORD-never-in-clear-11";
const GITLAB_TOKEN = "glpat-test-api-token-0123456789";
const TOKEN_TYPE = "pulumi-nodejs:dynamic/argocd:AccountToken";
const WEBHOOK_TYPE = "pulumi-nodejs:dynamic/argocd:WebhookSecret";
const HOOK_TYPE = "pulumi-nodejs:dynamic/gitlab:ProjectHook";
let outputs: Record<string, any>;
let cfgArgocd: Record<string, unknown>;
let services: { name: string; repo?: string }[];

before(async () => {
    const base = stackConfig("dev");
    cfgArgocd = JSON.parse(base["gitops-platform:argocd"] ?? "{}");
    services = JSON.parse(base["gitops-platform:services"] ?? "[]");
    const config = stackConfig("dev", {
        "gitops-platform:gitlabToken": GITLAB_TOKEN,
        "gitops-platform:argocdAdminPassword": ADMIN_PASSWORD,
        "gitops-platform:argocd": { ...cfgArgocd, apiUrl: "http://127.0.0.1:8080", url: "https://argocd.example.com", ciAccount: { tokenExpiresInDays: 30, rotateBeforeDays: 7 } },
        "vault:token": "hvs.test-vault-root-token",
    });
    outputs = await runProgram("dev", config, ["gitops-platform:gitlabToken", "gitops-platform:argocdAdminPassword", "vault:token"]);
});

function release() {
    const r = recorded.filter((x) => x.type === "kubernetes:helm.sh/v3:Release" && x.inputs.chart === "argo-cd");
    assert.equal(r.length, 1);
    return r[0];
}

test("Helm values: accounts.ci-readonly: apiKey and exactly the read-only policy lines for the AppProject", () => {
    const values = release().inputs.values;
    const project = (cfgArgocd.project as string | undefined) ?? "poc";
    assert.deepEqual(values.configs.cm, { "accounts.ci-readonly": "apiKey" });
    assert.equal(
        values.configs.rbac["policy.csv"],
        `p, role:ci-readonly, applications, get, ${project}/*, allow\np, role:ci-readonly, projects, get, ${project}, allow\ng, ci-readonly, role:ci-readonly\n`,
    );
    assert.deepEqual(ciPolicyLines({ name: "ci-readonly", project }).filter((l) => /create|update|delete|sync|\*, \*/.test(l)), []);
});

test("the webhook secret is a secret Helm value configs.secret.gitlabSecret (argocd-secret webhook.gitlab.secret)", () => {
    const r = release();
    assert.ok(isSecretAt(r.wire, "values.configs.secret.gitlabSecret"), "the webhook secret is a secret Helm value on the wire");
    const secrets = ofType(WEBHOOK_TYPE);
    assert.equal(secrets.length, 1);
    assert.ok(secrets[0].additionalSecretOutputs.includes("value"));
    assert.ok("gitlabSecret" in r.inputs.values.configs.secret);
});

test("one AccountToken for ci-readonly through argocd.apiUrl, password a secret input, token a secret output, after the release", () => {
    const t = ofType(TOKEN_TYPE);
    assert.equal(t.length, 1);
    assert.equal(t[0].inputs.apiUrl, "http://127.0.0.1:8080");
    assert.equal(t[0].inputs.account, "ci-readonly");
    assert.equal(t[0].inputs.username, "admin");
    assert.equal(t[0].inputs.expiresInDays, 30);
    assert.equal(t[0].inputs.rotateBeforeDays, 7);
    assert.ok(isSecretAt(t[0].wire, "password"));
    for (const k of ["token", "password"]) assert.ok(t[0].additionalSecretOutputs.includes(k), `${k} secret output`);
    const rel = release();
    assert.ok(t[0].dependencies.includes(rel.urn), "the token waits for the Argo CD release (the account)");
});

test("Vault: the token at <prefix>/platform/stacks/dev/argocd-ci, the webhook secret at .../argocd-webhook", () => {
    const paths = ofType(OWNED_KV_SECRET_TYPE).map((s) => s.inputs.path);
    assert.ok(paths.includes("gitops-poc-dzha/platform/stacks/dev/argocd-ci"), paths.join(", "));
    assert.ok(paths.includes("gitops-poc-dzha/platform/stacks/dev/argocd-webhook"), paths.join(", "));
    for (const s of ofType(OWNED_KV_SECRET_TYPE)) assert.ok(isSecretAt(s.wire, "data"));
});

test("group variables ARGOCD_SERVER (not masked, the public host) and ARGOCD_AUTH_TOKEN (masked, not protected, raw)", () => {
    const vars = Object.fromEntries(ofType(GITLAB_GROUP_VARIABLE_TYPE).map((v) => [v.inputs.key, v]));
    assert.equal(vars.ARGOCD_SERVER.inputs.value, "argocd.example.com");
    assert.equal(vars.ARGOCD_SERVER.inputs.masked, false);
    assert.equal(vars.ARGOCD_OPTS, undefined, "argocd.url without a path: no ARGOCD_OPTS");
    const t = vars.ARGOCD_AUTH_TOKEN;
    assert.equal(t.inputs.masked, true);
    assert.equal(t.inputs.protected, false);
    assert.equal(t.inputs.raw, true);
    assert.equal(t.inputs.group, "gitops-poc-dzha");
    assert.ok(isSecretAt(t.wire, "value"));
});

test("push hooks to <argocd.url>/api/webhook on gitops-config and every service repo, token a secret input", () => {
    const hooks = ofType(HOOK_TYPE);
    const projects = hooks.map((h) => h.inputs.project).sort();
    const expected = ["gitops-poc-dzha/gitops-config", ...services.map((s) => `gitops-poc-dzha/${s.repo ?? s.name}`)].sort();
    assert.deepEqual(projects, expected);
    for (const h of hooks) {
        assert.equal(h.inputs.url, "https://argocd.example.com/api/webhook");
        assert.equal(h.inputs.pushEvents, true);
        assert.ok(isSecretAt(h.wire, "token"));
        assert.ok(isSecretAt(h.wire, "apiToken"));
    }
});

test("no admin password or API token in clear in any resource input; output argocdCiTokenExpiresAt not secret", async () => {
    const leaks = recorded.flatMap((r) =>
        clearStrings(r.wire)
            .filter((s) => s.value.includes(ADMIN_PASSWORD) || s.value.includes(GITLAB_TOKEN))
            .map((s) => `${r.type} ${r.name} ${s.path}`),
    );
    assert.deepEqual(leaks, []);
    assert.ok("argocdCiTokenExpiresAt" in outputs);
    assert.equal(await isSecretOutput(outputs.argocdCiTokenExpiresAt), false);
    await resolveDeep(outputs.argocdCiTokenExpiresAt);
});
