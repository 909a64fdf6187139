import * as pulumi from "@pulumi/pulumi";
import { kubernetesLoginRole } from "./kubernetesLoginRole";
import * as vault from "@pulumi/vault";
import { environmentReadPolicy } from "./policies";
import { requireProvider } from "../requireProvider";

/** Arguments of {@link EnvironmentAccess}. */
export interface EnvironmentAccessArgs {
    /** Environment name, e.g. `dev`. */
    environment: string;
    /** Kubernetes namespace of the environment, e.g. `poc-dev`. */
    namespace: string;
    /** KV v2 mount path (an Output ties the policy to the mount's creation). */
    kvMount: pulumi.Input<string>;
    /** Prefix under the mount, e.g. `gitops-poc-dzha`. */
    pathPrefix: string;
    /** Kubernetes auth backend path (an Output ties the role to the backend's configuration). */
    authMount: pulumi.Input<string>;
    /** ServiceAccounts of the namespace that may log in, e.g. `["default", "deployer"]`. */
    serviceAccounts: string[];
    /** Audience the login JWT must carry, e.g. `vault`. */
    audience: string;
    /** Token TTL as a duration, e.g. `1h` or `1h30m`. */
    tokenTtl: string;
    /** Extra policies attached to the role, e.g. the registry read policy. @default [] */
    extraPolicies?: pulumi.Input<string>[];
    /** Policy name. @default "<namespace>-read" */
    policyName?: string;
    /**
     * Whether the role reads every service's secrets of the environment (policy `policyName`).
     * False with per-service identities (`environments.<env>.perService`): no such policy is
     * created and the role carries only `extraPolicies` (the registry secret). @default true
     */
    readAllServices?: boolean;
    /** Role name. @default "<namespace>-default" */
    roleName?: string;
}

/**
 * Per-environment Vault access: policy `<ns>-read` (one-segment `+` globs on the environment's
 * secrets) and Kubernetes auth role `<ns>-default` bound to the namespace's ServiceAccounts only
 * (with `readAllServices: false`, no policy: the role carries only `extraPolicies`).
 * Replaces `setup-vault-secrets.sh` and the platform-core bootstrap Job. Needs an explicit `vault`
 * provider in its resource options (`{ providers: { vault } }`); its children inherit it.
 */
export class EnvironmentAccess extends pulumi.ComponentResource {
    /** Name of the policy; undefined when `readAllServices` is false (no policy). */
    public readonly policyName: pulumi.Output<string> | undefined;
    /** Name of the Kubernetes auth role. */
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: EnvironmentAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:vault:EnvironmentAccess", name, {}, opts);
        requireProvider(this, "vault");
        const childOpts = { parent: this };

        const policy =
            args.readAllServices === false
                ? undefined
                : new vault.Policy(
                      `${name}-read`,
                      {
                          name: args.policyName ?? `${args.namespace}-read`,
                          policy: pulumi
                              .output(args.kvMount)
                              .apply((kvMount) => environmentReadPolicy({ kvMount, pathPrefix: args.pathPrefix, environment: args.environment })),
                      },
                      childOpts,
                  );
        const role = kubernetesLoginRole(
            `${name}-role`,
            {
                authMount: args.authMount,
                roleName: args.roleName ?? `${args.namespace}-default`,
                serviceAccounts: args.serviceAccounts,
                namespace: args.namespace,
                audience: args.audience,
                tokenTtl: args.tokenTtl,
                policies: [...(policy ? [policy.name] : []), ...(args.extraPolicies ?? [])],
            },
            childOpts,
        );
        this.policyName = policy?.name;
        this.roleName = role.roleName;
        this.registerOutputs({ policyName: this.policyName, roleName: this.roleName });
    }
}
