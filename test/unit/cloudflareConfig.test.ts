/**
 * The `cloudflare` block of the stack config and the `cloudflare:*` provider keys: defaults, what an
 * enabled tunnel requires, and each bad value stopped before anything is created with an error that
 * names the key and shows a valid example; the API token is never echoed and never accepted in clear.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT, stackConfig } from "../support/stackConfig";
import { ConfigError, parseStackConfig } from "../../stacks/config";
import { DEFAULT_CLOUDFLARED_IMAGE } from "../../stacks/cloudflareConfig";

const P = "gitops-platform:";
const API_TOKEN = "cf-api-token-never-echoed-0123456789";
const SECRET_KEYS = new Set([`${P}argocdRepoToken`, `${P}registry`, "cloudflare:apiToken"]);
const ACCOUNT = "0123456789abcdef0123456789abcdef";
const ZONE = "fedcba9876543210fedcba9876543210";

/** A valid enabled tunnel. */
function tunnel(): Record<string, unknown> {
    return {
        enabled: true,
        accountId: ACCOUNT,
        zoneId: ZONE,
        zoneName: "example.com",
        tunnelName: "minikube-dev",
        routes: [
            { hostname: "app.example.com", service: "http://api-gateway.poc-dev.svc.cluster.local:80" },
            { hostname: "example.com", service: "http://web-http.poc-dev.svc.cluster.local:8080" },
        ],
    };
}

/** A minimal valid stack config (static registry credentials) with `cloudflare`, as raw engine values. */
function raw(cloudflare: unknown, extra: Record<string, string> = { "cloudflare:apiToken": API_TOKEN }): Record<string, string> {
    const values: Record<string, unknown> = {
        environments: { dev: {}, staging: {} },
        gitlab: { group: "gitops-poc-dzha" },
        registry: { server: "registry.example.com", username: "puller", password: "hunter2-registry" },
        argocd: { repoUsername: "argocd-reader" },
        argocdRepoToken: "glpat-argocd-secret",
        ...(cloudflare === undefined ? {} : { cloudflare }),
    };
    return {
        ...Object.fromEntries(Object.entries(values).map(([k, v]) => [P + k, typeof v === "string" ? v : JSON.stringify(v)])),
        ...extra,
    };
}

function problems(config: Record<string, string>, secretKeys: ReadonlySet<string> = SECRET_KEYS): ConfigError {
    try {
        parseStackConfig(config, secretKeys, "dev");
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
        assert.ok(!e.message.includes(API_TOKEN), "the API token is never echoed");
        return e;
    }
    assert.fail("config was accepted");
}

test("off by default: no cloudflare block, no cloudflare:apiToken needed", () => {
    const c = parseStackConfig(raw(undefined, {}), SECRET_KEYS, "dev");
    assert.equal(c.cloudflare.enabled, false);
    assert.deepEqual(c.cloudflare.routes, []);
});

test("an enabled tunnel: defaults for image, replicas, DNS-01 token, namespace left to the prefix", () => {
    const c = parseStackConfig(raw(tunnel()), SECRET_KEYS, "dev");
    assert.equal(c.cloudflare.enabled, true);
    assert.equal(c.cloudflare.image, DEFAULT_CLOUDFLARED_IMAGE);
    assert.match(c.cloudflare.image, /^cloudflare\/cloudflared:[0-9]{4}\.[0-9]+\.[0-9]+$/, "the default image is pinned to a release");
    assert.equal(c.cloudflare.replicas, 2);
    assert.equal(c.cloudflare.dns01Token, false);
    assert.equal(c.cloudflare.namespace, undefined);
    assert.deepEqual(
        c.cloudflare.routes.map((r) => r.hostname),
        ["app.example.com", "example.com"],
        "routes keep their order (cloudflared matches top to bottom)",
    );
});

type Change = (c: Record<string, any>) => void;
const BAD: [string, Change, string, string][] = [
    ["enabled without an account", (c) => delete c.accountId, "cloudflare.accountId", "required when cloudflare.enabled"],
    ["enabled without a zone", (c) => delete c.zoneId, "cloudflare.zoneId", "required when cloudflare.enabled"],
    ["enabled without a tunnel name", (c) => delete c.tunnelName, "cloudflare.tunnelName", "required when cloudflare.enabled"],
    ["enabled without routes", (c) => (c.routes = []), "cloudflare.routes", "at least one route"],
    ["account id not 32 hex digits", (c) => (c.accountId = "my-account"), "cloudflare.accountId", "32 lowercase hex digits"],
    ["zone id in upper case", (c) => (c.zoneId = ZONE.toUpperCase()), "cloudflare.zoneId", "32 lowercase hex digits"],
    ["tunnel name with a space", (c) => (c.tunnelName = "minikube dev"), "cloudflare.tunnelName", "tunnel name of letters"],
    ["hostname with a scheme", (c) => (c.routes[0].hostname = "https://app.example.com"), "cloudflare.routes[0].hostname", "public DNS host name"],
    ["hostname with a port", (c) => (c.routes[0].hostname = "app.example.com:443"), "cloudflare.routes[0].hostname", "without scheme, port or wildcard"],
    ["wildcard hostname", (c) => (c.routes[0].hostname = "*.example.com"), "cloudflare.routes[0].hostname", "wildcard"],
    ["hostname with upper case", (c) => (c.routes[0].hostname = "App.example.com"), "cloudflare.routes[0].hostname", "lowercase"],
    ["single-label hostname", (c) => (c.routes[0].hostname = "localhost"), "cloudflare.routes[0].hostname", "public DNS host name"],
    ["hostname outside the zone", (c) => (c.routes[1].hostname = "app.example.org"), "cloudflare.routes[1].hostname", "is not in the zone example.com"],
    ["a look-alike outside the zone", (c) => (c.routes[1].hostname = "badexample.com"), "cloudflare.routes[1].hostname", "is not in the zone example.com"],
    ["the same hostname twice", (c) => (c.routes[1].hostname = "app.example.com"), "cloudflare.routes[1].hostname", "already routed by routes[0]"],
    ["service without the cluster domain", (c) => (c.routes[0].service = "http://api-gateway.poc-dev.svc:80"), "cloudflare.routes[0].service", "http://<service>.<namespace>.svc.cluster.local:<port>"],
    ["service without a port", (c) => (c.routes[0].service = "http://api-gateway.poc-dev.svc.cluster.local"), "cloudflare.routes[0].service", "in-cluster Service URL"],
    ["service over https", (c) => (c.routes[0].service = "https://api-gateway.poc-dev.svc.cluster.local:443"), "cloudflare.routes[0].service", "in-cluster Service URL"],
    ["service outside the cluster", (c) => (c.routes[0].service = "http://app.example.com:80"), "cloudflare.routes[0].service", "in-cluster Service URL"],
    ["service with a path", (c) => (c.routes[0].service = "http://api-gateway.poc-dev.svc.cluster.local:80/api"), "cloudflare.routes[0].service", "in-cluster Service URL"],
    ["service port out of range", (c) => (c.routes[0].service = "http://api-gateway.poc-dev.svc.cluster.local:70000"), "cloudflare.routes[0].service", "between 1 and 65535"],
    ["route without a service", (c) => delete c.routes[0].service, "cloudflare.routes[0].service", "required"],
    ["unknown route key", (c) => (c.routes[0].path = "/api"), "cloudflare.routes[0].path", "unknown key"],
    ["unknown cloudflare key", (c) => (c.tunnelId = "x"), "cloudflare.tunnelId", "unknown key"],
    ["zone name not a DNS name", (c) => (c.zoneName = "https://example.com"), "cloudflare.zoneName", "zone's DNS name"],
    ["image without a tag", (c) => (c.image = "cloudflare/cloudflared"), "cloudflare.image", "pinned by a tag"],
    ["image on latest", (c) => (c.image = "cloudflare/cloudflared:latest"), "cloudflare.image", "moving tag latest"],
    ["replicas zero", (c) => (c.replicas = 0), "cloudflare.replicas", ""],
    ["replicas not a whole number", (c) => (c.replicas = 1.5), "cloudflare.replicas", "whole number"],
    ["namespace not a label", (c) => (c.namespace = "Cloudflared"), "cloudflare.namespace", "RFC 1123 label"],
    ["namespace of an environment", (c) => (c.namespace = "poc-dev"), "cloudflare.namespace", 'already used by environment "dev"'],
    ["namespace of Argo CD", (c) => (c.namespace = "argocd"), "cloudflare.namespace", "already used by argocd.namespace"],
    ["dns01Token not a boolean", (c) => (c.dns01Token = "yes"), "cloudflare.dns01Token", "true or false"],
    ["enabled not a boolean", (c) => (c.enabled = "yes"), "cloudflare.enabled", "true or false"],
];

for (const [name, change, key, text] of BAD) {
    test(`bad cloudflare config: ${name} → error names gitops-platform:${key}`, () => {
        const c = tunnel();
        change(c);
        const err = problems(raw(c));
        const p = err.problems.find((x) => x.key === P + key);
        assert.ok(p, `no problem for ${P}${key}; got:\n${err.message}`);
        assert.match(p.message, new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i"));
        assert.ok(p.example, `a valid example is shown for ${key}`);
        assert.ok(err.message.includes(`${P}${key}: `), "the message names the full key");
        assert.match(err.message, /nothing was created/);
    });
}

test("a disabled block is still shape-checked, but needs neither account nor routes nor the API token", () => {
    const c = parseStackConfig(raw({ enabled: false, tunnelName: "later" }, {}), SECRET_KEYS, "dev");
    assert.equal(c.cloudflare.enabled, false);
    const err = problems(raw({ enabled: false, routes: [{ hostname: "App", service: "x" }] }, {}));
    assert.deepEqual(err.problems.map((p) => p.key).sort(), [`${P}cloudflare.routes[0].hostname`, `${P}cloudflare.routes[0].service`]);
});

test("the default namespace <prefix>-cloudflared must not be an environment's either", () => {
    const config = raw(tunnel());
    config[`${P}environments`] = JSON.stringify({ dev: {}, cloudflared: {} });
    const err = problems(config);
    const p = err.problems.find((x) => x.key === `${P}cloudflare.namespace`);
    assert.ok(p, err.message);
    assert.match(p.message, /namespace "poc-cloudflared" is already used by environment "cloudflared"/);
});

test("cloudflare:apiToken is required with an enabled tunnel, with the permissions it needs", () => {
    const err = problems(raw(tunnel(), {}));
    const p = err.problems.find((x) => x.key === "cloudflare:apiToken");
    assert.ok(p, err.message);
    assert.match(p.message, /required when gitops-platform:cloudflare\.enabled is true/);
    assert.match(p.message, /Cloudflare Tunnel Edit/);
    assert.match(p.message, /DNS Edit/);
    assert.equal(p.example, "pulumi config set --secret cloudflare:apiToken <cloudflare-api-token>");
});

test("cloudflare:apiToken stored in clear text is refused and not echoed, even with the tunnel off", () => {
    for (const cloudflare of [tunnel(), undefined]) {
        const err = problems(raw(cloudflare), new Set([`${P}argocdRepoToken`, `${P}registry`]));
        const p = err.problems.find((x) => x.key === "cloudflare:apiToken");
        assert.ok(p, err.message);
        assert.match(p.message, /stored in clear text in the stack file; store it encrypted/);
        assert.equal(p.example, "pulumi config set --secret cloudflare:apiToken <value>");
    }
});

test("an unknown cloudflare:* key is refused with a suggestion; the other provider settings are accepted", () => {
    const err = problems(raw(tunnel(), { "cloudflare:apiToken": API_TOKEN, "cloudflare:apitoken": "x", "cloudflare:baseUrl": "https://api.cloudflare.com/client/v4" }));
    assert.deepEqual(err.problems.map((p) => p.key), ["cloudflare:apitoken"]);
    assert.match(err.problems[0].message, /unknown cloudflare provider setting \(did you mean cloudflare:apiToken\?\)/);
    assert.match(err.problems[0].message, /cloudflare:userAgentOperatorSuffix/);
});

test("the commented example in Pulumi.dev.yaml is a valid tunnel once uncommented", () => {
    const lines = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8").split("\n");
    const start = lines.indexOf("  # gitops-platform:cloudflare:");
    assert.ok(start > 0, "Pulumi.dev.yaml carries the commented example");
    const block: string[] = [];
    for (const line of lines.slice(start + 1)) {
        if (!line.startsWith("  #   ")) break;
        block.push(line.slice("  #   ".length));
    }
    const example = parse(block.join("\n"));
    const config = stackConfig("dev", { [`${P}gitlabToken`]: "t", [`${P}cloudflare`]: example, "cloudflare:apiToken": API_TOKEN });
    const c = parseStackConfig(config, new Set([`${P}gitlabToken`, "cloudflare:apiToken"]), "dev");
    assert.equal(c.cloudflare.enabled, true);
    assert.equal(c.cloudflare.routes.length, 2);
    assert.equal(c.cloudflare.dns01Token, true);
});
