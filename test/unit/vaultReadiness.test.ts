/**
 * Vault readiness before anything is registered (components/vault/readiness.ts, stacks/vaultPreflight.ts
 * vaultPreflight): against a local HTTP double of sys/seal-status, sys/capabilities-self,
 * sys/mounts and sys/auth in Vault's response shape: sealed, uninitialised, unreachable, a token
 * missing capabilities, a revoked token, and all fine. The token never appears in an error.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ConfigError, parseStackConfig, type PlatformConfig } from "../../stacks/config";
import { stackCapabilities, vaultPreflight } from "../../stacks/vaultPreflight";
import { stackIdentity } from "../../stacks/stackIdentity";
import { missingCapabilities, policySnippet, requiredCapabilities, VaultNotReadyError } from "../../components/vault/readiness";

const P = "gitops-platform:";
const TOKEN = "hvs.READINESS-double-token-do-not-print-3141";
const DEV = stackIdentity("organization", "gitops-platform", "dev", "gitops-poc-dzha");

function config(vault: Record<string, unknown> = {}): PlatformConfig {
    const values: Record<string, unknown> = {
        environments: { dev: {}, prod: {} },
        gitlab: { group: "gitops-poc-dzha" },
        registry: { server: "registry.example.com", username: "puller", password: "hunter2-registry" },
        argocd: { repoUsername: "argocd-reader" },
        argocdRepoToken: "glpat-argocd-secret",
        vault,
    };
    const raw = Object.fromEntries(Object.entries(values).map(([k, v]) => [P + k, typeof v === "string" ? v : JSON.stringify(v)]));
    return parseStackConfig(raw, new Set([`${P}argocdRepoToken`, `${P}registry`]), "dev");
}

/** A double of the four endpoints; `grants` is what capabilities-self answers per path (default root). */
interface Double {
    url: string;
    seal: { initialized: boolean; sealed: boolean; t: number; n: number; progress: number };
    grants?: Record<string, string[]>;
    requests: { method: string; path: string; body?: string }[];
    close(): Promise<void>;
}

async function startDouble(): Promise<Double> {
    const d = {
        seal: { initialized: true, sealed: false, t: 1, n: 1, progress: 0 },
        grants: undefined as Record<string, string[]> | undefined,
        requests: [] as { method: string; path: string; body?: string }[],
    };
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            const path = (req.url ?? "/").split("?")[0];
            d.requests.push({ method: req.method ?? "GET", path, body });
            const send = (status: number, payload: unknown) => {
                res.writeHead(status, { "Content-Type": "application/json" });
                res.end(JSON.stringify(payload));
            };
            if (path === "/v1/sys/seal-status") {
                return send(200, { type: "shamir", ...d.seal, nonce: "", version: "2.4.1", build_date: "", migration: false, recovery_seal: false, storage_type: "file" });
            }
            if (!d.seal.initialized || d.seal.sealed) return send(503, { errors: ["Vault is sealed"] });
            if (req.headers["x-vault-token"] !== TOKEN) return send(403, { errors: ["permission denied"] });
            if (path === "/v1/sys/capabilities-self" && req.method === "POST") {
                const paths = (JSON.parse(body) as { paths: string[] }).paths;
                const caps = Object.fromEntries(paths.map((p) => [p, d.grants ? (d.grants[p] ?? ["deny"]) : ["root"]]));
                return send(200, { ...caps, request_id: "r", lease_id: "", renewable: false, lease_duration: 0, data: caps, wrap_info: null, warnings: null, auth: null });
            }
            if (path === "/v1/sys/mounts" || path === "/v1/sys/auth") {
                const listing = path === "/v1/sys/mounts" ? { "secret/": { type: "kv", description: "kv", options: { version: "2" } } } : { "token/": { type: "token", description: "", options: null } };
                return send(200, { ...listing, data: listing });
            }
            return send(404, { errors: [] });
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return Object.assign(d, { url, close: () => new Promise<void>((r) => server.close(() => r())) });
}

async function failure(p: Promise<unknown>): Promise<Error> {
    return p.then(
        () => assert.fail("expected an error"),
        (e: unknown) => e as Error,
    );
}

function noToken(e: Error) {
    assert.ok(!e.message.includes(TOKEN) && !String(e.stack).includes(TOKEN), "the token is not in the error");
}

describe("requiredCapabilities", () => {
    it("derives every path from the config: mounts, auth, roles, policies, the registry secret", () => {
        const req = stackCapabilities(config(), DEV);
        assert.deepEqual(req["sys/mounts"], ["read"]);
        assert.deepEqual(req["sys/auth"], ["read"]);
        assert.deepEqual(req["sys/mounts/secret"], ["create", "read", "update", "delete"]);
        assert.ok(req["sys/auth/kubernetes"].includes("sudo"));
        assert.ok(req["auth/kubernetes/config"].includes("update"));
        for (const env of config().environments) {
            assert.ok(req[`auth/kubernetes/role/${env.roleName}`], env.roleName);
            assert.ok(req[`sys/policies/acl/${env.policyName}`], env.policyName);
        }
        assert.ok(req[`sys/policies/acl/${DEV.registryPolicyName}`]);
        assert.ok(req[`secret/data/${DEV.registrySecretPath}`]);
        assert.ok(req[`secret/metadata/${DEV.registrySecretPath}`]);
    });

    it("service secret placeholders: create+update on each <prefix>/<service>/<env>/config, read on its metadata; none when turned off", () => {
        const withServices = (vault: Record<string, unknown>) =>
            parseStackConfig(
                {
                    [P + "environments"]: JSON.stringify({ dev: {}, prod: {} }),
                    [P + "services"]: JSON.stringify([{ name: "api-gateway" }]),
                    [P + "gitlab"]: JSON.stringify({ group: "gitops-poc-dzha" }),
                    [P + "registry"]: JSON.stringify({ server: "registry.example.com", username: "puller", password: "hunter2-registry" }),
                    [P + "argocd"]: JSON.stringify({ repoUsername: "argocd-reader" }),
                    [P + "argocdRepoToken"]: "glpat-argocd-secret",
                    [P + "vault"]: JSON.stringify(vault),
                },
                new Set([`${P}argocdRepoToken`, `${P}registry`]),
                "dev",
            );
        const req = stackCapabilities(withServices({}), DEV);
        for (const env of ["dev", "prod"]) {
            assert.deepEqual(req[`secret/data/gitops-poc-dzha/api-gateway/${env}/config`], ["create", "update"], env);
            assert.deepEqual(req[`secret/metadata/gitops-poc-dzha/api-gateway/${env}/config`], ["read"], env);
        }
        const off = stackCapabilities(withServices({ servicePlaceholders: false }), DEV);
        assert.equal(Object.keys(off).filter((p) => p.endsWith("/config") && p.startsWith("secret/")).length, 0);
    });

    it("Argo CD for CI: CRUD on <prefix>/platform/stacks/<stack>/argocd-ci with argocd.apiUrl, on .../argocd-webhook with argocd.url; none when off", () => {
        const withArgo = (argocd: Record<string, unknown>, password = true) =>
            parseStackConfig(
                {
                    [P + "environments"]: JSON.stringify({ dev: {} }),
                    [P + "gitlab"]: JSON.stringify({ group: "gitops-poc-dzha" }),
                    [P + "gitlabToken"]: "glpat-api-secret",
                    [P + "registry"]: JSON.stringify({ server: "registry.example.com", username: "puller", password: "hunter2-registry" }),
                    [P + "argocd"]: JSON.stringify({ repoUsername: "argocd-reader", ...argocd }),
                    [P + "argocdRepoToken"]: "glpat-argocd-secret",
                    ...(password ? { [P + "argocdAdminPassword"]: "argocd-admin-secret" } : {}),
                },
                new Set([`${P}argocdRepoToken`, `${P}registry`, `${P}gitlabToken`, `${P}argocdAdminPassword`]),
                "dev",
            );
        const CRUD = ["create", "read", "update", "delete"];
        const ci = "gitops-poc-dzha/platform/stacks/dev/argocd-ci";
        const hook = "gitops-poc-dzha/platform/stacks/dev/argocd-webhook";
        const both = stackCapabilities(withArgo({ apiUrl: "https://argocd.example.com", url: "https://argocd.example.com" }), DEV);
        for (const p of [ci, hook]) {
            assert.deepEqual(both[`secret/data/${p}`], CRUD, p);
            assert.deepEqual(both[`secret/metadata/${p}`], CRUD, p);
        }
        const tokenOnly = stackCapabilities(withArgo({ apiUrl: "https://argocd.example.com" }), DEV);
        assert.deepEqual(tokenOnly[`secret/data/${ci}`], CRUD);
        assert.equal(tokenOnly[`secret/data/${hook}`], undefined, "no argocd.url: no webhook secret");
        const hookOnly = stackCapabilities(withArgo({ url: "https://argocd.example.com" }, false), DEV);
        assert.deepEqual(hookOnly[`secret/metadata/${hook}`], CRUD);
        assert.equal(hookOnly[`secret/data/${ci}`], undefined, "no argocd.apiUrl: no token secret");
        const off = stackCapabilities(
            withArgo({ apiUrl: "https://argocd.example.com", url: "https://argocd.example.com", ciAccount: { enabled: false }, webhook: { enabled: false } }),
            DEV,
        );
        assert.equal(Object.keys(off).filter((p) => p.includes("/argocd-")).length, 0, "ciAccount and webhook off: neither path");
        assert.equal(Object.keys(stackCapabilities(config(), DEV)).filter((p) => p.includes("/argocd-")).length, 0, "default config: neither path");
    });

    it("the preflight asks capabilities-self for the Argo CD paths and names them in the policy when missing", async () => {
        const cfg = parseStackConfig(
            {
                [P + "environments"]: JSON.stringify({ dev: {} }),
                [P + "gitlab"]: JSON.stringify({ group: "gitops-poc-dzha" }),
                [P + "gitlabToken"]: "glpat-api-secret",
                [P + "registry"]: JSON.stringify({ server: "registry.example.com", username: "puller", password: "hunter2-registry" }),
                [P + "argocd"]: JSON.stringify({ repoUsername: "argocd-reader", apiUrl: "https://argocd.example.com", url: "https://argocd.example.com" }),
                [P + "argocdRepoToken"]: "glpat-argocd-secret",
                [P + "argocdAdminPassword"]: "argocd-admin-secret",
            },
            new Set([`${P}argocdRepoToken`, `${P}registry`, `${P}gitlabToken`, `${P}argocdAdminPassword`]),
            "dev",
        );
        const vault = await startDouble();
        try {
            const req = stackCapabilities(cfg, DEV);
            vault.grants = Object.fromEntries(Object.entries(req).filter(([p]) => !p.includes("/argocd-")));
            const e = await failure(vaultPreflight(cfg, DEV.owner, { address: vault.url, token: TOKEN }, DEV));
            assert.ok(e instanceof VaultNotReadyError, String(e));
            const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
            for (const p of ["secret/data/gitops-poc-dzha/platform/stacks/dev/argocd-ci", "secret/metadata/gitops-poc-dzha/platform/stacks/dev/argocd-webhook"]) {
                assert.ok(e.message.includes(`${p} (create, read, update, delete)`), `${p} listed with what it lacks`);
                assert.match(e.message, new RegExp(`path "${esc(p)}" \\{\\s*capabilities = \\["create", "read", "update", "delete"\\]`), `${p} in the policy to write`);
            }
            assert.ok(!e.message.includes("registry (create"), "what the token has is not listed");
            noToken(e);
        } finally {
            await vault.close();
        }
    });

    it("manageKvMount false: no sys/mounts/<kvMount>; other mounts follow the config", () => {
        const req = stackCapabilities(config({ kvMount: "kv-platform", manageKvMount: false, kubernetesAuthMount: "k8s-dev" }), DEV);
        assert.equal(req["sys/mounts/kv-platform"], undefined);
        assert.ok(req["sys/auth/k8s-dev"] && req["auth/k8s-dev/config"]);
        assert.ok(req[`kv-platform/data/${DEV.registrySecretPath}`]);
    });

    it("missingCapabilities: root grants all, deny none, otherwise the difference", () => {
        const req = requiredCapabilities({ kvMount: "s", manageKvMount: true, authMount: "k", roles: [], policies: [], registrySecretPath: "x" });
        assert.deepEqual(missingCapabilities(req, Object.fromEntries(Object.keys(req).map((p) => [p, ["root"]]))), {});
        const m = missingCapabilities(req, { "sys/mounts": ["read"], "sys/auth": ["deny", "read"], "sys/mounts/s": ["create", "read"] });
        assert.equal(m["sys/mounts"], undefined);
        assert.deepEqual(m["sys/auth"], ["read"]);
        assert.deepEqual(m["sys/mounts/s"], ["update", "delete"]);
        assert.equal(policySnippet({ "sys/auth": ["read"] }), 'path "sys/auth" {\n  capabilities = ["read"]\n}');
    });
});

describe("vaultPreflight readiness", () => {
    let vault: Double;
    const endpoint = () => ({ address: vault.url, token: TOKEN });
    before(async () => {
        vault = await startDouble();
    });
    after(async () => vault.close());
    beforeEach(() => {
        vault.seal = { initialized: true, sealed: false, t: 1, n: 1, progress: 0 };
        vault.grants = undefined;
        vault.requests.length = 0;
    });

    it("all fine: seal status, then capabilities-self with every needed path, then the inventory", async () => {
        const inv = await vaultPreflight(config(), DEV.owner, endpoint(), DEV);
        assert.equal(inv.kvMount?.type, "kv");
        assert.equal(vault.requests[0].path, "/v1/sys/seal-status");
        const caps = vault.requests.find((r) => r.path === "/v1/sys/capabilities-self");
        assert.ok(caps);
        assert.deepEqual(JSON.parse(caps.body!).paths.sort(), Object.keys(stackCapabilities(config(), DEV)).sort());
    });

    it("uninitialised: says so and what to run, nothing else asked", async () => {
        vault.seal = { initialized: false, sealed: true, t: 0, n: 0, progress: 0 };
        const e = await failure(vaultPreflight(config(), DEV.owner, endpoint(), DEV));
        assert.ok(e instanceof VaultNotReadyError && e instanceof ConfigError);
        assert.match(e.message, /not initialised: run `vault operator init` \(or `bao operator init`\)/);
        assert.match(e.message, /nothing was created/);
        assert.deepEqual(vault.requests.map((r) => r.path), ["/v1/sys/seal-status"]);
        noToken(e);
    });

    it("sealed: says so with the key threshold from seal-status", async () => {
        vault.seal = { initialized: true, sealed: true, t: 3, n: 5, progress: 1 };
        const e = await failure(vaultPreflight(config(), DEV.owner, endpoint(), DEV));
        assert.ok(e instanceof VaultNotReadyError);
        assert.match(e.message, /is sealed: unseal it: `vault operator unseal`/);
        assert.match(e.message, /3 of 5 keys \(1 entered so far\)/);
        noToken(e);
    });

    it("unreachable: names vault:address and the address", async () => {
        const e = await failure(vaultPreflight(config(), DEV.owner, { address: "http://127.0.0.1:9", token: TOKEN }, DEV));
        assert.ok(e instanceof VaultNotReadyError);
        assert.match(e.message, /vault:address: cannot reach Vault at http:\/\/127\.0\.0\.1:9/);
        noToken(e);
    });

    it("a token missing capabilities: every path with what it lacks and a policy granting exactly that", async () => {
        const req = stackCapabilities(config(), DEV);
        vault.grants = Object.fromEntries(Object.keys(req).map((p) => [p, ["root"]]));
        vault.grants["sys/mounts"] = ["deny"];
        vault.grants["sys/mounts/secret"] = ["read"];
        vault.grants[`sys/policies/acl/${DEV.registryPolicyName}`] = ["create", "read", "update"];
        const e = await failure(vaultPreflight(config(), DEV.owner, endpoint(), DEV));
        assert.ok(e instanceof VaultNotReadyError);
        assert.deepEqual(e.problems.map((p) => p.key), ["vault:token"]);
        assert.match(e.message, /lacks capabilities the stack needs on 3 paths/);
        assert.match(e.message, /sys\/mounts \(read\)/);
        assert.match(e.message, /sys\/mounts\/secret \(create, update, delete\)/);
        assert.match(e.message, /sys\/policies\/acl\/registry-read-dev \(delete\)/);
        // the policy grants all the stack needs on those paths (the most specific path wins across policies)
        assert.ok(e.message.includes(`path "sys/policies/acl/${DEV.registryPolicyName}" {\n        capabilities = ["create", "read", "update", "delete"]`), e.message);
        assert.ok(e.message.includes(`path "sys/mounts" {\n        capabilities = ["read"]`), e.message);
        assert.match(e.message, /vault policy write gitops-platform-dev - <<'EOF'/);
        assert.ok(!e.message.includes('path "sys/auth"'), "only the paths with something missing");
        assert.match(e.message, /denies sys\/mounts explicitly: remove that deny/);
        noToken(e);
    });

    it("a revoked token: names vault:token and how to make one", async () => {
        const e = await failure(vaultPreflight(config(), DEV.owner, { address: vault.url, token: "hvs.revoked-token-xyz" }, DEV));
        assert.ok(e instanceof VaultNotReadyError);
        assert.match(e.message, /vault:token: Vault at .* refused the token \(403 on POST sys\/capabilities-self\)/);
        assert.ok(!e.message.includes("hvs.revoked-token-xyz"));
    });
});
