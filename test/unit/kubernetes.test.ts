/** EnvironmentNamespace and VaultSecretsOperator under mocks, custom resources checked against the CRDs. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { installMocks, kubernetesKind, ofType, one, providerRef, recorded, settle } from "../support/mocks";
import { crdSkipReason, validateCustomResource } from "../support/crds";
import { EnvironmentNamespace } from "../../components/kubernetes/EnvironmentNamespace";
import { VaultSecretsOperator } from "../../components/vso/VaultSecretsOperator";

let provider: k8s.Provider;

before(async () => {
    await installMocks("dev");
    provider = new k8s.Provider("k", {});
    const opts = { providers: { kubernetes: provider } };
    // The chart the stack config pins (stacks/schema.ts).
    const chart = { chartVersion: "1.5.0", chartRepo: "https://helm.releases.hashicorp.com" };
    const vso = new VaultSecretsOperator(
        "vso",
        { enabled: true, ...chart, namespace: "vault-secrets-operator-system", vaultAddress: "http://vault.vault.svc:8200" },
        opts,
    );
    new VaultSecretsOperator("vso-existing", { enabled: false, ...chart, namespace: "vso-elsewhere", vaultAddress: "https://vault.example.com" }, opts);
    new EnvironmentNamespace(
        "dev",
        {
            namespace: "poc-dev",
            environment: "dev",
            vaultRole: "poc-dev-default",
            vaultAuthMount: "kubernetes",
            audiences: ["vault"],
            kvMount: "secret",
            registrySecretPath: "gitops-poc-dzha/platform/registry",
            registrySecretVersion: "4",
            refreshAfter: "1h",
            syncTimeoutSeconds: 180,
            serviceAccounts: ["default", "deployer"],
            protect: true,
            crdDependencies: vso.crdDependencies,
        },
        opts,
    );
    await settle();
});

test("namespace poc-dev, protected when asked", () => {
    const ns = one("kubernetes:core/v1:Namespace", "dev-namespace");
    assert.equal(ns.inputs.metadata.name, "poc-dev");
    assert.equal(ns.protect, true);
});

test("VaultAuth vault-auth: kubernetes method, role <ns>-default, SA default, audience vault", () => {
    const [auth] = kubernetesKind("VaultAuth");
    assert.equal(auth.type, "kubernetes:secrets.hashicorp.com/v1beta1:VaultAuth");
    assert.deepEqual(auth.inputs.metadata, { name: "vault-auth", namespace: "poc-dev", annotations: { "pulumi.com/patchForce": "true" } });
    assert.deepEqual(auth.inputs.spec, {
        method: "kubernetes",
        mount: "kubernetes",
        kubernetes: { role: "poc-dev-default", serviceAccount: "default", audiences: ["vault"] },
    });
});

test("VaultStaticSecret creates regsecret of type kubernetes.io/dockerconfigjson from <prefix>/platform/registry", () => {
    const [vss] = kubernetesKind("VaultStaticSecret");
    assert.deepEqual(vss.inputs.metadata, { name: "regsecret", namespace: "poc-dev", annotations: { "pulumi.com/patchForce": "true" } });
    const s = vss.inputs.spec;
    assert.equal(s.vaultAuthRef, "vault-auth");
    assert.equal(s.type, "kv-v2");
    assert.equal(s.mount, "secret");
    assert.equal(s.path, "gitops-poc-dzha/platform/registry", "KV path without data/");
    assert.equal(s.refreshAfter, "1h");
    assert.equal(s.destination.name, "regsecret");
    assert.equal(s.destination.create, true);
    assert.equal(s.destination.type, "kubernetes.io/dockerconfigjson");
});

test("up waits until VSO has synced KV version 4 into poc-dev/regsecret, after the VaultStaticSecret", () => {
    const wait = one("pulumi-nodejs:dynamic/kubernetes:RegistrySecretSync", "dev-regsecret-synced");
    const { namespace, secretName, annotation, version, type, timeoutSeconds } = wait.inputs;
    assert.deepEqual(
        { namespace, secretName, annotation, version, type, timeoutSeconds },
        {
            namespace: "poc-dev",
            secretName: "regsecret",
            annotation: "gitops-platform/registry-kv-version",
            version: "4",
            type: "kubernetes.io/dockerconfigjson",
            timeoutSeconds: 180,
        },
    );
    const [vss] = kubernetesKind("VaultStaticSecret");
    assert.ok(wait.dependencies.includes(vss.urn), "the wait depends on the VaultStaticSecret");
    assert.deepEqual(vss.inputs.spec.destination.annotations, { "gitops-platform/registry-kv-version": "4" });
});

test("regsecret joins the imagePullSecrets of every configured ServiceAccount, without owning them", () => {
    const entries = ofType("pulumi-nodejs:dynamic/kubernetes:ServiceAccountPullSecret");
    assert.deepEqual(entries.map((p) => p.inputs.serviceAccount).sort(), ["default", "deployer"]);
    for (const p of entries) {
        assert.equal(p.inputs.namespace, "poc-dev");
        assert.equal(p.inputs.secretName, "regsecret");
    }
    assert.equal(ofType("kubernetes:core/v1:ServiceAccountPatch").length, 0, "no server-side-apply patch owns the atomic list");
    assert.equal(ofType("kubernetes:core/v1:ServiceAccount").length, 0, "no ServiceAccount is created or owned");
});

test("VSO: pinned Helm release, default VaultConnection to vso.vaultAddress", () => {
    const rel = one("kubernetes:helm.sh/v3:Release", "vso-release");
    assert.equal(rel.inputs.chart, "vault-secrets-operator");
    assert.equal(rel.inputs.version, "1.5.0");
    assert.equal(rel.inputs.repositoryOpts.repo, "https://helm.releases.hashicorp.com");
    assert.equal(rel.inputs.namespace, "vault-secrets-operator-system");
    const conns = kubernetesKind("VaultConnection");
    const main = conns.find((c) => c.name === "vso-default-connection")!;
    assert.deepEqual(main.inputs.metadata, { name: "default", namespace: "vault-secrets-operator-system", annotations: { "pulumi.com/patchForce": "true" } });
    assert.deepEqual(main.inputs.spec, { address: "http://vault.vault.svc:8200", skipTLSVerify: false });
});

test("custom resources wait for the chart that brings their CRDs; with enabled:false they are still created", () => {
    const rel = one("kubernetes:helm.sh/v3:Release", "vso-release");
    for (const cr of [...kubernetesKind("VaultAuth"), ...kubernetesKind("VaultStaticSecret"), one("kubernetes:secrets.hashicorp.com/v1beta1:VaultConnection", "vso-default-connection")]) {
        assert.ok(cr.dependencies.includes(rel.urn), `${cr.name} dependsOn the VSO release`);
    }
    assert.equal(ofType("kubernetes:helm.sh/v3:Release").length, 1, "no release for the pre-installed operator");
    const existing = one("kubernetes:secrets.hashicorp.com/v1beta1:VaultConnection", "vso-existing-default-connection");
    assert.equal(existing.inputs.metadata.namespace, "vso-elsewhere");
    assert.deepEqual(existing.dependencies, []);
});

test("every Kubernetes resource uses the provider given in the component's options, never a default provider", async () => {
    const explicit = await providerRef(provider);
    const children = recorded.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    // vso: release + VaultConnection; vso-existing: VaultConnection; dev: Namespace, VaultAuth, VaultStaticSecret
    assert.equal(children.length, 6);
    for (const r of children) {
        assert.equal(r.provider, explicit, `${r.type} ${r.name} uses the explicit kubernetes provider`);
        assert.match(r.parent, /::gitops-platform:(vso:VaultSecretsOperator|kubernetes:EnvironmentNamespace)::/, `${r.name} is parented`);
    }
});

test("every VSO custom resource matches the upstream CRD schema (unknown fields are errors)", (t) => {
    const skip = crdSkipReason();
    if (skip) {
        t.skip(skip);
        return;
    }
    const crs = [...kubernetesKind("VaultAuth"), ...kubernetesKind("VaultStaticSecret"), ...kubernetesKind("VaultConnection")];
    assert.equal(crs.length, 4);
    for (const cr of crs) {
        assert.deepEqual(validateCustomResource(cr.inputs as any), [], `${cr.name} is valid`);
    }
});

test("the CRD check catches a misspelled field", (t) => {
    if (crdSkipReason()) {
        t.skip(crdSkipReason());
        return;
    }
    const [auth] = kubernetesKind("VaultAuth");
    const bad = structuredClone(auth.inputs);
    bad.spec.kubernetes.audience = ["vault"];
    assert.notDeepEqual(validateCustomResource(bad as any), []);
});
