/**
 * The change model on recorded events of real previews against kube-apiserver + OpenBao + the
 * GitLab double: a freshly applied stack, six drifts made behind Pulumi's back, and a config
 * change that replaces one environment and deletes another in a protected stack.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { byRisk, changesOf, countsOf, PROVIDER_CODE, type Change } from "../../../ops/lib/changes";
import { emptyRecord } from "../../../ops/lib/events";
import { isNoise } from "../../../ops/lib/noise";
import { widgetSummary } from "../../../ops/lib/previewReport";
import { recorded } from "./recorded";

const find = (cs: Change[], name: string) => {
    const c = cs.find((x) => x.name === name);
    assert.ok(c, `${name} in ${cs.map((x) => x.name).join(", ")}`);
    return c;
};

describe("changesOf", () => {
    it("a freshly applied stack has no change (refresh steps and same steps are not changes)", () => {
        const rec = recorded("clean");
        assert.ok(rec.refreshes.length > 30, "the fixture refreshed every resource");
        assert.deepEqual(changesOf(rec), []);
    });

    it("drift: each resource changed behind Pulumi's back is named, with its paths and what up does", () => {
        const cs = changesOf(recorded("drift"));
        const drifted = Object.fromEntries(cs.filter((c) => c.drifted).map((c) => [c.name, [c.action, c.driftKind, c.paths.join(",")]]));
        assert.deepEqual(drifted, {
            "registry-deploy-token": ["create", "deleted", ""], // revoked in GitLab
            "env-staging-role": ["create", "deleted", ""], // deleted in OpenBao
            "env-staging-vault-auth": ["create", "deleted", ""], // VaultAuth deleted
            "env-dev-read": ["update", "changed", "policy"], // policy widened
            "vault-kubernetes-auth-config": ["update", "changed", "kubernetesHost"],
            "registry-vault-secret": ["update", "changed", "version"], // KV overwritten (dynamic provider: outputs compared)
        });
        // what follows from the overwritten KV secret is an update, not drift of its own
        const vss = find(cs, "env-dev-regsecret");
        assert.equal(vss.drifted, false);
        assert.deepEqual(vss.paths, ["spec.destination.annotations.gitops-platform/registry-kv-version"]);
        // the provider's own config changed in that run (enablePatchForce): a pending change, not drift
        assert.deepEqual([find(cs, "kubernetes").drifted, find(cs, "kubernetes").paths], [false, ["enablePatchForce"]]);
        assert.ok(cs.every((c) => c.type !== "gitops-platform:kubernetes:EnvironmentNamespace"), "no component resource");
    });

    it("replacements carry the inputs that force them; deletions; protected resources; no component", () => {
        const cs = changesOf(recorded("replace-delete"));
        assert.deepEqual(find(cs, "env-dev-namespace").replaceReasons, ["metadata.name"]);
        assert.equal(find(cs, "env-dev-namespace").action, "replace");
        assert.equal(find(cs, "env-dev-namespace").protected, true);
        assert.deepEqual(find(cs, "env-dev-read").replaceReasons, ["name"]);
        assert.deepEqual(find(cs, "env-dev-role").replaceReasons, ["roleName"]);
        for (const n of ["env-staging-namespace", "env-staging-role", "env-staging-read", "env-staging-vault-auth", "env-staging-regsecret"]) {
            assert.equal(find(cs, n).action, "delete", n);
        }
        assert.ok(!cs.some((c) => c.name === "env-staging"), "component resources are not changes");
        const order = byRisk(cs).map((c) => c.action);
        assert.equal(order.indexOf("update") > order.lastIndexOf("delete"), true, "replacements and deletions first");
        assert.equal(order.lastIndexOf("replace") < order.indexOf("delete"), true);
    });

    it("counts and GitLab's widget: a replacement is one create and one delete", () => {
        const c = countsOf(changesOf(recorded("replace-delete")));
        assert.deepEqual(c, { create: 0, update: 3, replace: 6, delete: 6 });
        assert.deepEqual(widgetSummary(c), { create: 6, update: 3, delete: 12 });
    });

    it("a dynamic resource whose only difference is the provider's code says so", () => {
        const rec = emptyRecord();
        rec.steps.push({ op: "update", urn: "urn:pulumi:s::p::pulumi-nodejs:dynamic/x:Y::y", type: "pulumi-nodejs:dynamic/x:Y", protect: false, custom: true, providerCodeChanged: true });
        assert.deepEqual(changesOf(rec).map((c) => c.paths), [[PROVIDER_CODE]]);
    });

    it("noise: an update whose every path is noise is left out; one real path keeps it", () => {
        const rec = emptyRecord();
        const step = (name: string, type: string, paths: string[]) => ({
            op: "update" as const, urn: `urn:pulumi:s::p::${type}::${name}`, type, protect: false, custom: true,
            detailedDiff: Object.fromEntries(paths.map((p) => [p, { diffKind: "update", inputDiff: false }])),
        });
        rec.steps.push(step("argocd", "kubernetes:helm.sh/v3:Release", ["status.version", "resourceNames"]));
        rec.steps.push(step("vso", "kubernetes:helm.sh/v3:Release", ["status.version", "values.replicaCount"]));
        rec.steps.push(step("ns", "kubernetes:core/v1:Namespace", ["metadata.managedFields"]));
        assert.deepEqual(changesOf(rec).map((c) => c.name), ["vso"]);
        assert.equal(isNoise("vault:index/policy:Policy", "status"), false, "the kubernetes rule does not apply to vault");
    });
});
