/** `gitops-platform:ciPushToken` set (secret): the CI_PUSH_TOKEN group variable and its expiry output, under mocks. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { GITLAB_GROUP_VARIABLE_TYPE, clearStrings, isSecretAt, isSecretOutput, ofType, recorded } from "../support/mocks";
import { resolveDeep, runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";

const GITLAB_TOKEN = "glpat-test-api-token-0123456789";
const CI_PUSH_TOKEN = "glpat-CI-PUSH-token-never-in-clear-42";
let outputs: Record<string, any>;

before(async () => {
    const config = stackConfig("dev", {
        "gitops-platform:gitlabToken": GITLAB_TOKEN,
        "gitops-platform:ciPushToken": CI_PUSH_TOKEN,
        "vault:token": "hvs.test-vault-root-token",
    });
    outputs = await runProgram("dev", config, ["gitops-platform:gitlabToken", "gitops-platform:ciPushToken", "vault:token"]);
});

test("one GroupVariable CI_PUSH_TOKEN in the stack's group: masked, not protected, raw, value a secret input", () => {
    const vars = ofType(GITLAB_GROUP_VARIABLE_TYPE);
    assert.equal(vars.length, 1);
    const v = vars[0];
    assert.equal(v.name, "gitlab-ci-push-token");
    assert.equal(v.inputs.key, "CI_PUSH_TOKEN");
    assert.equal(v.inputs.group, "gitops-poc-dzha");
    assert.equal(v.inputs.masked, true);
    assert.equal(v.inputs.protected, false);
    assert.equal(v.inputs.raw, true);
    assert.equal(v.inputs.readTokenExpiry, true);
    assert.equal(v.inputs.valueConfigKey, "gitops-platform:ciPushToken");
    assert.equal(v.inputs.value, CI_PUSH_TOKEN);
    assert.ok(isSecretAt(v.wire, "value"), "value is a secret on the wire");
    assert.ok(isSecretAt(v.wire, "apiToken"), "apiToken is a secret on the wire");
    for (const k of ["value", "apiToken", "valueSha256"]) assert.ok(v.additionalSecretOutputs.includes(k), `${k} is a secret output`);
});

test("the CI push token is in clear in no resource input", () => {
    const leaks = recorded.flatMap((r) => clearStrings(r.wire).filter((s) => s.value.includes(CI_PUSH_TOKEN)).map((s) => `${r.type} ${r.name} ${s.path}`));
    assert.deepEqual(leaks, []);
});

test("stack output ciPushTokenExpiresAt: the token's expiry, not secret", async () => {
    assert.ok("ciPushTokenExpiresAt" in outputs);
    assert.equal(await isSecretOutput(outputs.ciPushTokenExpiresAt), false);
    assert.equal(await resolveDeep(outputs.ciPushTokenExpiresAt), "2027-02-01T00:00:00.000Z");
});
