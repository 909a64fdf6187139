/**
 * Registry credentials that already live in Vault (issue 11.4, `registry.vault`) with a mirror:
 * every regsecret is rendered by VSO from the REGISTRY_* fields with a transformation template, the
 * stack writes no registry secret and makes no registry deploy token, and the registry policy reads
 * that one path.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { GITLAB_DEPLOY_TOKEN_TYPE, OWNED_KV_SECRET_TYPE, kubernetesKind, ofType, one } from "../support/mocks";
import { resolveDeep, runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";
import { crdSkipReason, validateCustomResource } from "../support/crds";
import { parsePolicy } from "../support/hcl";
import { parseStackConfig } from "../../stacks/config";
import { stackCapabilities } from "../../stacks/vaultPreflight";
import { registryDockerConfigTemplate, registrySourceFingerprint } from "../../components/registry/vaultSourceTemplate";

const P = "gitops-platform:";
const EXTRA = {
    [`${P}gitlabToken`]: "glpat-registry-vault-test",
    [`${P}services`]: [{ name: "portal" }],
    [`${P}registry`]: { vault: { mount: "kv", path: "container-register" }, mirror: { server: "registry.krisalee.dev.joona.fr" } },
    [`${P}imageUpdater`]: { enabled: true, images: [{ service: "portal", image: "archpad-cr.registry.twcstorage.ru/platform/portal" }] },
};
const SECRET_KEYS = [`${P}gitlabToken`];
const TEMPLATE = registryDockerConfigTemplate("registry.krisalee.dev.joona.fr");
const FINGERPRINT = registrySourceFingerprint("kv", "container-register", TEMPLATE);
let outputs: Record<string, any>;

before(async () => {
    outputs = await runProgram("dev", stackConfig("dev", EXTRA), SECRET_KEYS);
});

test("no registry secret is written and no registry deploy token made; Argo CD's read_repository token still is", () => {
    assert.deepEqual(ofType(OWNED_KV_SECRET_TYPE), []);
    const tokens = ofType(GITLAB_DEPLOY_TOKEN_TYPE);
    assert.deepEqual(
        tokens.map((t) => [t.inputs.name, t.inputs.scopes]),
        [["gitops-platform-dev-argocd", ["read_repository"]]],
    );
});

test("the registry policy reads kv/data/container-register and nothing else; every environment role and the Argo CD role carry it", async () => {
    const policy = one("vault:index/policy:Policy", "vault-registry-read");
    assert.equal(policy.inputs.name, "registry-read-dev");
    assert.deepEqual(await parsePolicy(policy.inputs.policy), [{ path: "kv/data/container-register", capabilities: ["read"] }]);
    for (const env of ["dev", "staging"]) {
        const role = one("vault:kubernetes/authBackendRole:AuthBackendRole", `env-${env}-role`);
        assert.deepEqual(role.inputs.tokenPolicies, [`poc-${env}-read`, "registry-read-dev"]);
        // The environment policy is unchanged: it cannot reach the registry secret.
        const envPolicy = await parsePolicy(one("vault:index/policy:Policy", `env-${env}-read`).inputs.policy);
        assert.ok(envPolicy.every((r) => !r.path.startsWith("kv/")));
    }
    assert.deepEqual(one("vault:kubernetes/authBackendRole:AuthBackendRole", "image-updater-regsecret-role").inputs.tokenPolicies, ["registry-read-dev"]);
});

test("every regsecret (environments and the Argo CD namespace) is rendered by VSO from the Vault secret with the template", () => {
    const vss = kubernetesKind("VaultStaticSecret");
    assert.deepEqual(vss.map((s) => s.inputs.metadata.namespace).sort(), ["argocd", "poc-dev", "poc-staging"]);
    for (const s of vss) {
        const spec = s.inputs.spec;
        assert.deepEqual([spec.type, spec.mount, spec.path, spec.refreshAfter], ["kv-v2", "kv", "container-register", "1h"]);
        assert.deepEqual(spec.destination, {
            name: "regsecret",
            create: true,
            overwrite: true,
            type: "kubernetes.io/dockerconfigjson",
            annotations: { "gitops-platform/registry-source": FINGERPRINT },
            // Only the rendered .dockerconfigjson: no REGISTRY_* / MIRROR_* field, no _raw copy.
            transformation: { excludes: [".*"], excludeRaw: true, templates: { ".dockerconfigjson": { text: TEMPLATE } } },
        });
    }
});

test("the sync wait compares the source fingerprint, in every namespace", () => {
    const waits = ofType("pulumi-nodejs:dynamic/kubernetes:RegistrySecretSync");
    assert.deepEqual(waits.map((w) => w.inputs.namespace).sort(), ["argocd", "poc-dev", "poc-staging"]);
    for (const w of waits) {
        assert.deepEqual([w.inputs.annotation, w.inputs.version, w.inputs.type], ["gitops-platform/registry-source", FINGERPRINT, "kubernetes.io/dockerconfigjson"]);
    }
});

test("Image Updater's registries: the image's registry (REGISTRY_URL's, as the stack cannot read it) and the mirror with regsecret", () => {
    const release = one("kubernetes:helm.sh/v3:Release", "image-updater-release");
    const creds = { credentials: "pullsecret:argocd/regsecret", credsexpire: "5m" };
    assert.deepEqual(release.inputs.values.config.registries, [
        { name: "Docker Hub", api_url: "https://registry-1.docker.io", prefix: "docker.io", ping: true, defaultns: "library", default: true },
        { name: "GitLab", api_url: "https://registry.gitlab.com", prefix: "registry.gitlab.com" },
        { name: "registry.krisalee.dev.joona.fr", api_url: "https://registry.krisalee.dev.joona.fr", prefix: "registry.krisalee.dev.joona.fr", ...creds },
        { name: "archpad-cr.registry.twcstorage.ru", api_url: "https://archpad-cr.registry.twcstorage.ru", prefix: "archpad-cr.registry.twcstorage.ru", ...creds },
    ]);
});

test("outputs: the registry secret path is the Vault secret's; no registry token expiry", async () => {
    assert.equal(await resolveDeep(outputs.registrySecretPath), "kv/data/container-register");
    assert.ok(!("registryTokenExpiresAt" in outputs));
    assert.ok("repoTokenExpiresAt" in outputs);
});

test("the Vault readiness check asks for no capability on a registry secret the stack does not write", () => {
    const cfg = parseStackConfig(stackConfig("dev", EXTRA), new Set(SECRET_KEYS), "dev");
    const caps = stackCapabilities(cfg, { registryPolicyName: "registry-read-dev", registrySecretPath: "gitops-poc-dzha/platform/stacks/dev/registry" });
    assert.deepEqual(
        Object.keys(caps).filter((p) => p.includes("registry") || p.includes("container-register")),
        ["sys/policies/acl/registry-read-dev"],
    );
});

test("the VaultStaticSecrets with the template match the upstream CRD", (t) => {
    if (crdSkipReason()) {
        t.skip(crdSkipReason());
        return;
    }
    for (const cr of [...kubernetesKind("VaultStaticSecret"), ...kubernetesKind("VaultAuth"), ...kubernetesKind("ImageUpdater")]) {
        assert.deepEqual(validateCustomResource(cr.inputs as any), [], `${cr.inputs.kind} ${cr.name}`);
    }
});
