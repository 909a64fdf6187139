/**
 * Rule 3a, `no-secret-in-configmap`: no secret-looking value (lib/secretLooking.ts) in a
 * ConfigMap's `data` or `binaryData` (decoded from base64 first).
 *
 * A Pulumi secret is no exception here: Pulumi encrypts it in its state, but the ConfigMap stores
 * it in clear in the cluster, readable by whoever may read ConfigMaps, and shows it in
 * `kubectl describe`. Credentials belong in a Secret (or in Vault, synced by VSO).
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { known, leaves } from "../lib/leaves";
import { reveal } from "../lib/pulumiSecrets";
import { secretLooking } from "../lib/secretLooking";
import { CONFIG_MAP } from "../lib/types";

/** Policy name, also its key in `--policy-pack-config`. */
export const NAME = "no-secret-in-configmap";

/** Violations of one ConfigMap, from its inputs; each names the key and why, never the value. */
export function configMapViolations(logicalName: string, props: Record<string, unknown>): string[] {
    const metadata = known(props, "metadata");
    const name = String(reveal(metadata === undefined ? undefined : known(metadata, "name")) ?? logicalName);
    const out: string[] = [];
    for (const field of ["data", "binaryData"] as const) {
        for (const leaf of leaves(known(props, field))) {
            const key = String(leaf.path[0]);
            const raw = leaf.value;
            const value = field === "binaryData" && typeof raw === "string" ? Buffer.from(raw, "base64").toString("latin1") : raw;
            const why = secretLooking(key, value);
            if (why !== undefined) {
                out.push(
                    `ConfigMap "${name}" ${field}."${key}" holds ${why}${leaf.secret ? " (a Pulumi secret, but a ConfigMap keeps it in clear in the cluster)" : ""}; ` +
                        `put it in a Secret or in Vault`,
                );
            }
        }
    }
    return out;
}

/** The policy as the pack registers it. */
export const noSecretInConfigMap: ResourceValidationPolicy = {
    name: NAME,
    description: "ConfigMaps hold no secret-looking values (tokens, private keys, registry credentials).",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation) => {
        if (args.type !== CONFIG_MAP) {
            return;
        }
        for (const m of configMapViolations(args.name, args.props)) {
            reportViolation(m);
        }
    },
};
