import * as pulumi from "@pulumi/pulumi";
import { kubernetesVaultAuth } from "../vso/vaultAuth";
import { FORCE_APPLY_ANNOTATIONS } from "./forceApply";
import * as k8s from "@pulumi/kubernetes";
import { ServiceAccountPullSecret } from "./ServiceAccountPullSecret";
import { RegistrySecretSync } from "./RegistrySecretSync";
import { requireProvider } from "../requireProvider";
import { REGISTRY_SECRET_NAME, RegistrySecretSource, registryStaticSecretSpec, registrySyncMarker } from "./registrySecretSpec";

export { REGISTRY_SECRET_NAME, REGISTRY_VERSION_ANNOTATION, REGISTRY_SOURCE_ANNOTATION } from "./registrySecretSpec";
/** Name of the VaultAuth every environment namespace gets (k8app's `secretsProvider.vault.authRef`). */
export const VAULT_AUTH_NAME = "vault-auth";

/** Arguments of {@link EnvironmentNamespace}. */
export interface EnvironmentNamespaceArgs {
    /** Namespace name, e.g. `poc-dev`. */
    namespace: string;
    /** Environment name, recorded as a label. */
    environment: string;
    /** Vault Kubernetes auth role the namespace logs in with, e.g. `poc-dev-default`. */
    vaultRole: pulumi.Input<string>;
    /** Vault Kubernetes auth mount the namespace logs in at, e.g. `kubernetes`. */
    vaultAuthMount: pulumi.Input<string>;
    /** Audiences of the ServiceAccount token VSO requests (the Vault role's audience), e.g. `["vault"]`. */
    audiences: string[];
    /** KV v2 mount holding the registry credentials, e.g. `secret`. */
    kvMount: pulumi.Input<string>;
    /** KV path (no mount, no `data/`) of the registry credentials, e.g. `gitops-poc-dzha/platform/registry`. */
    registrySecretPath: pulumi.Input<string>;
    /**
     * KV version of the registry credentials. It is copied into the synced Secret's annotations, so
     * a new version (e.g. a rotated deploy token) changes the VaultStaticSecret and VSO re-syncs at
     * once instead of after `refreshAfter`, before the old token is revoked. @default none
     */
    registrySecretVersion?: pulumi.Input<string | undefined>;
    /**
     * The registry secret is not written by this program (`registry.vault`): `.dockerconfigjson` is
     * rendered from its REGISTRY_* fields by this VSO template, and the sync wait compares the
     * fingerprint instead of a KV version (registrySecretSpec.ts). @default undefined
     */
    registryTemplate?: { text: string; fingerprint: string };
    /**
     * Wait during `up` until VSO has synced `registrySecretVersion` into `regsecret`, at most this
     * many seconds (so a rotated token is revoked only after every namespace holds the new one);
     * undefined: do not wait. @default undefined
     */
    syncTimeoutSeconds?: number;
    /** How often VSO re-reads the registry credentials, as a duration, e.g. `1h`. */
    refreshAfter: string;
    /** ServiceAccounts whose `imagePullSecrets` get `regsecret` (those that exist), e.g. `["default", "deployer"]`. */
    serviceAccounts: string[];
    /** Extra labels on the Namespace, e.g. the owning stack (`gitops-platform/stack`). @default {} */
    labels?: Record<string, string>;
    /** Protect the Namespace against deletion/replacement, e.g. true in production. */
    protect: boolean;
    /** Resources that bring the VSO CRDs (the operator's Helm release). @default [] */
    crdDependencies?: pulumi.Resource[];
}

/**
 * One environment namespace: the Namespace, a VaultAuth `vault-auth`, a VaultStaticSecret that
 * keeps Secret `regsecret` (kubernetes.io/dockerconfigjson) in sync with Vault, and `regsecret`
 * added to the `imagePullSecrets` of the namespace's listed ServiceAccounts, next to the entries
 * other managers put there (never creating a ServiceAccount). Replaces `setup-registry-secret.sh` and the
 * platform-core namespace and VaultAuth templates. Needs an explicit `kubernetes` provider in its
 * resource options (`{ providers: { kubernetes } }`); its children inherit it.
 */
export class EnvironmentNamespace extends pulumi.ComponentResource {
    /** The namespace name (resolves after the Namespace exists). */
    public readonly namespace: pulumi.Output<string>;
    /** Name of the synced pull secret. */
    public readonly pullSecretName: string = REGISTRY_SECRET_NAME;

    constructor(name: string, args: EnvironmentNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:kubernetes:EnvironmentNamespace", name, {}, opts);
        requireProvider(this, "kubernetes");
        const childOpts = { parent: this };

        const ns = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.namespace,
                    annotations: { ...FORCE_APPLY_ANNOTATIONS },
                    labels: {
                        ...(args.labels ?? {}),
                        "app.kubernetes.io/managed-by": "gitops-platform",
                        "gitops-platform/environment": args.environment,
                    },
                },
            },
            { ...childOpts, protect: args.protect },
        );
        const namespace = ns.metadata.name;
        const crOpts = { ...childOpts, dependsOn: args.crdDependencies ?? [] };

        const auth = kubernetesVaultAuth(
            `${name}-vault-auth`,
            {
                metadata: { name: VAULT_AUTH_NAME, namespace, annotations: { ...FORCE_APPLY_ANNOTATIONS } },
                mount: args.vaultAuthMount,
                role: args.vaultRole,
                serviceAccount: "default",
                audiences: args.audiences,
            },
            crOpts,
        );

        const source: RegistrySecretSource = {
            mount: args.kvMount,
            path: args.registrySecretPath,
            version: args.registrySecretVersion,
            template: args.registryTemplate,
        };
        const staticSecret = new k8s.apiextensions.CustomResource(
            `${name}-regsecret`,
            {
                apiVersion: "secrets.hashicorp.com/v1beta1",
                kind: "VaultStaticSecret",
                metadata: { name: REGISTRY_SECRET_NAME, namespace, annotations: { ...FORCE_APPLY_ANNOTATIONS } },
                spec: registryStaticSecretSpec({ vaultAuthRef: auth.metadata.name, source, refreshAfter: args.refreshAfter }),
            },
            crOpts,
        );

        if (args.syncTimeoutSeconds !== undefined) {
            const marker = registrySyncMarker(source);
            new RegistrySecretSync(
                `${name}-regsecret-synced`,
                {
                    namespace,
                    secretName: REGISTRY_SECRET_NAME,
                    annotation: marker.annotation,
                    version: marker.value.apply((v) => v ?? ""),
                    type: "kubernetes.io/dockerconfigjson",
                    timeoutSeconds: args.syncTimeoutSeconds,
                },
                { parent: this, dependsOn: [staticSecret] },
            );
        }

        // regsecret joins each listed ServiceAccount's imagePullSecrets next to the other managers'
        // entries; a missing ServiceAccount is never created (see ServiceAccountPullSecret).
        for (const sa of args.serviceAccounts) {
            new ServiceAccountPullSecret(
                `${name}-sa-${sa}-pull-secret`,
                { namespace, serviceAccount: sa, secretName: REGISTRY_SECRET_NAME },
                {
                    parent: this,
                    // Stacks made by earlier versions hold a ServiceAccountPatch here: it is replaced, the
                    // old patch removed first (it owned the whole list), then regsecret added back.
                    aliases: [{ name: `${name}-sa-${sa}`, type: "kubernetes:core/v1:ServiceAccountPatch" }],
                    deleteBeforeReplace: true,
                },
            );
        }

        this.namespace = namespace;
        this.registerOutputs({ namespace: this.namespace, pullSecretName: this.pullSecretName });
    }
}
