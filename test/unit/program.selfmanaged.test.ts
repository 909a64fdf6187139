/** A self-managed GitLab under a relative URL root, with a nested group and extra Docker Hub credentials. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { GITLAB_DEPLOY_TOKEN_TYPE, OWNED_KV_SECRET_TYPE, kubernetesKind, ofType, one } from "../support/mocks";
import { resolveDeep, runProgram } from "../support/program";

const P = "gitops-platform:";

let outputs: Record<string, any>;

before(async () => {
    outputs = await runProgram(
        "staging",
        {
            [`${P}environments`]: JSON.stringify({ staging: {} }),
            [`${P}gitlab`]: JSON.stringify({
                host: "gitlab.example.com",
                apiUrl: "https://gitlab.example.com/gitlab",
                group: "platform/apps",
                deployToken: { name: "pulls", expiresInDays: 30, rotateBeforeDays: 7 },
            }),
            [`${P}gitlabToken`]: "glpat-selfmanaged",
            [`${P}registry`]: JSON.stringify({ server: "docker.io", username: "hubuser", password: "hub-pass" }),
        },
        [`${P}gitlabToken`, `${P}registry`],
    );
});

test("deploy tokens are managed through the configured API URL, in the nested group", () => {
    const tokens = ofType(GITLAB_DEPLOY_TOKEN_TYPE);
    assert.equal(tokens.length, 2);
    for (const t of tokens) {
        assert.equal(t.inputs.host, "https://gitlab.example.com/gitlab");
        assert.equal(t.inputs.group, "platform/apps");
        assert.equal(t.inputs.expiresInDays, 30);
        assert.equal(t.inputs.rotateBeforeDays, 7);
    }
    assert.deepEqual(tokens.map((t) => t.inputs.scopes[0]).sort(), ["read_registry", "read_repository"]);
});

test("static Docker Hub credentials next to the deploy token: both token expiry outputs are there", async () => {
    const r = (await resolveDeep({ registry: outputs.registryTokenExpiresAt, repo: outputs.repoTokenExpiresAt })) as Record<string, string>;
    assert.deepEqual(r, { registry: "2027-01-01", repo: "2027-01-01" });
});

test("one .dockerconfigjson at the staging stack's path: the GitLab registry plus both Docker Hub keys", () => {
    const secrets = ofType(OWNED_KV_SECRET_TYPE);
    assert.equal(secrets.length, 1);
    const [secret] = secrets;
    assert.equal(secret.inputs.path, "platform/apps/platform/stacks/staging/registry", "pathPrefix defaults to the GitLab group");
    assert.equal(secret.inputs.owner, "organization/gitops-platform/staging");
    const vss = kubernetesKind("VaultStaticSecret");
    assert.equal(vss.length, 1);
    assert.equal(vss[0].inputs.spec.path, secret.inputs.path, "regsecret syncs the stack's own path");
    const auths = JSON.parse(secret.inputs.data[".dockerconfigjson"]).auths;
    assert.deepEqual(Object.keys(auths).sort(), ["https://index.docker.io/v1/", "https://registry-1.docker.io", "registry.gitlab.example.com"]);
    assert.equal(auths["https://registry-1.docker.io"].auth, Buffer.from("hubuser:hub-pass").toString("base64"));
});

test("Argo CD repo-creds cover https://<host>/<group>", () => {
    assert.equal(one("kubernetes:core/v1:Secret", "argocd-repo-creds").inputs.stringData.url, "https://gitlab.example.com/platform/apps");
});
