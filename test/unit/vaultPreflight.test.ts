/**
 * What is already mounted in Vault, checked before anything is registered: the problems
 * (stacks/vaultPreflight.ts inventoryProblems) name the config key with a valid example, and the
 * inventory (components/vault/inventory.ts readVaultInventory) is read from a double of Vault's
 * sys/mounts and sys/auth in Vault's response shape.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { after, before, beforeEach, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { parse } from "yaml";
import { ConfigError, parseStackConfig, type PlatformConfig } from "../../stacks/config";
import { checkInventory, inventoryProblems, vaultEndpoint } from "../../stacks/vaultPreflight";
import { stackIdentity } from "../../stacks/stackIdentity";
import { readVaultInventory, type MountInfo, type VaultInventory } from "../../components/vault/inventory";
import { startVaultSysDouble, type VaultSysDouble } from "../support/vault-sys-double";

const P = "gitops-platform:";
const SECRET_KEYS = new Set([`${P}gitlabToken`, `${P}argocdRepoToken`, `${P}registry`]);
const DEV = stackIdentity("organization", "gitops-platform", "dev", "gitops-poc-dzha");
const PROD = stackIdentity("organization", "gitops-platform", "prod", "gitops-poc-dzha");

/** A valid config, as raw engine values; `vault` merged over the defaults. */
function rawConfig(vault: Record<string, unknown> = {}): Record<string, string> {
    const values: Record<string, unknown> = {
        environments: { dev: {} },
        gitlab: { group: "gitops-poc-dzha" },
        registry: { server: "registry.example.com", username: "puller", password: "hunter2-registry" },
        argocd: { repoUsername: "argocd-reader" },
        argocdRepoToken: "glpat-argocd-secret",
        vault,
    };
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [P + k, typeof v === "string" ? v : JSON.stringify(v)]));
}

function config(vault: Record<string, unknown> = {}): PlatformConfig {
    return parseStackConfig(rawConfig(vault), SECRET_KEYS, "dev");
}

const KV2: MountInfo = { type: "kv", description: "key/value secret storage", options: { version: "2" } };
const KV1: MountInfo = { type: "kv", description: "", options: { version: "1" } };
const k8sAuth = (description: string): MountInfo => ({ type: "kubernetes", description, options: {} });

/** The example of a problem is valid stack config that mentions the problem's key. */
function assertValidExample(problem: { key: string; example?: string }) {
    assert.ok(problem.example, `${problem.key}: an example`);
    const doc = parse(problem.example!) as Record<string, Record<string, unknown>>;
    const vault = doc[`${P}vault`];
    assert.ok(vault && typeof vault === "object", `${problem.key}: the example is gitops-platform:vault YAML: ${problem.example}`);
    const leaf = problem.key.slice(`${P}vault.`.length);
    assert.ok(leaf in vault, `${problem.key}: the example sets ${leaf}: ${problem.example}`);
    assert.doesNotThrow(() => config(vault), `${problem.key}: the example is accepted by the config loader`);
}

describe("inventoryProblems", () => {
    it("nothing mounted yet, or a KV v2 engine and this stack's own auth mount: no problem", () => {
        const cfg = config();
        assert.deepEqual(inventoryProblems(cfg, {}, DEV.owner), []);
        assert.deepEqual(inventoryProblems(cfg, { kvMount: KV2, authMount: k8sAuth(DEV.authDescription) }, DEV.owner), []);
        assert.deepEqual(inventoryProblems(cfg, { kvMount: { type: "kv-v2", description: "", options: {} } }, DEV.owner), []);
    });

    it("a KV v1 engine at vault.kvMount: an error naming gitops-platform:vault.kvMount, the version and how to upgrade, with a valid example", () => {
        const problems = inventoryProblems(config(), { kvMount: KV1 }, DEV.owner);
        assert.equal(problems.length, 1);
        const [p] = problems;
        assert.equal(p.key, "gitops-platform:vault.kvMount");
        assert.match(p.message, /"kv" version 1 engine at secret\//);
        assert.match(p.message, /not KV version 2/);
        assert.match(p.message, /vault kv enable-versioning secret\//);
        assertValidExample(p);
    });

    it("another engine type at vault.kvMount (e.g. transit, or kv without a version): an error naming gitops-platform:vault.kvMount", () => {
        for (const kvMount of [
            { type: "transit", description: "", options: {} },
            { type: "kv", description: "", options: {} },
            { type: "generic", description: "", options: {} },
        ]) {
            const problems = inventoryProblems(config({ kvMount: "kv-platform" }), { kvMount }, DEV.owner);
            assert.deepEqual(problems.map((p) => p.key), ["gitops-platform:vault.kvMount"], kvMount.type);
            assert.ok(problems[0].message.includes(`"${kvMount.type}"`) && problems[0].message.includes("kv-platform/"), problems[0].message);
            assertValidExample(problems[0]);
        }
    });

    it("no engine at vault.kvMount and manageKvMount false: an error naming gitops-platform:vault.manageKvMount", () => {
        const problems = inventoryProblems(config({ manageKvMount: false }), {}, DEV.owner);
        assert.equal(problems.length, 1);
        assert.equal(problems[0].key, "gitops-platform:vault.manageKvMount");
        assert.match(problems[0].message, /no engine at secret\//);
        assertValidExample(problems[0]);
        assert.deepEqual(inventoryProblems(config({ manageKvMount: false }), { kvMount: KV2 }, DEV.owner), [], "a shared mount another stack manages");
    });

    it("an auth method of another type at vault.kubernetesAuthMount: an error naming gitops-platform:vault.kubernetesAuthMount", () => {
        const problems = inventoryProblems(config(), { authMount: { type: "approle", description: "", options: {} } }, DEV.owner);
        assert.equal(problems.length, 1);
        assert.equal(problems[0].key, "gitops-platform:vault.kubernetesAuthMount");
        assert.match(problems[0].message, /"approle" auth method at auth\/kubernetes\//);
        assertValidExample(problems[0]);
    });

    it("a Kubernetes auth mount another stack created (its marker in the description): an error naming both stacks", () => {
        assert.ok(PROD.authDescription.includes("gitops-platform stack "), "the marker this check looks for");
        const problems = inventoryProblems(config(), { kvMount: KV2, authMount: k8sAuth(PROD.authDescription) }, DEV.owner);
        assert.equal(problems.length, 1);
        const [p] = problems;
        assert.equal(p.key, "gitops-platform:vault.kubernetesAuthMount");
        assert.ok(p.message.includes(`"${PROD.owner}"`), p.message);
        assert.ok(p.message.includes(`"${DEV.owner}"`), p.message);
        assert.match(p.message, /auth\/kubernetes\//);
        assertValidExample(p);
    });

    it("this stack's marker, or no marker (made by setup-infrastructure.sh or by hand): adopted, no problem", () => {
        for (const description of [DEV.authDescription, "", "Kubernetes auth for the platform", "kubernetes"]) {
            assert.deepEqual(inventoryProblems(config(), { kvMount: KV2, authMount: k8sAuth(description) }, DEV.owner), [], description);
        }
    });

    it("every problem is reported at once, not one per run", () => {
        const inv: VaultInventory = { kvMount: KV1, authMount: k8sAuth(PROD.authDescription) };
        const keys = inventoryProblems(config(), inv, DEV.owner).map((p) => p.key);
        assert.deepEqual(keys, ["gitops-platform:vault.kvMount", "gitops-platform:vault.kubernetesAuthMount"]);
    });
});

describe("readVaultInventory against Vault's sys/mounts and sys/auth", () => {
    let vault: VaultSysDouble;
    before(async () => {
        vault = await startVaultSysDouble();
    });
    after(async () => {
        await vault.close();
    });
    beforeEach(() => {
        vault.shape = "both";
        vault.sealed = false;
        vault.delayMs = 0;
        vault.requests.length = 0;
        vault.mounts.delete("secret");
        vault.mounts.delete("team/kv");
        vault.auth.delete("kubernetes");
    });
    const endpoint = () => ({ address: vault.url, token: vault.token });

    it("finds secret/ as KV v2 with its description, and the kubernetes auth method with its description", async () => {
        vault.mounts.set("secret", { type: "kv", description: "key/value secret storage", options: { version: "2" } });
        vault.auth.set("kubernetes", { type: "kubernetes", description: DEV.authDescription });
        for (const shape of ["both", "data", "top"] as const) {
            vault.shape = shape;
            const inv = await readVaultInventory(endpoint(), "secret", "kubernetes");
            assert.deepEqual(inv.kvMount, { type: "kv", description: "key/value secret storage", options: { version: "2" } }, shape);
            assert.deepEqual(inv.authMount, { type: "kubernetes", description: DEV.authDescription, options: {} }, `${shape}: options null → {}`);
        }
        assert.ok(vault.requests.every((r) => r.method === "GET" && r.token === vault.token));
        assert.deepEqual([...new Set(vault.requests.map((r) => r.path))].sort(), ["/v1/sys/auth", "/v1/sys/mounts"]);
    });

    it("finds nothing at an unknown path; a path given with a trailing '/' or nested is found as Vault lists it", async () => {
        vault.mounts.set("team/kv", { type: "kv", description: "", options: { version: "1" } });
        assert.deepEqual(await readVaultInventory(endpoint(), "secret", "kubernetes"), { kvMount: undefined, authMount: undefined });
        assert.deepEqual(await readVaultInventory(endpoint(), "cubby", "kube"), { kvMount: undefined, authMount: undefined });
        const nested = await readVaultInventory(endpoint(), "team/kv/", "token/");
        assert.deepEqual(nested.kvMount, { type: "kv", description: "", options: { version: "1" } });
        assert.equal(nested.authMount?.type, "token");
    });

    it("sends X-Vault-Namespace when a namespace is set", async () => {
        await readVaultInventory({ ...endpoint(), namespace: "team-a" }, "secret", "kubernetes");
        assert.ok(vault.requests.length >= 2 && vault.requests.every((r) => r.namespace === "team-a"));
    });

    it("403: says which capability the token needs, never the token", async () => {
        const wrong = "hvs.WRONG-preflight-token-never-printed-1618";
        const e = await readVaultInventory({ address: vault.url, token: wrong }, "secret", "kubernetes").then(
            () => assert.fail("expected an error"),
            (err: unknown) => err,
        );
        assert.ok(e instanceof Error);
        assert.match(e.message, /refused GET sys\/(mounts|auth) \(403\)/);
        assert.match(e.message, /"read" on sys\/mounts and sys\/auth/);
        assert.match(e.message, /vault:token/);
        for (const t of [wrong, vault.token]) {
            assert.ok(!e.message.includes(t) && !String(e.stack).includes(t), "the token is not in the error");
        }
    });

    it("503: Vault is sealed", async () => {
        vault.sealed = true;
        await assert.rejects(readVaultInventory(endpoint(), "secret", "kubernetes"), /sealed or not initialized \(503/);
    });

    it("unreachable: names the address and the setting, never the token", async () => {
        const address = "http://127.0.0.1:9";
        const e = await readVaultInventory({ address, token: vault.token }, "secret", "kubernetes").then(
            () => assert.fail("expected an error"),
            (err: unknown) => err as Error,
        );
        assert.match(e.message, /cannot reach Vault at http:\/\/127\.0\.0\.1:9/);
        assert.match(e.message, /vault:address/);
        assert.ok(!e.message.includes(vault.token));
    });

    it("a Vault that does not answer in time: an error naming the address", async () => {
        vault.delayMs = 1000;
        await assert.rejects(readVaultInventory({ ...endpoint(), timeoutMs: 100 }, "secret", "kubernetes"), (e: Error) =>
            e.message.includes(`cannot reach Vault at ${vault.url}`),
        );
    });

    // vaultPreflight end to end (seal status and capabilities first): test/unit/vaultReadiness.test.ts.
    it("checkInventory over the read inventory: returns what it adopts, or stops with a ConfigError naming the key", async () => {
        vault.mounts.set("secret", { type: "kv", description: "key/value secret storage", options: { version: "2" } });
        const read = () => readVaultInventory(endpoint(), "secret", "kubernetes");
        const inv = checkInventory(config(), await read(), DEV.owner);
        assert.equal(inv.kvMount?.description, "key/value secret storage");
        vault.auth.set("kubernetes", { type: "kubernetes", description: PROD.authDescription });
        const inv2 = await read();
        let e: unknown;
        try {
            checkInventory(config(), inv2, DEV.owner);
        } catch (err) {
            e = err;
        }
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems.map((p) => p.key), ["gitops-platform:vault.kubernetesAuthMount"]);
        assert.match(e.message, /gitops-platform:vault\.kubernetesAuthMount: auth\/kubernetes\/ belongs to stack/);
    });
});

describe("vaultEndpoint", () => {
    it("without a token, the error names vault:token and says why an authLogin block is not enough", () => {
        const saved = { token: process.env.VAULT_TOKEN, home: process.env.HOME };
        delete process.env.VAULT_TOKEN;
        process.env.HOME = fs.mkdtempSync(path.join(os.tmpdir(), "no-vault-token-"));
        try {
            pulumi.runtime.setAllConfig({ "vault:address": "https://vault.example.com", "vault:authLoginJwt": '{"role":"ci"}' }, []);
            assert.throws(
                () => vaultEndpoint(),
                (e: Error) =>
                    e instanceof ConfigError &&
                    /vault:token: is required/.test(e.message) &&
                    /vault:authLoginJwt log the vault provider in/.test(e.message) &&
                    /pulumi config set --secret vault:token/.test(e.message),
            );
        } finally {
            if (saved.token !== undefined) process.env.VAULT_TOKEN = saved.token;
            process.env.HOME = saved.home;
            pulumi.runtime.setAllConfig({}, []);
        }
    });
});
