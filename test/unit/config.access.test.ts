/**
 * Config of vault.writers and environments.<env>.perService: defaults, derived names (per stack),
 * and bad input stopped before anything is created, with the key named and a valid example.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ConfigError, parseStackConfig } from "../../stacks/config";
import { pathsOverlap } from "../../stacks/schema";
import { stackNameHash } from "../../stacks/stackIdentity";

const P = "gitops-platform:";
const SECRET_KEYS = new Set([`${P}argocdRepoToken`, `${P}registry`]);

/** A minimal valid config (static registry credentials), as raw engine values. */
function base(): Record<string, any> {
    return {
        environments: { dev: {}, staging: {} },
        services: [{ name: "api" }, { name: "web" }],
        gitlab: { group: "gitops-poc-dzha" },
        registry: { server: "registry.example.com", username: "puller", password: "hunter2-registry" },
        argocd: { repoUsername: "argocd-reader" },
        argocdRepoToken: "glpat-argocd-secret",
    };
}

const raw = (values: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [P + k, typeof v === "string" ? v : JSON.stringify(v)]));

const parse = (values: Record<string, unknown>, stack = "dev") => parseStackConfig(raw(values), SECRET_KEYS, stack);

function problems(values: Record<string, unknown>, stack = "dev"): ConfigError {
    try {
        parse(values, stack);
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
        return e;
    }
    assert.fail("config was accepted");
}

/** The one problem for `key`, with its example shown. */
function problemAt(err: ConfigError, key: string) {
    const p = err.problems.find((x) => x.key === P + key);
    assert.ok(p, `no problem for ${P}${key}; got:\n${err.message}`);
    assert.ok(p.example, `a valid example is shown for ${key}`);
    assert.ok(err.message.includes(`${P}${key}: `), "the message names the full key");
    return p;
}

test("off by default: no writer, perService false, every environment reads all its services as before", () => {
    const c = parse(base());
    assert.deepEqual(c.vault.writers, []);
    assert.deepEqual(c.writers, []);
    for (const e of c.environments) {
        assert.equal(e.perService, false);
        assert.deepEqual(e.services, []);
        assert.equal(e.policyName, `poc-${e.name}-read`);
    }
});

test("a writer with only a prefix gets the seed's names; its role and policy are named per stack", () => {
    const c = base();
    c.vault = { writers: [{ prefix: "k8s-sync/dev" }] };
    assert.deepEqual(parse(c).writers, [
        {
            name: "vault-sync-operator",
            namespace: "vault-sync-operator-system",
            serviceAccount: "vault-sync-operator-controller-manager",
            prefix: "k8s-sync/dev",
            read: false,
            policyName: "vault-sync-operator-write-dev",
            roleName: "vault-sync-operator-dev",
        },
    ]);
    // two stacks on one Vault never share a writer policy or role, even when their names sanitize alike
    const prod = parse(c, "prod").writers[0];
    assert.deepEqual([prod.policyName, prod.roleName], ["vault-sync-operator-write-prod", "vault-sync-operator-prod"]);
    const upper = parse(c, "DEV").writers[0];
    assert.equal(upper.policyName, `vault-sync-operator-write-dev-${stackNameHash("DEV")}`);
    assert.equal(upper.roleName, `vault-sync-operator-dev-${stackNameHash("DEV")}`);
});

test("perService: each service's ServiceAccount, VaultAuth, role and policy; no environment-wide policy", () => {
    const c = base();
    c.environments = { dev: { perService: true }, staging: {} };
    const [dev, staging] = parse(c).environments;
    assert.equal(dev.perService, true);
    assert.equal(dev.policyName, undefined);
    assert.equal(dev.roleName, "poc-dev-default");
    assert.deepEqual(dev.services, [
        { service: "api", serviceAccount: "api", policyName: "poc-dev-api-read", roleName: "poc-dev-api", vaultAuthName: "vault-auth-api" },
        { service: "web", serviceAccount: "web", policyName: "poc-dev-web-read", roleName: "poc-dev-web", vaultAuthName: "vault-auth-web" },
    ]);
    assert.deepEqual([staging.perService, staging.policyName, staging.services], [false, "poc-staging-read", []]);
});

test("pathsOverlap: equal, ancestor and descendant overlap; a sibling sharing only characters does not", () => {
    assert.ok(pathsOverlap("g", "g"));
    assert.ok(pathsOverlap("g", "g/platform"));
    assert.ok(pathsOverlap("team/apps/x", "team/apps"));
    assert.ok(pathsOverlap("team", "team/apps"));
    assert.ok(!pathsOverlap("g2", "g"));
    assert.ok(!pathsOverlap("gitops-poc-dzha-sync", "gitops-poc-dzha"));
    assert.ok(!pathsOverlap("k8s-sync/dev", "gitops-poc-dzha"));
});

const BAD: [string, (c: Record<string, any>) => void, string, RegExp][] = [
    [
        "a writer prefix equal to the platform's prefix (gitlab.group by default)",
        (c) => (c.vault = { writers: [{ prefix: "gitops-poc-dzha" }] }),
        "vault.writers[0].prefix",
        /"gitops-poc-dzha" overlaps the platform's own paths under vault\.pathPrefix \(default: gitlab\.group\) "gitops-poc-dzha".*registry credentials gitops-poc-dzha\/platform\/stacks\/<stack>\/registry.*use a prefix outside it, e\.g\. k8s-sync\/dev/,
    ],
    [
        "a writer prefix under the registry paths",
        (c) => (c.vault = { writers: [{ prefix: "gitops-poc-dzha/platform/stacks" }] }),
        "vault.writers[0].prefix",
        /overlaps the platform's own paths/,
    ],
    [
        "a writer prefix under the service secrets",
        (c) => (c.vault = { writers: [{ prefix: "gitops-poc-dzha/api/dev" }] }),
        "vault.writers[0].prefix",
        /overlaps the platform's own paths/,
    ],
    [
        "a writer prefix above an explicit vault.pathPrefix",
        (c) => (c.vault = { pathPrefix: "team/apps", writers: [{ name: "a", prefix: "k8s-sync/dev" }, { name: "b", prefix: "team" }] }),
        "vault.writers[1].prefix",
        /"team" overlaps the platform's own paths under vault\.pathPrefix "team\/apps"/,
    ],
    [
        "a writer prefix over the existing registry secret (registry.vault)",
        (c) => {
            c.registry = { vault: { path: "infra/registry" } };
            c.vault = { writers: [{ prefix: "infra" }] };
        },
        "vault.writers[0].prefix",
        /"infra" overlaps registry\.vault\.path "infra\/registry": the writer could overwrite the registry credentials/,
    ],
    ["a writer without a prefix", (c) => (c.vault = { writers: [{ name: "op" }] }), "vault.writers[0].prefix", /is required/],
    ["a writer prefix with '..'", (c) => (c.vault = { writers: [{ prefix: "k8s-sync/../gitops-poc-dzha" }] }), "vault.writers[0].prefix", /'\.' or '\.\.'/],
    ["a writer prefix with a glob", (c) => (c.vault = { writers: [{ prefix: "k8s-sync/*" }] }), "vault.writers[0].prefix", /Vault path/],
    [
        "two writers with one name",
        (c) => (c.vault = { writers: [{ prefix: "a" }, { prefix: "b" }] }),
        "vault.writers[1].name",
        /writer "vault-sync-operator" is listed twice/,
    ],
    ["a writer field misspelt", (c) => (c.vault = { writers: [{ prefix: "a", serviceAcount: "x" }] }), "vault.writers[0].serviceAcount", /unknown key/],
    ["a writer's read not a boolean", (c) => (c.vault = { writers: [{ prefix: "a", read: "yes" }] }), "vault.writers[0].read", /must be true or false/],
    [
        "perService not a boolean",
        (c) => (c.environments = { dev: { perService: "yes" } }),
        "environments.dev.perService",
        /must be true or false, e\.g\. gitops-platform:environments\.dev\.perService: true/,
    ],
    [
        "perService with a service named default",
        (c) => {
            c.environments = { dev: { perService: true } };
            c.services = [{ name: "api" }, { name: "default" }];
        },
        "services[1].name",
        /"default" cannot get a ServiceAccount of its own with environments\.dev\.perService/,
    ],
    [
        "perService with a service also listed in serviceAccounts",
        (c) => (c.environments = { dev: { perService: true, serviceAccounts: ["deployer", "web"] } }),
        "environments.dev.serviceAccounts[1]",
        /"web" is a service: with perService the platform creates and owns ServiceAccount "web"/,
    ],
    [
        "perService names that meet another environment's (role poc-dev-api-default)",
        (c) => {
            c.environments = { dev: { perService: true }, "dev-api": {} };
            c.services = [{ name: "api-default" }];
        },
        "environments.dev.perService",
        /gives Vault role "poc-dev-api-default" to service "api-default" in environment "dev", which environment "dev-api" already has/,
    ],
];

for (const [name, change, key, text] of BAD) {
    test(`bad config: ${name} → error names gitops-platform:${key}`, () => {
        const c = base();
        change(c);
        const p = problemAt(problems(c), key);
        assert.match(p.message, text);
    });
}

test("a policy clash is refused too (a service's policy named like another environment's); a writer never takes the registry policy", () => {
    // registry-read-<stack> vs <writer>-write-<stack>: a writer named "registry-read" gets its own name
    const c = base();
    c.vault = { writers: [{ name: "registry-read", prefix: "k8s-sync/dev" }] };
    assert.equal(parse(c).writers[0].policyName, "registry-read-write-dev");
    const d = base();
    d.environments = { dev: { perService: true }, "dev-api": {} };
    d.services = [{ name: "api" }];
    const p = problemAt(problems(d), "environments.dev.perService");
    assert.match(p.message, /gives Vault policy "poc-dev-api-read" to service "api" in environment "dev", which environment "dev-api" already has; rename one of them/);
});

test("a writer beside registry.vault's secret, or over a path of another mount, is accepted", () => {
    const c = base();
    c.registry = { vault: { path: "infra/registry" } };
    c.vault = { writers: [{ name: "a", prefix: "infra/sync" }, { name: "b", prefix: "infra" }] };
    c.registry.vault.mount = "kv-infra";
    assert.deepEqual(parse(c).writers.map((w) => w.prefix), ["infra/sync", "infra"]);
    c.registry.vault.mount = "secret";
    const err = problems(c);
    assert.deepEqual(err.problems.map((p) => p.key), [`${P}vault.writers[1].prefix`]);
});

test("several writer and perService problems are reported together; nothing else is refused", () => {
    const c = base();
    c.environments = { dev: { perService: true, serviceAccounts: ["api"] } };
    c.vault = { writers: [{ prefix: "gitops-poc-dzha/x" }, { prefix: "ok/path" }] };
    const err = problems(c);
    assert.deepEqual(err.problems.map((p) => p.key).sort(), [`${P}environments.dev.serviceAccounts[0]`, `${P}vault.writers[0].prefix`, `${P}vault.writers[1].name`]);
    assert.match(err.message, /nothing was created/);
});

test("the Vault readiness check asks for the writers' and the services' roles and policies, not the dropped <ns>-read", async () => {
    const { stackCapabilities } = await import("../../stacks/vaultPreflight");
    const c = base();
    c.environments = { dev: { perService: true }, staging: {} };
    c.vault = { writers: [{ prefix: "k8s-sync/dev" }] };
    const req = stackCapabilities(parse(c), { registryPolicyName: "registry-read-dev", registrySecretPath: "gitops-poc-dzha/platform/stacks/dev/registry" });
    const crud = ["create", "read", "update", "delete"];
    for (const p of [
        "auth/kubernetes/role/vault-sync-operator-dev",
        "sys/policies/acl/vault-sync-operator-write-dev",
        "auth/kubernetes/role/poc-dev-api",
        "sys/policies/acl/poc-dev-api-read",
        "sys/policies/acl/poc-dev-web-read",
        "auth/kubernetes/role/poc-dev-default",
        "sys/policies/acl/poc-staging-read",
    ]) {
        assert.deepEqual(req[p], crud, p);
    }
    assert.equal(req["sys/policies/acl/poc-dev-read"], undefined);
    assert.equal(Object.keys(req).some((p) => p.startsWith("secret/") && p.includes("k8s-sync")), false, "the stack never touches the writer's secrets");
});

test("the README's writer example is valid config and gives the documented names", async () => {
    const fs = await import("node:fs");
    const path = await import("node:path");
    const { parse: parseYaml } = await import("yaml");
    const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes("writers:"));
    assert.ok(block, "README has a yaml example of vault.writers");
    const example = parseYaml(block)["gitops-platform:vault"];
    const c = base();
    c.vault = example;
    const [w] = parse(c).writers;
    assert.deepEqual([w.roleName, w.policyName, w.prefix], ["vault-sync-operator-dev", "vault-sync-operator-write-dev", "k8s-sync/dev"]);
});
