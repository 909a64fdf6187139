/** Vault policy text, parsed with a real HCL parser: exact paths and capabilities. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { environmentReadPolicy, registryReadPolicy, registrySecretPath } from "../../components/vault/policies";
import { durationToSeconds } from "../../components/vault/duration";
import { parsePolicy } from "../support/hcl";

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
});

test("registry policy reads exactly <mount>/data/<prefix>/platform/registry", async () => {
    assert.equal(registrySecretPath("gitops-poc-dzha"), "gitops-poc-dzha/platform/registry");
    assert.deepEqual(await parsePolicy(registryReadPolicy("secret", "gitops-poc-dzha")), [
        { path: "secret/data/gitops-poc-dzha/platform/registry", capabilities: ["read"] },
    ]);
});

test("durations convert to seconds for Vault token TTLs", () => {
    assert.equal(durationToSeconds("1h"), 3600);
    assert.equal(durationToSeconds("30m"), 1800);
    assert.equal(durationToSeconds("1h30m"), 5400);
    assert.equal(durationToSeconds("45s"), 45);
    assert.throws(() => durationToSeconds("1 hour"), /invalid duration/);
    assert.throws(() => durationToSeconds(""), /invalid duration/);
});
