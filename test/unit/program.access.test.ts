/**
 * Other operators' Vault access (vault.writers) and per-service least privilege
 * (environments.<env>.perService) through the whole program under mocks: exact policy text, role
 * bindings, names, the VaultAuth objects against the upstream CRD, the outputs, the policy pack.
 * What Vault enforces is proven by test/e2e/access.sh against a real OpenBao.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { kubernetesKind, ofType, one, recorded } from "../support/mocks";
import { resolveDeep, runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";
import { crdSkipReason, validateCustomResource } from "../support/crds";
import { parsePolicy } from "../support/hcl";
import { vaultPolicyViolations } from "../../policy/rules/vaultPolicyLeastPrivilege";

const SERVICES = ["api-gateway", "auth-adapter", "web-grpc", "web-http", "health-demo"];
const POLICY = "vault:index/policy:Policy";
const ROLE = "vault:kubernetes/authBackendRole:AuthBackendRole";
const WRITER = { name: "vault-sync-operator", prefix: "k8s-sync/dev" };
let outputs: Record<string, any>;

before(async () => {
    const config = stackConfig("dev", {
        "gitops-platform:gitlabToken": "glpat-test-api-token-0123456789",
        "vault:token": "hvs.test-vault-root-token",
        "gitops-platform:environments": { dev: { perService: true }, staging: {} },
        "gitops-platform:vault": {
            kvMount: "secret",
            manageKvMount: true,
            kubernetesAuthMount: "kubernetes",
            audience: "vault",
            tokenTtl: "1h",
            writers: [WRITER],
        },
    });
    outputs = await runProgram("dev", config, ["gitops-platform:gitlabToken", "vault:token"]);
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

/** Capabilities a role's policies grant on `path` (the union over matching blocks, as the model; OpenBao decides in the e2e). */
async function capabilitiesOf(roleName: string, path: string): Promise<string[]> {
    const role = ofType(ROLE).find((r) => r.inputs.roleName === roleName);
    assert.ok(role, `role ${roleName}`);
    const caps = new Set<string>();
    for (const name of role.inputs.tokenPolicies as string[]) {
        const policy = ofType(POLICY).find((p) => p.inputs.name === name);
        assert.ok(policy, `${roleName} carries ${name}, which the stack defines`);
        for (const rule of await parsePolicy(policy.inputs.policy)) {
            if (globOf(rule.path).test(path)) rule.capabilities.forEach((c) => caps.add(c));
        }
    }
    return [...caps].sort();
}

test("perService: dev's environment role keeps only the registry policy; no poc-dev-read; staging unchanged", () => {
    assert.equal(ofType(POLICY).find((p) => p.inputs.name === "poc-dev-read"), undefined, "no policy reads every dev service");
    assert.deepEqual(one(ROLE, "env-dev-role").inputs.tokenPolicies, ["registry-read-dev"]);
    assert.deepEqual(one(ROLE, "env-dev-role").inputs.boundServiceAccountNames, ["default"]);
    assert.equal(one(POLICY, "env-staging-read").inputs.name, "poc-staging-read");
    assert.deepEqual(one(ROLE, "env-staging-role").inputs.tokenPolicies, ["poc-staging-read", "registry-read-dev"]);
});

test("perService: one policy <ns>-<service>-read per dev service, its own secrets only (exact text)", async () => {
    const names = ofType(POLICY).filter((p) => p.name.startsWith("svc-")).map((p) => p.inputs.name).sort();
    assert.deepEqual(names, SERVICES.map((s) => `poc-dev-${s}-read`).sort(), "dev only, none for staging");
    for (const s of SERVICES) {
        const policy = one(POLICY, `svc-dev.${s}-read`);
        assert.equal(
            policy.inputs.policy,
            [
                `# gitops-platform: read access to the secrets of service "${s}" in environment "dev" only.`,
                `# '+' matches exactly one path segment: <secret name>.`,
                `path "secret/data/gitops-poc-dzha/${s}/dev/+" {`,
                `  capabilities = ["read"]`,
                `}`,
                ``,
                `path "secret/metadata/gitops-poc-dzha/${s}/dev/+" {`,
                `  capabilities = ["read", "list"]`,
                `}`,
                ``,
            ].join("\n"),
        );
        assert.deepEqual(await parsePolicy(policy.inputs.policy), [
            { path: `secret/data/gitops-poc-dzha/${s}/dev/+`, capabilities: ["read"] },
            { path: `secret/metadata/gitops-poc-dzha/${s}/dev/+`, capabilities: ["read", "list"] },
        ]);
    }
});

test("perService: role <ns>-<service> bound to ServiceAccount <service> of poc-dev only, audience vault, 1h", () => {
    for (const s of SERVICES) {
        const role = one(ROLE, `svc-dev.${s}-role`);
        assert.equal(role.inputs.roleName, `poc-dev-${s}`);
        assert.equal(role.inputs.backend, "kubernetes");
        assert.deepEqual(role.inputs.boundServiceAccountNames, [s]);
        assert.deepEqual(role.inputs.boundServiceAccountNamespaces, ["poc-dev"]);
        assert.equal(role.inputs.audience, "vault");
        assert.deepEqual(role.inputs.tokenPolicies, [`poc-dev-${s}-read`], "not the registry policy: the default role syncs regsecret");
        assert.equal(role.inputs.tokenTtl, 3600);
        assert.ok(role.parent.includes("gitops-platform:vault:ServiceAccess"));
    }
});

test("perService: a ServiceAccount <service> in poc-dev with regsecret, owned by the stack; none in staging", () => {
    const sas = ofType("kubernetes:core/v1:ServiceAccount").filter((r) => r.inputs.metadata.labels?.["gitops-platform/service"]);
    assert.deepEqual(sas.map((r) => `${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`).sort(), SERVICES.map((s) => `poc-dev/${s}`).sort());
    for (const sa of sas) {
        assert.deepEqual(sa.inputs.imagePullSecrets, [{ name: "regsecret" }]);
        assert.equal(sa.inputs.metadata.labels["gitops-platform/stack"], "dev");
        assert.equal(sa.inputs.metadata.labels["app.kubernetes.io/managed-by"], "gitops-platform");
        assert.equal(sa.inputs.metadata.labels["gitops-platform/service"], sa.inputs.metadata.name);
    }
});

test("perService: a VaultAuth vault-auth-<service> per dev service logs in as its ServiceAccount to its role; vault-auth stays", () => {
    const auths = kubernetesKind("VaultAuth");
    const byName = (ns: string, name: string) => auths.find((a) => a.inputs.metadata.namespace === ns && a.inputs.metadata.name === name);
    for (const s of SERVICES) {
        const a = byName("poc-dev", `vault-auth-${s}`);
        assert.ok(a, `vault-auth-${s}`);
        assert.deepEqual(a.inputs.spec, {
            method: "kubernetes",
            mount: "kubernetes",
            kubernetes: { role: `poc-dev-${s}`, serviceAccount: s, audiences: ["vault"] },
        });
        assert.equal(byName("poc-staging", `vault-auth-${s}`), undefined);
    }
    // the namespace's own VaultAuth still syncs regsecret as `default`, through poc-dev-default
    assert.equal(byName("poc-dev", "vault-auth")?.inputs.spec.kubernetes.role, "poc-dev-default");
    assert.equal(auths.length, 2 + SERVICES.length);
});

test("perService and writer objects match the upstream CRDs", (t) => {
    if (crdSkipReason()) {
        t.skip(crdSkipReason());
        return;
    }
    for (const a of kubernetesKind("VaultAuth")) {
        assert.deepEqual(validateCustomResource(a.inputs as any), [], a.name);
    }
    // a typo would be caught: an unknown field is an error, as the API server would prune it
    const bad = { ...one("kubernetes:secrets.hashicorp.com/v1beta1:VaultAuth", "svc-dev.web-grpc-vault-auth").inputs };
    bad.spec = { ...bad.spec, kubernetes: { ...bad.spec.kubernetes, serviceAcount: "x" } };
    assert.notDeepEqual(validateCustomResource(bad as any), []);
});

test("writer: policy <name>-write-<stack> creates, updates, deletes and lists under its prefix only (exact text)", async () => {
    const policy = one(POLICY, "writer-vault-sync-operator-write");
    assert.equal(policy.inputs.name, "vault-sync-operator-write-dev");
    assert.equal(
        policy.inputs.policy,
        [
            `# gitops-platform: writer "vault-sync-operator" manages secrets under secret/k8s-sync/dev/ only.`,
            `path "secret/data/k8s-sync/dev/*" {`,
            `  capabilities = ["create", "update", "delete"]`,
            `}`,
            ``,
            `path "secret/metadata/k8s-sync/dev/*" {`,
            `  capabilities = ["delete", "list"]`,
            `}`,
            ``,
        ].join("\n"),
    );
    assert.ok(policy.parent.includes("gitops-platform:vault:VaultWriter"));
});

test("writer: role <name>-<stack> bound to the seed's ServiceAccount and namespace, audience vault, 1h", () => {
    const role = one(ROLE, "writer-vault-sync-operator-role");
    assert.equal(role.inputs.roleName, "vault-sync-operator-dev");
    assert.equal(role.inputs.backend, "kubernetes");
    assert.deepEqual(role.inputs.boundServiceAccountNames, ["vault-sync-operator-controller-manager"]);
    assert.deepEqual(role.inputs.boundServiceAccountNamespaces, ["vault-sync-operator-system"]);
    assert.equal(role.inputs.audience, "vault");
    assert.deepEqual(role.inputs.tokenPolicies, ["vault-sync-operator-write-dev"]);
    assert.equal(role.inputs.tokenTtl, 3600);
});

test("the access matrix the policies describe (the model; test/e2e/access.sh proves it on OpenBao)", async () => {
    const data = (p: string) => `secret/data/${p}`;
    const registry = data("gitops-poc-dzha/platform/stacks/dev/registry");
    // a service reads its own dev secrets, nothing of another service, its staging secrets or the registry
    assert.deepEqual(await capabilitiesOf("poc-dev-api-gateway", data("gitops-poc-dzha/api-gateway/dev/config")), ["read"]);
    assert.deepEqual(await capabilitiesOf("poc-dev-api-gateway", data("gitops-poc-dzha/web-grpc/dev/config")), []);
    assert.deepEqual(await capabilitiesOf("poc-dev-api-gateway", data("gitops-poc-dzha/api-gateway/staging/config")), []);
    assert.deepEqual(await capabilitiesOf("poc-dev-api-gateway", registry), []);
    // the environment role: the registry only
    assert.deepEqual(await capabilitiesOf("poc-dev-default", registry), ["read"]);
    assert.deepEqual(await capabilitiesOf("poc-dev-default", data("gitops-poc-dzha/api-gateway/dev/config")), []);
    // staging without perService: every service's staging secrets, as before
    assert.deepEqual(await capabilitiesOf("poc-staging-default", data("gitops-poc-dzha/web-grpc/staging/config")), ["read"]);
    // the writer: under its prefix, at any depth; nothing else
    assert.deepEqual(await capabilitiesOf("vault-sync-operator-dev", data("k8s-sync/dev/ns/app")), ["create", "delete", "update"]);
    assert.deepEqual(await capabilitiesOf("vault-sync-operator-dev", "secret/metadata/k8s-sync/dev/ns/app"), ["delete", "list"]);
    for (const p of [registry, data("gitops-poc-dzha/api-gateway/dev/config"), data("k8s-sync/prod/x"), data("k8s-sync/dev")]) {
        assert.deepEqual(await capabilitiesOf("vault-sync-operator-dev", p), [], p);
    }
});

test("every Vault policy of this stack passes the policy pack's vault-policy-least-privilege", async () => {
    for (const p of ofType(POLICY)) {
        assert.deepEqual(await vaultPolicyViolations(p.urn, p.inputs), [], p.inputs.name);
    }
});

test("outputs: dev's services (ServiceAccount, VaultAuth, policy, role), no dev policy; the writer's names and prefix", async () => {
    const resolved = (await resolveDeep({ ...outputs })) as Record<string, any>;
    assert.equal(resolved.vaultAccess.dev.policy, undefined);
    assert.equal(resolved.vaultAccess.dev.role, "poc-dev-default");
    assert.deepEqual(resolved.vaultAccess.dev.services["web-http"], {
        serviceAccount: "web-http",
        vaultAuth: "vault-auth-web-http",
        policy: "poc-dev-web-http-read",
        role: "poc-dev-web-http",
    });
    assert.deepEqual(Object.keys(resolved.vaultAccess.dev.services).sort(), [...SERVICES].sort());
    assert.deepEqual(resolved.vaultAccess.staging, { policy: "poc-staging-read", role: "poc-staging-default" });
    assert.deepEqual(resolved.vaultWriters, {
        "vault-sync-operator": { role: "vault-sync-operator-dev", policy: "vault-sync-operator-write-dev", prefix: "k8s-sync/dev" },
    });
    assert.ok(recorded.length > 0);
});
