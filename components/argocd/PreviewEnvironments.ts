import * as pulumi from "@pulumi/pulumi";
import { kubernetesVaultAuth } from "../vso/vaultAuth";
import { kubernetesLoginRole } from "../vault/kubernetesLoginRole";
import * as k8s from "@pulumi/kubernetes";
import * as vault from "@pulumi/vault";
import { FORCE_APPLY_ANNOTATIONS } from "../kubernetes/forceApply";
import { requireProvider } from "../requireProvider";
import { OwnedKvSecret } from "../vault/OwnedKvSecret";
import { AppChartSpec } from "./specs";
import type { AppliedObjectRef } from "./ArgoCd";
import {
    PREVIEW_TOKEN_KEY,
    PreviewServiceSpec,
    SCM_CREDS_LABEL,
    previewApplicationSetName,
    previewApplicationSetSpec,
} from "./previewSpecs";

/** `<prefix>/platform/stacks/<stack>/previews-scm`: KV path of the preview generator's GitLab token. */
export function previewTokenSecretPath(pathPrefix: string, stack: string): string {
    return `${pathPrefix}/platform/stacks/${stack}/previews-scm`;
}

/**
 * `<preview namespace>-scm`: name of the ServiceAccount, VaultAuth and synced Secret in the Argo CD
 * namespace, and of the Vault role, that carry the generator's token (one per stack, as the preview
 * namespace is).
 */
export function previewScmName(previewNamespace: string): string {
    return `${previewNamespace}-scm`;
}

/**
 * The objects {@link PreviewEnvironments} applies into the Argo CD namespace (which another stack's
 * may share): the preview ApplicationSet and the token's VaultStaticSecret, VaultAuth and ServiceAccount.
 */
export function previewAppliedObjects(argocdNamespace: string, project: string, previewNamespace: string): AppliedObjectRef[] {
    const scm = previewScmName(previewNamespace);
    return [
        { apiVersion: "argoproj.io/v1alpha1", kind: "ApplicationSet", plural: "applicationsets", namespace: argocdNamespace, name: previewApplicationSetName(project) },
        { apiVersion: "secrets.hashicorp.com/v1beta1", kind: "VaultStaticSecret", plural: "vaultstaticsecrets", namespace: argocdNamespace, name: scm },
        { apiVersion: "secrets.hashicorp.com/v1beta1", kind: "VaultAuth", plural: "vaultauths", namespace: argocdNamespace, name: scm },
    ];
}

/** Read access to the preview generator's token, nothing else. */
export function previewTokenReadPolicy(kvMount: string, secretPath: string): string {
    return [
        `# gitops-platform: read access to the GitLab token (read_api) of the preview ApplicationSet.`,
        `path "${kvMount}/data/${secretPath}" {`,
        `  capabilities = ["read"]`,
        `}`,
        ``,
    ].join("\n");
}

/** Arguments of {@link PreviewEnvironments}. */
export interface PreviewEnvironmentsArgs {
    /** The preview namespace (an Output of the Namespace orders the quota after it), e.g. `poc-preview`. */
    namespace: pulumi.Input<string>;
    /** Its name as known at registration, e.g. `poc-preview`. */
    namespaceName: string;
    /** Argo CD namespace (the ApplicationSet, the token's Secret). */
    argocdNamespace: string;
    /** AppProject of the Applications (must list the preview namespace). */
    project: string;
    /** Services with previews. */
    services: PreviewServiceSpec[];
    /** Chart the services are rendered with. */
    appChart: AppChartSpec;
    /** GitLab root URL the generator calls, e.g. `https://gitlab.com`. */
    gitlabApi: string;
    /** Merge request label that asks for a preview. */
    label: string;
    /** Preview values file in the service repo, e.g. `.cicd/preview.yaml`. */
    valuesFile: string;
    /** Helm parameter receiving the image tag. */
    imageTagParameter: string;
    /** Host pattern and its Helm parameter. @default none */
    host?: { pattern: string; parameter: string };
    /** Generator requeue interval (seconds). */
    requeueAfterSeconds: number;
    /** Cap on concurrent previews per service (ResourceQuota on Deployments). */
    maxPreviews: number;
    /** GitLab token (read_api) of the generator; secret. */
    gitlabToken: pulumi.Input<string>;
    /** Vault KV v2 mount (an Output orders the token after the mount). */
    kvMount: pulumi.Input<string>;
    /** Vault path prefix. */
    pathPrefix: string;
    /** Stack name (the token's KV path is per stack). */
    stack: string;
    /** Owning stack `<org>/<project>/<stack>` (OwnedKvSecret custom_metadata). */
    owner: string;
    /** Kubernetes auth mount. */
    authMount: pulumi.Input<string>;
    /** Audience of the login JWT, e.g. `vault`. */
    audience: string;
    /** Vault token TTL as a duration. */
    tokenTtl: string;
    /** How often VSO re-reads the token, as a duration. */
    refreshAfter: string;
    /** Labels on the objects in the Argo CD namespace (owning stack). @default {} */
    labels?: Record<string, string>;
    /** Resources bringing the Argo CD and VSO CRDs (Helm releases). @default [] */
    crdDependencies?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Preview environments: one Application `<service>-mr-<iid>` per open merge request labelled
 * `label` of each service repo, deployed into the one preview namespace (which the caller makes
 * like an environment: `regsecret`, VaultAuth, a role limited to `<prefix>/+/preview/+`). This
 * component adds the ApplicationSet with GitLab pull-request generators, the generator's GitLab
 * token (Vault, then synced by VSO into the Argo CD namespace as a `scm-creds` Secret; never in
 * clear in the state), and a ResourceQuota capping the previews' Deployments. Needs explicit
 * `kubernetes` and `vault` providers in its resource options; its children inherit them.
 */
export class PreviewEnvironments extends pulumi.ComponentResource {
    /** Name of the preview ApplicationSet. */
    public readonly applicationSetName: string;
    /** Name of the Secret (Argo CD namespace) holding the generator's token. */
    public readonly tokenSecretName: string;
    /** KV path (no mount) of the generator's token. */
    public readonly tokenSecretPath: string;

    constructor(name: string, args: PreviewEnvironmentsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:argocd:PreviewEnvironments", name, {}, opts);
        requireProvider(this, "kubernetes");
        requireProvider(this, "vault");
        const childOpts = { parent: this };
        const labels = { ...(args.labels ?? {}), "app.kubernetes.io/managed-by": "gitops-platform" };
        const scmName = previewScmName(args.namespaceName);
        const crOpts = { ...childOpts, dependsOn: args.crdDependencies ?? [] };

        // Cap: every preview of a service runs its chart's Deployment; more than maxPreviews per
        // service are refused by the API server (the Application shows the quota error).
        new k8s.core.v1.ResourceQuota(
            `${name}-quota`,
            {
                metadata: { name: "previews", namespace: args.namespace, labels, annotations: { ...FORCE_APPLY_ANNOTATIONS } },
                spec: { hard: { "count/deployments.apps": String(args.maxPreviews * args.services.length) } },
            },
            childOpts,
        );

        // The generator's token: Vault, then VSO → Secret <ns>-scm in the Argo CD namespace.
        this.tokenSecretPath = previewTokenSecretPath(args.pathPrefix, args.stack);
        const token = new OwnedKvSecret(
            `${name}-token`,
            {
                mount: args.kvMount,
                path: this.tokenSecretPath,
                owner: args.owner,
                data: { [PREVIEW_TOKEN_KEY]: pulumi.secret(args.gitlabToken) },
            },
            { parent: this },
        );
        const policy = new vault.Policy(
            `${name}-token-read`,
            {
                name: `${scmName}-read`,
                policy: pulumi.output(args.kvMount).apply((m) => previewTokenReadPolicy(m, this.tokenSecretPath)),
            },
            childOpts,
        );
        const role = kubernetesLoginRole(
            `${name}-token-role`,
            {
                authMount: args.authMount,
                roleName: scmName,
                serviceAccounts: [scmName],
                namespace: args.argocdNamespace,
                audience: args.audience,
                tokenTtl: args.tokenTtl,
                policies: [policy.name],
            },
            childOpts,
        );
        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-token-sa`,
            { metadata: { name: scmName, namespace: args.argocdNamespace, labels, annotations: { ...FORCE_APPLY_ANNOTATIONS } } },
            childOpts,
        );
        const auth = kubernetesVaultAuth(
            `${name}-token-auth`,
            {
                metadata: { name: scmName, namespace: args.argocdNamespace, labels, annotations: { ...FORCE_APPLY_ANNOTATIONS } },
                mount: args.authMount,
                role: role.roleName,
                serviceAccount: sa.metadata.name,
                audiences: [args.audience],
            },
            crOpts,
        );
        this.tokenSecretName = scmName;
        new k8s.apiextensions.CustomResource(
            `${name}-token-secret`,
            {
                apiVersion: "secrets.hashicorp.com/v1beta1",
                kind: "VaultStaticSecret",
                metadata: { name: scmName, namespace: args.argocdNamespace, labels, annotations: { ...FORCE_APPLY_ANNOTATIONS } },
                spec: {
                    vaultAuthRef: auth.metadata.name,
                    type: "kv-v2",
                    mount: args.kvMount,
                    path: token.path,
                    refreshAfter: args.refreshAfter,
                    destination: {
                        name: scmName,
                        create: true,
                        type: "Opaque",
                        // The ApplicationSet controller reads a tokenRef Secret only with this label.
                        labels: { ...SCM_CREDS_LABEL },
                        transformation: { excludeRaw: true },
                    },
                },
            },
            crOpts,
        );

        this.applicationSetName = previewApplicationSetName(args.project);
        new k8s.apiextensions.CustomResource(
            `${name}-applicationset`,
            {
                apiVersion: "argoproj.io/v1alpha1",
                kind: "ApplicationSet",
                metadata: { name: this.applicationSetName, namespace: args.argocdNamespace, labels, annotations: { ...FORCE_APPLY_ANNOTATIONS } },
                spec: previewApplicationSetSpec({
                    project: args.project,
                    services: args.services,
                    namespace: args.namespaceName,
                    appChart: args.appChart,
                    gitlabApi: args.gitlabApi,
                    tokenSecretName: scmName,
                    label: args.label,
                    valuesFile: args.valuesFile,
                    imageTagParameter: args.imageTagParameter,
                    host: args.host,
                    requeueAfterSeconds: args.requeueAfterSeconds,
                }),
            },
            crOpts,
        );

        this.registerOutputs({
            applicationSetName: this.applicationSetName,
            tokenSecretName: this.tokenSecretName,
            tokenSecretPath: this.tokenSecretPath,
        });
    }
}
