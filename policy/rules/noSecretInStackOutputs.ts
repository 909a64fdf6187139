/**
 * Rule 3b, `no-secret-in-stack-outputs`: no secret-looking value (lib/secretLooking.ts) in a
 * stack output unless it is a Pulumi secret.
 *
 * How outputs reach a policy: the engine never sends them to `validateResource` (it sees the
 * inputs of each registration, and the stack resource has none). At the end of a preview or
 * update it calls every stack policy (`validateStack`) with all resources' outputs; the root
 * resource `pulumi:pulumi:Stack` is among them, and its `props` are the stack outputs. Secret
 * outputs arrive marked as secrets only thanks to lib/pulumiSecrets.ts; outputs not known yet
 * in a preview are skipped (checked by `up`).
 */
import type { StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { formatPath, leaves } from "../lib/leaves";
import { secretLooking } from "../lib/secretLooking";
import { STACK } from "../lib/types";

/** Policy name, also its key in `--policy-pack-config`. */
export const NAME = "no-secret-in-stack-outputs";

/** Violations in one stack's outputs; each names the output path and why, never the value. */
export function stackOutputViolations(outputs: Record<string, unknown>): string[] {
    return leaves(outputs).flatMap((leaf) => {
        if (leaf.secret) {
            return [];
        }
        const names = leaf.path.filter((p): p is string => typeof p === "string");
        const why = secretLooking(names[names.length - 1], leaf.value);
        return why === undefined
            ? []
            : [`stack output "${formatPath(leaf.path)}" holds ${why} in clear; export it with pulumi.secret(...) or not at all`];
    });
}

/** The policy as the pack registers it. */
export const noSecretInStackOutputs: StackValidationPolicy = {
    name: NAME,
    description: "Stack outputs hold no secret-looking value in clear (Pulumi secrets are fine).",
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, reportViolation) => {
        for (const r of args.resources.filter((x) => x.type === STACK)) {
            for (const m of stackOutputViolations(r.props)) {
                reportViolation(m, r.urn);
            }
        }
    },
};
