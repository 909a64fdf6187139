/**
 * An invalid stack config stops the program before any resource is registered. The first test
 * proves that the helper does see registrations (a valid config registers the providers and the
 * platform through the same helper), so that "nothing registered" below is a real observation.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { runProgramSettled } from "../support/program";
import { stackConfig } from "../support/stackConfig";

const SECRET_KEYS = ["gitops-platform:gitlabToken"];

test("the helper sees what a valid config registers: providers first, then the platform", async () => {
    const run = await runProgramSettled("dev", stackConfig("dev", { "gitops-platform:gitlabToken": "glpat-valid" }), SECRET_KEYS);
    assert.equal(run.error, undefined, `the committed dev config runs: ${run.error}`);
    const types = run.registered.map((r) => r.type);
    assert.ok(types.includes("pulumi:providers:kubernetes") && types.includes("pulumi:providers:vault"), "both providers registered");
    assert.ok(types.includes("kubernetes:core/v1:Namespace"), "namespaces registered");
    assert.equal(run.constructed.slice(0, 2).map((c) => c.type).sort().join(","), "pulumi:providers:kubernetes,pulumi:providers:vault");
});

test("invalid config: error names the keys, nothing registered, secrets not echoed", async () => {
    const config = stackConfig("dev", {
        "gitops-platform:gitlabToken": "glpat-do-not-print",
        "gitops-platform:namespacePrefix": "POC",
        "gitops-platform:vault": JSON.stringify({ pathPrefix: "/bad/" }),
    });
    const run = await runProgramSettled("dev", config, SECRET_KEYS);
    const e = run.error as Error;
    assert.ok(e instanceof Error, "the program failed");
    assert.match(e.message, /gitops-platform:namespacePrefix: must be an RFC 1123 label/);
    assert.match(e.message, /gitops-platform:vault\.pathPrefix: /);
    assert.match(e.message, /valid example:/);
    assert.ok(!e.message.includes("glpat-do-not-print"));
    assert.deepEqual(run.constructed, [], "no resource (not even a provider) was constructed");
    assert.deepEqual(run.registered.map((r) => `${r.type} ${r.name}`), [], "no resource (not even a provider) was registered");
});

test("an unknown provider key stops the program before the providers are created", async () => {
    const config = stackConfig("dev", {
        "gitops-platform:gitlabToken": "glpat-do-not-print",
        "kubernetes:clusterIdentifer": "minikube",
        "vault:authLoginJWT": JSON.stringify({ role: "ci", jwt: "eyJ-do-not-print" }),
    });
    const run = await runProgramSettled("dev", config, [...SECRET_KEYS, "vault:authLoginJWT"]);
    const e = run.error as Error;
    assert.ok(e instanceof Error, "the program failed");
    assert.match(e.message, /kubernetes:clusterIdentifer: unknown kubernetes provider setting \(did you mean kubernetes:clusterIdentifier\?\)/);
    assert.match(e.message, /vault:authLoginJWT: unknown vault provider setting \(did you mean vault:authLoginJwt\?\)/);
    assert.ok(!e.message.includes("eyJ-do-not-print"));
    assert.deepEqual(run.constructed, [], "no resource (not even a provider) was constructed");
    assert.deepEqual(run.registered, [], "no resource was registered");
});
