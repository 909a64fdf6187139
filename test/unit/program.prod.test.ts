/** The whole program driven by the committed Pulumi.prod.yaml, under mocks. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { OWNED_KV_SECRET_TYPE, isSecretAt, kubernetesKind, ofType, one, recorded, type Recorded } from "../support/mocks";
import { resolveDeep, runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";
import { parsePolicy } from "../support/hcl";

const REGISTRY_PATH = "gitops-poc-dzha/platform/stacks/prod/registry";
let outputs: Record<string, any>;

before(async () => {
    outputs = await runProgram("prod", stackConfig("prod", { "gitops-platform:gitlabToken": "glpat-prod" }), ["gitops-platform:gitlabToken"]);
});

/** A Vault policy path as a RegExp: `+` is exactly one segment, a trailing `*` any suffix. */
function globOf(path: string): RegExp {
    const star = path.endsWith("*");
    const body = (star ? path.slice(0, -1) : path)
        .split("/")
        .map((s) => (s === "+" ? "[^/]+" : s.replace(/[.*?^${}()|[\]\\]/g, "\\$&")))
        .join("/");
    return new RegExp("^" + body + (star ? ".*" : "") + "$");
}

/** What one stack writes in Vault and the cluster-wide names it takes, from its recorded resources. */
function footprint(rs: Recorded[]) {
    const of = (type: string) => rs.filter((r) => r.type === type);
    const vaultPaths = [
        ...of("vault:index/mount:Mount").map((r) => `sys/mounts/${r.inputs.path}`),
        ...of("vault:index/authBackend:AuthBackend").map((r) => `sys/auth/${r.inputs.path}`),
        ...of("vault:kubernetes/authBackendConfig:AuthBackendConfig").map((r) => `auth/${r.inputs.backend}/config`),
        ...of("vault:kubernetes/authBackendRole:AuthBackendRole").map((r) => `auth/${r.inputs.backend}/role/${r.inputs.roleName}`),
        ...of("vault:index/policy:Policy").map((r) => `sys/policies/acl/${r.inputs.name}`),
        ...of(OWNED_KV_SECRET_TYPE).flatMap((r) => [`${r.inputs.mount}/data/${r.inputs.path}`, `${r.inputs.mount}/metadata/${r.inputs.path}`]),
    ];
    const reviewer = (type: string) =>
        rs.filter((r) => r.type === type && r.parent.includes("TokenReviewer")).map((r) => `${r.inputs.metadata.namespace ?? ""}/${r.inputs.metadata.name}`);
    const registry = of(OWNED_KV_SECRET_TYPE);
    assert.equal(registry.length, 1, "one registry secret per stack");
    return {
        vaultPaths,
        policyNames: of("vault:index/policy:Policy").map((r) => r.inputs.name as string),
        policies: of("vault:index/policy:Policy"),
        roles: of("vault:kubernetes/authBackendRole:AuthBackendRole"),
        registryPath: `${registry[0].inputs.mount}/data/${registry[0].inputs.path}`,
        registryMetadataPath: `${registry[0].inputs.mount}/metadata/${registry[0].inputs.path}`,
        staticSecretPaths: rs.filter((r) => r.type.endsWith(":VaultStaticSecret")).map((r) => `${r.inputs.spec.mount}/data/${r.inputs.spec.path}`),
        reviewers: [
            ...reviewer("kubernetes:core/v1:ServiceAccount"),
            ...reviewer("kubernetes:core/v1:Secret"),
            ...reviewer("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"),
        ],
    };
}

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

test("the registry policy registry-read-prod reads only the prod stack's registry path", async () => {
    const policy = one("vault:index/policy:Policy", "vault-registry-read");
    assert.equal(policy.inputs.name, "registry-read-prod");
    assert.deepEqual(await parsePolicy(policy.inputs.policy), [{ path: `secret/data/${REGISTRY_PATH}`, capabilities: ["read"] }]);
    assert.deepEqual(one("vault:kubernetes/authBackendRole:AuthBackendRole", "env-prod-role").inputs.tokenPolicies, [
        "poc-prod-read",
        "registry-read-prod",
    ]);
});

test("the prod registry secret: its own path, owned by the prod stack, synced by regsecret", () => {
    const secrets = ofType(OWNED_KV_SECRET_TYPE);
    assert.equal(secrets.length, 1);
    assert.equal(secrets[0].inputs.mount, "secret");
    assert.equal(secrets[0].inputs.path, REGISTRY_PATH);
    assert.equal(secrets[0].inputs.owner, "organization/gitops-platform/prod");
    assert.ok(isSecretAt(secrets[0].wire, "data"));
    assert.deepEqual([...secrets[0].additionalSecretOutputs].sort(), ["data", "sha256"]);
    const vss = kubernetesKind("VaultStaticSecret");
    assert.equal(vss.length, 1);
    assert.equal(vss[0].inputs.spec.path, REGISTRY_PATH);
});

test("token reviewer vault-token-reviewer-prod, labelled with the prod stack", () => {
    const labels = { "app.kubernetes.io/managed-by": "gitops-platform", "gitops-platform/stack": "prod" };
    const sa = one("kubernetes:core/v1:ServiceAccount", "vault-token-reviewer-sa");
    assert.deepEqual(sa.inputs.metadata, { name: "vault-token-reviewer-prod", namespace: "kube-system", labels, annotations: { "pulumi.com/patchForce": "true" } });
    const secret = one("kubernetes:core/v1:Secret", "vault-token-reviewer-token");
    assert.equal(secret.inputs.metadata.name, "vault-token-reviewer-prod-token");
    assert.deepEqual(secret.inputs.metadata.labels, labels);
    const crb = one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "vault-token-reviewer-auth-delegator");
    assert.equal(crb.inputs.metadata.name, "vault-token-reviewer-prod");
    assert.deepEqual(crb.inputs.metadata.labels, labels);
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
    assert.equal(r.registrySecretPath, `secret/data/${REGISTRY_PATH}`);
    assert.equal(r.applications.length, 5);
    assert.equal(r.registryTokenExpiresAt, "2027-01-01", "prod's registry deploy token expiry");
    assert.equal(r.repoTokenExpiresAt, "2027-01-01", "prod's Argo CD deploy token expiry");
});

// Last: runs the dev program in this process after prod's (its resources join `recorded`).
test("dev and prod side by side: disjoint Vault paths, policy and token reviewer names; no role of one stack reads the other's registry secret", async () => {
    const prodRecords = recorded.slice();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    delete require.cache[require.resolve("../../stacks/index")];
    const devConfig = stackConfig("dev", { "gitops-platform:gitlabToken": "glpat-dev", "vault:token": "hvs.dev" });
    const devOutputs = await runProgram("dev", devConfig, ["gitops-platform:gitlabToken", "vault:token"]);
    const devRecords = recorded.slice(prodRecords.length);
    assert.ok(devRecords.some((r) => r.type === "vault:index/mount:Mount"), "the dev program ran (it owns the KV mount)");

    const dev = footprint(devRecords);
    const prod = footprint(prodRecords);
    const overlap = (a: string[], b: string[]) => a.filter((x) => b.includes(x));
    assert.deepEqual(overlap(dev.vaultPaths, prod.vaultPaths), [], "no Vault path written by both stacks");
    assert.deepEqual(overlap(dev.policyNames, prod.policyNames), [], "no policy name in both stacks");
    assert.deepEqual(overlap(dev.reviewers, prod.reviewers), [], "no token reviewer object in both stacks");
    assert.equal(dev.reviewers.length, 3);
    assert.equal(prod.reviewers.length, 3);

    assert.equal(dev.registryPath, "secret/data/gitops-poc-dzha/platform/stacks/dev/registry");
    assert.equal(prod.registryPath, `secret/data/${REGISTRY_PATH}`);
    assert.deepEqual([...new Set(dev.staticSecretPaths)], [dev.registryPath], "dev namespaces sync dev's secret only");
    assert.deepEqual([...new Set(prod.staticSecretPaths)], [prod.registryPath], "prod namespaces sync prod's secret only");
    const outs = (await resolveDeep({ dev: devOutputs.registrySecretPath, prod: outputs.registrySecretPath })) as Record<string, string>;
    assert.deepEqual(outs, { dev: dev.registryPath, prod: prod.registryPath });

    // What each role may read: the policies it carries, as the stack wrote them.
    for (const [self, other, name] of [[dev, prod, "dev"], [prod, dev, "prod"]] as const) {
        assert.ok(self.roles.length > 0);
        for (const role of self.roles) {
            for (const policyName of role.inputs.tokenPolicies as string[]) {
                const policy = self.policies.find((p) => p.inputs.name === policyName);
                assert.ok(policy, `${name}: role ${role.inputs.roleName} carries ${policyName}, which ${name} defines`);
                for (const rule of await parsePolicy(policy.inputs.policy)) {
                    for (const target of [other.registryPath, other.registryMetadataPath]) {
                        assert.ok(!globOf(rule.path).test(target), `${name}: ${policyName} rule ${rule.path} reaches ${target}`);
                    }
                }
            }
        }
        // And the stack's own roles do reach its own secret (the check above is not vacuous).
        const own = await Promise.all(
            self.policies.map(async (p) => (await parsePolicy(p.inputs.policy)).some((r) => globOf(r.path).test(self.registryPath))),
        );
        assert.ok(own.some(Boolean), `${name} can read its own registry secret`);
    }
});
