/** A stack without GitLab API access: static registry credentials and a configured Argo CD read token. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { GITLAB_DEPLOY_TOKEN_TYPE, OWNED_KV_SECRET_TYPE, clearStrings, isSecretAt, kubernetesKind, ofType, one, recorded } from "../support/mocks";
import { runProgram } from "../support/program";

const P = "gitops-platform:";
const REGISTRY_PASSWORD = "static-registry-password-123";
const REPO_TOKEN = "glpat-argocd-read-456";

let outputs: Record<string, any>;

before(async () => {
    const config: Record<string, string> = {
        [`${P}environments`]: JSON.stringify({ dev: { serviceAccounts: ["deployer"] } }),
        [`${P}gitlab`]: JSON.stringify({ host: "gitlab.example.com", group: "platform/apps" }),
        [`${P}registry`]: JSON.stringify({ server: "registry.example.com", username: "puller", password: REGISTRY_PASSWORD }),
        [`${P}argocd`]: JSON.stringify({ enabled: false, repoUsername: "argocd-reader" }),
        [`${P}argocdRepoToken`]: REPO_TOKEN,
        [`${P}vso`]: JSON.stringify({ enabled: false }),
        [`${P}vault`]: JSON.stringify({ manageKvMount: false, pathPrefix: "apps" }),
    };
    outputs = await runProgram("e2e", config, [`${P}registry`, `${P}argocdRepoToken`]);
});

test("no GitLab API resources, no Helm releases", () => {
    assert.equal(ofType(GITLAB_DEPLOY_TOKEN_TYPE).length, 0);
    assert.equal(ofType("kubernetes:helm.sh/v3:Release").length, 0);
});

test("no token expiry outputs: registryTokenExpiresAt and repoTokenExpiresAt are absent when no deploy token is managed", () => {
    assert.ok(!("registryTokenExpiresAt" in outputs), "registryTokenExpiresAt absent");
    assert.ok(!("repoTokenExpiresAt" in outputs), "repoTokenExpiresAt absent");
    assert.ok("registrySecretPath" in outputs, "the other outputs are there");
});

test("static credentials land in Vault at <pathPrefix>/platform/stacks/<stack>/registry as a secret", () => {
    const secrets = ofType(OWNED_KV_SECRET_TYPE);
    assert.equal(secrets.length, 1);
    const [secret] = secrets;
    assert.equal(secret.inputs.mount, "secret");
    assert.equal(secret.inputs.path, "apps/platform/stacks/e2e/registry");
    assert.equal(secret.inputs.owner, "organization/gitops-platform/e2e");
    assert.ok(isSecretAt(secret.wire, "data"));
    assert.deepEqual([...secret.additionalSecretOutputs].sort(), ["data", "sha256"]);
    const [vss] = kubernetesKind("VaultStaticSecret");
    assert.equal(vss.inputs.spec.path, "apps/platform/stacks/e2e/registry");
    const docker = JSON.parse(secret.inputs.data[".dockerconfigjson"]);
    assert.deepEqual(docker.auths["registry.example.com"], {
        username: "puller",
        password: REGISTRY_PASSWORD,
        auth: Buffer.from(`puller:${REGISTRY_PASSWORD}`).toString("base64"),
    });
});

test("Argo CD repo-creds use the configured user and secret token for the nested group", () => {
    const creds = one("kubernetes:core/v1:Secret", "argocd-repo-creds");
    assert.equal(creds.inputs.stringData.url, "https://gitlab.example.com/platform/apps");
    assert.equal(creds.inputs.stringData.username, "argocd-reader");
    assert.equal(creds.inputs.stringData.password, REPO_TOKEN);
});

test("extra service accounts get the pull secret and may log in", () => {
    assert.deepEqual(
        ofType("pulumi-nodejs:dynamic/kubernetes:ServiceAccountPullSecret").map((p) => p.inputs.serviceAccount).sort(),
        ["default", "deployer"],
    );
    assert.deepEqual(one("vault:kubernetes/authBackendRole:AuthBackendRole", "env-dev-role").inputs.boundServiceAccountNames, ["default", "deployer"]);
});

test("the registry password and repo token never appear in clear", () => {
    const leaks = recorded.flatMap((r) =>
        clearStrings(r.wire)
            .filter((s) => [REGISTRY_PASSWORD, REPO_TOKEN, Buffer.from(`puller:${REGISTRY_PASSWORD}`).toString("base64")].some((x) => s.value.includes(x)))
            .map((s) => `${r.type} ${r.name} ${s.path}`),
    );
    assert.deepEqual(leaks, []);
});
