/**
 * The Cloudflare components on their own, under mocks: the ingress rules and token scoping as pure
 * functions, the secrecy of the tokens the components hold (the provider does not mark the
 * connector token secret), protection in production, and the explicit providers they require.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as vault from "@pulumi/vault";
import { Provider as CloudflareProvider } from "@pulumi/cloudflare/provider";
import { installMocks, isSecretOutput, one, settle, valueOf, mockTunnelToken, MOCK_CLOUDFLARE_API_TOKEN_VALUE } from "../support/mocks";
import { CATCH_ALL_SERVICE, tunnelCname, tunnelIngressRules } from "../../components/cloudflare/ingress";
import { DNS01_PERMISSION_GROUPS, pickPermissionGroups, ZONE_SCOPE, zoneResources } from "../../components/cloudflare/Dns01ApiToken";
import { CloudflareTunnel, type CloudflareTunnelArgs } from "../../components/cloudflare/CloudflareTunnel";
import { CloudflaredConnector, type CloudflaredConnectorArgs } from "../../components/cloudflare/CloudflaredConnector";
import { KvSecretReader } from "../../components/vault/KvSecretReader";
import { cloudflaredPolicyName, cloudflareTunnelSecretPath } from "../../components/cloudflare/names";
import { stackIdentity } from "../../stacks/stackIdentity";

let cloudflare: CloudflareProvider;
let kubernetes: k8s.Provider;
let vaultProvider: vault.Provider;

before(async () => {
    await installMocks("prod");
    cloudflare = new CloudflareProvider("cf", { apiToken: "t" });
    kubernetes = new k8s.Provider("k", {});
    vaultProvider = new vault.Provider("v", {});
});

const ROUTES = [
    { hostname: "b.example.com", service: "http://b.ns.svc.cluster.local:80" },
    { hostname: "a.example.com", service: "http://a.ns.svc.cluster.local:8080" },
];

test("ingress rules: the routes in the given order, then exactly one catch-all http_status:404 without hostname, last", () => {
    assert.deepEqual(tunnelIngressRules(ROUTES), [...ROUTES, { service: "http_status:404" }]);
    assert.equal(CATCH_ALL_SERVICE, "http_status:404");
    assert.deepEqual(tunnelIngressRules([]), [{ service: "http_status:404" }]);
    const rules = tunnelIngressRules(ROUTES);
    assert.equal(rules.filter((r) => r.hostname === undefined).length, 1);
    assert.equal(rules[rules.length - 1].hostname, undefined);
});

test("CNAME target and the DNS-01 token's resources: the tunnel's cfargotunnel.com name; the one zone, nothing else", () => {
    assert.equal(tunnelCname("c0ffee00-1111-2222-3333-444455556666"), "c0ffee00-1111-2222-3333-444455556666.cfargotunnel.com");
    assert.deepEqual(JSON.parse(zoneResources("fedcba9876543210fedcba9876543210")), { "com.cloudflare.api.account.zone.fedcba9876543210fedcba9876543210": "*" });
    assert.equal(ZONE_SCOPE, "com.cloudflare.api.account.zone");
    assert.deepEqual([...DNS01_PERMISSION_GROUPS], ["DNS Write", "Zone Read"]);
});

test("permission groups are picked by name at the zone scope; a missing one stops the run naming it", () => {
    const groups = [
        { id: "acct", name: "DNS Write", scopes: ["com.cloudflare.api.account"], category: "", isSelectable: true },
        { id: "zone-dns", name: "DNS Write", scopes: [ZONE_SCOPE], category: "", isSelectable: true },
        { id: "zone-read", name: "Zone Read", scopes: [ZONE_SCOPE], category: "", isSelectable: true },
    ];
    assert.deepEqual(pickPermissionGroups(groups, DNS01_PERMISSION_GROUPS), [{ id: "zone-dns" }, { id: "zone-read" }]);
    assert.throws(() => pickPermissionGroups(groups.slice(0, 2), DNS01_PERMISSION_GROUPS), /no zone permission group named "Zone Read".*cloudflare\.dns01Token/);
    assert.throws(() => pickPermissionGroups([], DNS01_PERMISSION_GROUPS), /"DNS Write" or "Zone Read"/);
});

test("names: per-stack policy like registry-read-<stack>; the token path four segments under the prefix", () => {
    const id = stackIdentity("org", "gitops-platform", "dev", "g");
    assert.equal(id.cloudflaredPolicyName, "cloudflared-read-dev");
    assert.equal(id.registryPolicyName.replace(/^registry-read-/, ""), id.cloudflaredPolicyName.replace(/^cloudflared-read-/, ""));
    const upper = stackIdentity("org", "gitops-platform", "DEV", "g");
    assert.notEqual(upper.cloudflaredPolicyName, id.cloudflaredPolicyName, "DEV and dev do not share a policy");
    assert.equal(cloudflaredPolicyName("eu.prod"), "cloudflared-read-eu-prod");
    assert.equal(cloudflareTunnelSecretPath("g", "dev"), "g/platform/stacks/dev/cloudflare-tunnel");
});

function tunnelArgs(extra: Partial<CloudflareTunnelArgs> = {}): CloudflareTunnelArgs {
    return {
        accountId: "0123456789abcdef0123456789abcdef",
        zoneId: "fedcba9876543210fedcba9876543210",
        tunnelName: "prod",
        routes: ROUTES,
        kvMount: "secret",
        tokenSecretPath: "g/platform/stacks/prod/cloudflare-tunnel",
        owner: "org/gitops-platform/prod",
        protect: true,
        ...extra,
    };
}

test("the connector token and the DNS-01 token the components hold are secret Outputs (the invoke's result is not marked by the provider)", async () => {
    const t = new CloudflareTunnel("secrecy", tunnelArgs({ dns01: { tokenName: "x", secretPath: "g/platform/stacks/prod/cloudflare-dns01" } }), { providers: { cloudflare } });
    assert.equal(await isSecretOutput(t.connectorToken), true);
    assert.equal(await valueOf(t.connectorToken), mockTunnelToken("secrecy-tunnel-id"));
    assert.ok(t.dns01);
    assert.equal(await isSecretOutput(t.dns01.value), true);
    assert.equal(await valueOf(t.dns01.value), MOCK_CLOUDFLARE_API_TOKEN_VALUE);
    assert.equal(await isSecretOutput(t.tunnelId), false, "the tunnel id is public (it is the CNAME target)");
});

test("production: the tunnel and the connector namespace are protected", async () => {
    new CloudflareTunnel("prot", tunnelArgs(), { providers: { cloudflare } });
    new CloudflaredConnector("prot-conn", connectorArgs({ namespace: "prod-cloudflared" }), { providers: { kubernetes } });
    await settle();
    assert.equal(one("cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared", "prot-tunnel").protect, true);
    assert.equal(one("kubernetes:core/v1:Namespace", "prot-conn-namespace").protect, true);
    assert.equal(one("cloudflare:index/dnsRecord:DnsRecord", "prot-dns-a.example.com").protect, false, "DNS records follow the routes freely");
});

function connectorArgs(extra: Partial<CloudflaredConnectorArgs> = {}): CloudflaredConnectorArgs {
    return {
        namespace: "poc-cloudflared",
        image: "cloudflare/cloudflared:2025.11.1",
        replicas: 2,
        vaultAuthMount: "kubernetes",
        vaultRole: "cloudflared",
        audiences: ["vault"],
        kvMount: "secret",
        tokenSecretPath: "g/platform/stacks/dev/cloudflare-tunnel",
        tokenSecretVersion: 1,
        refreshAfter: "1h",
        protect: true,
        ...extra,
    };
}

const READER = {
    kvMount: "secret",
    secretPath: "g/platform/stacks/dev/cloudflare-tunnel",
    purpose: "test",
    policyName: "cloudflared-read-dev",
    authMount: "kubernetes",
    roleName: "cloudflared",
    serviceAccount: "cloudflared",
    namespace: "poc-cloudflared",
    audience: "vault",
    tokenTtl: "1h",
};

test("each component requires its explicit provider and refuses another package's in its place", () => {
    const cases: [string, string, (opts?: pulumi.ComponentResourceOptions) => unknown][] = [
        ["CloudflareTunnel", "cloudflare", (o) => new CloudflareTunnel(`t-${Math.random()}`, tunnelArgs(), o)],
        ["CloudflaredConnector", "kubernetes", (o) => new CloudflaredConnector(`c-${Math.random()}`, connectorArgs(), o)],
        ["KvSecretReader", "vault", (o) => new KvSecretReader(`r-${Math.random()}`, READER, o)],
    ];
    for (const [component, pkg, create] of cases) {
        assert.throws(() => create(), new RegExp(`needs an explicit ${pkg} provider`), `${component} without a provider`);
        assert.throws(() => create({ providers: { [pkg]: pkg === "kubernetes" ? vaultProvider : kubernetes } }), new RegExp(`needs a ${pkg} provider there`), `${component} with the wrong provider`);
    }
});
