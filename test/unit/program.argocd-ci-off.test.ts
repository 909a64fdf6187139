/** Without argocd.apiUrl and argocd.url: the CI account is still in the Helm values, but no token, no webhook, no hooks. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { GITLAB_GROUP_VARIABLE_TYPE, ofType, recorded } from "./../support/mocks";
import { runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";

let outputs: Record<string, any>;
before(async () => {
    outputs = await runProgram("dev", stackConfig("dev", { "gitops-platform:gitlabToken": "glpat-test-api-token-0123456789", "vault:token": "hvs.t" }), [
        "gitops-platform:gitlabToken",
        "vault:token",
    ]);
});

test("the account and its role are set (Helm values), nothing else is registered, no expiry output", () => {
    const rel = recorded.find((x) => x.type === "kubernetes:helm.sh/v3:Release" && x.inputs.chart === "argo-cd");
    assert.equal(rel?.inputs.values.configs.cm["accounts.ci-readonly"], "apiKey");
    assert.equal(rel?.inputs.values.configs.secret, undefined);
    for (const t of ["argocd:AccountToken", "argocd:WebhookSecret", "gitlab:ProjectHook"]) {
        assert.equal(ofType(`pulumi-nodejs:dynamic/${t}`).length, 0, t);
    }
    assert.deepEqual(ofType(GITLAB_GROUP_VARIABLE_TYPE).map((v) => v.inputs.key).filter((k) => k.startsWith("ARGOCD")), []);
    assert.ok(!("argocdCiTokenExpiresAt" in outputs));
});
