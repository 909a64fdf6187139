/**
 * Cloudflare off (the default, as in the committed dev stack): no cloudflare provider is
 * registered (so a stack without a tunnel never needs its plugin or an API token), no Cloudflare
 * resource or invoke, no connector namespace, Vault role or policy, and no `cloudflareTunnel` output.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { calls, recorded } from "../support/mocks";
import { runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";

let outputs: Record<string, any>;

before(async () => {
    outputs = await runProgram("dev", stackConfig("dev", { "gitops-platform:gitlabToken": "glpat-x" }), ["gitops-platform:gitlabToken"]);
});

test("the committed dev stack leaves Cloudflare off: nothing of it is registered or invoked", () => {
    assert.ok(recorded.some((r) => r.type === "pulumi:providers:vault"), "the program ran");
    assert.deepEqual(recorded.filter((r) => /cloudflare/i.test(r.type)).map((r) => r.type), []);
    assert.deepEqual(calls.filter((c) => c.token.startsWith("cloudflare:")), []);
    assert.deepEqual(recorded.filter((r) => /cloudflared/.test(JSON.stringify(r.inputs))).map((r) => `${r.type} ${r.name}`), []);
    assert.equal("cloudflareTunnel" in outputs, false);
});
