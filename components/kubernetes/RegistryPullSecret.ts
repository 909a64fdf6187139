import * as pulumi from "@pulumi/pulumi";
import { kubernetesVaultAuth } from "../vso/vaultAuth";
import * as k8s from "@pulumi/kubernetes";
import { FORCE_APPLY_ANNOTATIONS } from "./forceApply";
import { RegistrySecretSync } from "./RegistrySecretSync";
import { requireProvider } from "../requireProvider";
import { REGISTRY_SECRET_NAME, RegistrySecretSource, registryStaticSecretSpec, registrySyncMarker } from "./registrySecretSpec";

/** Arguments of {@link RegistryPullSecret}. */
export interface RegistryPullSecretArgs {
    /** Namespace that gets `regsecret`; it must exist (e.g. `argocd`). */
    namespace: pulumi.Input<string>;
    /** Name of the ServiceAccount VSO logs in to Vault as, and of the VaultAuth, e.g. `gitops-platform-regsecret`. */
    name: string;
    /** Vault Kubernetes auth role bound to that ServiceAccount, e.g. `argocd-regsecret`. */
    vaultRole: pulumi.Input<string>;
    /** Vault Kubernetes auth mount, e.g. `kubernetes`. */
    vaultAuthMount: pulumi.Input<string>;
    /** Audiences of the ServiceAccount token VSO requests (the role's audience), e.g. `["vault"]`. */
    audiences: string[];
    /** Where `regsecret` comes from (same source as the environments'). */
    source: RegistrySecretSource;
    /** How often VSO re-reads the credentials, e.g. `1h`. */
    refreshAfter: string;
    /** Wait during `up` until VSO has synced the current source, at most this many seconds; undefined: no wait. @default undefined */
    syncTimeoutSeconds?: number;
    /** Labels on the ServiceAccount, VaultAuth and VaultStaticSecret, e.g. the owning stack. @default {} */
    labels?: Record<string, string>;
    /** Resources the objects wait for: the VSO CRDs, the namespace. @default [] */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * `regsecret` in a namespace that is not an environment (the Argo CD namespace, where Image
 * Updater reads `pullsecret:<ns>/regsecret`): a ServiceAccount no pod uses, a VaultAuth logging in
 * as it with its own role (which may read the registry credentials and nothing else), and the
 * same VaultStaticSecret as every environment's. Needs an explicit `kubernetes` provider.
 */
export class RegistryPullSecret extends pulumi.ComponentResource {
    /** Name of the synced Secret. */
    public readonly secretName: string = REGISTRY_SECRET_NAME;

    constructor(name: string, args: RegistryPullSecretArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:kubernetes:RegistryPullSecret", name, {}, opts);
        requireProvider(this, "kubernetes");
        const crOpts = { parent: this, dependsOn: args.dependsOn };
        const labels = args.labels ? { labels: args.labels } : {};

        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            {
                metadata: { name: args.name, namespace: args.namespace, ...labels, annotations: { ...FORCE_APPLY_ANNOTATIONS } },
                // Only VSO requests tokens for it (TokenRequest); no pod mounts one.
                automountServiceAccountToken: false,
            },
            crOpts,
        );
        const auth = kubernetesVaultAuth(
            `${name}-vault-auth`,
            {
                metadata: { name: args.name, namespace: args.namespace, ...labels, annotations: { ...FORCE_APPLY_ANNOTATIONS } },
                mount: args.vaultAuthMount,
                role: args.vaultRole,
                serviceAccount: sa.metadata.name,
                audiences: args.audiences,
            },
            crOpts,
        );
        const staticSecret = new k8s.apiextensions.CustomResource(
            `${name}-regsecret`,
            {
                apiVersion: "secrets.hashicorp.com/v1beta1",
                kind: "VaultStaticSecret",
                metadata: { name: REGISTRY_SECRET_NAME, namespace: args.namespace, ...labels, annotations: { ...FORCE_APPLY_ANNOTATIONS } },
                spec: registryStaticSecretSpec({ vaultAuthRef: auth.metadata.name, source: args.source, refreshAfter: args.refreshAfter }),
            },
            crOpts,
        );
        if (args.syncTimeoutSeconds !== undefined) {
            const marker = registrySyncMarker(args.source);
            new RegistrySecretSync(
                `${name}-regsecret-synced`,
                {
                    namespace: args.namespace,
                    secretName: REGISTRY_SECRET_NAME,
                    annotation: marker.annotation,
                    version: marker.value.apply((v) => v ?? ""),
                    type: "kubernetes.io/dockerconfigjson",
                    timeoutSeconds: args.syncTimeoutSeconds,
                },
                { parent: this, dependsOn: [staticSecret] },
            );
        }
        this.registerOutputs({ secretName: this.secretName });
    }
}
