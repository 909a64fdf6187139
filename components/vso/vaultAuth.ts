import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** Arguments of {@link kubernetesVaultAuth}. */
export interface KubernetesVaultAuthArgs {
    /** The VaultAuth's metadata: name, namespace, labels, annotations. */
    metadata: k8s.types.input.meta.v1.ObjectMeta;
    /** Kubernetes auth backend path in Vault, e.g. `kubernetes`. */
    mount: pulumi.Input<string>;
    /** Vault role VSO logs in with, e.g. `poc-dev-default`. */
    role: pulumi.Input<string>;
    /** ServiceAccount (in the VaultAuth's namespace) whose token VSO requests, e.g. `default`. */
    serviceAccount: pulumi.Input<string>;
    /** Audiences of that token (the Vault role checks one), e.g. `["vault"]`. */
    audiences: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * A VSO `VaultAuth` (secrets.hashicorp.com/v1beta1) with the kubernetes method: VSO logs in to
 * Vault as `serviceAccount` with `role`. `opts` carries the parent, provider and CRD dependencies.
 */
export function kubernetesVaultAuth(name: string, args: KubernetesVaultAuthArgs, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
        name,
        {
            apiVersion: "secrets.hashicorp.com/v1beta1",
            kind: "VaultAuth",
            metadata: args.metadata,
            spec: {
                method: "kubernetes",
                mount: args.mount,
                kubernetes: { role: args.role, serviceAccount: args.serviceAccount, audiences: args.audiences },
            },
        },
        opts,
    );
}
