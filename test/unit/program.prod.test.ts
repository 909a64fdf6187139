/** The whole program driven by the committed Pulumi.prod.yaml, under mocks. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { kubernetesKind, ofType, one } from "../support/mocks";
import { resolveDeep, runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";

let outputs: Record<string, any>;

before(async () => {
    outputs = await runProgram("prod", stackConfig("prod", { "gitops-platform:gitlabToken": "glpat-prod" }), ["gitops-platform:gitlabToken"]);
});

test("prod does not own the shared KV mount", () => {
    assert.equal(ofType("vault:index/mount:Mount").length, 0);
    const role = one("vault:kubernetes/authBackendRole:AuthBackendRole", "env-prod-role");
    assert.equal(role.inputs.roleName, "poc-prod-default");
});

test("prod has its own Kubernetes auth mount, configured for the external API address, protected", () => {
    const backend = one("vault:index/authBackend:AuthBackend", "vault-kubernetes-auth");
    assert.equal(backend.inputs.path, "kubernetes-prod");
    assert.equal(backend.protect, true);
    const cfg = one("vault:kubernetes/authBackendConfig:AuthBackendConfig", "vault-kubernetes-auth-config");
    assert.equal(cfg.inputs.kubernetesHost, "https://prod-api.example.com:6443");
    assert.equal(one("vault:kubernetes/authBackendRole:AuthBackendRole", "env-prod-role").inputs.backend, "kubernetes-prod");
    const [auth] = kubernetesKind("VaultAuth");
    assert.equal(auth.inputs.spec.mount, "kubernetes-prod", "VSO logs in at the prod mount");
});

test("the registry policy does not collide with the dev stack's", () => {
    const policy = one("vault:index/policy:Policy", "vault-registry-read");
    assert.equal(policy.inputs.name, "registry-read-kubernetes-prod");
    assert.deepEqual(one("vault:kubernetes/authBackendRole:AuthBackendRole", "env-prod-role").inputs.tokenPolicies, [
        "poc-prod-read",
        "registry-read-kubernetes-prod",
    ]);
});

test("the prod namespace is protected", () => {
    const ns = ofType("kubernetes:core/v1:Namespace");
    assert.deepEqual(ns.map((n) => [n.inputs.metadata.name, n.protect]), [["poc-prod", true]]);
});

test("outputs list the prod environment only", async () => {
    const r = (await resolveDeep({ ...outputs })) as Record<string, any>;
    assert.deepEqual(r.namespaces, { prod: "poc-prod" });
    assert.deepEqual(r.vaultAccess, { prod: { policy: "poc-prod-read", role: "poc-prod-default" } });
    assert.equal(r.vaultAuthMount, "kubernetes-prod");
    assert.equal(r.applications.length, 5);
});
