/**
 * Preview environments (issue 14) under mocks: the dev stack with previews on for two services. The
 * preview namespace gets what an environment gets (regsecret, VaultAuth, a role whose policy
 * reaches only <prefix>/+/preview/+), the AppProject may deploy there, one ApplicationSet with a
 * GitLab pull-request generator per service (valid against the upstream CRD), the generator's token
 * in Vault and synced by VSO as a scm-creds Secret, a quota, and the token never in clear.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { OWNED_KV_SECRET_TYPE, clearStrings, isSecretAt, kubernetesKind, ofType, recorded } from "../support/mocks";
import { runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";
import { crdSkipReason, validateCustomResource } from "../support/crds";
import { parsePolicy } from "../support/hcl";

const PREVIEW_TOKEN = "glpat-preview-read-api-NEVER-in-clear-42";
const GROUP = "gitops-poc-dzha";
let outputs: Record<string, any>;

before(async () => {
    const config = stackConfig("dev", {
        "gitops-platform:previews": {
            enabled: true,
            services: ["api-gateway", "web-grpc"],
            host: { pattern: "{service}-mr-{number}.preview.example.com", parameter: "ingress.host" },
            maxPreviews: 4,
        },
        "gitops-platform:previewsGitlabToken": PREVIEW_TOKEN,
        "gitops-platform:gitlabToken": "glpat-test-api-token-0123456789",
        "vault:token": "hvs.test-vault-root-token",
    });
    outputs = await runProgram("dev", config, ["gitops-platform:previewsGitlabToken", "gitops-platform:gitlabToken", "vault:token"]);
});

function cr(kind: string, name: string) {
    const r = recorded.filter((x) => x.type === "kubernetes:apiextensions.k8s.io:CustomResource" || x.type.startsWith("kubernetes:"))
        .filter((x) => x.inputs?.kind === kind && x.inputs?.metadata?.name === name);
    assert.equal(r.length, 1, `one ${kind} ${name} (got ${r.length})`);
    return r[0];
}

test("outputs: previewNamespace poc-preview and the ApplicationSet poc-previews; no preview Application in the bootstrap list", () => {
    assert.equal(outputs.previewNamespace, "poc-preview");
    assert.equal(outputs.previewApplicationSet, "poc-previews");
    assert.deepEqual(Object.keys(outputs.namespaces), ["dev", "staging"]);
    assert.ok(!(outputs.applications as string[]).some((a) => /preview|-mr-/.test(a)));
});

test("the preview namespace is made like an environment: Namespace, VaultAuth vault-auth, regsecret VaultStaticSecret", () => {
    const ns = kubernetesKind("Namespace").filter((n) => n.inputs.metadata.name === "poc-preview");
    assert.equal(ns.length, 1);
    assert.equal(ns[0].inputs.metadata.labels["gitops-platform/environment"], "preview");
    const auth = recorded.filter((x) => x.inputs?.kind === "VaultAuth" && x.inputs.metadata.namespace === "poc-preview");
    assert.equal(auth.length, 1);
    assert.equal(auth[0].inputs.spec.kubernetes.role, "poc-preview-default");
    const vss = recorded.filter((x) => x.inputs?.kind === "VaultStaticSecret" && x.inputs.metadata.namespace === "poc-preview");
    assert.equal(vss.length, 1);
    assert.equal(vss[0].inputs.spec.destination.type, "kubernetes.io/dockerconfigjson");
});

test("Vault: poc-preview-read reaches only <prefix>/+/preview/+ (data read, metadata read/list); the role binds default in poc-preview", async () => {
    const policy = ofType("vault:index/policy:Policy").find((p) => p.inputs.name === "poc-preview-read");
    assert.ok(policy);
    assert.deepEqual(await parsePolicy(policy.inputs.policy), [
        { path: `secret/data/${GROUP}/+/preview/+`, capabilities: ["read"] },
        { path: `secret/metadata/${GROUP}/+/preview/+`, capabilities: ["read", "list"] },
    ]);
    const role = ofType("vault:kubernetes/authBackendRole:AuthBackendRole").find((r) => r.inputs.roleName === "poc-preview-default");
    assert.ok(role);
    assert.deepEqual(role.inputs.boundServiceAccountNamespaces, ["poc-preview"]);
    assert.deepEqual(role.inputs.boundServiceAccountNames, ["default"]);
    assert.equal(role.inputs.audience, "vault");
    assert.ok(role.inputs.tokenPolicies.includes("poc-preview-read"));
});

test("service secret placeholders at <prefix>/<service>/preview/config for the preview services only", () => {
    const paths = ofType("pulumi-nodejs:dynamic/vault:ServiceSecretPlaceholder").map((p) => p.inputs.path).filter((p: string) => p.includes("/preview/"));
    assert.deepEqual(paths.sort(), [`${GROUP}/api-gateway/preview/config`, `${GROUP}/web-grpc/preview/config`]);
});

test("the AppProject may deploy to the preview namespace", () => {
    const project = cr("AppProject", "poc");
    const namespaces = project.inputs.spec.destinations.map((d: any) => d.namespace);
    assert.ok(namespaces.includes("poc-preview"), namespaces.join(", "));
});

test("ApplicationSet poc-previews: one GitLab pull-request generator per preview service, opened MRs labelled preview, token from poc-preview-scm", () => {
    const appset = cr("ApplicationSet", "poc-previews");
    assert.equal(appset.inputs.metadata.namespace, "argocd");
    const gens = appset.inputs.spec.generators;
    assert.equal(gens.length, 2);
    assert.deepEqual(
        gens.map((g: any) => g.pullRequest.gitlab.project),
        [`${GROUP}/api-gateway`, `${GROUP}/web-grpc`],
    );
    for (const g of gens) {
        const gl = g.pullRequest.gitlab;
        assert.equal(gl.api, "https://gitlab.com");
        assert.deepEqual(gl.labels, ["preview"]);
        assert.equal(gl.pullRequestState, "opened");
        assert.deepEqual(gl.tokenRef, { secretName: "poc-preview-scm", key: "token" });
        assert.equal(g.pullRequest.requeueAfterSeconds, 180);
        assert.equal(g.pullRequest.values.repoURL, `https://gitlab.com/${GROUP}/${g.pullRequest.values.service}.git`);
    }
});

test("preview Application template: <service>-mr-<iid>, finalizer, poc-preview namespace, preview values, image tag and host parameters", () => {
    const t = cr("ApplicationSet", "poc-previews").inputs.spec.template;
    assert.equal(t.metadata.name, "{{.values.service}}-mr-{{.number}}");
    assert.deepEqual(t.metadata.finalizers, ["resources-finalizer.argocd.argoproj.io"]);
    assert.equal(t.metadata.labels["gitops-platform/environment"], "preview");
    assert.equal(t.metadata.labels["gitops-platform/merge-request"], "{{.number}}");
    assert.equal(t.spec.project, "poc");
    assert.equal(t.spec.destination.namespace, "poc-preview");
    const [chart, values] = t.spec.sources;
    assert.deepEqual(chart.helm.valueFiles, ["$values/.cicd/default.yaml", "$values/.cicd/preview.yaml"]);
    assert.equal(chart.helm.releaseName, "{{.values.service}}-mr-{{.number}}");
    assert.deepEqual(chart.helm.parameters, [
        { name: "image.tag", value: "mr-{{.number}}-{{.head_short_sha}}" },
        { name: "ingress.host", value: "{{.values.service}}-mr-{{.number}}.preview.example.com" },
    ]);
    assert.deepEqual(values, { repoURL: "{{.values.repoURL}}", targetRevision: "{{.head_sha}}", ref: "values" });
    assert.deepEqual(t.spec.syncPolicy.automated, { prune: true, selfHeal: true });
    assert.equal(cr("ApplicationSet", "poc-previews").inputs.spec.syncPolicy.preserveResourcesOnDeletion, false);
});

test("the generator's token: in Vault at <prefix>/platform/stacks/dev/previews-scm (secret), synced by VSO into argocd as a scm-creds Secret", async () => {
    const kv = ofType(OWNED_KV_SECRET_TYPE).filter((s) => s.inputs.path === `${GROUP}/platform/stacks/dev/previews-scm`);
    assert.equal(kv.length, 1);
    assert.ok(isSecretAt(kv[0].wire, "data"));
    const vss = cr("VaultStaticSecret", "poc-preview-scm");
    assert.equal(vss.inputs.metadata.namespace, "argocd");
    assert.equal(vss.inputs.spec.path, `${GROUP}/platform/stacks/dev/previews-scm`);
    assert.deepEqual(vss.inputs.spec.destination.labels, { "argocd.argoproj.io/secret-type": "scm-creds" });
    assert.equal(vss.inputs.spec.destination.transformation.excludeRaw, true);
    assert.equal(cr("VaultAuth", "poc-preview-scm").inputs.spec.kubernetes.serviceAccount, "poc-preview-scm");
    const role = ofType("vault:kubernetes/authBackendRole:AuthBackendRole").find((r) => r.inputs.roleName === "poc-preview-scm");
    assert.ok(role);
    assert.deepEqual(role.inputs.boundServiceAccountNamespaces, ["argocd"]);
    assert.deepEqual(role.inputs.boundServiceAccountNames, ["poc-preview-scm"]);
    const policy = ofType("vault:index/policy:Policy").find((p) => p.inputs.name === "poc-preview-scm-read");
    assert.ok(policy);
    assert.deepEqual(await parsePolicy(policy.inputs.policy), [{ path: `secret/data/${GROUP}/platform/stacks/dev/previews-scm`, capabilities: ["read"] }]);
});

test("quota: at most maxPreviews × services Deployments in the preview namespace", () => {
    const q = kubernetesKind("ResourceQuota");
    assert.equal(q.length, 1);
    assert.equal(q[0].inputs.metadata.namespace, "poc-preview");
    assert.deepEqual(q[0].inputs.spec.hard, { "count/deployments.apps": "8" });
});

test("the preview token never appears in clear in any registered input", () => {
    const leaks = recorded.flatMap((r) => clearStrings(r.wire).filter((s) => s.value.includes(PREVIEW_TOKEN)).map((s) => `${r.name}:${s.path}`));
    assert.deepEqual(leaks, []);
});

test("every preview custom resource is valid against its upstream CRD", (t) => {
    if (crdSkipReason()) {
        t.skip(crdSkipReason());
        return;
    }
    for (const [kind, name] of [["ApplicationSet", "poc-previews"], ["VaultStaticSecret", "poc-preview-scm"], ["VaultAuth", "poc-preview-scm"], ["AppProject", "poc"]]) {
        assert.deepEqual(validateCustomResource(cr(kind, name).inputs as any), [], `${kind} ${name}`);
    }
});
