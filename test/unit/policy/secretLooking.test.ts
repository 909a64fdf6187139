/** What the pack calls secret-looking: credential shapes, credential key names, and what is not. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { isSecretKeyName, secretLooking } from "../../../policy/lib/secretLooking";

const dockerConfig = (auth: string) => JSON.stringify({ auths: { "registry.gitlab.com": { username: "u", auth } } });
const JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJrdWJlcm5ldGVzIiwic3ViIjoic3lzdGVtIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

test("credential shapes are secret-looking under any key, and the reason never quotes the value", () => {
    const cases: [string, RegExp][] = [
        ["glpat-AbCdEfGhIjKlMnOpQrSt", /GitLab token/],
        ["token: gldt-AbCdEfGhIjKlMnOpQrSt", /GitLab token/],
        ["glrt-t1_AbCdEfGhIjKlMnOp", /GitLab token/],
        ["glpat-AbCdEfGhIjKl.01.0w1abcdef", /GitLab token/],
        ["hvs.CAESIJlWh0V1Z3p2b3VkdGhpc2lzYXRlc3R0b2tlbg", /Vault token \(hvs/],
        ["s.AbCdEfGhIjKlMnOpQrStUvWx", /Vault token \(s\.\)/],
        ["-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----\n", /PEM private key/],
        ["-----BEGIN PRIVATE KEY-----\nMIIE", /PEM private key/],
        ["-----BEGIN OPENSSH PRIVATE KEY-----", /PEM private key/],
        [JWT, /JSON Web Token/],
        [dockerConfig("dTpw"), /Docker config with registry credentials/],
        [JSON.stringify({ "registry.example.com": { auth: "dTpw" } }), /Docker config/],
        [JSON.stringify({ auths: { r: { identitytoken: "x" } } }), /Docker config/],
    ];
    for (const [value, why] of cases) {
        const reason = secretLooking("anything", value);
        assert.ok(reason !== undefined, value);
        assert.match(reason, why, value);
        assert.ok(!reason.includes(value.slice(0, 12)), "no value in the reason");
    }
});

test("a non-empty value under a key named like a credential is secret-looking", () => {
    for (const key of ["password", "DB_PASSWORD", "db-password", "gitlabToken", "apiToken", "api_key", "apiKey", "clientSecret", "tls.key", "privateKey", "credentials", "passphrase"]) {
        assert.ok(isSecretKeyName(key), key);
        assert.match(secretLooking(key, "hunter2") ?? "", new RegExp(`key named like a credential \\("${key.replace(/[.]/g, "\\.")}"\\)`), key);
        assert.equal(secretLooking(key, ""), undefined, `${key}: empty is not a secret`);
        assert.equal(secretLooking(key, "   "), undefined, `${key}: blank is not a secret`);
    }
});

test("names that only mention a credential, and ordinary values, are not secret-looking", () => {
    for (const key of ["registrySecretPath", "registryTokenExpiresAt", "repoTokenExpiresAt", "tokenTtl", "secretName", "publicKey", "public-key", "keyboard", "monkey", "namespaces", "vaultAuthMount", "tokenReviewerName"]) {
        assert.ok(!isSecretKeyName(key), key);
    }
    const values = [
        "secret/data/gitops-poc-dzha/platform/stacks/prod/registry",
        "https://vault.example.com",
        "s.example.com",
        "glpat-",
        "hvs.short",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        dockerConfig(""),
        JSON.stringify({ auths: { r: { username: "u" } } }),
        "{not json",
        "2027-01-01T00:00:00.000Z",
        "poc-dev-read",
    ];
    for (const v of values) {
        assert.equal(secretLooking("value", v), undefined, v);
    }
    assert.equal(secretLooking("password", 42), undefined, "only strings");
    assert.equal(secretLooking("token", true), undefined, "only strings");
});
