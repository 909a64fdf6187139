/**
 * gitlab.ciPushToken.mode groupAccessToken (issue 13.2 part c) under mocks: a GroupAccessToken with
 * the configured name, scopes, role and lifetime; the group variable CI_PUSH_TOKEN (the same resource
 * as with a personal token, so switching modes updates it) holds its value as a secret; the output
 * ciPushTokenExpiresAt is the token's expiry; no token in clear.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { GITLAB_GROUP_ACCESS_TOKEN_TYPE, GITLAB_GROUP_VARIABLE_TYPE, clearStrings, isSecretAt, isSecretOutput, ofType, recorded } from "../support/mocks";
import { resolveDeep, runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";

const GITLAB_TOKEN = "glpat-test-api-token-0123456789";
let outputs: Record<string, any>;

before(async () => {
    const gitlab = JSON.parse(stackConfig("dev")["gitops-platform:gitlab"]);
    const config = stackConfig("dev", {
        "gitops-platform:gitlabToken": GITLAB_TOKEN,
        "gitops-platform:gitlab": { ...gitlab, ciPushTokenVariable: "CI_PUSH_TOKEN", ciPushToken: { mode: "groupAccessToken", expiresInDays: 60, rotateBeforeDays: 10 } },
        "vault:token": "hvs.test-vault-root-token",
    });
    outputs = await runProgram("dev", config, ["gitops-platform:gitlabToken", "vault:token"]);
});

test("one GroupAccessToken: default name, write_repository, developer, 60 days, rotate 10 days before; the API token secret", () => {
    const t = ofType(GITLAB_GROUP_ACCESS_TOKEN_TYPE);
    assert.equal(t.length, 1);
    const i = t[0].inputs;
    assert.deepEqual([i.name, i.scopes, i.accessLevel, i.expiresInDays, i.rotateBeforeDays, i.group], ["gitops-platform-ci-push", ["write_repository"], "developer", 60, 10, "gitops-poc-dzha"]);
    assert.ok(isSecretAt(t[0].wire, "apiToken"));
    for (const k of ["token", "apiToken"]) assert.ok(t[0].additionalSecretOutputs.includes(k), `${k} secret output`);
});

test("CI_PUSH_TOKEN holds the group access token: masked, not protected, raw, a secret, no personal-token expiry read", () => {
    const vars = ofType(GITLAB_GROUP_VARIABLE_TYPE);
    assert.equal(vars.length, 1);
    const v = vars[0];
    assert.equal(v.name, "gitlab-ci-push-token");
    assert.deepEqual([v.inputs.key, v.inputs.masked, v.inputs.protected, v.inputs.raw, v.inputs.readTokenExpiry], ["CI_PUSH_TOKEN", true, false, true, false]);
    assert.equal(v.inputs.valueConfigKey, "gitops-platform:gitlab.ciPushToken");
    assert.equal(v.inputs.value, "glpat-mock-group-access-token-gitlab-ci-push-access-token");
    assert.ok(isSecretAt(v.wire, "value"));
    const gat = ofType(GITLAB_GROUP_ACCESS_TOKEN_TYPE)[0];
    assert.ok(v.dependencies.includes(gat.urn), "the variable depends on the token (updated before the old token is revoked)");
});

test("output ciPushTokenExpiresAt: the group access token's expiry, not secret; no token value in clear anywhere", async () => {
    assert.equal(await isSecretOutput(outputs.ciPushTokenExpiresAt), false);
    assert.equal(await resolveDeep(outputs.ciPushTokenExpiresAt), "2027-03-01T00:00:00.000Z");
    const leaks = recorded.flatMap((r) =>
        clearStrings(r.wire).filter((s) => s.value.includes("glpat-mock-group-access-token") || s.value.includes(GITLAB_TOKEN)).map((s) => `${r.type} ${r.name} ${s.path}`),
    );
    assert.deepEqual(leaks, []);
});
