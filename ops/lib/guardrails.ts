/**
 * Guardrails the policy pack cannot enforce because a policy never sees deletions: in a
 * production stack, deleting or replacing the KV mount, the Kubernetes auth backend or a
 * namespace is a mandatory violation of the merge-request preview (exit 5), named in its report.
 * A stack is production when `gitops-platform:protect` is true, or unset and the stack is named
 * `prod` or `*-prod` (the program's own default, README).
 */
import type { Change } from "./changes";
import type { ConfigMapLike } from "./redact";

/** Types whose deletion or replacement in production loses user data or every workload's access. */
export const GUARDED_TYPES: Record<string, string> = {
    "vault:index/mount:Mount": "the KV mount (every secret under it)",
    "vault:index/authBackend:AuthBackend": "the Kubernetes auth backend (every role under it)",
    "kubernetes:core/v1:Namespace": "a namespace (every workload and secret in it)",
};

/** A guardrail violation, shaped like a policy violation. */
export interface Violation {
    policyPack: string;
    policy: string;
    urn?: string;
    message: string;
    enforcement: "warning" | "mandatory";
}

/** Whether the stack is production (see the header). */
export function isProduction(stackName: string, config: ConfigMapLike): boolean {
    const v = config["gitops-platform:protect"]?.value;
    if (v === "true") return true;
    if (v === "false") return false;
    return stackName === "prod" || stackName.endsWith("-prod");
}

/** The guardrail violations of a production stack's changes (none for other stacks). */
export function guardrailViolations(changes: Change[], production: boolean): Violation[] {
    if (!production) return [];
    return changes
        .filter((c) => (c.action === "delete" || c.action === "replace") && GUARDED_TYPES[c.type])
        .map((c) => ({
            policyPack: "gitops-platform-preview",
            policy: "no-delete-or-replace-in-production",
            urn: c.urn,
            enforcement: "mandatory" as const,
            message:
                `${c.action} of ${GUARDED_TYPES[c.type]} \`${c.name}\` in a production stack` +
                (c.replaceReasons.length ? ` (forced by ${c.replaceReasons.join(", ")})` : "") +
                ": change the program or config so that it is kept; if it is really intended, do it by hand with a reviewed runbook",
        }));
}
