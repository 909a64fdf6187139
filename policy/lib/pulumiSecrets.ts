/**
 * Lets the pack's policies tell a Pulumi secret from a value in clear.
 *
 * The engine sends secret values to a policy pack marked as secrets, but @pulumi/policy 1.21.0
 * unwraps them before it calls `validateResource` / `validateStack`: a policy sees the plain text
 * and no sign that it was a secret (pulumi/pulumi-policy#241, open). Remediations are the only
 * callers that get the markers: @pulumi/policy deserializes their properties with secrets kept as
 * `Secret` objects. {@link keepSecretMarkers} makes validations get the same: every secret value
 * arrives as a `Secret` (its plain text in `.value`). Use {@link isPulumiSecret} and
 * {@link reveal} on every value read from `props`.
 *
 * This replaces one function of @pulumi/policy's internal `deserialize` module, which its gRPC
 * server calls through the module object; @pulumi/policy is pinned to 1.21.0, and
 * test/unit/policy/pack.grpc.test.ts proves the effect through the real server on every run.
 */
import { Secret } from "@pulumi/policy";

type Deserialize = (properties: unknown, proxySecrets: boolean) => Record<string, unknown>;

let installed = false;

/**
 * Makes @pulumi/policy hand `Secret` objects (instead of plain text) to validations for every
 * value the engine marked as a secret. Idempotent; call it once in the pack's entry point.
 */
export function keepSecretMarkers(): void {
    if (installed) {
        return;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const deserialize = require("@pulumi/policy/deserialize") as { deserializeProperties: Deserialize };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { getSpecialProxyTarget } = require("@pulumi/policy/proxy") as { getSpecialProxyTarget: string };
    const original = deserialize.deserializeProperties;
    if (typeof original !== "function" || typeof getSpecialProxyTarget !== "string") {
        throw new Error("@pulumi/policy changed its internals: policy/lib/pulumiSecrets.ts must be updated");
    }
    deserialize.deserializeProperties = (properties, proxySecrets) => {
        // With proxySecrets, secrets become `Secret` objects inside a proxy that unwraps them on
        // read; validations get the object under that proxy, with the `Secret` objects in place.
        const kept = original(properties, true);
        return proxySecrets ? kept : (kept[getSpecialProxyTarget] as Record<string, unknown>);
    };
    installed = true;
}

/** True when `v` is a value the engine marked as a Pulumi secret. */
export function isPulumiSecret(v: unknown): v is Secret {
    return v instanceof Secret;
}

/** The plain value of a Pulumi secret, or `v` itself. */
export function reveal(v: unknown): unknown {
    return isPulumiSecret(v) ? v.value : v;
}
