/** Without `gitops-platform:ciPushToken`: no group variable, no ciPushTokenExpiresAt output. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { GITLAB_GROUP_VARIABLE_TYPE, ofType } from "../support/mocks";
import { runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";
import { parseStackConfig } from "../../stacks/config";

let outputs: Record<string, any>;
before(async () => {
    const config = stackConfig("dev", { "gitops-platform:gitlabToken": "glpat-test-api-token-0123456789", "vault:token": "hvs.test-vault-root-token" });
    outputs = await runProgram("dev", config, ["gitops-platform:gitlabToken", "vault:token"]);
});

test("no GroupVariable and no ciPushTokenExpiresAt without ciPushToken", () => {
    assert.equal(ofType(GITLAB_GROUP_VARIABLE_TYPE).length, 0);
    assert.equal("ciPushTokenExpiresAt" in outputs, false);
});

test("ciPushToken stored in clear is refused without echoing it; ciPushTokenVariable defaults to CI_PUSH_TOKEN", () => {
    const base = stackConfig("dev", { "gitops-platform:gitlabToken": "glpat-test-api-token-0123456789" });
    const clear = { ...base, "gitops-platform:ciPushToken": "glpat-in-clear-value-0000" };
    assert.throws(
        () => parseStackConfig(clear, new Set(["gitops-platform:gitlabToken"]), "dev"),
        (e: Error) => /ciPushToken/.test(e.message) && !e.message.includes("glpat-in-clear-value-0000"),
    );
    const ok = parseStackConfig(clear, new Set(["gitops-platform:gitlabToken", "gitops-platform:ciPushToken"]), "dev");
    assert.equal(ok.gitlab.ciPushTokenVariable, "CI_PUSH_TOKEN");
});

test("ciPushToken without gitlabToken is a config error naming gitlabToken", () => {
    const base = stackConfig("dev", { "gitops-platform:ciPushToken": "glpat-x-0000000000" });
    delete base["gitops-platform:gitlabToken"];
    assert.throws(
        () => parseStackConfig(base, new Set(["gitops-platform:ciPushToken"]), "dev"),
        (e: Error) => /gitlabToken/.test(e.message) && /ciPushToken/.test(e.message),
    );
});
