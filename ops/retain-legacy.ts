/**
 * One-time upgrade step for stacks created before per-stack registry secrets (docs/ownership.md):
 * marks the old shared objects in the stack's state `retainOnDelete`, so that the next `pulumi up`
 * drops them from the state without deleting them in Vault (the other stacks still read them
 * until they are upgraded too):
 *   - the shared registry secret (`vault:kv/secretV2:SecretV2` `registry-vault-secret`,
 *     `<prefix>/platform/registry`), which the new version replaces by the stack's own;
 *   - the shared policy `registry-read` (`vault:index/policy:Policy` `vault-registry-read`), which
 *     the new version replaces by `registry-read-<stack>`;
 *   - with --shared-cluster, the old token reviewer ServiceAccount, Secret and ClusterRoleBinding
 *     (`vault-token-reviewer`), for stacks that share one cluster.
 * Usage (in the project directory, with the stack's backend logged in):
 *   npm run upgrade:retain-legacy -- --stack dev [--shared-cluster]
 * Idempotent; prints what it marked. Uses the Automation API (the `pulumi` CLI must be on PATH).
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";

/** A resource of the exported state, as far as this step reads it. */
interface StateResource {
    urn: string;
    type: string;
    retainOnDelete?: boolean;
}

/** Whether `r` is one of the old shared objects to keep in Vault (and, with `sharedCluster`, in the cluster). */
export function isLegacyShared(r: StateResource, sharedCluster: boolean): boolean {
    if (r.type === "vault:kv/secretV2:SecretV2" && r.urn.endsWith("::registry-vault-secret")) return true;
    if (r.type === "vault:index/policy:Policy" && r.urn.endsWith("::vault-registry-read")) return true;
    const reviewerChild = /gitops-platform:kubernetes:TokenReviewer\$kubernetes:(core\/v1:ServiceAccount|core\/v1:Secret|rbac\.authorization\.k8s\.io\/v1:ClusterRoleBinding)::/;
    return sharedCluster && reviewerChild.test(r.urn);
}

async function main(argv: string[]): Promise<void> {
    const i = argv.indexOf("--stack");
    const stackName = i >= 0 ? argv[i + 1] : undefined;
    if (!stackName) {
        throw new Error("usage: npm run upgrade:retain-legacy -- --stack <stack> [--shared-cluster]");
    }
    const sharedCluster = argv.includes("--shared-cluster");
    const stack = await LocalWorkspace.selectStack({ stackName, workDir: process.cwd() });
    const state = await stack.exportStack();
    const resources: StateResource[] = (state.deployment as { resources?: StateResource[] }).resources ?? [];
    const marked = resources.filter((r) => isLegacyShared(r, sharedCluster));
    for (const r of marked) r.retainOnDelete = true;
    if (marked.length > 0) await stack.importStack(state);
    for (const r of marked) console.log(`retainOnDelete: ${r.urn}`);
    console.log(
        marked.length === 0
            ? `stack ${stackName}: no legacy shared object in the state (already upgraded, or created by this version)`
            : `stack ${stackName}: ${marked.length} object(s) will be left in place by the next pulumi up`,
    );
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((e) => {
        console.error(e instanceof Error ? e.message : String(e));
        process.exit(1);
    });
}
