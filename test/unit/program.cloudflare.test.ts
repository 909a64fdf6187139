/**
 * The Cloudflare tunnel (issue 11.2) under mocks: the committed dev stack with `cloudflare` enabled
 * (two routes, the DNS-01 token) and `cloudflare:apiToken`. Mocks prove composition only: the
 * resources, their inputs and order, which provider each uses, what is secret. Whether Cloudflare
 * accepts them is not proven here (no Cloudflare provider can be built on this machine; README).
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import {
    calls,
    CLOUDFLARE_API_TOKEN_TYPE,
    CLOUDFLARE_PERMISSION_GROUPS_INVOKE,
    CLOUDFLARE_TUNNEL_TOKEN_INVOKE,
    clearStrings,
    isSecretAt,
    kubernetesKind,
    MOCK_CLOUDFLARE_API_TOKEN_VALUE,
    MOCK_KV_VERSION,
    mockTunnelToken,
    one,
    ofType,
    OWNED_KV_SECRET_TYPE,
    recorded,
    type Recorded,
} from "../support/mocks";
import { resolveDeep, runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";
import { parsePolicy } from "../support/hcl";
import { crdSkipReason, validateCustomResource } from "../support/crds";

const API_TOKEN = "cf-provider-api-token-never-in-clear-42";
const GITLAB_TOKEN = "glpat-test-api-token-0123456789";
const ACCOUNT = "0123456789abcdef0123456789abcdef";
const ZONE = "fedcba9876543210fedcba9876543210";
const ROUTES = [
    { hostname: "app.example.com", service: "http://api-gateway.poc-dev.svc.cluster.local:80" },
    { hostname: "grpc.example.com", service: "http://web-grpc.poc-staging.svc.cluster.local:8080" },
];
const TUNNEL_TYPE = "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared";
const CONFIG_TYPE = "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig";
const DNS_TYPE = "cloudflare:index/dnsRecord:DnsRecord";
const TOKEN_PATH = "gitops-poc-dzha/platform/stacks/dev/cloudflare-tunnel";
const DNS01_PATH = "gitops-poc-dzha/platform/stacks/dev/cloudflare-dns01";

let outputs: Record<string, any>;
let tunnel: Recorded;
let tunnelId: string;

before(async () => {
    const config = stackConfig("dev", {
        "gitops-platform:gitlabToken": GITLAB_TOKEN,
        "gitops-platform:cloudflare": {
            enabled: true,
            accountId: ACCOUNT,
            zoneId: ZONE,
            zoneName: "example.com",
            tunnelName: "minikube-dev",
            routes: ROUTES,
            dns01Token: true,
        },
        "cloudflare:apiToken": API_TOKEN,
        "vault:token": "hvs.test-vault-root-token",
    });
    outputs = await runProgram("dev", config, ["gitops-platform:gitlabToken", "cloudflare:apiToken", "vault:token"]);
    tunnel = one(TUNNEL_TYPE, "cloudflare-tunnel");
    tunnelId = "cloudflare-tunnel-id"; // the id the mocks give it
});

/** How registrations name the `cloudflare` provider (`<urn>::<id>`). */
function cloudflareProviderRef(): string {
    return `${one("pulumi:providers:cloudflare", "cloudflare").urn}::cloudflare-id`;
}

test("one cloudflare provider from cloudflare:apiToken, the token a secret input; every Cloudflare resource and invoke uses it", () => {
    const p = one("pulumi:providers:cloudflare", "cloudflare");
    assert.equal(p.inputs.apiToken, API_TOKEN);
    assert.ok(isSecretAt(p.wire, "apiToken"), "apiToken is a secret on the wire");
    const ref = cloudflareProviderRef();
    const cf = recorded.filter((r) => r.type.startsWith("cloudflare:"));
    assert.equal(cf.length, 1 + 1 + ROUTES.length + 1, "tunnel, config, one DNS record per route, the DNS-01 token");
    for (const r of cf) {
        assert.equal(r.provider, ref, `${r.type} ${r.name} uses the explicit cloudflare provider`);
        assert.match(r.parent, /(::|\$)gitops-platform:cloudflare:(CloudflareTunnel|Dns01ApiToken)::/, `${r.name} is parented`);
    }
    const invokes = calls.filter((c) => c.token.startsWith("cloudflare:"));
    assert.deepEqual(invokes.map((c) => c.token).sort(), [CLOUDFLARE_PERMISSION_GROUPS_INVOKE, CLOUDFLARE_TUNNEL_TOKEN_INVOKE].sort());
    for (const c of invokes) assert.equal(c.provider, ref, `${c.token} is sent through the explicit provider`);
});

test("the tunnel: remotely managed (configSrc cloudflare), in the account, named, no secret passed (Cloudflare generates it)", () => {
    assert.equal(tunnel.inputs.accountId, ACCOUNT);
    assert.equal(tunnel.inputs.name, "minikube-dev");
    assert.equal(tunnel.inputs.configSrc, "cloudflare");
    assert.equal(tunnel.inputs.tunnelSecret, undefined);
    assert.ok(tunnel.additionalSecretOutputs.includes("tunnelSecret"), "whatever secret the tunnel reports stays secret");
    assert.equal(tunnel.protect, false, "not protected on dev");
});

test("ingress config: one rule per route in config order, then the catch-all http_status:404 without a hostname, last", () => {
    const c = one(CONFIG_TYPE, "cloudflare-config");
    assert.equal(c.inputs.accountId, ACCOUNT);
    assert.equal(c.inputs.tunnelId, tunnelId);
    assert.equal(c.inputs.source, "cloudflare");
    assert.deepEqual(c.inputs.config.ingresses, [...ROUTES, { service: "http_status:404" }]);
    assert.ok(c.dependencies.includes(tunnel.urn), "the config waits for the tunnel");
});

test("DNS: a proxied CNAME <tunnel id>.cfargotunnel.com per route hostname, in the zone, ttl automatic, owner in the comment", () => {
    const records = ofType(DNS_TYPE);
    assert.deepEqual(records.map((r) => r.inputs.name).sort(), ROUTES.map((r) => r.hostname).sort());
    for (const r of records) {
        assert.equal(r.name, `cloudflare-dns-${r.inputs.name}`, "named by hostname, so reordering routes replaces nothing");
        assert.equal(r.inputs.zoneId, ZONE);
        assert.equal(r.inputs.type, "CNAME");
        assert.equal(r.inputs.content, `${tunnelId}.cfargotunnel.com`);
        assert.equal(r.inputs.proxied, true);
        assert.equal(r.inputs.ttl, 1);
        assert.equal(r.inputs.comment, "gitops-platform stack organization/gitops-platform/dev: tunnel minikube-dev");
        assert.ok(r.dependencies.includes(tunnel.urn));
    }
});

test("the connector token: read for this tunnel, written only to Vault at <prefix>/platform/stacks/dev/cloudflare-tunnel, secret", () => {
    const call = calls.find((c) => c.token === CLOUDFLARE_TUNNEL_TOKEN_INVOKE);
    assert.deepEqual(call?.inputs, { accountId: ACCOUNT, tunnelId });
    const kv = ofType(OWNED_KV_SECRET_TYPE).find((s) => s.inputs.path === TOKEN_PATH);
    assert.ok(kv, "the token secret is written");
    assert.equal(kv.inputs.mount, "secret");
    assert.equal(kv.inputs.owner, "organization/gitops-platform/dev");
    assert.deepEqual(kv.inputs.data, { token: mockTunnelToken(tunnelId) });
    assert.ok(isSecretAt(kv.wire, "data"), "the token is a secret input");
    assert.ok(kv.additionalSecretOutputs.includes("data"));
});

test("DNS-01 token: DNS Write + Zone Read of the zone scope on the one zone only; its value secret and only in Vault", () => {
    const t = ofType(CLOUDFLARE_API_TOKEN_TYPE);
    assert.equal(t.length, 1);
    assert.equal(t[0].inputs.name, "gitops-platform-dev-dns01");
    assert.deepEqual(t[0].inputs.policies, [
        {
            effect: "allow",
            // the zone-scoped groups, not the account-scoped "DNS Write" the list also holds
            permissionGroups: [{ id: "4755a26eedb94da69e1066d98aa820be" }, { id: "c8fed203ed3043cba015a93ad1616f1f" }],
            resources: JSON.stringify({ [`com.cloudflare.api.account.zone.${ZONE}`]: "*" }),
        },
    ]);
    assert.ok(t[0].additionalSecretOutputs.includes("value"), "the token value is a secret output");
    const kv = ofType(OWNED_KV_SECRET_TYPE).find((s) => s.inputs.path === DNS01_PATH);
    assert.ok(kv, "the DNS-01 token is kept in Vault");
    assert.deepEqual(kv.inputs.data, { "api-token": MOCK_CLOUDFLARE_API_TOKEN_VALUE });
    assert.ok(isSecretAt(kv.wire, "data"));
});

test("Vault: policy cloudflared-read-dev reads exactly the token's data path; role cloudflared binds only cloudflared in poc-cloudflared", async () => {
    const policy = ofType("vault:index/policy:Policy").find((p) => p.inputs.name === "cloudflared-read-dev");
    assert.ok(policy, "the connector's policy exists");
    assert.deepEqual(await parsePolicy(policy.inputs.policy), [{ path: `secret/data/${TOKEN_PATH}`, capabilities: ["read"] }]);
    const role = ofType("vault:kubernetes/authBackendRole:AuthBackendRole").find((r) => r.inputs.roleName === "cloudflared");
    assert.ok(role, "the connector's role exists");
    assert.equal(role.inputs.backend, "kubernetes");
    assert.deepEqual(role.inputs.boundServiceAccountNames, ["cloudflared"]);
    assert.deepEqual(role.inputs.boundServiceAccountNamespaces, ["poc-cloudflared"]);
    assert.equal(role.inputs.audience, "vault");
    assert.deepEqual(role.inputs.tokenPolicies, ["cloudflared-read-dev"], "no registry or environment policy");
    assert.equal(role.inputs.tokenTtl, 3600);
    // No environment role reaches the tunnel token: their policies stop at three segments under the prefix.
    for (const p of ofType("vault:index/policy:Policy").filter((x) => x.inputs.name !== "cloudflared-read-dev")) {
        for (const rule of await parsePolicy(p.inputs.policy)) {
            assert.ok(!rule.path.includes("cloudflare"), `${p.inputs.name} does not mention the tunnel token`);
            const re = new RegExp("^" + rule.path.replace(/[.*?^${}()|[\]\\]/g, "\\$&").replace(/\+/g, "[^/]+") + "$");
            assert.ok(!re.test(`secret/data/${TOKEN_PATH}`), `${p.inputs.name}'s ${rule.path} does not match the token path`);
        }
    }
});

test("namespace poc-cloudflared with the stack's labels; ServiceAccount cloudflared without an automounted token", () => {
    const ns = ofType("kubernetes:core/v1:Namespace").find((n) => n.inputs.metadata.name === "poc-cloudflared");
    assert.ok(ns, "the connector namespace exists");
    assert.equal(ns.inputs.metadata.labels["gitops-platform/stack"], "dev");
    assert.equal(ns.inputs.metadata.labels["app.kubernetes.io/managed-by"], "gitops-platform");
    const sa = ofType("kubernetes:core/v1:ServiceAccount").find((s) => s.inputs.metadata.name === "cloudflared");
    assert.ok(sa);
    assert.equal(sa.inputs.metadata.namespace, "poc-cloudflared");
    assert.equal(sa.inputs.automountServiceAccountToken, false);
});

test("VSO: VaultAuth cloudflared (role cloudflared, SA cloudflared) and VaultStaticSecret → Secret cloudflared-token, restarting the Deployment", () => {
    const auth = kubernetesKind("VaultAuth").find((a) => a.inputs.metadata.namespace === "poc-cloudflared");
    assert.ok(auth);
    assert.equal(auth.inputs.metadata.name, "cloudflared");
    assert.deepEqual(auth.inputs.spec, {
        method: "kubernetes",
        mount: "kubernetes",
        kubernetes: { role: "cloudflared", serviceAccount: "cloudflared", audiences: ["vault"] },
    });
    const vss = kubernetesKind("VaultStaticSecret").find((a) => a.inputs.metadata.namespace === "poc-cloudflared");
    assert.ok(vss);
    assert.equal(vss.inputs.metadata.name, "cloudflared-token");
    assert.deepEqual(vss.inputs.spec, {
        vaultAuthRef: "cloudflared",
        type: "kv-v2",
        mount: "secret",
        path: TOKEN_PATH,
        refreshAfter: "1h",
        rolloutRestartTargets: [{ kind: "Deployment", name: "cloudflared" }],
        destination: {
            name: "cloudflared-token",
            create: true,
            type: "Opaque",
            annotations: { "gitops-platform/tunnel-token-kv-version": String(MOCK_KV_VERSION) },
            transformation: { excludeRaw: true },
        },
    });
    const release = recorded.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "vault-secrets-operator");
    assert.ok(release);
    for (const cr of [auth, vss]) assert.ok(cr.dependencies.includes(release.urn), `${cr.name} waits for the VSO CRDs`);
});

test("the VSO objects of the connector match the upstream CRD schemas (unknown fields are errors)", (t) => {
    const skip = crdSkipReason();
    if (skip) {
        t.skip(skip);
        return;
    }
    const crs = [...kubernetesKind("VaultAuth"), ...kubernetesKind("VaultStaticSecret")].filter((c) => c.inputs.metadata.namespace === "poc-cloudflared");
    assert.equal(crs.length, 2);
    for (const cr of crs) assert.deepEqual(validateCustomResource(cr.inputs as any), [], `${cr.name} is valid`);
    const bad = structuredClone(crs.find((c) => c.inputs.kind === "VaultStaticSecret")!.inputs);
    bad.spec.rolloutRestartTargets = [{ kind: "Deployment", nmae: "cloudflared" }];
    assert.notDeepEqual(validateCustomResource(bad as any), [], "a misspelled field is caught");
});

test("Deployment cloudflared: 2 replicas, pinned image, `tunnel --no-autoupdate --metrics 0.0.0.0:2000 run`, TUNNEL_TOKEN from the synced Secret", () => {
    const d = one("kubernetes:apps/v1:Deployment", "cloudflared-deployment");
    assert.equal(d.inputs.metadata.name, "cloudflared");
    assert.equal(d.inputs.metadata.namespace, "poc-cloudflared");
    const spec = d.inputs.spec;
    assert.equal(spec.replicas, 2);
    assert.deepEqual(spec.selector.matchLabels, spec.template.metadata.labels, "the selector selects the pods");
    const pod = spec.template.spec;
    assert.equal(pod.serviceAccountName, "cloudflared");
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.containers.length, 1);
    const c = pod.containers[0];
    assert.equal(c.image, "cloudflare/cloudflared:2025.11.1");
    assert.deepEqual(c.args, ["tunnel", "--no-autoupdate", "--metrics", "0.0.0.0:2000", "run"]);
    assert.deepEqual(c.env, [{ name: "TUNNEL_TOKEN", valueFrom: { secretKeyRef: { name: "cloudflared-token", key: "token" } } }]);
    assert.deepEqual(c.ports, [{ name: "metrics", containerPort: 2000, protocol: "TCP" }]);
    const vss = kubernetesKind("VaultStaticSecret").find((a) => a.inputs.metadata.namespace === "poc-cloudflared");
    assert.ok(d.dependencies.includes(vss!.urn), "the Deployment waits for the token's VaultStaticSecret");
});

test("Deployment cloudflared: readiness and liveness on /ready of the metrics port, requests set, non-root, read-only, no capabilities", () => {
    const pod = one("kubernetes:apps/v1:Deployment", "cloudflared-deployment").inputs.spec.template.spec;
    const c = pod.containers[0];
    for (const probe of [c.readinessProbe, c.livenessProbe]) {
        assert.deepEqual(probe.httpGet, { path: "/ready", port: "metrics" });
        assert.ok(probe.periodSeconds > 0 && probe.failureThreshold >= 1);
    }
    assert.deepEqual(c.resources.requests, { cpu: "50m", memory: "64Mi" });
    assert.equal(c.resources.limits.memory, "256Mi");
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } });
    assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
});

test("no Cloudflare credential in clear anywhere: provider token, connector token, DNS-01 token; stack outputs hold names and paths only", async () => {
    const values = [API_TOKEN, mockTunnelToken(tunnelId), MOCK_CLOUDFLARE_API_TOKEN_VALUE];
    const leaks = recorded.flatMap((r) =>
        clearStrings(r.wire)
            .filter((s) => values.some((v) => s.value.includes(v) || s.value.includes(Buffer.from(v).toString("base64"))))
            .map((s) => `${r.type} ${r.name} ${s.path}`),
    );
    assert.deepEqual(leaks, []);
    const out = await resolveDeep(outputs.cloudflareTunnel);
    assert.deepEqual(out, {
        tunnelId,
        cname: `${tunnelId}.cfargotunnel.com`,
        namespace: "poc-cloudflared",
        hostnames: ROUTES.map((r) => r.hostname),
        tokenSecretPath: `secret/data/${TOKEN_PATH}`,
        dns01SecretPath: `secret/data/${DNS01_PATH}`,
    });
    const all = JSON.stringify(await resolveDeep(outputs));
    for (const v of values) assert.ok(!all.includes(v), "no token in the stack outputs");
});
