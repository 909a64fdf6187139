import * as pulumi from "@pulumi/pulumi";
import { FORCE_APPLY_ANNOTATIONS } from "../kubernetes/forceApply";
import * as k8s from "@pulumi/kubernetes";
import { pinnedRelease } from "../kubernetes/pinnedRelease";
import { requireProvider } from "../requireProvider";

/** Name of the default VaultConnection (the one every VaultAuth without `vaultConnectionRef` uses). */
export const DEFAULT_CONNECTION_NAME = "default";

/**
 * The objects {@link VaultSecretsOperator} applies into the operator namespace (which another
 * stack's may share): the default VaultConnection. Same shape as the Argo CD component's
 * `AppliedObjectRef` (components/argocd/ArgoCd.ts).
 */
export function vsoAppliedObjects(namespace: string): { apiVersion: string; kind: string; plural: string; namespace: string; name: string }[] {
    return [{ apiVersion: "secrets.hashicorp.com/v1beta1", kind: "VaultConnection", plural: "vaultconnections", namespace, name: DEFAULT_CONNECTION_NAME }];
}

/** Arguments of {@link VaultSecretsOperator}. */
export interface VaultSecretsOperatorArgs {
    /** Install the operator with Helm: true, or false when it is already installed. */
    enabled: boolean;
    /** Pinned `vault-secrets-operator` chart version, e.g. `1.4.1`. */
    chartVersion: string;
    /** Helm repository of the chart, e.g. `https://helm.releases.hashicorp.com`. */
    chartRepo: string;
    /** Operator namespace (also where the default VaultConnection lives), e.g. `vault-secrets-operator-system`. */
    namespace: string;
    /** Vault address as the operator reaches it. */
    vaultAddress: pulumi.Input<string>;
    /** Labels on the default VaultConnection, e.g. the owning stack (`app.kubernetes.io/managed-by`, `gitops-platform/stack`). @default {} */
    labels?: Record<string, string>;
}

/**
 * The Vault Secrets Operator: its Helm release (when enabled) and the default VaultConnection
 * every VaultAuth without an explicit connection uses. Needs an explicit `kubernetes` provider in
 * its resource options (`{ providers: { kubernetes } }`); its children inherit it.
 */
export class VaultSecretsOperator extends pulumi.ComponentResource {
    /** Resources the VSO custom resources must wait for (the release that brings the CRDs). */
    public readonly crdDependencies: pulumi.Resource[];
    /** Operator namespace. */
    public readonly namespace: string;

    constructor(name: string, args: VaultSecretsOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:vso:VaultSecretsOperator", name, {}, opts);
        requireProvider(this, "kubernetes");
        const namespace = args.namespace;
        const childOpts = { parent: this };

        this.crdDependencies = [];
        if (args.enabled) {
            const release = pinnedRelease(
                `${name}-release`,
                {
                    releaseName: "vault-secrets-operator",
                    chart: "vault-secrets-operator",
                    version: args.chartVersion,
                    repo: args.chartRepo,
                    namespace,
                    values: {
                        // The VaultConnection is managed below, so it stays under Pulumi's control.
                        defaultVaultConnection: { enabled: false },
                        // Helm never upgrades CRDs from crds/; the chart's hook does.
                        hooks: { upgradeCRDs: { enabled: true } },
                    },
                },
                childOpts,
            );
            this.crdDependencies.push(release);
        }

        new k8s.apiextensions.CustomResource(
            `${name}-default-connection`,
            {
                apiVersion: "secrets.hashicorp.com/v1beta1",
                kind: "VaultConnection",
                metadata: {
                    name: DEFAULT_CONNECTION_NAME,
                    namespace,
                    ...(args.labels ? { labels: args.labels } : {}),
                    annotations: { ...FORCE_APPLY_ANNOTATIONS },
                },
                spec: { address: args.vaultAddress, skipTLSVerify: false },
            },
            { ...childOpts, dependsOn: this.crdDependencies },
        );
        this.namespace = namespace;
        this.registerOutputs({ namespace });
    }
}
