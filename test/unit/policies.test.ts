/** Vault policy text, parsed with a real HCL parser: exact paths and capabilities. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { environmentReadPolicy, registryPolicyName, registryReadPolicy, registrySecretPath } from "../../components/vault/policies";
import { durationToSeconds } from "../../components/vault/duration";
import { parsePolicy } from "../support/hcl";

/** A Vault policy path as a RegExp: `+` is exactly one segment; no `*` expected. */
function globOf(path: string): RegExp {
    assert.ok(!path.includes("*"), `${path} must not use '*'`);
    return new RegExp("^" + path.split("/").map((s) => (s === "+" ? "[^/]+" : s.replace(/[.]/g, "\\."))).join("/") + "$");
}

test("environment policy grants read on <mount>/data/<prefix>/+/<env>/+ and read+list on metadata, nothing else", async () => {
    const rules = await parsePolicy(environmentReadPolicy({ kvMount: "secret", pathPrefix: "gitops-poc-dzha", environment: "dev" }));
    assert.deepEqual(rules, [
        { path: "secret/data/gitops-poc-dzha/+/dev/+", capabilities: ["read"] },
        { path: "secret/metadata/gitops-poc-dzha/+/dev/+", capabilities: ["read", "list"] },
    ]);
});

test("environment policy uses single-segment '+' globs only, never '*'", async () => {
    const rules = await parsePolicy(environmentReadPolicy({ kvMount: "kv", pathPrefix: "team/apps", environment: "prod" }));
    for (const r of rules) {
        assert.ok(!r.path.includes("*"), `${r.path} must not use '*'`);
        const segs = r.path.split("/");
        assert.deepEqual(segs.slice(-4), ["apps", "+", "prod", "+"]);
        assert.ok(!r.capabilities.some((c) => ["create", "update", "delete", "sudo", "patch"].includes(c)), "read-only");
    }
    assert.deepEqual(rules.map((r) => r.path), ["kv/data/team/apps/+/prod/+", "kv/metadata/team/apps/+/prod/+"]);
});

test("environment policy of one environment cannot match another environment's path", async () => {
    const [data] = await parsePolicy(environmentReadPolicy({ kvMount: "secret", pathPrefix: "g", environment: "dev" }));
    const glob = new RegExp("^" + data.path.split("/").map((s) => (s === "+" ? "[^/]+" : s.replace(/[.]/g, "\\."))).join("/") + "$");
    assert.ok(glob.test("secret/data/g/api-gateway/dev/config"));
    assert.ok(!glob.test("secret/data/g/api-gateway/prod/config"));
    assert.ok(!glob.test("secret/data/g/api-gateway/dev/config/nested"));
    assert.ok(!glob.test("secret/data/g/platform/registry"));
    assert.ok(!glob.test(`secret/data/${registrySecretPath("g", "dev")}`));
});

test("environment policy cannot match any stack's registry path, whatever the environment is called", async () => {
    // Four segments under the prefix (platform/stacks/<stack>/registry) against the environment
    // policy's three (+/<env>/+): even environments named like the path's segments stay out.
    for (const environment of ["dev", "prod", "platform", "stacks", "registry"]) {
        for (const r of await parsePolicy(environmentReadPolicy({ kvMount: "secret", pathPrefix: "g", environment }))) {
            for (const stack of ["dev", "prod", "stacks", "registry"]) {
                for (const kind of ["data", "metadata"]) {
                    const path = `secret/${kind}/${registrySecretPath("g", stack)}`;
                    assert.ok(!globOf(r.path).test(path), `${environment}: ${r.path} matches ${path}`);
                }
            }
        }
    }
});

test("registry secret path is <prefix>/platform/stacks/<stack>/registry, one per stack", () => {
    assert.equal(registrySecretPath("gitops-poc-dzha", "dev"), "gitops-poc-dzha/platform/stacks/dev/registry");
    assert.equal(registrySecretPath("gitops-poc-dzha", "prod"), "gitops-poc-dzha/platform/stacks/prod/registry");
    assert.notEqual(registrySecretPath("g", "dev"), registrySecretPath("g", "prod"));
});

test("registry policy name is registry-read-<stack>, lowercased (Vault lowercases policy names)", () => {
    assert.equal(registryPolicyName("dev"), "registry-read-dev");
    assert.equal(registryPolicyName("prod"), "registry-read-prod");
    assert.equal(registryPolicyName("Prod.EU"), "registry-read-prod-eu");
    assert.equal(registryPolicyName("team_a"), "registry-read-team_a");
});

test("registry policy reads exactly <mount>/data/<prefix>/platform/stacks/<stack>/registry, nothing else", async () => {
    const path = registrySecretPath("gitops-poc-dzha", "dev");
    assert.deepEqual(await parsePolicy(registryReadPolicy("secret", path)), [
        { path: "secret/data/gitops-poc-dzha/platform/stacks/dev/registry", capabilities: ["read"] },
    ]);
    const [rule] = await parsePolicy(registryReadPolicy("secret", path));
    assert.ok(!globOf(rule.path).test(`secret/data/${registrySecretPath("gitops-poc-dzha", "prod")}`), "not the prod stack's");
    assert.ok(!globOf(rule.path).test("secret/data/gitops-poc-dzha/platform/registry"), "not the old shared path");
});

test("durations convert to seconds for Vault token TTLs", () => {
    assert.equal(durationToSeconds("1h"), 3600);
    assert.equal(durationToSeconds("30m"), 1800);
    assert.equal(durationToSeconds("1h30m"), 5400);
    assert.equal(durationToSeconds("45s"), 45);
    assert.throws(() => durationToSeconds("1 hour"), /invalid duration/);
    assert.throws(() => durationToSeconds(""), /invalid duration/);
});
