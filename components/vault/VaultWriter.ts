import * as pulumi from "@pulumi/pulumi";
import { kubernetesLoginRole, type LoginCheckArgs } from "./kubernetesLoginRole";
import * as vault from "@pulumi/vault";
import { writerPolicy } from "./policies";
import { requireProvider } from "../requireProvider";

/** Arguments of {@link VaultWriter}. */
export interface VaultWriterArgs extends LoginCheckArgs {
    /** Writer name, e.g. `vault-sync-operator`. */
    writer: string;
    /** Namespace of the writer's ServiceAccount, e.g. `vault-sync-operator-system`. */
    namespace: string;
    /** The writer's ServiceAccount, e.g. `vault-sync-operator-controller-manager`. */
    serviceAccount: string;
    /** KV v2 mount path (an Output ties the policy to the mount's creation). */
    kvMount: pulumi.Input<string>;
    /** Prefix under the mount the writer owns, e.g. `k8s-sync/dev` (never the platform's own prefix). */
    prefix: string;
    /** Also grant `read` there. @default false */
    read?: boolean;
    /** Policy name, per stack, e.g. `vault-sync-operator-write-dev`. */
    policyName: string;
    /** Role name, per stack, e.g. `vault-sync-operator-dev`. */
    roleName: string;
}

/**
 * Vault access for another operator that writes into Vault (the seed's Kubernetes→Vault
 * vault-sync-operator and its setup-vault.sh): a policy that creates, updates, deletes and lists
 * under `<mount>/{data,metadata}/<prefix>/` only, and a Kubernetes auth role bound to the
 * operator's ServiceAccount and namespace. Needs an explicit `vault` provider in its resource
 * options (`{ providers: { vault } }`); its children inherit it.
 */
export class VaultWriter extends pulumi.ComponentResource {
    /** Name of the policy. */
    public readonly policyName: pulumi.Output<string>;
    /** Name of the Kubernetes auth role. */
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: VaultWriterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:vault:VaultWriter", name, {}, opts);
        requireProvider(this, "vault");
        const childOpts = { parent: this };

        // The policy pack (policy/rules/vaultPolicyLeastPrivilege.ts) recognises a writer's policy
        // by this logical name under this component.
        const policy = new vault.Policy(
            `${name}-write`,
            {
                name: args.policyName,
                policy: pulumi
                    .output(args.kvMount)
                    .apply((kvMount) => writerPolicy({ kvMount, prefix: args.prefix, writer: args.writer, read: args.read })),
            },
            childOpts,
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
            childOpts,
        );
        this.policyName = policy.name;
        this.roleName = role.roleName;
        this.registerOutputs({ policyName: this.policyName, roleName: this.roleName });
    }
}
