import * as pulumi from "@pulumi/pulumi";
import { FORCE_APPLY_ANNOTATIONS } from "../kubernetes/forceApply";
import * as k8s from "@pulumi/kubernetes";
import { pinnedRelease } from "../kubernetes/pinnedRelease";
import { requireProvider } from "../requireProvider";
import { GroupDeployToken, GroupDeployTokenArgs } from "../gitlab/GroupDeployToken";
import { ciAccountValues, ciPolicyLines, accountConfigKey, ACCOUNT_CAPABILITIES } from "./ciAccount";
import { AppChartSpec, EnvironmentSpec, ServiceSpec, appProjectSpec, applicationSetSpec, rolloutStrategy } from "./specs";

/** Name of the repo-creds Secret in the Argo CD namespace. */
export const REPO_CREDS_SECRET_NAME = "gitlab-repo-creds";

/** Name of the bootstrap ApplicationSet of AppProject `project`: `<project>-services`. */
export function applicationSetName(project: string): string {
    return `${project}-services`;
}

/** A namespaced object a component applies, as the API server names it (what the cluster preflight reads). */
export interface AppliedObjectRef {
    /** `v1` for core objects, else `<group>/<version>`. */
    apiVersion: string;
    /** Kind, e.g. `AppProject`. */
    kind: string;
    /** Resource name in the API path, e.g. `appprojects`. */
    plural: string;
    /** Namespace. */
    namespace: string;
    /** Object name. */
    name: string;
}

/**
 * The objects {@link ArgoCd} applies into the Argo CD namespace (which another stack's Argo CD
 * objects may share): the repo-creds Secret, the AppProject `project` and its ApplicationSet.
 */
export function argoCdAppliedObjects(namespace: string, project: string): AppliedObjectRef[] {
    return [
        { apiVersion: "v1", kind: "Secret", plural: "secrets", namespace, name: REPO_CREDS_SECRET_NAME },
        { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", plural: "appprojects", namespace, name: project },
        { apiVersion: "argoproj.io/v1alpha1", kind: "ApplicationSet", plural: "applicationsets", namespace, name: applicationSetName(project) },
    ];
}

/** Arguments of {@link ArgoCd}. */
export interface ArgoCdArgs {
    /** Install Argo CD with Helm: true, or false when it is already installed. */
    enabled: boolean;
    /** Pinned `argo-cd` chart version, e.g. `10.1.1`. */
    chartVersion: string;
    /** Helm repository of the chart, e.g. `https://argoproj.github.io/argo-helm`. */
    chartRepo: string;
    /** Argo CD namespace, e.g. `argocd`. */
    namespace: string;
    /** Repository URL prefix the repo-creds apply to, e.g. `https://gitlab.com/gitops-poc-dzha`. */
    repoPrefix: string;
    /**
     * Read the repos with a GitLab group deploy token (scope `read_repository`) this component
     * manages: its name, lifetime and API token. Otherwise `repoUsername` and `repoPassword`. @default none
     */
    repoDeployToken?: Omit<GroupDeployTokenArgs, "scopes">;
    /** Git user name for the repo-creds without `repoDeployToken`. */
    repoUsername?: pulumi.Input<string>;
    /** Git password/token for the repo-creds without `repoDeployToken` (secret). */
    repoPassword?: pulumi.Input<string>;
    /** AppProject name. */
    project: string;
    /** Environments the project may deploy to. */
    environments: EnvironmentSpec[];
    /** Namespace of the merge request previews, which the project may deploy to too. @default none */
    previewNamespace?: string;
    /** Services, one Application per service × environment; may be empty. */
    services: ServiceSpec[];
    /** Chart the services are rendered with. */
    appChart: AppChartSpec;
    /** Git revision of the service repos' `.cicd/` values, e.g. `HEAD` or `main`. */
    targetRevision: string;
    /**
     * Labels on the repo-creds Secret, the AppProject and the ApplicationSet, e.g. the owning stack
     * (`app.kubernetes.io/managed-by`, `gitops-platform/stack`). @default {}
     */
    labels?: Record<string, string>;
    /**
     * Local account for CI, e.g. `{ name: "ci-readonly" }`: `accounts.<name>: apiKey` in argocd-cm and a
     * read-only role limited to `project` in argocd-rbac-cm (Helm values; with `enabled: false` a
     * warning says what to set). @default none
     */
    ciAccount?: { name: string };
    /**
     * Applications whose image Argo CD Image Updater moves (write-back `argocd`): the ApplicationSet
     * leaves their chart source's Helm parameters alone. @default []
     */
    imageUpdatedApplications?: string[];
    /** Secret GitLab webhooks send (argocd-secret `webhook.gitlab.secret`, chart `configs.secret.gitlabSecret`). @default none */
    gitlabWebhookSecret?: pulumi.Input<string>;
}

/**
 * Argo CD: the Helm release (when enabled), a repo-creds Secret for the GitLab group, an
 * AppProject restricted to the group's repos and the stack's namespaces, and the bootstrap
 * ApplicationSet. Replaces `setup-pull-based.sh` and the gitops-config bootstrap app. Needs an
 * explicit `kubernetes` provider in its resource options (`{ providers: { kubernetes } }`); its
 * children inherit it.
 */
export class ArgoCd extends pulumi.ComponentResource {
    /** Argo CD namespace. */
    public readonly namespace: string;
    /** Name of the ApplicationSet. */
    public readonly applicationSetName: string;
    /** Names of the Applications the ApplicationSet generates. */
    public readonly applicationNames: string[];
    /** When the managed `read_repository` deploy token expires (ISO 8601, not secret); undefined without `repoDeployToken`. */
    public readonly repoTokenExpiresAt: pulumi.Output<string> | undefined;
    /** What objects in the Argo CD namespace wait for: the Helm release (namespace, CRDs) when enabled, else nothing. */
    public readonly installDependencies: pulumi.Resource[];

    constructor(name: string, args: ArgoCdArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:argocd:ArgoCd", name, {}, opts);
        requireProvider(this, "kubernetes");
        const namespace = args.namespace;
        const childOpts = { parent: this };
        const services = args.services;
        const labels = args.labels ?? {};
        // Absent rather than empty without labels: objects of earlier versions show no diff.
        const crLabels = args.labels ? { labels } : {};

        const crdDependencies: pulumi.Resource[] = [];
        // A rollout order (services with different syncWave) needs the controller's progressive syncs.
        const ordered = rolloutStrategy(args.services.map((s) => s.syncWave)) !== undefined;
        if (ordered && !args.enabled) {
            pulumi.log.warn(
                `services have different syncWave values: the rollout order needs the ApplicationSet controller's progressive syncs ` +
                    `(argocd-cmd-params-cm: applicationsetcontroller.enable.progressive.syncs: "true"); Argo CD is installed outside this ` +
                    `stack (gitops-platform:argocd.enabled false), so set it there, or the ApplicationSet's RollingSync strategy is ignored.`,
                this,
            );
        }
        if (!args.enabled && args.ciAccount) {
            pulumi.log.warn(
                `Argo CD is installed outside this stack (gitops-platform:argocd.enabled false): for the CI account set ` +
                    `argocd-cm "${accountConfigKey(args.ciAccount.name)}: ${ACCOUNT_CAPABILITIES}" and add to argocd-rbac-cm policy.csv: ` +
                    ciPolicyLines({ name: args.ciAccount.name, project: args.project }).join(" / "),
                this,
            );
        }
        if (!args.enabled && args.gitlabWebhookSecret !== undefined) {
            pulumi.log.warn(
                `Argo CD is installed outside this stack (gitops-platform:argocd.enabled false): set argocd-secret "webhook.gitlab.secret" ` +
                    `to the webhook secret the stack keeps in Vault, or Argo CD rejects the GitLab push hooks.`,
                this,
            );
        }
        // configs.* values: progressive syncs, the CI account, the GitLab webhook secret.
        const configs: Record<string, unknown> = {};
        if (ordered) configs.params = { "applicationsetcontroller.enable.progressive.syncs": true };
        if (args.ciAccount) {
            const ci = ciAccountValues({ name: args.ciAccount.name, project: args.project });
            configs.cm = ci.cm;
            configs.rbac = ci.rbac;
        }
        if (args.gitlabWebhookSecret !== undefined) configs.secret = { gitlabSecret: pulumi.secret(args.gitlabWebhookSecret) };
        if (args.enabled) {
            crdDependencies.push(
                pinnedRelease(
                    `${name}-release`,
                    {
                        releaseName: "argocd",
                        chart: "argo-cd",
                        version: args.chartVersion,
                        repo: args.chartRepo,
                        namespace,
                        // CRDs stay when the release is removed: deleting them would delete every Application.
                        values: {
                            crds: { install: true, keep: true },
                            // RollingSync (services[].syncWave) is ignored unless the controller enables progressive syncs;
                            // the CI account (argocd-cm, argocd-rbac-cm) and the GitLab webhook secret (argocd-secret).
                            ...(Object.keys(configs).length > 0 ? { configs } : {}),
                        },
                    },
                    childOpts,
                ),
            );
        }
        const crOpts = { ...childOpts, dependsOn: crdDependencies };
        this.installDependencies = crdDependencies;

        let repoUsername = args.repoUsername;
        let repoPassword = args.repoPassword;
        let repoTokenExpiresAt: pulumi.Output<string> | undefined;
        if (args.repoDeployToken) {
            const token = new GroupDeployToken(
                `${name}-repo-token`,
                { ...args.repoDeployToken, scopes: ["read_repository"] },
                // Earlier versions registered it at the top level: the alias keeps that token.
                { parent: this, aliases: [{ parent: pulumi.rootStackResource }] },
            );
            repoUsername = token.username;
            repoPassword = token.token;
            repoTokenExpiresAt = token.expiresAt;
        }
        if (repoUsername === undefined || repoPassword === undefined) {
            throw new Error("ArgoCd needs repoDeployToken, or repoUsername and repoPassword, for the repo-creds Secret");
        }

        new k8s.core.v1.Secret(
            `${name}-repo-creds`,
            {
                metadata: {
                    name: REPO_CREDS_SECRET_NAME,
                    namespace,
                    // Argo CD finds repo-creds by this label: the caller's labels never replace it.
                    labels: { ...labels, "argocd.argoproj.io/secret-type": "repo-creds" },
                    annotations: { ...FORCE_APPLY_ANNOTATIONS },
                },
                type: "Opaque",
                stringData: {
                    type: "git",
                    url: args.repoPrefix,
                    username: repoUsername,
                    password: pulumi.secret(repoPassword),
                },
            },
            crOpts,
        );

        new k8s.apiextensions.CustomResource(
            `${name}-project`,
            {
                apiVersion: "argoproj.io/v1alpha1",
                kind: "AppProject",
                metadata: { name: args.project, namespace, ...crLabels, annotations: { ...FORCE_APPLY_ANNOTATIONS } },
                spec: appProjectSpec({
                    description: `gitops-platform services (${args.environments.map((e) => e.name).join(", ")})`,
                    repoPrefix: args.repoPrefix,
                    appChart: args.appChart,
                    namespaces: [...args.environments.map((e) => e.namespace), ...(args.previewNamespace ? [args.previewNamespace] : [])],
                }),
            },
            crOpts,
        );

        this.applicationSetName = applicationSetName(args.project);
        new k8s.apiextensions.CustomResource(
            `${name}-applicationset`,
            {
                apiVersion: "argoproj.io/v1alpha1",
                kind: "ApplicationSet",
                metadata: { name: this.applicationSetName, namespace, ...crLabels, annotations: { ...FORCE_APPLY_ANNOTATIONS } },
                spec: applicationSetSpec({
                    project: args.project,
                    services,
                    environments: args.environments,
                    appChart: args.appChart,
                    targetRevision: args.targetRevision,
                    imageUpdatedApplications: args.imageUpdatedApplications,
                }),
            },
            crOpts,
        );

        this.namespace = namespace;
        this.applicationNames = services.flatMap((s) => args.environments.map((e) => `${s.name}-${e.name}`));
        this.repoTokenExpiresAt = repoTokenExpiresAt;
        this.registerOutputs({
            namespace,
            applicationSetName: this.applicationSetName,
            applicationNames: this.applicationNames,
            repoTokenExpiresAt: this.repoTokenExpiresAt,
        });
    }
}
