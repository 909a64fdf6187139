import * as pulumi from "@pulumi/pulumi";
import { kubernetesLoginRole, type LoginCheckArgs } from "./kubernetesLoginRole";
import * as vault from "@pulumi/vault";
import { kvSecretReadPolicy } from "./policies";
import { requireProvider } from "../requireProvider";

/** Arguments of {@link KvSecretReader}. */
export interface KvSecretReaderArgs extends LoginCheckArgs {
    /** KV v2 mount path (an Output ties the policy to the mount's creation). */
    kvMount: pulumi.Input<string>;
    /** KV path (no mount, no `data/`) of the one secret, e.g. `<prefix>/platform/stacks/dev/cloudflare-tunnel`. */
    secretPath: string;
    /** What the secret is for, written as the policy's comment. */
    purpose: string;
    /** Policy name, e.g. `cloudflared-read-dev`. */
    policyName: string;
    /** Role name, e.g. `cloudflared`. */
    roleName: string;
    /** The one ServiceAccount that may log in, e.g. `cloudflared`. */
    serviceAccount: string;
    /** Its namespace, e.g. `poc-cloudflared`. */
    namespace: string;
}

/**
 * Read access to one KV v2 secret for one workload: a policy that reads `<mount>/data/<path>` and
 * nothing else, and a Kubernetes auth role bound to exactly one ServiceAccount in one namespace
 * with only that policy. Needs an explicit `vault` provider in its resource options
 * (`{ providers: { vault } }`); its children inherit it.
 */
export class KvSecretReader extends pulumi.ComponentResource {
    /** Name of the policy. */
    public readonly policyName: pulumi.Output<string>;
    /** Name of the Kubernetes auth role. */
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: KvSecretReaderArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:vault:KvSecretReader", name, {}, opts);
        requireProvider(this, "vault");
        const child = { parent: this };

        const policy = new vault.Policy(
            `${name}-policy`,
            { name: args.policyName, policy: pulumi.output(args.kvMount).apply((m) => kvSecretReadPolicy(m, args.secretPath, args.purpose)) },
            child,
        );
        const role = kubernetesLoginRole(
            `${name}-role`,
            {
                authMount: args.authMount,
                roleName: args.roleName,
                serviceAccounts: [args.serviceAccount],
                namespace: args.namespace,
                audience: args.audience,
                tokenTtl: args.tokenTtl,
                policies: [policy.name],
            },
            child,
        );
        this.policyName = policy.name;
        this.roleName = role.roleName;
        this.registerOutputs({ policyName: this.policyName, roleName: this.roleName });
    }
}
