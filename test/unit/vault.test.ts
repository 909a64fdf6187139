/** VaultPlatform and EnvironmentAccess under mocks: mounts, auth config, policies, roles. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as vault from "@pulumi/vault";
import { MOCK_ORGANIZATION, installMocks, ofType, one, providerRef, recorded, settle } from "../support/mocks";
import { parsePolicy } from "../support/hcl";
import { VaultPlatform } from "../../components/vault/VaultPlatform";
import { EnvironmentAccess } from "../../components/vault/EnvironmentAccess";
import { stackIdentity } from "../../stacks/stackIdentity";

const dev = stackIdentity(MOCK_ORGANIZATION, "gitops-platform", "dev", "gitops-poc-dzha");
const prod = stackIdentity(MOCK_ORGANIZATION, "gitops-platform", "prod", "gitops-poc-dzha");

let providers: { vault: vault.Provider; kubernetes: k8s.Provider };

before(async () => {
    await installMocks("dev");
    providers = { vault: new vault.Provider("v", {}), kubernetes: new k8s.Provider("k", {}) };
    const owned = new VaultPlatform(
        "owned",
        {
            kvMount: "secret",
            manageKvMount: true,
            pathPrefix: "gitops-poc-dzha",
            kubernetesAuthMount: "kubernetes",
            kubernetesHost: "https://kubernetes.default.svc",
            tokenReviewerNamespace: "kube-system",
            registrySecretPath: dev.registrySecretPath,
            registryPolicyName: dev.registryPolicyName,
            tokenReviewerName: dev.tokenReviewerName,
            ownerLabels: dev.labels,
            protect: true,
        },
        { providers },
    );
    new VaultPlatform(
        "shared",
        {
            kvMount: "secret",
            manageKvMount: false,
            pathPrefix: "gitops-poc-dzha",
            kubernetesAuthMount: "kubernetes-prod",
            kubernetesHost: "https://prod-api.example.com:6443",
            tokenReviewerNamespace: "kube-system",
            registrySecretPath: prod.registrySecretPath,
            registryPolicyName: prod.registryPolicyName,
            tokenReviewerName: prod.tokenReviewerName,
            ownerLabels: prod.labels,
            protect: false,
        },
        { providers },
    );
    new EnvironmentAccess(
        "dev",
        {
            environment: "dev",
            namespace: "poc-dev",
            kvMount: owned.kvMount,
            pathPrefix: "gitops-poc-dzha",
            authMount: owned.authMount,
            serviceAccounts: ["default", "deployer"],
            audience: "vault",
            tokenTtl: "1h",
            extraPolicies: [owned.registryPolicyName],
        },
        { providers: { vault: providers.vault } },
    );
    await settle();
});

test("the owned KV mount is kv version 2 at secret/, protected", () => {
    const mounts = ofType("vault:index/mount:Mount");
    assert.equal(mounts.length, 1, "only the stack that owns the mount creates it");
    const m = mounts[0];
    assert.equal(m.inputs.path, "secret");
    assert.equal(m.inputs.type, "kv", "type kv + options.version 2 (kv-v2 would force replacement)");
    assert.deepEqual(m.inputs.options, { version: "2" });
    assert.equal(m.protect, true);
    assert.equal(m.retainOnDelete, true, "destroying the stack never deletes the secrets in the mount");
});

test("Kubernetes auth backends at their mounts; protection follows the flag", () => {
    const owned = one("vault:index/authBackend:AuthBackend", "owned-kubernetes-auth");
    assert.deepEqual([owned.inputs.type, owned.inputs.path, owned.protect], ["kubernetes", "kubernetes", true]);
    const shared = one("vault:index/authBackend:AuthBackend", "shared-kubernetes-auth");
    assert.deepEqual([shared.inputs.path, shared.protect], ["kubernetes-prod", false]);
});

test("auth config uses the reviewer token (secret) and the cluster CA", () => {
    const cfg = one("vault:kubernetes/authBackendConfig:AuthBackendConfig", "owned-kubernetes-auth-config");
    assert.equal(cfg.inputs.backend, "kubernetes");
    assert.equal(cfg.inputs.kubernetesHost, "https://kubernetes.default.svc");
    assert.equal(cfg.inputs.tokenReviewerJwt, "mock-reviewer-jwt");
    assert.ok(cfg.wire.tokenReviewerJwt && typeof cfg.wire.tokenReviewerJwt === "object", "reviewer JWT travels as a secret");
    assert.match(cfg.inputs.kubernetesCaCert, /BEGIN CERTIFICATE/);
    const shared = one("vault:kubernetes/authBackendConfig:AuthBackendConfig", "shared-kubernetes-auth-config");
    assert.equal(shared.inputs.kubernetesHost, "https://prod-api.example.com:6443");
});

test("token reviewer ServiceAccount is bound to system:auth-delegator with a token Secret, named and labelled per stack", () => {
    const labels = (stack: string) => ({ "app.kubernetes.io/managed-by": "gitops-platform", "gitops-platform/stack": stack });
    for (const [component, stack] of [["owned", "dev"], ["shared", "prod"]]) {
        const name = `vault-token-reviewer-${stack}`;
        const sa = one("kubernetes:core/v1:ServiceAccount", `${component}-token-reviewer-sa`);
        assert.deepEqual(sa.inputs.metadata, { name, namespace: "kube-system", labels: labels(stack), annotations: { "pulumi.com/patchForce": "true" } });
        const crb = one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", `${component}-token-reviewer-auth-delegator`);
        assert.equal(crb.inputs.metadata.name, name);
        assert.deepEqual(crb.inputs.metadata.labels, labels(stack));
        assert.equal(crb.inputs.roleRef.name, "system:auth-delegator");
        assert.deepEqual(crb.inputs.subjects, [{ kind: "ServiceAccount", name, namespace: "kube-system" }]);
        const secret = one("kubernetes:core/v1:Secret", `${component}-token-reviewer-token`);
        assert.equal(secret.inputs.type, "kubernetes.io/service-account-token");
        assert.equal(secret.inputs.metadata.name, `${name}-token`);
        assert.deepEqual(secret.inputs.metadata.labels, labels(stack));
        assert.equal(secret.inputs.metadata.annotations["kubernetes.io/service-account.name"], name);
    }
    for (const type of ["kubernetes:core/v1:ServiceAccount", "kubernetes:core/v1:Secret", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"]) {
        const names = ofType(type).map((r) => `${r.inputs.metadata.namespace ?? ""}/${r.inputs.metadata.name}`);
        assert.equal(new Set(names).size, names.length, `one ${type} per stack, no name clash on a shared cluster: ${names}`);
    }
});

test("registry-read-<stack> policy reads only the stack's own registry path", async () => {
    const p = one("vault:index/policy:Policy", "owned-registry-read");
    assert.equal(p.inputs.name, "registry-read-dev");
    assert.deepEqual(await parsePolicy(p.inputs.policy), [
        { path: "secret/data/gitops-poc-dzha/platform/stacks/dev/registry", capabilities: ["read"] },
    ]);
    const shared = one("vault:index/policy:Policy", "shared-registry-read");
    assert.equal(shared.inputs.name, "registry-read-prod");
    assert.deepEqual(await parsePolicy(shared.inputs.policy), [
        { path: "secret/data/gitops-poc-dzha/platform/stacks/prod/registry", capabilities: ["read"] },
    ]);
});

test("environment policy poc-dev-read and role poc-dev-default as the seed", async () => {
    const p = one("vault:index/policy:Policy", "dev-read");
    assert.equal(p.inputs.name, "poc-dev-read");
    assert.deepEqual(await parsePolicy(p.inputs.policy), [
        { path: "secret/data/gitops-poc-dzha/+/dev/+", capabilities: ["read"] },
        { path: "secret/metadata/gitops-poc-dzha/+/dev/+", capabilities: ["read", "list"] },
    ]);
    const role = one("vault:kubernetes/authBackendRole:AuthBackendRole", "dev-role");
    assert.equal(role.inputs.roleName, "poc-dev-default");
    assert.equal(role.inputs.backend, "kubernetes");
    assert.deepEqual(role.inputs.boundServiceAccountNames, ["default", "deployer"]);
    assert.deepEqual(role.inputs.boundServiceAccountNamespaces, ["poc-dev"], "bound to its own namespace only");
    assert.equal(role.inputs.audience, "vault");
    assert.equal(role.inputs.tokenTtl, 3600);
    assert.deepEqual(role.inputs.tokenPolicies, ["poc-dev-read", "registry-read-dev"]);
});

test("every Vault resource uses the explicit provider and is parented to its component", () => {
    for (const r of recorded.filter((x) => x.type.startsWith("vault:") && x.custom)) {
        assert.match(r.provider, /pulumi:providers:vault::v::/, `${r.name} uses the explicit vault provider`);
        assert.match(r.parent, /gitops-platform:vault:(VaultPlatform|EnvironmentAccess)/, `${r.name} is parented`);
    }
});

test("every child uses the provider of its package given in the component's options, never a default provider", async () => {
    const explicit = { vault: await providerRef(providers.vault), kubernetes: await providerRef(providers.kubernetes) };
    const children = recorded.filter((r) => r.custom && (r.type.startsWith("vault:") || r.type.startsWith("kubernetes:")));
    assert.equal(children.filter((r) => r.type.startsWith("kubernetes:")).length, 6, "two token reviewers: SA, binding, token Secret");
    for (const r of children) {
        const pkg = r.type.split(":")[0] as "vault" | "kubernetes";
        assert.equal(r.provider, explicit[pkg], `${r.type} ${r.name} uses the explicit ${pkg} provider`);
    }
    for (const r of children.filter((x) => x.type.startsWith("kubernetes:"))) {
        assert.match(r.parent, /::gitops-platform:vault:VaultPlatform\$gitops-platform:kubernetes:TokenReviewer::/, `${r.name} is the reviewer's`);
    }
});
