/**
 * Argo CD served under a path (argocd.url https://tools.example.com/argocd) under mocks: ARGOCD_SERVER
 * is the CLI's host[:port], the path reaches the CLI as ARGOCD_OPTS `--grpc-web-root-path /argocd`
 * (and `grpcWebRootPath` in the Vault secret), the push hooks keep the path.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { GITLAB_GROUP_VARIABLE_TYPE, OWNED_KV_SECRET_TYPE, ofType } from "./../support/mocks";
import { resolveDeep, runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";

before(async () => {
    const base = stackConfig("dev");
    const argocd = JSON.parse(base["gitops-platform:argocd"] ?? "{}");
    const config = stackConfig("dev", {
        "gitops-platform:gitlabToken": "glpat-test-api-token-0123456789",
        "gitops-platform:argocdAdminPassword": "argocd-admin-password-path-test",
        "gitops-platform:argocd": { ...argocd, apiUrl: "http://127.0.0.1:8080", url: "https://tools.example.com:8443/argocd/" },
        "vault:token": "hvs.test-vault-root-token",
    });
    await runProgram("dev", config, ["gitops-platform:gitlabToken", "gitops-platform:argocdAdminPassword", "vault:token"]);
});

test("ARGOCD_SERVER = host:port, ARGOCD_OPTS = --grpc-web-root-path /argocd (not masked, not protected, raw)", () => {
    const vars = Object.fromEntries(ofType(GITLAB_GROUP_VARIABLE_TYPE).map((v) => [v.inputs.key, v.inputs]));
    assert.equal(vars.ARGOCD_SERVER.value, "tools.example.com:8443");
    assert.deepEqual(
        [vars.ARGOCD_OPTS?.value, vars.ARGOCD_OPTS?.masked, vars.ARGOCD_OPTS?.protected, vars.ARGOCD_OPTS?.raw],
        ["--grpc-web-root-path /argocd", false, false, true],
    );
});

test("the Vault secret carries server and grpcWebRootPath; the hooks go to <url>/api/webhook with the path", async () => {
    const ci = ofType(OWNED_KV_SECRET_TYPE).find((s) => s.inputs.path.endsWith("/argocd-ci"));
    assert.ok(ci);
    const data = (await resolveDeep(ci.inputs.data)) as Record<string, string>;
    assert.equal(data.server, "tools.example.com:8443");
    assert.equal(data.grpcWebRootPath, "/argocd");
    for (const h of ofType("pulumi-nodejs:dynamic/gitlab:ProjectHook")) assert.equal(h.inputs.url, "https://tools.example.com:8443/argocd/api/webhook");
});
