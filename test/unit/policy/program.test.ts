/**
 * The pack on the real program: every resource the dev and prod stacks register under mocks
 * (inputs in the engine's wire format, turned into policy props by @pulumi/policy's own
 * deserializer with the pack's secret markers) and their stack outputs go through the policies.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Secret } from "@pulumi/policy";
import { runProgramSettled, type ProgramRun } from "../../support/program";
import { stackConfig } from "../../support/stackConfig";
import { keepSecretMarkers } from "../../../policy/lib/pulumiSecrets";
import { environmentOfPolicy, vaultPolicyLeastPrivilege } from "../../../policy/rules/vaultPolicyLeastPrivilege";
import { prodProtect } from "../../../policy/rules/prodProtect";
import { noSecretInConfigMap } from "../../../policy/rules/noSecretInConfigMap";
import { noSecretInStackOutputs } from "../../../policy/rules/noSecretInStackOutputs";
import { urnOf, validateResource, validateStack } from "./helpers";

/* eslint-disable @typescript-eslint/no-require-imports */
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const deserialize = require("@pulumi/policy/deserialize");
/* eslint-enable @typescript-eslint/no-require-imports */

keepSecretMarkers();

const SECRET_KEYS = ["gitops-platform:gitlabToken", "vault:token"];
const SECRETS = { "gitops-platform:gitlabToken": "glpat-test-api-token-0123456789", "vault:token": "hvs.test-vault-root-token-0123456789" };

/** A stack output as the engine sends it: Pulumi secrets as `Secret`. */
async function policyValue(v: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(v)) {
        const secret = await pulumi.isSecret(v);
        const value = await policyValue(await new Promise((r) => (v as pulumi.Output<unknown>).apply(r)));
        return secret ? new Secret(value) : value;
    }
    if (Array.isArray(v)) {
        return Promise.all(v.map(policyValue));
    }
    if (v && typeof v === "object") {
        return Object.fromEntries(await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await policyValue(x)])));
    }
    return v;
}

/** Every violation the pack reports for one program run. */
async function violations(stack: string, run: ProgramRun): Promise<string[]> {
    assert.equal(run.error, undefined, `the ${stack} program ran`);
    const out: string[] = [];
    for (const r of run.registered) {
        const props = deserialize.deserializeProperties(Struct.fromJavaScript(r.wire), false);
        for (const policy of [vaultPolicyLeastPrivilege, prodProtect, noSecretInConfigMap]) {
            out.push(...(await validateResource(policy, { type: r.type, urn: r.urn, name: r.name, props, protect: r.protect })));
        }
    }
    const outputs = (await policyValue(run.outputs)) as Record<string, unknown>;
    const stackUrn = urnOf(stack, ["pulumi:pulumi:Stack"], `gitops-platform-${stack}`);
    out.push(...(await validateStack(noSecretInStackOutputs, [{ type: "pulumi:pulumi:Stack", urn: stackUrn, props: outputs }])));
    return out;
}

test("the dev stack as committed passes every policy (its Vault policies, outputs, no protect needed)", async () => {
    const run = await runProgramSettled("dev", stackConfig("dev", SECRETS), SECRET_KEYS);
    const policies = run.registered.filter((r) => r.type === "vault:index/policy:Policy");
    assert.deepEqual(policies.map((p) => p.inputs.name).sort(), ["poc-dev-read", "poc-staging-read", "registry-read-dev"]);
    assert.deepEqual(
        policies.map((p) => [p.inputs.name, environmentOfPolicy(p.urn)]).sort(),
        [["poc-dev-read", "dev"], ["poc-staging-read", "staging"], ["registry-read-dev", undefined]],
        "the rule knows each environment policy's environment from the program's URNs",
    );
    assert.ok(run.registered.some((r) => r.type === "vault:index/mount:Mount" && !r.protect), "dev's KV mount is not protected, and need not be");
    assert.deepEqual(await violations("dev", run), []);
});

test("the prod stack as committed passes every policy: its namespace and auth backend are protected", async () => {
    const run = await runProgramSettled("prod", stackConfig("prod", SECRETS), SECRET_KEYS);
    assert.ok(run.registered.some((r) => r.type === "kubernetes:core/v1:Namespace" && r.protect));
    assert.deepEqual(await violations("prod", run), []);
});

test("the prod stack with gitops-platform:protect false is refused: its namespace and auth backend", async () => {
    const run = await runProgramSettled("prod", stackConfig("prod", { ...SECRETS, "gitops-platform:protect": false }), SECRET_KEYS);
    const ms = await violations("prod", run);
    assert.deepEqual(
        ms.map((m) => m.replace(/: keep protect on.*/, "")).sort(),
        [
            'Namespace "poc-prod" is not protected in production stack "prod"',
            'Vault auth backend "kubernetes-prod" is not protected in production stack "prod"',
        ],
    );
});
