/**
 * The explicit providers: every `kubernetes:*` / `vault:*` setting the installed SDKs accept
 * reaches the provider, credentials (a kubeconfig with a bearer token, the Vault token, auth-login
 * blocks) stay secret on the wire, and any other key in these namespaces is refused by name.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { clearStrings, installMocks, isSecretAt, one, recorded, settle } from "../support/mocks";
import { stackConfig, ROOT } from "../support/stackConfig";
import { ConfigError, parseStackConfig } from "../../stacks/config";
import { createProviders } from "../../stacks/providers";

/** `ProviderArgs` of an installed SDK, read from its typings: argument name → declared type. */
function sdkProviderArgs(pkg: "kubernetes" | "vault" | "cloudflare"): Map<string, string> {
    const text = fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", pkg, "provider.d.ts"), "utf8");
    const body = text.slice(text.indexOf("export interface ProviderArgs {"));
    const block = body.slice(0, body.indexOf("\n}"));
    const args = new Map<string, string>();
    for (const m of block.matchAll(/^ {4}(\w+)\?: (.+);$/gm)) {
        args.set(m[1], m[2]);
    }
    assert.ok(args.size >= (pkg === "cloudflare" ? 5 : 10), `read ProviderArgs of @pulumi/${pkg}`);
    return args;
}

const K8S_TOKEN = "k8s-admin-bearer-token-0123456789abcdef";
const KUBECONFIG = [
    "apiVersion: v1",
    "kind: Config",
    "clusters: [{ name: c, cluster: { server: 'https://10.0.0.1:6443' } }]",
    `users: [{ name: admin, user: { token: ${K8S_TOKEN} } }]`,
    "contexts: [{ name: admin, context: { cluster: c, user: admin } }]",
    "current-context: admin",
].join("\n");
const VAULT_TOKEN = "hvs.provider-test-vault-token";
const VAULT_ADDRESS = "https://vault.provider-test.example.com";

/** Values for the structured settings (with the credentials the clear-text scan looks for). */
const OBJECT_SAMPLES: Record<string, unknown> = {
    "kubernetes:helmReleaseSettings": { driver: "configmap", pluginsPath: "/opt/helm/plugins" },
    "kubernetes:kubeClientSettings": { burst: 120, qps: 60, timeout: 45 },
    "vault:authLogin": { path: "auth/approle/login", parameters: { role_id: "role-1", secret_id: "approle-secret-id-123" } },
    "vault:authLoginAws": { role: "aws-role", awsSecretAccessKey: "aws-secret-access-key-123" },
    "vault:authLoginAzure": { role: "az", resourceGroupName: "rg", subscriptionId: "sub", jwt: "azure-jwt-123" },
    "vault:authLoginCert": { certFile: "/etc/vault/c.pem", keyFile: "/etc/vault/k.pem", name: "cert-role" },
    "vault:authLoginGcp": { role: "gcp-role", jwt: "gcp-jwt-123" },
    "vault:authLoginJwt": { role: "ci", jwt: "ci-jwt-eyJ-123" },
    "vault:authLoginKerberos": { username: "k", token: "kerberos-spnego-token-123" },
    "vault:authLoginOci": { role: "oci-role", authType: "instance" },
    "vault:authLoginOidc": { role: "oidc-role" },
    "vault:authLoginRadius": { username: "r", password: "radius-password-123" },
    "vault:authLoginTokenFile": { filename: "/run/vault-token" },
    "vault:authLoginUserpass": { username: "deployer", password: "userpass-password-123" },
    "vault:clientAuth": { certFile: "/etc/vault/client.pem", keyFile: "/etc/vault/client-key.pem" },
    "vault:headers": [{ name: "X-Vault-Proxy-Auth", value: "proxy-header-secret-123" }],
};
/** Credentials inside the samples: none may appear outside a secret marker. */
const CREDENTIALS = [
    K8S_TOKEN,
    VAULT_TOKEN,
    "approle-secret-id-123",
    "aws-secret-access-key-123",
    "azure-jwt-123",
    "gcp-jwt-123",
    "ci-jwt-eyJ-123",
    "kerberos-spnego-token-123",
    "radius-password-123",
    "userpass-password-123",
    "proxy-header-secret-123",
];
/** Settings that can hold a credential: read as secrets whether or not the stack stores them encrypted. */
const SECRET_SETTINGS = new Set([
    "kubernetes:kubeconfig",
    "vault:token",
    "vault:tokenName",
    "vault:clientAuth",
    "vault:headers",
    ...[...sdkProviderArgs("vault").keys()].filter((k) => k.startsWith("authLogin")).map((k) => `vault:${k}`),
]);
/** Keys the test stores encrypted, as `pulumi config set --secret` does: the kubeconfig, the token and one plain setting. */
const STORED_SECRET = ["kubernetes:kubeconfig", "vault:token", "vault:address"];

/** A raw config value for a setting of `type`, and what the provider's (JSON-encoded) input must then be. */
function sample(key: string, type: string): { raw: string; check: (input: unknown) => void } {
    if (key === "kubernetes:kubeconfig") {
        return { raw: KUBECONFIG, check: (v) => assert.equal(v, KUBECONFIG) };
    }
    if (key === "vault:token") {
        return { raw: VAULT_TOKEN, check: (v) => assert.equal(v, VAULT_TOKEN) };
    }
    if (key === "vault:address") {
        return { raw: VAULT_ADDRESS, check: (v) => assert.equal(v, VAULT_ADDRESS) };
    }
    if (type.includes("inputs.")) {
        const value = OBJECT_SAMPLES[key];
        assert.ok(value !== undefined, `the test has a sample for the structured setting ${key} (${type})`);
        return {
            raw: JSON.stringify(value),
            check: (v) => {
                const got = JSON.parse(v as string);
                if (Array.isArray(value)) {
                    assert.deepEqual(got, value);
                } else {
                    for (const [f, x] of Object.entries(value as object)) {
                        assert.deepEqual(got[f], x, `${key}.${f}`);
                    }
                }
            },
        };
    }
    if (type.includes("boolean")) {
        return { raw: "true", check: (v) => assert.equal(v, "true") };
    }
    if (type.includes("number")) {
        return { raw: "7", check: (v) => assert.equal(v, "7") };
    }
    assert.match(type, /string/, `${key}: a type the test knows (${type})`);
    return { raw: `${key.replace(":", "-")}-value`, check: (v) => assert.equal(v, `${key.replace(":", "-")}-value`) };
}

const SETTINGS = (["kubernetes", "vault"] as const).flatMap((pkg) =>
    [...sdkProviderArgs(pkg)].map(([name, type]) => ({ pkg, name, key: `${pkg}:${name}`, ...sample(`${pkg}:${name}`, type) })),
);

test("every ProviderArgs setting of the installed SDKs reaches its provider, credentials as secrets", async () => {
    recorded.length = 0;
    await installMocks("dev");
    const raw = Object.fromEntries(SETTINGS.map((s) => [s.key, s.raw]));
    pulumi.runtime.setAllConfig(raw, STORED_SECRET);
    createProviders();
    await settle();
    const provider = { kubernetes: one("pulumi:providers:kubernetes", "kubernetes"), vault: one("pulumi:providers:vault", "vault") };
    const missing: string[] = [];
    const wrongSecrecy: string[] = [];
    for (const s of SETTINGS) {
        const r = provider[s.pkg];
        if (r.inputs[s.name] === undefined) {
            missing.push(s.key);
            continue;
        }
        s.check(r.inputs[s.name]);
        const secret = SECRET_SETTINGS.has(s.key) || STORED_SECRET.includes(s.key);
        if (isSecretAt(r.wire, s.name) !== secret) {
            wrongSecrecy.push(`${s.key} should ${secret ? "" : "not "}be a secret on the wire`);
        }
    }
    assert.deepEqual(missing, [], "settings set in the stack config but not passed to the provider");
    assert.deepEqual(wrongSecrecy, []);
    assert.equal(provider.kubernetes.inputs.clusterIdentifier, "kubernetes-clusterIdentifier-value");
});

test("clear-text scan: the kubeconfig's bearer token and every Vault credential appear only inside secret markers", async () => {
    // the providers registered by the previous test
    assert.ok(recorded.length >= 2);
    assert.ok(isSecretAt(one("pulumi:providers:kubernetes", "kubernetes").wire, "kubeconfig"), "kubeconfig is a secret input");
    const leaks = recorded.flatMap((r) =>
        clearStrings(r.wire)
            .filter((s) => CREDENTIALS.some((c) => s.value.includes(c) || s.value.includes(Buffer.from(c).toString("base64"))))
            .map((s) => `${r.type} ${r.name} ${s.path}`),
    );
    assert.deepEqual(leaks, []);
});

/** The kubernetes provider registered from exactly the raw `config` (after the earlier tests' registrations are dropped). */
async function kubernetesProviderWith(config: Record<string, string>, secretKeys: string[] = []) {
    recorded.length = 0;
    pulumi.runtime.setAllConfig(config, secretKeys);
    createProviders();
    await settle();
    return one("pulumi:providers:kubernetes", "kubernetes");
}

test("enablePatchForce is on when the stack does not set kubernetes:enablePatchForce (a hand edit is overwritten, not a field conflict)", async () => {
    const provider = await kubernetesProviderWith({ "kubernetes:context": "minikube" });
    assert.equal(provider.inputs.enablePatchForce, "true");
    assert.equal(provider.inputs.context, "minikube");
});

test("kubernetes:enablePatchForce set by the stack wins, false included", async () => {
    assert.equal((await kubernetesProviderWith({ "kubernetes:enablePatchForce": "false" })).inputs.enablePatchForce, "false");
    assert.equal((await kubernetesProviderWith({ "kubernetes:enablePatchForce": "true" })).inputs.enablePatchForce, "true");
    const stored = await kubernetesProviderWith({ "kubernetes:enablePatchForce": "false" }, ["kubernetes:enablePatchForce"]);
    assert.equal(stored.inputs.enablePatchForce, "false");
    assert.ok(isSecretAt(stored.wire, "enablePatchForce"), "a value stored with --secret stays secret");
});

const P = "gitops-platform:";

/** The committed dev stack plus `extra` raw keys, through the config validation every run starts with. */
function problemsWith(extra: Record<string, string>, secretKeys: string[] = []): ConfigError {
    const raw = { ...stackConfig("dev", { [`${P}gitlabToken`]: "t" }), ...extra };
    try {
        parseStackConfig(raw, new Set([`${P}gitlabToken`, ...secretKeys]), "dev");
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
        return e;
    }
    assert.fail("config was accepted");
}

test("an unknown kubernetes:* or vault:* key is refused, named, with the accepted keys listed", () => {
    const err = problemsWith({
        "kubernetes:clusterIdentifer": "minikube",
        "vault:authLoginJWT": JSON.stringify({ role: "ci" }),
        "vault:retries": "3",
    });
    assert.deepEqual(err.problems.map((p) => p.key).sort(), ["kubernetes:clusterIdentifer", "vault:authLoginJWT", "vault:retries"]);
    const byKey = Object.fromEntries(err.problems.map((p) => [p.key, p]));
    assert.match(byKey["kubernetes:clusterIdentifer"].message, /unknown kubernetes provider setting \(did you mean kubernetes:clusterIdentifier\?\)/);
    assert.match(byKey["vault:authLoginJWT"].message, /did you mean vault:authLoginJwt\?/);
    assert.match(byKey["vault:retries"].message, /unknown vault provider setting/);
    for (const [pkg, key] of [["kubernetes", "kubernetes:clusterIdentifer"], ["vault", "vault:retries"]] as const) {
        for (const name of sdkProviderArgs(pkg).keys()) {
            assert.ok(byKey[key].message.includes(`${pkg}:${name}`), `${key}: the message lists ${pkg}:${name}`);
        }
    }
    assert.ok(err.problems.every((p) => p.example), "each problem shows a valid example");
    assert.match(err.message, /kubernetes:clusterIdentifer: unknown/);
});

test("provider settings of the wrong shape are refused before anything runs; credentials are not echoed", () => {
    const err = problemsWith(
        {
            "vault:skipTlsVerify": "yes",
            "vault:maxRetries": "many",
            "kubernetes:kubeClientSettings": "fast",
            "vault:authLoginUserpass": "userpass-plain-password",
            "vault:headers": JSON.stringify({ name: "X", value: "header-secret-value" }),
            "vault:namespace": "[1, 2]",
        },
        [],
    );
    const byKey = Object.fromEntries(err.problems.map((p) => [p.key, p.message]));
    assert.deepEqual(Object.keys(byKey).sort(), [
        "kubernetes:kubeClientSettings",
        "vault:authLoginUserpass",
        "vault:headers",
        "vault:maxRetries",
        "vault:skipTlsVerify",
    ]);
    assert.match(byKey["vault:skipTlsVerify"], /must be true or false \(got "yes"\)/);
    assert.match(byKey["vault:maxRetries"], /whole number/);
    assert.match(byKey["kubernetes:kubeClientSettings"], /YAML map/);
    assert.match(byKey["vault:headers"], /list/);
    assert.ok(!err.message.includes("userpass-plain-password"));
    assert.ok(!err.message.includes("header-secret-value"));
});

test("a plain setting stored encrypted is not echoed either", () => {
    const err = problemsWith({ "vault:skipTlsVerify": "secret-looking-value" }, ["vault:skipTlsVerify"]);
    assert.equal(err.problems[0].key, "vault:skipTlsVerify");
    assert.ok(!err.message.includes("secret-looking-value"));
});

test("the committed stack files use only provider settings the SDKs accept", () => {
    for (const stack of ["dev", "prod"]) {
        parseStackConfig(stackConfig(stack, { [`${P}gitlabToken`]: "t" }), new Set([`${P}gitlabToken`]), stack);
    }
});

test("cloudflare: every ProviderArgs setting reaches the provider, credentials as secrets; none without cloudflare.enabled", async () => {
    const args = [...sdkProviderArgs("cloudflare")];
    const secret = new Set(["apiKey", "apiToken", "apiUserServiceKey"]);
    const raw = Object.fromEntries(args.map(([name]) => [`cloudflare:${name}`, `cloudflare-${name}-value-123`]));
    recorded.length = 0;
    pulumi.runtime.setAllConfig(raw, ["cloudflare:apiToken"]);
    createProviders();
    await settle();
    assert.equal(recorded.filter((r) => r.type === "pulumi:providers:cloudflare").length, 0, "no cloudflare provider unless asked for");
    recorded.length = 0;
    createProviders({ cloudflare: true });
    await settle();
    const p = one("pulumi:providers:cloudflare", "cloudflare");
    for (const [name] of args) {
        assert.equal(p.inputs[name], `cloudflare-${name}-value-123`, `cloudflare:${name} reaches the provider`);
        assert.equal(isSecretAt(p.wire, name), secret.has(name), `cloudflare:${name} is ${secret.has(name) ? "" : "not "}a secret on the wire`);
    }
    const leaks = clearStrings(p.wire).filter((s) => [...secret].some((n) => s.value.includes(`cloudflare-${n}-value-123`)));
    assert.deepEqual(leaks, []);
});
