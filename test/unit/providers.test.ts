/**
 * The explicit providers: credentials (a kubeconfig with a bearer token, the Vault token) stay
 * secret on the wire.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { clearStrings, installMocks, isSecretAt, one, recorded, settle } from "../support/mocks";
import { createProviders } from "../../stacks/providers";

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

test("clear-text scan: a secret kubeconfig's bearer token and the Vault token appear only inside secret markers", async () => {
    recorded.length = 0;
    await installMocks("dev");
    pulumi.runtime.setAllConfig(
        { "kubernetes:kubeconfig": KUBECONFIG, "vault:token": VAULT_TOKEN, "vault:tokenName": "platform-child" },
        ["kubernetes:kubeconfig", "vault:token"],
    );
    createProviders();
    await settle();
    const k = one("pulumi:providers:kubernetes", "kubernetes");
    assert.equal(k.inputs.kubeconfig, KUBECONFIG, "the kubeconfig reaches the provider");
    assert.ok(isSecretAt(k.wire, "kubeconfig"), "kubeconfig is a secret input");
    const v = one("pulumi:providers:vault", "vault");
    assert.ok(isSecretAt(v.wire, "token"), "token is a secret input");
    assert.ok(isSecretAt(v.wire, "tokenName"), "tokenName is a secret input");
    const leaks = recorded.flatMap((r) =>
        clearStrings(r.wire)
            .filter((s) => [K8S_TOKEN, VAULT_TOKEN].some((c) => s.value.includes(c) || s.value.includes(Buffer.from(c).toString("base64"))))
            .map((s) => `${r.type} ${r.name} ${s.path}`),
    );
    assert.deepEqual(leaks, []);
});
