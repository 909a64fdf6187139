/** `gitops-platform:vault.servicePlaceholders: false` registers no placeholder. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { ofType, recorded } from "../support/mocks";
import { runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";
import { parse } from "yaml";
import * as fs from "node:fs";

before(async () => {
    const vault = { ...(parse(fs.readFileSync("Pulumi.dev.yaml", "utf8")).config["gitops-platform:vault"] ?? {}), servicePlaceholders: false };
    const config = stackConfig("dev", {
        "gitops-platform:gitlabToken": "glpat-test-api-token-0123456789",
        "vault:token": "hvs.test-vault-root-token",
        "gitops-platform:vault": vault,
    });
    await runProgram("dev", config, ["gitops-platform:gitlabToken", "vault:token"]);
});

test("no placeholder when vault.servicePlaceholders is false; the rest of the stack is still there", () => {
    assert.equal(ofType("pulumi-nodejs:dynamic/vault:ServiceSecretPlaceholder").length, 0);
    assert.ok(recorded.some((r) => r.type === "vault:index/policy:Policy"));
});
