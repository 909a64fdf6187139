/**
 * What makes one stack's objects its own when several stacks share a Vault server or a cluster:
 * the owner marker, the per-stack Vault path and policy of the registry credentials, and the
 * per-stack token reviewer. Names are derived here once; components receive them as args.
 */
import { createHash } from "crypto";
import { registryPolicyName, registrySecretPath } from "../components/vault/policies";
import { cloudflaredPolicyName } from "../components/cloudflare/names";

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
    /** Vault policy that reads them, `registry-read-<stack>` (`registry-read-<stack, lowercased>-<hash>` for other names). */
    registryPolicyName: string;
    /** Vault policy of the cloudflared connector (reads the tunnel token only), `cloudflared-read-<stack>` (same fragment). */
    cloudflaredPolicyName: string;
    /**
     * Token reviewer ServiceAccount (and ClusterRoleBinding), `vault-token-reviewer-<stack>`
     * (`vault-token-reviewer-<stack as a DNS label, cut>-<hash>` for other names, ≤ 63 characters).
     */
    tokenReviewerName: string;
    /** Labels on the stack's shared-cluster objects. */
    labels: Record<string, string>;
    /** Description of the Kubernetes auth backend the stack creates (ends with the owner marker). */
    authDescription: string;
}

/** Prefix of the token reviewer's ServiceAccount and ClusterRoleBinding names. */
const REVIEWER_PREFIX = "vault-token-reviewer-";

/** First 8 hex digits of the sha256 of the stack name, as given (case and punctuation count). */
export function stackNameHash(stack: string): string {
    return createHash("sha256").update(stack, "utf8").digest("hex").slice(0, 8);
}

/**
 * `sanitized` (the stack name made valid for some kind of name) when it is the stack name itself
 * and fits in `max` characters; otherwise its first characters, then `-<stackNameHash(stack)>`,
 * `max` characters at most. So `dev` stays `dev`, but `DEV`, `eu.prod` or a name cut short get a
 * suffix of their own and never take the name of another stack (`dev`, `eu-prod`, a longer name
 * with the same beginning).
 */
function distinctFragment(stack: string, sanitized: string, max: number): string {
    if (sanitized === stack && sanitized.length <= max) return sanitized;
    const hash = stackNameHash(stack);
    const head = sanitized.slice(0, max - hash.length - 1).replace(/-+$/, "");
    return head === "" ? hash : `${head}-${hash}`;
}

/** Stack name as a DNS-1123 label fragment: lowercase, other characters turned into '-'. */
function dnsFragment(stack: string): string {
    return stack.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+|-+$/g, "") || "stack";
}

/** Stack name as Vault keeps a policy name: lowercase, characters other than [a-z0-9_-] turned into '-'. */
function policyFragment(stack: string): string {
    return stack.toLowerCase().replace(/[^a-z0-9_-]/g, "-");
}

/**
 * The stack's fragment in per-stack Vault names (`registry-read-<fragment>`,
 * `<writer>-write-<fragment>`): the stack name when Vault keeps it as it is (`dev`), else its
 * policy-safe form with a hash suffix (`DEV` → `dev-<hash>`), so two stacks never share one name.
 */
export function stackVaultFragment(stack: string): string {
    return distinctFragment(stack, policyFragment(stack), Number.POSITIVE_INFINITY);
}

/**
 * Names for `stack` of `project` in `organization`, with registry secrets under `pathPrefix`.
 * The policy and token reviewer names of stacks whose names sanitize alike differ by a hash suffix (see distinctFragment).
 */
export function stackIdentity(organization: string, project: string, stack: string, pathPrefix: string): StackIdentity {
    const reviewer = REVIEWER_PREFIX + distinctFragment(stack, dnsFragment(stack), 63 - REVIEWER_PREFIX.length);
    // Label values: ≤63 of [A-Za-z0-9_.-], alphanumeric at both ends; distinct per stack name.
    const labelValue = distinctFragment(stack, stack.replace(/[^A-Za-z0-9_.-]/g, "-").replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, ""), 63);
    const owner = `${organization}/${project}/${stack}`;
    const policyName = stackVaultFragment(stack);
    return {
        owner,
        authDescription: `Kubernetes auth for ${AUTH_OWNER_MARKER}${owner}`,
        registrySecretPath: registrySecretPath(pathPrefix, stack),
        registryPolicyName: registryPolicyName(policyName),
        cloudflaredPolicyName: cloudflaredPolicyName(policyName),
        tokenReviewerName: reviewer,
        labels: { "app.kubernetes.io/managed-by": "gitops-platform", [STACK_LABEL]: labelValue },
    };
}
