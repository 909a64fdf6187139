/** Service secret placeholders under mocks: one per service × environment, on by default. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { ofType } from "../support/mocks";
import { runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";

const TYPE = "pulumi-nodejs:dynamic/vault:ServiceSecretPlaceholder";
const SERVICES = ["api-gateway", "auth-adapter", "web-grpc", "web-http", "health-demo"];

before(async () => {
    const config = stackConfig("dev", { "gitops-platform:gitlabToken": "glpat-test-api-token-0123456789", "vault:token": "hvs.test-vault-root-token" });
    await runProgram("dev", config, ["gitops-platform:gitlabToken", "vault:token"]);
});

test("one placeholder per service × environment at <prefix>/<service>/<env>/config, retained on delete", () => {
    const ps = ofType(TYPE);
    const expected = SERVICES.flatMap((s) => ["dev", "staging"].map((e) => `gitops-poc-dzha/${s}/${e}/config`)).sort();
    assert.deepEqual(ps.map((p) => p.inputs.path).sort(), expected);
    for (const p of ps) {
        assert.equal(p.inputs.mount, "secret");
        assert.equal(p.retainOnDelete, true, `${p.name} is never deleted`);
        assert.match(p.name, /^secret-placeholder-[a-z-]+-(dev|staging)$/);
        assert.equal(p.inputs.data, undefined, "no data input");
    }
    assert.ok(ps.some((p) => p.name === "secret-placeholder-api-gateway-staging"));
});

test("config: vault.servicePlaceholders defaults to true; a non-boolean names the key with an example", async () => {
    const { parseStackConfig } = await import("../../stacks/config");
    const base = { "gitops-platform:gitlabToken": "glpat-test-api-token-0123456789" };
    const secret = new Set(["gitops-platform:gitlabToken"]);
    assert.equal(parseStackConfig(stackConfig("dev", base), secret, "dev").vault.servicePlaceholders, true);
    assert.throws(
        () => parseStackConfig(stackConfig("dev", { ...base, "gitops-platform:vault": { servicePlaceholders: "yes" } }), secret, "dev"),
        /gitops-platform:vault\.servicePlaceholders: must be true or false, e\.g\. gitops-platform:vault\.servicePlaceholders: false/,
    );
});
