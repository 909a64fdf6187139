import * as pulumi from "@pulumi/pulumi";
import { kubernetesLoginRole, type LoginCheckArgs } from "./kubernetesLoginRole";
import { requireProvider } from "../requireProvider";

/** Arguments of {@link RegistryReaderRole}. */
export interface RegistryReaderRoleArgs extends LoginCheckArgs {
    /** Role name, e.g. `argocd-regsecret`. */
    roleName: string;
    /** Namespace of the ServiceAccount, e.g. `argocd`. */
    namespace: string;
    /** The one ServiceAccount that may log in, e.g. `gitops-platform-regsecret`. */
    serviceAccount: string;
    /** The policy that reads the registry credentials and nothing else (VaultPlatform's `registry-read-<stack>`). */
    registryPolicyName: pulumi.Input<string>;
}

/**
 * A Kubernetes auth role that may read the registry credentials and nothing else: bound to one
 * ServiceAccount in one namespace, with only the registry read policy. For `regsecret` outside the
 * environments (the Argo CD namespace, for Image Updater). Needs an explicit `vault` provider.
 */
export class RegistryReaderRole extends pulumi.ComponentResource {
    /** Name of the role. */
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: RegistryReaderRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:vault:RegistryReaderRole", name, {}, opts);
        requireProvider(this, "vault");
        const role = kubernetesLoginRole(
            `${name}-role`,
            {
                authMount: args.authMount,
                roleName: args.roleName,
                serviceAccounts: [args.serviceAccount],
                namespace: args.namespace,
                audience: args.audience,
                tokenTtl: args.tokenTtl,
                policies: [args.registryPolicyName],
            },
            { parent: this },
        );
        this.roleName = role.roleName;
        this.registerOutputs({ roleName: this.roleName });
    }
}
