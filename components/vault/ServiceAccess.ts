import * as pulumi from "@pulumi/pulumi";
import { kubernetesLoginRole, type LoginCheckArgs } from "./kubernetesLoginRole";
import * as vault from "@pulumi/vault";
import { serviceReadPolicy } from "./policies";
import { requireProvider } from "../requireProvider";

/** Arguments of {@link ServiceAccess}. */
export interface ServiceAccessArgs extends LoginCheckArgs {
    /** Service name, e.g. `api-gateway`. */
    service: string;
    /** Environment name, e.g. `dev`. */
    environment: string;
    /** Kubernetes namespace of the environment, e.g. `poc-dev`. */
    namespace: string;
    /** The service's ServiceAccount in that namespace. @default the service name */
    serviceAccount?: string;
    /** KV v2 mount path (an Output ties the policy to the mount's creation). */
    kvMount: pulumi.Input<string>;
    /** Prefix under the mount, e.g. `gitops-poc-dzha`. */
    pathPrefix: string;
    /** Policy name. @default "<namespace>-<service>-read" */
    policyName?: string;
    /** Role name. @default "<namespace>-<service>" */
    roleName?: string;
}

/**
 * One service's own Vault access in one environment (`environments.<env>.perService`): policy
 * `<ns>-<service>-read` (read `<prefix>/<service>/<env>/<name>`, nothing else) and Kubernetes auth
 * role `<ns>-<service>` bound to the service's ServiceAccount in `<ns>` only. A compromised
 * service reads its own secrets and no other service's. Needs an explicit `vault` provider in its
 * resource options (`{ providers: { vault } }`); its children inherit it.
 */
export class ServiceAccess extends pulumi.ComponentResource {
    /** Name of the policy. */
    public readonly policyName: pulumi.Output<string>;
    /** Name of the Kubernetes auth role. */
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: ServiceAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:vault:ServiceAccess", name, {}, opts);
        requireProvider(this, "vault");
        const childOpts = { parent: this };

        const policy = new vault.Policy(
            `${name}-read`,
            {
                name: args.policyName ?? `${args.namespace}-${args.service}-read`,
                policy: pulumi
                    .output(args.kvMount)
                    .apply((kvMount) =>
                        serviceReadPolicy({ kvMount, pathPrefix: args.pathPrefix, environment: args.environment, service: args.service }),
                    ),
            },
            childOpts,
        );
        const role = kubernetesLoginRole(
            `${name}-role`,
            {
                authMount: args.authMount,
                roleName: args.roleName ?? `${args.namespace}-${args.service}`,
                serviceAccounts: [args.serviceAccount ?? args.service],
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
