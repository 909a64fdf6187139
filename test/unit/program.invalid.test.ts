/** An invalid stack config stops the program before any resource is registered. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { recorded } from "../support/mocks";
import { runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";

test("invalid config: error names the keys, nothing registered, secrets not echoed", async () => {
    const config = stackConfig("dev", {
        "gitops-platform:gitlabToken": "glpat-do-not-print",
        "gitops-platform:namespacePrefix": "POC",
        "gitops-platform:vault": JSON.stringify({ pathPrefix: "/bad/" }),
    });
    await assert.rejects(runProgram("dev", config, ["gitops-platform:gitlabToken"]), (e: Error) => {
        assert.match(e.message, /gitops-platform:namespacePrefix: must be an RFC 1123 label/);
        assert.match(e.message, /gitops-platform:vault\.pathPrefix: /);
        assert.match(e.message, /valid example:/);
        assert.ok(!e.message.includes("glpat-do-not-print"));
        return true;
    });
    assert.deepEqual(recorded.map((r) => `${r.type} ${r.name}`), [], "no resource (not even a provider) was registered");
});
