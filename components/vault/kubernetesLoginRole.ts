import type * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { durationToSeconds } from "./duration";

/** How a workload's Vault role checks its login: the auth backend, the JWT audience, the token TTL. */
export interface LoginCheckArgs {
    /** Kubernetes auth backend path (an Output ties the role to the backend's configuration). */
    authMount: pulumi.Input<string>;
    /** Audience the login JWT must carry, e.g. `vault`. */
    audience: string;
    /** Token TTL as a duration, e.g. `1h`. */
    tokenTtl: string;
}

/** Arguments of {@link kubernetesLoginRole}. */
export interface KubernetesLoginRoleArgs {
    /** Kubernetes auth backend path (an Output ties the role to the backend's configuration). */
    authMount: pulumi.Input<string>;
    /** Role name, e.g. `poc-dev-default`. */
    roleName: pulumi.Input<string>;
    /** The ServiceAccounts that may log in, e.g. `["default"]`. */
    serviceAccounts: pulumi.Input<pulumi.Input<string>[]>;
    /** Their one namespace, e.g. `poc-dev`. */
    namespace: pulumi.Input<string>;
    /** Audience the login JWT must carry, e.g. `vault`. */
    audience: pulumi.Input<string>;
    /** Token TTL as a duration, e.g. `1h`. */
    tokenTtl: string;
    /** The only policies its tokens get. */
    policies: pulumi.Input<string>[];
}

/**
 * A Kubernetes auth role as every workload of this program gets one: only the named
 * ServiceAccounts of one namespace log in, the JWT audience is checked, and the token carries only
 * the given policies for `tokenTtl`. `opts` carries the parent (and with it the `vault` provider).
 */
export function kubernetesLoginRole(
    name: string,
    args: KubernetesLoginRoleArgs,
    opts: pulumi.CustomResourceOptions,
): vault.kubernetes.AuthBackendRole {
    return new vault.kubernetes.AuthBackendRole(
        name,
        {
            backend: args.authMount,
            roleName: args.roleName,
            boundServiceAccountNames: args.serviceAccounts,
            boundServiceAccountNamespaces: [args.namespace],
            audience: args.audience,
            tokenPolicies: args.policies,
            tokenTtl: durationToSeconds(args.tokenTtl),
        },
        opts,
    );
}
