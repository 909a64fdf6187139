/** The whole program driven by the committed Pulumi.dev.yaml, under mocks. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { GITLAB_DEPLOY_TOKEN_TYPE, OWNED_KV_SECRET_TYPE, clearStrings, isSecretAt, isSecretOutput, kubernetesKind, ofType, one, recorded } from "../support/mocks";
import { resolveDeep, runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";
import { crdSkipReason, validateCustomResource } from "../support/crds";
import { parsePolicy } from "../support/hcl";

const GITLAB_TOKEN = "glpat-test-api-token-0123456789";
const VAULT_TOKEN = "hvs.test-vault-root-token";
/** The cluster admin's bearer token, inside a kubeconfig given as content with --secret (as CI passes it). */
const KUBE_TOKEN = "kube-admin-bearer-token-0123456789abcdef";
const KUBECONFIG = [
    "apiVersion: v1",
    "kind: Config",
    "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]",
    `users: [{name: admin, user: {token: ${KUBE_TOKEN}}}]`,
    "contexts: [{name: minikube, context: {cluster: c, user: admin}}]",
    "current-context: minikube",
    "",
].join("\n");
const REGISTRY_PATH = "gitops-poc-dzha/platform/stacks/dev/registry";
let outputs: Record<string, any>;

before(async () => {
    const config = stackConfig("dev", { "gitops-platform:gitlabToken": GITLAB_TOKEN, "vault:token": VAULT_TOKEN, "kubernetes:kubeconfig": KUBECONFIG });
    outputs = await runProgram("dev", config, ["gitops-platform:gitlabToken", "vault:token", "kubernetes:kubeconfig"]);
});

test("explicit providers from the stack's kubernetes:* and vault:* keys", () => {
    const k = one("pulumi:providers:kubernetes", "kubernetes");
    assert.equal(k.inputs.context, "minikube");
    const v = one("pulumi:providers:vault", "vault");
    assert.equal(v.inputs.address, "http://127.0.0.1:8200");
    assert.equal(v.inputs.token, VAULT_TOKEN);
    for (const r of recorded.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:") && !x.type.startsWith("pulumi-nodejs:"))) {
        assert.ok(r.provider.includes("pulumi:providers:"), `${r.type} ${r.name} has an explicit provider`);
        assert.notEqual(r.provider.split("::").pop(), "default", `${r.name} does not use a default provider`);
    }
});

test("namespaces poc-dev and poc-staging, not protected on dev", () => {
    const ns = ofType("kubernetes:core/v1:Namespace");
    assert.deepEqual(ns.map((n) => n.inputs.metadata.name).sort(), ["poc-dev", "poc-staging"]);
    assert.ok(ns.every((n) => n.protect === false));
});

test("Vault: KV v2 mount owned here, policies <ns>-read and roles <ns>-default per environment", async () => {
    assert.equal(one("vault:index/mount:Mount", "vault-kv").inputs.path, "secret");
    for (const env of ["dev", "staging"]) {
        const policy = one("vault:index/policy:Policy", `env-${env}-read`);
        assert.equal(policy.inputs.name, `poc-${env}-read`);
        assert.deepEqual(await parsePolicy(policy.inputs.policy), [
            { path: `secret/data/gitops-poc-dzha/+/${env}/+`, capabilities: ["read"] },
            { path: `secret/metadata/gitops-poc-dzha/+/${env}/+`, capabilities: ["read", "list"] },
        ]);
        const role = one("vault:kubernetes/authBackendRole:AuthBackendRole", `env-${env}-role`);
        assert.equal(role.inputs.roleName, `poc-${env}-default`);
        assert.deepEqual(role.inputs.boundServiceAccountNamespaces, [`poc-${env}`]);
        assert.deepEqual(role.inputs.boundServiceAccountNames, ["default"]);
        assert.deepEqual(role.inputs.tokenPolicies, [`poc-${env}-read`, "registry-read-dev"]);
        assert.equal(role.inputs.audience, "vault");
        assert.equal(role.inputs.tokenTtl, 3600);
        assert.equal(role.inputs.backend, "kubernetes");
    }
});

test("registry-read-dev reads exactly the dev stack's registry path, nothing else", async () => {
    const policy = one("vault:index/policy:Policy", "vault-registry-read");
    assert.equal(policy.inputs.name, "registry-read-dev");
    assert.deepEqual(await parsePolicy(policy.inputs.policy), [{ path: `secret/data/${REGISTRY_PATH}`, capabilities: ["read"] }]);
});

test("token reviewer vault-token-reviewer-dev, labelled with the dev stack", () => {
    const labels = { "app.kubernetes.io/managed-by": "gitops-platform", "gitops-platform/stack": "dev" };
    const sa = one("kubernetes:core/v1:ServiceAccount", "vault-token-reviewer-sa");
    assert.deepEqual(sa.inputs.metadata, { name: "vault-token-reviewer-dev", namespace: "kube-system", labels, annotations: { "pulumi.com/patchForce": "true" } });
    const secret = one("kubernetes:core/v1:Secret", "vault-token-reviewer-token");
    assert.equal(secret.inputs.metadata.name, "vault-token-reviewer-dev-token");
    assert.deepEqual(secret.inputs.metadata.labels, labels);
    const crb = one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "vault-token-reviewer-auth-delegator");
    assert.equal(crb.inputs.metadata.name, "vault-token-reviewer-dev");
    assert.deepEqual(crb.inputs.metadata.labels, labels);
});

test("each namespace syncs regsecret from the dev stack's own registry path via vault-auth", () => {
    const auths = kubernetesKind("VaultAuth");
    assert.deepEqual(auths.map((a) => `${a.inputs.metadata.namespace}/${a.inputs.metadata.name}:${a.inputs.spec.kubernetes.role}`).sort(), [
        "poc-dev/vault-auth:poc-dev-default",
        "poc-staging/vault-auth:poc-staging-default",
    ]);
    for (const vss of kubernetesKind("VaultStaticSecret")) {
        assert.equal(vss.inputs.spec.path, REGISTRY_PATH);
        assert.equal(vss.inputs.spec.mount, "secret");
        assert.equal(vss.inputs.spec.destination.type, "kubernetes.io/dockerconfigjson");
        assert.equal(vss.inputs.spec.destination.name, "regsecret");
    }
});

test("registry credentials: a read_registry deploy token, written to Vault as .dockerconfigjson at the path namespaces read", () => {
    const tokens = ofType(GITLAB_DEPLOY_TOKEN_TYPE);
    const registryToken = tokens.find((t) => JSON.stringify(t.inputs.scopes) === JSON.stringify(["read_registry"]));
    assert.ok(registryToken, "a read_registry token");
    assert.equal(registryToken.inputs.group, "gitops-poc-dzha");
    const secret = ofType(OWNED_KV_SECRET_TYPE);
    assert.equal(secret.length, 1);
    assert.equal(secret[0].inputs.mount, "secret");
    assert.equal(secret[0].inputs.path, REGISTRY_PATH);
    assert.equal(secret[0].inputs.owner, "organization/gitops-platform/dev", "owned by <org>/<project>/<stack>");
    assert.ok(isSecretAt(secret[0].wire, "data"), "data is a secret on the wire");
    assert.deepEqual([...secret[0].additionalSecretOutputs].sort(), ["data", "sha256"]);
    const data = secret[0].inputs.data;
    assert.deepEqual(Object.keys(data), [".dockerconfigjson"]);
    const docker = JSON.parse(data[".dockerconfigjson"]);
    assert.deepEqual(Object.keys(docker.auths), ["registry.gitlab.com"]);
    const entry = docker.auths["registry.gitlab.com"];
    assert.ok(entry, "GitLab's registry host");
    const user = `gitlab+deploy-token-${registryToken.name}`;
    const pass = `mock-deploy-token-${registryToken.name}`;
    assert.equal(entry.auth, Buffer.from(`${user}:${pass}`).toString("base64"), "auth = base64(username:token)");
    assert.ok(secret[0].dependencies.includes(registryToken.urn), "written after (and from) the deploy token");
});

test("a rotated token reaches every namespace at once: regsecret carries the KV version it syncs", () => {
    const [secret] = ofType(OWNED_KV_SECRET_TYPE);
    const vss = kubernetesKind("VaultStaticSecret");
    assert.equal(vss.length, 2);
    for (const v of vss) {
        assert.deepEqual(v.inputs.spec.destination.annotations, { "gitops-platform/registry-kv-version": "3" });
        assert.ok(v.dependencies.includes(secret.urn), "the VaultStaticSecret changes after the Vault write");
    }
});

test("up waits (vso.waitForSync, default 3m) until each namespace's regsecret carries that KV version", () => {
    const waits = ofType("pulumi-nodejs:dynamic/kubernetes:RegistrySecretSync");
    assert.deepEqual(waits.map((w) => w.inputs.namespace).sort(), ["poc-dev", "poc-staging"]);
    for (const w of waits) {
        assert.equal(w.inputs.version, "3");
        assert.equal(w.inputs.timeoutSeconds, 180);
    }
});

test("Argo CD reads the repos with a read_repository deploy token, not a personal token", () => {
    const tokens = ofType(GITLAB_DEPLOY_TOKEN_TYPE);
    const repoToken = tokens.find((t) => JSON.stringify(t.inputs.scopes) === JSON.stringify(["read_repository"]));
    assert.ok(repoToken);
    const creds = one("kubernetes:core/v1:Secret", "argocd-repo-creds");
    assert.equal(creds.inputs.stringData.url, "https://gitlab.com/gitops-poc-dzha");
    assert.equal(creds.inputs.stringData.username, `gitlab+deploy-token-${repoToken.name}`);
    assert.equal(creds.inputs.stringData.password, `mock-deploy-token-${repoToken.name}`);
});

test("bootstrap ApplicationSet: 5 services × 2 environments with their sync waves", () => {
    const [set] = kubernetesKind("ApplicationSet");
    const elements = set.inputs.spec.generators[0].list.elements;
    assert.equal(elements.length, 10);
    assert.ok(elements.some((e: any) => e.service === "api-gateway" && e.env === "staging" && e.namespace === "poc-staging" && e.syncWave === "1"));
    assert.ok(elements.some((e: any) => e.service === "health-demo" && e.repoURL === "https://gitlab.com/gitops-poc-dzha/health-demo.git"));
    assert.deepEqual(outputs.applications.length, 10);
    assert.ok(outputs.applications.includes("web-grpc-dev"));
});

test("every custom resource the program builds matches its upstream CRD", (t) => {
    if (crdSkipReason()) {
        t.skip(crdSkipReason());
        return;
    }
    // Custom resources: API groups with a dot that are not Kubernetes' own (*.k8s.io).
    const crs = recorded.filter((r) => {
        const group = String(r.inputs.apiVersion ?? "").split("/").slice(0, -1).join("/");
        return r.type.startsWith("kubernetes:") && group.includes(".") && !group.endsWith(".k8s.io");
    });
    assert.deepEqual(
        [...new Set(crs.map((c) => c.inputs.kind))].sort(),
        ["AppProject", "ApplicationSet", "VaultAuth", "VaultConnection", "VaultStaticSecret"],
    );
    for (const cr of crs) {
        assert.deepEqual(validateCustomResource(cr.inputs as any), [], `${cr.inputs.kind} ${cr.name}`);
    }
});

test("stack outputs: names and paths, never a secret value", async () => {
    const resolved = (await resolveDeep({ ...outputs })) as Record<string, any>;
    assert.deepEqual(resolved.namespaces, { dev: "poc-dev", staging: "poc-staging" });
    assert.deepEqual(resolved.vaultAccess.dev, { policy: "poc-dev-read", role: "poc-dev-default" });
    assert.equal(resolved.registrySecretPath, `secret/data/${REGISTRY_PATH}`);
    assert.equal(resolved.argocdNamespace, "argocd");
    const text = JSON.stringify(resolved);
    for (const secret of [GITLAB_TOKEN, VAULT_TOKEN, "mock-deploy-token", "mock-reviewer-jwt"]) {
        assert.ok(!text.includes(secret), `outputs do not contain ${secret}`);
    }
});

test("stack outputs registryTokenExpiresAt and repoTokenExpiresAt: each managed deploy token's expiresAt, not secret", async () => {
    for (const key of ["registryTokenExpiresAt", "repoTokenExpiresAt"]) {
        assert.ok(key in outputs, `${key} is exported`);
        assert.equal(await isSecretOutput(outputs[key]), false, `${key} is not secret`);
        // the mocks report expiresAt 2027-01-01 for every GroupDeployToken
        assert.equal((await resolveDeep(outputs[key])) as string, "2027-01-01", key);
    }
});

test("no secret reaches any resource input in clear", () => {
    const secrets = [GITLAB_TOKEN, VAULT_TOKEN, KUBE_TOKEN, "mock-deploy-token", "mock-reviewer-jwt", Buffer.from("mock-reviewer-jwt").toString("base64")];
    assert.ok(isSecretAt(one("pulumi:providers:kubernetes", "kubernetes").wire, "kubeconfig"), "the kubeconfig given as content is a secret input");
    const leaks = recorded.flatMap((r) =>
        clearStrings(r.wire)
            .filter((s) => secrets.some((x) => s.value.includes(x) || s.value.includes(Buffer.from(x).toString("base64"))))
            .map((s) => `${r.type} ${r.name} ${s.path}`),
    );
    assert.deepEqual(leaks, []);
});

test("every Kubernetes object the program applies takes over hand edits (pulumi.com/patchForce), Helm releases aside", async () => {
    const objects = recorded.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/"));
    assert.ok(objects.length >= 10, `${objects.length} objects`);
    for (const r of objects) {
        const metadata = (await resolveDeep(r.inputs.metadata)) as { annotations?: Record<string, string> };
        assert.equal(metadata?.annotations?.["pulumi.com/patchForce"], "true", `${r.type} ${r.name}`);
    }
});
