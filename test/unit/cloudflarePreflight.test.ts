/**
 * What the preflights (before anything is registered) know about the Cloudflare tunnel: the Vault
 * token must be able to write the connector's role and policy and the tunnel's KV secrets (and
 * nothing is asked for with the tunnel off); the connector's namespace must not belong to another stack.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { parseStackConfig, type PlatformConfig } from "../../stacks/config";
import { stackCapabilities } from "../../stacks/vaultPreflight";
import { namespaceOwnershipProblems } from "../../stacks/clusterPreflight";
import { stackIdentity } from "../../stacks/stackIdentity";

const P = "gitops-platform:";
const DEV = stackIdentity("organization", "gitops-platform", "dev", "gitops-poc-dzha");
const CRUD = ["create", "read", "update", "delete"];

function config(cloudflare: Record<string, unknown> | undefined): PlatformConfig {
    const values: Record<string, unknown> = {
        environments: { dev: {} },
        gitlab: { group: "gitops-poc-dzha" },
        registry: { server: "registry.example.com", username: "puller", password: "hunter2-registry" },
        argocd: { repoUsername: "argocd-reader" },
        argocdRepoToken: "glpat-argocd-secret",
        ...(cloudflare ? { cloudflare } : {}),
    };
    const raw = Object.fromEntries(Object.entries(values).map(([k, v]) => [P + k, typeof v === "string" ? v : JSON.stringify(v)]));
    raw["cloudflare:apiToken"] = "cf-token";
    return parseStackConfig(raw, new Set([`${P}argocdRepoToken`, `${P}registry`, "cloudflare:apiToken"]), "dev");
}

const TUNNEL = {
    enabled: true,
    accountId: "0123456789abcdef0123456789abcdef",
    zoneId: "fedcba9876543210fedcba9876543210",
    tunnelName: "minikube-dev",
    routes: [{ hostname: "app.example.com", service: "http://api-gateway.poc-dev.svc.cluster.local:80" }],
};

test("Vault capabilities: role cloudflared, policy cloudflared-read-<stack>, CRUD on the tunnel token's data and metadata", () => {
    const req = stackCapabilities(config(TUNNEL), DEV);
    assert.deepEqual(req["auth/kubernetes/role/cloudflared"], CRUD);
    assert.deepEqual(req["sys/policies/acl/cloudflared-read-dev"], CRUD);
    assert.deepEqual(req["secret/data/gitops-poc-dzha/platform/stacks/dev/cloudflare-tunnel"], CRUD);
    assert.deepEqual(req["secret/metadata/gitops-poc-dzha/platform/stacks/dev/cloudflare-tunnel"], CRUD);
    assert.equal(req["secret/data/gitops-poc-dzha/platform/stacks/dev/cloudflare-dns01"], undefined, "no DNS-01 path without dns01Token");
    const dns01 = stackCapabilities(config({ ...TUNNEL, dns01Token: true }), DEV);
    assert.deepEqual(dns01["secret/data/gitops-poc-dzha/platform/stacks/dev/cloudflare-dns01"], CRUD);
    assert.deepEqual(dns01["secret/metadata/gitops-poc-dzha/platform/stacks/dev/cloudflare-dns01"], CRUD);
});

test("Vault capabilities with the tunnel off: nothing Cloudflare is asked for", () => {
    const req = stackCapabilities(config(undefined), DEV);
    assert.deepEqual(Object.keys(req).filter((p) => /cloudflare/.test(p)), []);
});

test("the connector namespace labelled for another stack is refused, naming gitops-platform:cloudflare.namespace", async () => {
    const labels: Record<string, Record<string, string>> = { "poc-cloudflared": { "gitops-platform/stack": "prod" } };
    const problems = await namespaceOwnershipProblems(config(TUNNEL), "dev", async (name) => labels[name]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].key, "gitops-platform:cloudflare.namespace");
    assert.match(problems[0].message, /namespace poc-cloudflared belongs to stack "prod"/);
    assert.match(problems[0].example ?? "", /namespace: poc-cloudflared-dev/);
    assert.deepEqual(await namespaceOwnershipProblems(config(TUNNEL), "prod", async (name) => labels[name]), [], "its own stack adopts it");
    assert.deepEqual(await namespaceOwnershipProblems(config(undefined), "dev", async (name) => labels[name]), [], "not checked with the tunnel off");
});
