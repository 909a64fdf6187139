import * as pulumi from "@pulumi/pulumi";
import { kubernetesVaultAuth } from "../vso/vaultAuth";
import * as k8s from "@pulumi/kubernetes";
import { FORCE_APPLY_ANNOTATIONS } from "./forceApply";
import { REGISTRY_SECRET_NAME } from "./EnvironmentNamespace";
import { requireProvider } from "../requireProvider";

/** Label on a per-service ServiceAccount naming its service. */
export const SERVICE_LABEL = "gitops-platform/service";

/** Arguments of {@link ServiceIdentity}. */
export interface ServiceIdentityArgs {
    /** Service name, e.g. `api-gateway`. */
    service: string;
    /** Environment namespace (an Output ties the objects to the Namespace's creation), e.g. `poc-dev`. */
    namespace: pulumi.Input<string>;
    /** The service's ServiceAccount (k8app `serviceAccountName`). @default the service name */
    serviceAccount?: string;
    /** Name of its VaultAuth (k8app `secretsProvider.vault.authRef`). @default "vault-auth-<service>" */
    vaultAuthName?: string;
    /** The service's Vault Kubernetes auth role, e.g. `poc-dev-api-gateway`. */
    vaultRole: pulumi.Input<string>;
    /** Vault Kubernetes auth mount, e.g. `kubernetes`. */
    vaultAuthMount: pulumi.Input<string>;
    /** Audiences of the ServiceAccount token VSO requests (the Vault role's audience), e.g. `["vault"]`. */
    audiences: string[];
    /** Pull secret put in the ServiceAccount's `imagePullSecrets`. @default "regsecret" */
    pullSecretName?: string;
    /** Extra labels on the ServiceAccount, e.g. the owning stack. @default {} */
    labels?: Record<string, string>;
    /** Resources that bring the VSO CRDs (the operator's Helm release). @default [] */
    crdDependencies?: pulumi.Resource[];
}

/**
 * One service's own identity in an environment namespace (`environments.<env>.perService`): a
 * ServiceAccount `<service>` that the platform owns (with `regsecret` in its `imagePullSecrets`),
 * and a VaultAuth `vault-auth-<service>` that logs in to the service's own Vault role as that
 * ServiceAccount. The service's chart points at both (k8app: `serviceAccountName`,
 * `secretsProvider.vault.authRef`). Needs an explicit `kubernetes` provider in its resource
 * options (`{ providers: { kubernetes } }`); its children inherit it.
 */
export class ServiceIdentity extends pulumi.ComponentResource {
    /** Name of the ServiceAccount. */
    public readonly serviceAccountName: pulumi.Output<string>;
    /** Name of the VaultAuth. */
    public readonly vaultAuthName: pulumi.Output<string>;

    constructor(name: string, args: ServiceIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:kubernetes:ServiceIdentity", name, {}, opts);
        requireProvider(this, "kubernetes");
        const childOpts = { parent: this };

        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            {
                metadata: {
                    name: args.serviceAccount ?? args.service,
                    namespace: args.namespace,
                    // The platform owns this ServiceAccount: an `up` puts back what was edited by hand.
                    annotations: { ...FORCE_APPLY_ANNOTATIONS },
                    labels: { ...(args.labels ?? {}), "app.kubernetes.io/managed-by": "gitops-platform", [SERVICE_LABEL]: args.service },
                },
                imagePullSecrets: [{ name: args.pullSecretName ?? REGISTRY_SECRET_NAME }],
            },
            childOpts,
        );
        const auth = kubernetesVaultAuth(
            `${name}-vault-auth`,
            {
                metadata: {
                    name: args.vaultAuthName ?? `vault-auth-${args.service}`,
                    namespace: args.namespace,
                    annotations: { ...FORCE_APPLY_ANNOTATIONS },
                },
                mount: args.vaultAuthMount,
                role: args.vaultRole,
                serviceAccount: sa.metadata.name,
                audiences: args.audiences,
            },
            { ...childOpts, dependsOn: args.crdDependencies ?? [] },
        );
        this.serviceAccountName = sa.metadata.name;
        this.vaultAuthName = auth.metadata.name;
        this.registerOutputs({ serviceAccountName: this.serviceAccountName, vaultAuthName: this.vaultAuthName });
    }
}
