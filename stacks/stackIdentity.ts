/**
 * What makes one stack's objects its own when several stacks share a Vault server or a cluster:
 * the owner marker, the per-stack Vault path and policy of the registry credentials, and the
 * per-stack token reviewer. Names are derived here once; components receive them as args.
 */
import { registryPolicyName, registrySecretPath } from "../components/vault/policies";

/** Marker in the description of a Kubernetes auth backend a stack created: `gitops-platform stack <owner>`. */
export const AUTH_OWNER_MARKER = "gitops-platform stack ";

/** Label on cluster-wide and shared-namespace objects naming the owning stack. */
export const STACK_LABEL = "gitops-platform/stack";

/** The per-stack names of one stack. */
export interface StackIdentity {
    /** `<org>/<project>/<stack>`: the owner marker written next to what the stack owns. */
    owner: string;
    /** KV path of the stack's registry credentials, `<prefix>/platform/stacks/<stack>/registry`. */
    registrySecretPath: string;
    /** Vault policy that reads them, `registry-read-<stack>`. */
    registryPolicyName: string;
    /** Token reviewer ServiceAccount (and ClusterRoleBinding), `vault-token-reviewer-<stack>`. */
    tokenReviewerName: string;
    /** Labels on the stack's shared-cluster objects. */
    labels: Record<string, string>;
    /** Description of the Kubernetes auth backend the stack creates (ends with the owner marker). */
    authDescription: string;
}

/** Stack name as a DNS-1123 label fragment: lowercase, other characters turned into '-'. */
function dnsFragment(stack: string): string {
    return stack.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+|-+$/g, "") || "stack";
}

/** Names for `stack` of `project` in `organization`, with registry secrets under `pathPrefix`. */
export function stackIdentity(organization: string, project: string, stack: string, pathPrefix: string): StackIdentity {
    const reviewer = `vault-token-reviewer-${dnsFragment(stack)}`.slice(0, 63).replace(/-+$/, "");
    const labelValue = stack.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
    const owner = `${organization}/${project}/${stack}`;
    return {
        owner,
        authDescription: `Kubernetes auth for ${AUTH_OWNER_MARKER}${owner}`,
        registrySecretPath: registrySecretPath(pathPrefix, stack),
        registryPolicyName: registryPolicyName(stack),
        tokenReviewerName: reviewer,
        labels: { "app.kubernetes.io/managed-by": "gitops-platform", [STACK_LABEL]: labelValue },
    };
}
