/** Rule 2, prod-protect: protect on Namespaces and Vault mounts / auth backends in production stacks. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import Ajv from "ajv";
import { CONFIG_SCHEMA, DEFAULT_PROD_STACKS, isProdStack, prodProtect } from "../../../policy/rules/prodProtect";
import { urnOf, validateResource } from "./helpers";

const NAMESPACE = "kubernetes:core/v1:Namespace";
const MOUNT = "vault:index/mount:Mount";
const AUTH = "vault:index/authBackend:AuthBackend";
const ns = (stack: string, protect: boolean) => ({
    type: NAMESPACE,
    urn: urnOf(stack, ["gitops-platform:kubernetes:EnvironmentNamespace", NAMESPACE], "env-prod-namespace"),
    props: { metadata: { name: "poc-prod" } },
    protect,
});

test("an unprotected Namespace, KV mount or auth backend in a production stack is refused, named with its stack", async () => {
    for (const [type, what] of [[NAMESPACE, "Namespace"], [MOUNT, "Vault mount"], [AUTH, "Vault auth backend"]]) {
        for (const stack of DEFAULT_PROD_STACKS.map((s) => s.replace("*", "eu"))) {
            const urn = urnOf(stack, ["gitops-platform:vault:VaultPlatform", type], "thing");
            const [m, ...rest] = await validateResource(prodProtect, { type, urn, props: {}, protect: false });
            assert.equal(rest.length, 0);
            assert.match(m, new RegExp(`^${what} "thing" is not protected in production stack "${stack}"`));
        }
    }
});

test("the message names the Namespace by metadata.name and a mount by its path, else by the logical name", async () => {
    assert.match((await validateResource(prodProtect, ns("prod", false)))[0], /^Namespace "poc-prod" is not protected/);
    const mount = { type: MOUNT, urn: urnOf("prod", [MOUNT], "vault-kv"), props: { path: "secret" }, protect: false };
    assert.match((await validateResource(prodProtect, mount))[0], /^Vault mount "secret" is not protected/);
    const unnamed = { type: NAMESPACE, urn: urnOf("prod", [NAMESPACE], "auto"), props: { metadata: {} }, protect: false };
    assert.match((await validateResource(prodProtect, unnamed))[0], /^Namespace "auto" is not protected/);
});

test("protected ones pass, and so does anything outside production or of another type", async () => {
    assert.deepEqual(await validateResource(prodProtect, ns("prod", true)), []);
    for (const stack of ["dev", "staging", "prod-copy", "preprod"]) {
        assert.deepEqual(await validateResource(prodProtect, ns(stack, false)), [], stack);
    }
    const cm = { type: "kubernetes:core/v1:ConfigMap", urn: urnOf("prod", ["kubernetes:core/v1:ConfigMap"], "cm"), props: {}, protect: false };
    assert.deepEqual(await validateResource(prodProtect, cm), []);
});

test("prodStacks from the pack config replaces the default list and accepts '*' patterns", async () => {
    const config = { prodStacks: ["*-prod", "live"] };
    assert.equal((await validateResource(prodProtect, ns("eu-prod", false), config)).length, 1);
    assert.equal((await validateResource(prodProtect, ns("live", false), config)).length, 1);
    assert.deepEqual(await validateResource(prodProtect, ns("prod", false), config), [], "prod is not listed any more");
    assert.ok(isProdStack("eu.west-prod", ["*-prod"]));
    assert.ok(!isProdStack("euXprod", ["eu.prod"]), "'.' is literal");
    assert.ok(!isProdStack("production-2", ["production"]), "whole names only");
});

test("an empty config means the default prod stacks", async () => {
    assert.equal((await validateResource(prodProtect, ns("production", false), {})).length, 1);
});

test("the config schema accepts a list of stack names, defaults to prod/production, and rejects other shapes", () => {
    assert.equal(prodProtect.configSchema, CONFIG_SCHEMA);
    const validate = new Ajv({ useDefaults: true, strict: false }).compile({ type: "object", ...CONFIG_SCHEMA });
    const empty: Record<string, unknown> = {};
    assert.ok(validate(empty));
    assert.deepEqual(empty.prodStacks, ["prod", "production", "*-prod"]);
    assert.ok(validate({ prodStacks: ["prod", "*-prod"] }));
    assert.ok(!validate({ prodStacks: "prod" }));
    assert.ok(!validate({ prodStacks: [""] }));
    assert.ok(!validate({ prodStacks: [1] }));
});
