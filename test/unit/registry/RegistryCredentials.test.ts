/** RegistryCredentials under mocks: the .dockerconfigjson in Vault, secrets, rotation ordering. */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { OWNED_KV_SECRET_TYPE, installMocks, isSecretAt, one, recorded, settle, clearStrings, type Recorded } from "../../support/mocks";
import { RegistryCredentials } from "../../../components/registry/RegistryCredentials";

const API_TOKEN = "glpat-api-token-for-mock-tests-0001";
const DYNAMIC = "pulumi-nodejs:dynamic/gitlab:GroupDeployToken";
const SECRET = OWNED_KV_SECRET_TYPE;
const OWNER = "organization/gitops-platform/dev";
const DEV_PATH = "gitops-poc-dzha/platform/stacks/dev/registry";
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

function value<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

let full: RegistryCredentials;
let gitlabOnly: RegistryCredentials;
let staticOnly: RegistryCredentials;
let kvMountOutput: pulumi.Output<string>;

before(async () => {
    await installMocks("dev");
    const vaultProvider = new vault.Provider("vault", { address: "http://127.0.0.1:8200" });
    full = new RegistryCredentials("full", {
        gitlab: {
            host: "gitlab.com",
            group: "gitops-poc-dzha",
            deployToken: { name: "gitops-platform-registry", expiresInDays: 90, rotateBeforeDays: 14 },
            apiToken: pulumi.secret(API_TOKEN),
        },
        staticCredentials: [
            { server: "docker.io", username: "hubuser", password: pulumi.secret("hub-password-0002") },
            { server: "mirror.example.com", username: "puller", password: "mirror-password-0003" },
        ],
        kvMount: "secret",
        secretPath: DEV_PATH,
        owner: OWNER,
    });
    const mount = new vault.Mount("kv", { path: "kv-platform", type: "kv", options: { version: "2" } }, { provider: vaultProvider });
    kvMountOutput = mount.path;
    gitlabOnly = new RegistryCredentials("selfmanaged", {
        gitlab: {
            host: "https://gitlab.example.com",
            group: "platform/team-a",
            deployToken: { name: "selfmanaged-registry", expiresInDays: 30, rotateBeforeDays: 7 },
            apiToken: API_TOKEN,
        },
        kvMount: mount.path,
        secretPath: "team-a/platform/stacks/staging/registry",
        owner: "organization/gitops-platform/staging",
        vaultAddress: "https://vault.example.com",
        vaultNamespace: "team-a",
    });
    staticOnly = new RegistryCredentials("static", {
        staticCredentials: [{ server: "registry.example.com", username: "robot", password: "static-password-0004" }],
        kvMount: "secret",
        secretPath: "nogitlab/platform/stacks/e2e/registry",
        owner: "organization/gitops-platform/e2e",
    });
    await settle();
});

function children(component: string): Recorded[] {
    const parent = recorded.find((r) => r.type === "gitops-platform:registry:RegistryCredentials" && r.name === component)!;
    assert.ok(parent, `component ${component} registered`);
    return recorded.filter((r) => r.parent === parent.urn);
}

function dockerConfigOf(secretName: string): { auths: Record<string, { username: string; password: string; auth: string }> } {
    const s = one(SECRET, secretName);
    const data = s.inputs.data;
    assert.deepEqual(Object.keys(data), [".dockerconfigjson"]);
    return JSON.parse(data[".dockerconfigjson"]);
}

describe("RegistryCredentials", () => {
    it("writes one .dockerconfigjson to the stack's own secretPath, owned by the stack, with an auths entry per registry", () => {
        const s = one(SECRET, "full-vault-secret");
        assert.equal(s.inputs.mount, "secret");
        assert.equal(s.inputs.path, DEV_PATH);
        assert.equal(s.inputs.owner, OWNER);
        // Address and namespace default to vault:address / VAULT_ADDR in the provider (empty here).
        assert.equal(s.inputs.address, "");
        assert.equal(s.inputs.namespace, "");
        const cfg = dockerConfigOf("full-vault-secret");
        assert.deepEqual(Object.keys(cfg.auths).sort(), [
            "https://index.docker.io/v1/",
            "https://registry-1.docker.io",
            "mirror.example.com",
            "registry.gitlab.com",
        ]);
        const token = "mock-deploy-token-full-deploy-token";
        const user = "gitlab+deploy-token-full-deploy-token";
        assert.deepEqual(cfg.auths["registry.gitlab.com"], { username: user, password: token, auth: b64(`${user}:${token}`) });
        for (const hub of ["https://index.docker.io/v1/", "https://registry-1.docker.io"]) {
            assert.equal(cfg.auths[hub].auth, b64("hubuser:hub-password-0002"));
        }
        assert.equal(cfg.auths["mirror.example.com"].auth, b64("puller:mirror-password-0003"));
    });

    it("data is a secret on the wire, data and sha256 are secret outputs; no secret appears in clear anywhere", () => {
        for (const name of ["full-vault-secret", "selfmanaged-vault-secret", "static-vault-secret"]) {
            const s = one(SECRET, name);
            assert.equal(isSecretAt(s.wire, "data"), true, name);
            assert.deepEqual([...s.additionalSecretOutputs].sort(), ["data", "sha256"], name);
            // The serialized provider (kept in state) captured no credential.
            assert.ok(String(s.inputs.__provider).includes("exports.handler"), `${name}: provider serialized`);
        }
        const secrets = [API_TOKEN, "hub-password-0002", "mirror-password-0003", "static-password-0004", "mock-deploy-token-"];
        for (const r of recorded) {
            for (const { path, value: v } of clearStrings(r.wire)) {
                for (const s of secrets) assert.ok(!v.includes(s), `${r.type}/${r.name} ${path} holds a secret in clear`);
            }
        }
    });

    it("creates a read_registry GroupDeployToken whose token and API token are secret outputs", () => {
        const t = one(DYNAMIC, "full-deploy-token");
        assert.equal(t.parent, recorded.find((r) => r.name === "full" && r.type.startsWith("gitops-platform:registry"))!.urn);
        assert.deepEqual(t.inputs.scopes, ["read_registry"]);
        assert.equal(t.inputs.name, "gitops-platform-registry");
        assert.equal(t.inputs.group, "gitops-poc-dzha");
        assert.equal(t.inputs.host, "gitlab.com");
        assert.equal(t.inputs.expiresInDays, 90);
        assert.equal(t.inputs.rotateBeforeDays, 14);
        assert.deepEqual([...t.additionalSecretOutputs].sort(), ["apiToken", "token"]);
        assert.equal(isSecretAt(t.wire, "apiToken"), true);
        // The serialized provider (kept in state) must not have captured the API token.
        const providerText = String(t.inputs.__provider);
        assert.ok(providerText.includes("exports.handler"), "provider serialized");
        assert.ok(!providerText.includes(API_TOKEN));
    });

    it("rotation ordering: the Vault secret depends on the deploy token (create-before-delete updates it first)", () => {
        // The provider's diff answers deleteBeforeReplace=false (tested against the GitLab double);
        // with this dependency the engine creates the new token, updates the secret with it, and
        // only then deletes (revokes) the old token.
        const token = one(DYNAMIC, "full-deploy-token");
        const secret = one(SECRET, "full-vault-secret");
        assert.ok(secret.dependencies.includes(token.urn), `dependencies: ${secret.dependencies}`);
        assert.ok(recorded.indexOf(token) < recorded.indexOf(secret));
        // And the data written is the (new) token's value, not a copy from elsewhere.
        assert.equal(dockerConfigOf("full-vault-secret").auths["registry.gitlab.com"].password, "mock-deploy-token-full-deploy-token");
    });

    it("outputs the Vault path, registry hosts and token username, never the token", async () => {
        assert.equal(await value(full.secretPath), "secret/data/gitops-poc-dzha/platform/stacks/dev/registry");
        assert.equal(await value(full.kvVersion), "3", "the KV version the secret reports, as text");
        assert.deepEqual(await value(full.registryHosts), [
            "registry.gitlab.com",
            "https://index.docker.io/v1/",
            "https://registry-1.docker.io",
            "mirror.example.com",
        ]);
        assert.equal(await value(full.tokenUsername), "gitlab+deploy-token-full-deploy-token");
        assert.equal(await (full.tokenUsername as unknown as { isSecret: Promise<boolean> }).isSecret, false, "username is not secret");
        assert.equal(await value(full.tokenExpiresAt), "2027-01-01", "the deploy token's expiresAt (as the mocks report it)");
        assert.equal(await (full.tokenExpiresAt as unknown as { isSecret: Promise<boolean> }).isSecret, false, "expiry is not secret");
        for (const c of [full, gitlabOnly, staticOnly]) {
            for (const [key, v] of Object.entries(c)) {
                if (!pulumi.Output.isInstance(v)) continue;
                const text = JSON.stringify(await value(v as pulumi.Output<unknown>)) ?? "";
                assert.ok(!text.includes("mock-deploy-token"), `${key} exposes the token`);
                assert.ok(!text.includes(API_TOKEN), `${key} exposes the API token`);
            }
        }
    });

    it("self-managed GitLab: registry.<host>, nested group, mount from an Output", async () => {
        const cfg = dockerConfigOf("selfmanaged-vault-secret");
        assert.deepEqual(Object.keys(cfg.auths), ["registry.gitlab.example.com"]);
        assert.equal(one(DYNAMIC, "selfmanaged-deploy-token").inputs.group, "platform/team-a");
        const s = one(SECRET, "selfmanaged-vault-secret");
        assert.equal(s.inputs.mount, "kv-platform");
        assert.equal(s.inputs.path, "team-a/platform/stacks/staging/registry");
        assert.equal(s.inputs.owner, "organization/gitops-platform/staging");
        assert.equal(s.inputs.address, "https://vault.example.com");
        assert.equal(s.inputs.namespace, "team-a");
        assert.ok(s.dependencies.includes(one("vault:index/mount:Mount", "kv").urn), "depends on the KV mount");
        assert.equal(await value(gitlabOnly.secretPath), "kv-platform/data/team-a/platform/stacks/staging/registry");
        assert.equal(await value(kvMountOutput), "kv-platform");
    });

    it("static credentials alone: no GitLab token at all", async () => {
        assert.deepEqual(children("static").map((r) => r.type), [SECRET]);
        const cfg = dockerConfigOf("static-vault-secret");
        assert.deepEqual(cfg.auths, {
            "registry.example.com": { username: "robot", password: "static-password-0004", auth: b64("robot:static-password-0004") },
        });
        assert.equal(await value(staticOnly.tokenUsername), undefined);
        assert.equal(await value(staticOnly.tokenExpiresAt), undefined);
    });

    it("needs at least one credential source, and each registry once", () => {
        assert.throws(
            () => new RegistryCredentials("none", { kvMount: "secret", secretPath: "x/platform/stacks/dev/registry", owner: OWNER }),
            /at least one credential source.*gitops-platform:gitlab\.deployToken.*gitops-platform:registry/s,
        );
        assert.throws(
            () =>
                new RegistryCredentials("dup", {
                    gitlab: { host: "gitlab.com", group: "g", deployToken: { name: "n", expiresInDays: 9, rotateBeforeDays: 1 }, apiToken: "t-0000" },
                    staticCredentials: [{ server: "registry.gitlab.com", username: "u", password: "p" }],
                    kvMount: "secret",
                    secretPath: "x/platform/stacks/dev/registry",
                    owner: OWNER,
                }),
            /registry\.gitlab\.com" has credentials twice/,
        );
    });
});
