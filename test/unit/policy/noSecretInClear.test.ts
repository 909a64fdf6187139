/** Rule 3, no-secret-in-configmap and no-secret-in-stack-outputs, on crafted ConfigMaps and outputs. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Secret } from "@pulumi/policy";
import { configMapViolations, noSecretInConfigMap } from "../../../policy/rules/noSecretInConfigMap";
import { noSecretInStackOutputs, stackOutputViolations } from "../../../policy/rules/noSecretInStackOutputs";
import { urnOf, validateResource, validateStack } from "./helpers";

const TOKEN = "glpat-AbCdEfGhIjKlMnOpQrSt";
const PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----\n";
const CM = "kubernetes:core/v1:ConfigMap";
const cmUrn = urnOf("dev", [CM], "app-config");
const stackUrn = urnOf("dev", ["pulumi:pulumi:Stack"], "gitops-platform-dev");

test("a GitLab token in a ConfigMap's data is refused, naming the ConfigMap and key, never the token", async () => {
    const props = { metadata: { name: "app-config", namespace: "poc-dev" }, data: { LOG_LEVEL: "info", "registry-login": TOKEN } };
    const [m, ...rest] = await validateResource(noSecretInConfigMap, { type: CM, urn: cmUrn, props });
    assert.equal(rest.length, 0);
    assert.equal(m, 'ConfigMap "app-config" data."registry-login" holds a GitLab token (glpat-, gldt-, ...); put it in a Secret or in Vault');
    assert.ok(!m.includes(TOKEN));
});

test("binaryData is decoded before the check; key names count there too", () => {
    const props = { binaryData: { "id.pem": Buffer.from(PEM).toString("base64"), "api-token": Buffer.from("abc").toString("base64") } };
    const ms = configMapViolations("cm", props);
    assert.equal(ms.length, 2);
    assert.match(ms[0], /^ConfigMap "cm" binaryData\."id\.pem" holds a PEM private key/);
    assert.match(ms[1], /binaryData\."api-token" holds a non-empty value under a key named like a credential/);
});

test("a Pulumi secret in a ConfigMap is refused all the same: the ConfigMap keeps it in clear in the cluster", () => {
    const [m] = configMapViolations("cm", { data: { token: new Secret(TOKEN) } });
    assert.match(m, /GitLab token .*\(a Pulumi secret, but a ConfigMap keeps it in clear in the cluster\)/);
    const whole = configMapViolations("cm", { data: new Secret({ password: "hunter2" }) });
    assert.equal(whole.length, 1, "a secret data map is checked inside");
});

test("ordinary ConfigMaps pass, and the policy looks at ConfigMaps only", async () => {
    const props = { metadata: { name: "argocd-cm" }, data: { "timeout.reconciliation": "180s", url: "https://argocd.example.com", "vault-token-path": "/var/run/token" } };
    assert.deepEqual(await validateResource(noSecretInConfigMap, { type: CM, urn: cmUrn, props }), []);
    assert.deepEqual(await validateResource(noSecretInConfigMap, { type: CM, urn: cmUrn, props: {} }), []);
    const secret = { type: "kubernetes:core/v1:Secret", urn: cmUrn, props: { stringData: { token: TOKEN } } };
    assert.deepEqual(await validateResource(noSecretInConfigMap, secret), [], "a Secret is where it belongs");
});

test("a secret-looking stack output in clear is refused with its output path; as a Pulumi secret it passes", async () => {
    const outputs = {
        namespaces: { dev: "poc-dev" },
        registryTokenExpiresAt: "2027-01-01T00:00:00.000Z",
        debug: { gitlab: [{ login: TOKEN }] },
        gitlabToken: "plain-text",
        wrapped: new Secret(TOKEN),
        kubeconfig: new Secret({ users: [{ user: { token: "hvs.CAESIJlWh0V1Z3p2b3VkdGhpc2lzYXRlc3R0b2tlbg" } }] }),
    };
    const ms = await validateStack(noSecretInStackOutputs, [
        { type: "pulumi:pulumi:Stack", urn: stackUrn, props: outputs },
        { type: CM, urn: cmUrn, props: { data: { token: TOKEN } } }, // outputs of other resources are not stack outputs
    ]);
    assert.deepEqual(ms, [
        'stack output "debug.gitlab[0].login" holds a GitLab token (glpat-, gldt-, ...) in clear; export it with pulumi.secret(...) or not at all',
        'stack output "gitlabToken" holds a non-empty value under a key named like a credential ("gitlabToken") in clear; export it with pulumi.secret(...) or not at all',
    ]);
});

test("the program's kind of outputs pass", () => {
    const outputs = {
        namespaces: { dev: "poc-dev", staging: "poc-staging" },
        vaultAccess: { dev: { policy: "poc-dev-read", role: "poc-dev-default" } },
        registrySecretPath: "secret/data/gitops-poc-dzha/platform/stacks/dev/registry",
        vaultAuthMount: "kubernetes",
        argocdNamespace: "argocd",
        applications: ["api-gateway-dev"],
        registryTokenExpiresAt: "2027-01-01T00:00:00.000Z",
        repoTokenExpiresAt: "2027-01-01T00:00:00.000Z",
    };
    assert.deepEqual(stackOutputViolations(outputs), []);
});
