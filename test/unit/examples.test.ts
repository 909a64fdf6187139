/** The example stack files in examples/ are valid for the program's own loader, and say what they show. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parseStackConfig } from "../../stacks/config";
import { ROOT } from "../support/stackConfig";

/** Raw engine config of an example file (objects as JSON text), with extra keys. */
function exampleConfig(file: string, extra: Record<string, string>): Record<string, string> {
    const doc = parse(fs.readFileSync(path.join(ROOT, "examples", file), "utf8"));
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries<unknown>(doc.config ?? {})) values[k] = typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
    return { ...values, ...extra };
}

test("examples/Pulumi.image-updater.yaml: Image Updater on, registry credentials from Vault with a mirror", () => {
    const token = "gitops-platform:gitlabToken";
    const c = parseStackConfig(exampleConfig("Pulumi.image-updater.yaml", { [token]: "t" }), new Set([token]), "dev");
    assert.equal(c.imageUpdater.enabled, true);
    assert.deepEqual(c.imageUpdater.images.map((i) => i.service), ["api-gateway", "web-http"]);
    assert.deepEqual(c.environments.map((e) => [e.name, e.imageConstraint]), [["dev", "~0-0"], ["prod", "~0"]]);
    assert.deepEqual(c.registryVault, { mount: "kv", path: "container-register" });
    assert.equal(c.registryMirror?.server, "registry.krisalee.dev.joona.fr");
});
