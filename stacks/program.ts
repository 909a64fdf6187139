/**
 * Wires the components for one validated stack config. Reads no config itself: `index.ts`
 * hands it the config and the providers, so tests can drive it with mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { EnvironmentConfig, PlatformConfig } from "./config";
import { defaultImageConstraint, previewNamespace } from "./schema";
import { Providers } from "./providers";
import { VaultPlatform } from "../components/vault/VaultPlatform";
import { EnvironmentAccess } from "../components/vault/EnvironmentAccess";
import { ServiceSecretPlaceholder, servicePlaceholderPath } from "../components/vault/ServiceSecretPlaceholder";
import { EnvironmentNamespace } from "../components/kubernetes/EnvironmentNamespace";
import { ServiceIdentity } from "../components/kubernetes/ServiceIdentity";
import { ServiceAccess } from "../components/vault/ServiceAccess";
import { VaultWriter } from "../components/vault/VaultWriter";
import { VaultSecretsOperator } from "../components/vso/VaultSecretsOperator";
import { ArgoCd } from "../components/argocd/ArgoCd";
import { ArgoCdCi } from "../components/argocd/ArgoCdCi";
import { WebhookSecret } from "../components/argocd/WebhookSecret";
import { PreviewEnvironments } from "../components/argocd/PreviewEnvironments";
import { RegistryCredentials } from "../components/registry/RegistryCredentials";
import { GroupVariable } from "../components/gitlab/GroupVariable";
import { GroupAccessToken } from "../components/gitlab/GroupAccessToken";
import { GitLabProject } from "../components/gitlab/GitLabProject";
import { durationToSeconds } from "../components/vault/duration";
import { KvSecretReader } from "../components/vault/KvSecretReader";
import { CloudflareTunnel } from "../components/cloudflare/CloudflareTunnel";
import { CloudflaredConnector } from "../components/cloudflare/CloudflaredConnector";
import { cloudflareDns01SecretPath, cloudflareTunnelSecretPath, CLOUDFLARED_NAME, CLOUDFLARED_ROLE } from "../components/cloudflare/names";
import { cloudflaredNamespace } from "./cloudflareConfig";
import { RegistryReaderRole } from "../components/vault/RegistryReaderRole";
import { RegistryPullSecret } from "../components/kubernetes/RegistryPullSecret";
import type { RegistrySecretSource } from "../components/kubernetes/registrySecretSpec";
import { ImageUpdater } from "../components/image-updater/ImageUpdater";
import { REGSECRET_SYNC_NAME, imageRegistryHost, registriesConf, regsecretRoleName } from "../components/image-updater/specs";
import { registryDockerConfigTemplate, registrySourceFingerprint } from "../components/registry/vaultSourceTemplate";
import { gitlabRegistryHost } from "../components/registry/gitlabRegistryHost";
import { isDockerHub } from "../components/registry/dockerConfig";
import type { StackIdentity } from "./stackIdentity";
import type { VaultInventory } from "../components/vault/inventory";
import { ciTokenApiUrl, webhookUrl as argocdWebhookUrlOf } from "./argocdCi";

/** What the stack exports: names and paths only, never a secret value. */
export interface PlatformOutputs {
    /** Environment name → namespace. */
    namespaces: Record<string, string>;
    /**
     * Environment name → Vault policy and role names; with `perService`, no environment policy and
     * each service's ServiceAccount, VaultAuth, policy and role.
     */
    vault: Record<string, EnvironmentAccessOutputs>;
    /** Writer name → its Vault role and policy and the KV prefix it may write (`vault.writers`). */
    writers: Record<string, { role: pulumi.Output<string>; policy: pulumi.Output<string>; prefix: string }>;
    /**
     * Full Vault API path of the registry credentials: this stack's (`<mount>/data/<prefix>/platform/stacks/<stack>/registry`),
     * or the existing secret of `registry.vault` (`<mount>/data/<path>`).
     */
    registrySecretPath: pulumi.Output<string>;
    /** Kubernetes auth mount path. */
    vaultAuthMount: pulumi.Output<string>;
    /** Argo CD namespace. */
    argocdNamespace: string;
    /** Applications the bootstrap ApplicationSet generates. */
    applications: string[];
    /** Expiry (ISO 8601) of the managed `read_registry` deploy token; absent with static registry credentials only. */
    registryTokenExpiresAt?: pulumi.Output<string | undefined>;
    /** Expiry (ISO 8601) of the managed Argo CD `read_repository` deploy token; absent without `gitlab.deployToken`. */
    repoTokenExpiresAt?: pulumi.Output<string>;
    /** Expiry (ISO 8601, or undefined when it never expires) of the CI push token (group access token, or the personal token in `ciPushToken`); absent without one. */
    ciPushTokenExpiresAt?: pulumi.Output<string | undefined>;
    /** Expiry (ISO 8601) of the Argo CD CI account's token; absent without `argocd.apiUrl`. */
    argocdCiTokenExpiresAt?: pulumi.Output<string>;
    /** Namespace every preview deploys into; absent without `previews.enabled`. */
    previewNamespace?: string;
    /** Name of the preview ApplicationSet; absent without `previews.enabled`. */
    previewApplicationSet?: string;
    /** The Cloudflare tunnel (names and paths, no token); absent without `cloudflare.enabled`. */
    cloudflareTunnel?: {
        tunnelId: pulumi.Output<string>;
        cname: pulumi.Output<string>;
        namespace: pulumi.Output<string>;
        hostnames: string[];
        tokenSecretPath: pulumi.Output<string>;
        dns01SecretPath?: pulumi.Output<string>;
    };
}

/** Full paths of the projects gitlab.manageProjects keeps: gitlab.configRepo, then each service's repo (or name), once each. */
export function managedProjectPaths(cfg: PlatformConfig): string[] {
    return [...new Set([cfg.gitlab.configRepo, ...cfg.services.map((s) => s.repo ?? s.name)].map((r) => `${cfg.gitlab.group}/${r}`))];
}

/** One environment's Vault access as the stack exports it: names only. */
export interface EnvironmentAccessOutputs {
    /** `<ns>-read`; absent with `perService`. */
    policy?: pulumi.Output<string>;
    /** `<ns>-default`. */
    role: pulumi.Output<string>;
    /** With `perService`: service name → its ServiceAccount, VaultAuth, policy and role. */
    services?: Record<string, { serviceAccount: pulumi.Output<string>; vaultAuth: pulumi.Output<string>; policy: pulumi.Output<string>; role: pulumi.Output<string> }>;
}

/**
 * Registers every resource of the platform for `cfg` and returns the stack outputs. `existing` is
 * what Vault already has at the KV and auth paths (stacks/vaultPreflight.ts), adopted as it is.
 */
export function buildPlatform(cfg: PlatformConfig, providers: Providers, id: StackIdentity, existing: VaultInventory = {}): PlatformOutputs {
    const v = cfg.vault;
    // Registry credentials that already live in Vault (registry.vault): VSO renders regsecret from
    // their REGISTRY_* fields; the stack writes no registry secret and makes no registry deploy token.
    const source = cfg.registryVault;
    const sourceTemplate = source ? registryDockerConfigTemplate(cfg.registryMirror?.server) : undefined;

    // Components get the explicit providers they need as resource options; their children inherit them.
    const platform = new VaultPlatform(
        "vault",
        {
            kvMount: v.kvMount,
            manageKvMount: v.manageKvMount,
            pathPrefix: cfg.pathPrefix,
            kubernetesAuthMount: v.kubernetesAuthMount,
            kubernetesHost: v.kubernetesHost,
            kubernetesCaCert: v.kubernetesCaCert,
            tokenReviewerNamespace: v.tokenReviewerNamespace,
            registrySecretPath: source ? source.path : id.registrySecretPath,
            registryKvMount: source?.mount,
            registryPolicyName: id.registryPolicyName,
            tokenReviewerName: id.tokenReviewerName,
            ownerLabels: id.labels,
            existingKvMount: existing.kvMount,
            existingAuthMount: existing.authMount,
            authDescription: id.authDescription,
            protect: cfg.protect,
        },
        { providers: { kubernetes: providers.kubernetes, vault: providers.vault } },
    );

    // Deploy tokens are managed when gitlab.deployToken is set (the schema then requires gitlabToken);
    // the registry's only without registry.vault.
    const deployToken = cfg.gitlab.deployToken;
    const apiToken = deployToken ? cfg.gitlabToken : undefined;
    const registryGitLab =
        deployToken && apiToken && !source
            ? {
                  host: cfg.gitlab.host,
                  apiUrl: cfg.gitlab.apiUrl,
                  group: cfg.gitlab.group,
                  registryHost: cfg.gitlab.registryHost,
                  deployToken,
                  apiToken,
              }
            : undefined;
    const mirror = cfg.registryMirror;
    const statics = [
        ...(cfg.registry ? [cfg.registry] : []),
        ...(mirror?.username !== undefined && mirror.password !== undefined ? [{ server: mirror.server, username: mirror.username, password: mirror.password }] : []),
    ];
    const registry = source
        ? undefined
        : new RegistryCredentials("registry", {
              gitlab: registryGitLab,
              staticCredentials: statics.length > 0 ? statics : undefined,
              kvMount: platform.kvMount,
              secretPath: id.registrySecretPath,
              owner: id.owner,
          });
    // Where every regsecret (environments, Argo CD namespace) comes from.
    const registrySource: RegistrySecretSource = source
        ? {
              mount: source.mount,
              path: source.path,
              template: { text: sourceTemplate!, fingerprint: registrySourceFingerprint(source.mount, source.path, sourceTemplate!) },
          }
        : { mount: platform.kvMount, path: platform.registrySecretPath, version: registry!.kvVersion };
    const syncTimeoutSeconds = cfg.vso.waitForSync ? durationToSeconds(cfg.vso.syncTimeout) : undefined;

    const vso = new VaultSecretsOperator(
        "vso",
        {
            enabled: cfg.vso.enabled,
            chartVersion: cfg.vso.chartVersion,
            chartRepo: cfg.vso.chartRepo,
            namespace: cfg.vso.namespace,
            vaultAddress: cfg.vso.vaultAddress,
            labels: id.labels,
        },
        { providers: { kubernetes: providers.kubernetes } },
    );

    const namespaces: Record<string, string> = {};
    const access: PlatformOutputs["vault"] = {};
    // The preview namespace is made like an environment named "preview" (its Vault paths are
    // <prefix>/<service>/preview/...), without Applications of the bootstrap ApplicationSet.
    const preview = cfg.previews.enabled ? previewEnvironment(cfg) : undefined;
    const previewServices = preview ? (cfg.previews.services ?? cfg.services.map((s) => s.name)) : [];
    let previewNs: pulumi.Output<string> | undefined;
    for (const env of preview ? [...cfg.environments, preview] : cfg.environments) {
        const ea = new EnvironmentAccess(
            `env-${env.name}`,
            {
                environment: env.name,
                namespace: env.namespace,
                kvMount: platform.kvMount,
                pathPrefix: cfg.pathPrefix,
                authMount: platform.authMount,
                serviceAccounts: env.serviceAccounts,
                audience: v.audience,
                tokenTtl: v.tokenTtl,
                extraPolicies: [platform.registryPolicyName],
                policyName: env.policyName,
                roleName: env.roleName,
                // perService: the environment role keeps only the registry secret (regsecret's sync).
                readAllServices: !env.perService,
            },
            { providers: { vault: providers.vault } },
        );
        const en = new EnvironmentNamespace(
            `env-${env.name}`,
            {
                namespace: env.namespace,
                environment: env.name,
                vaultRole: ea.roleName,
                vaultAuthMount: platform.authMount,
                audiences: [v.audience],
                kvMount: registrySource.mount,
                registrySecretPath: registrySource.path,
                registrySecretVersion: registrySource.version,
                registryTemplate: registrySource.template,
                refreshAfter: cfg.vso.refreshAfter,
                syncTimeoutSeconds,
                serviceAccounts: env.serviceAccounts,
                labels: id.labels,
                protect: cfg.protect,
                crdDependencies: vso.crdDependencies,
            },
            { providers: { kubernetes: providers.kubernetes } },
        );
        if (env === preview) previewNs = en.namespace;
        else namespaces[env.name] = env.namespace;
        access[env.name] = { ...(ea.policyName ? { policy: ea.policyName } : {}), role: ea.roleName };

        // perService: each service its own ServiceAccount, Vault role and policy (its own secrets
        // only) and VaultAuth. '.' cannot occur in an environment or service name: no two pairs share a name.
        if (env.perService) {
            const services: NonNullable<EnvironmentAccessOutputs["services"]> = {};
            for (const s of env.services) {
                const logical = `svc-${env.name}.${s.service}`;
                const sa = new ServiceAccess(
                    logical,
                    {
                        service: s.service,
                        environment: env.name,
                        namespace: env.namespace,
                        serviceAccount: s.serviceAccount,
                        kvMount: platform.kvMount,
                        pathPrefix: cfg.pathPrefix,
                        authMount: platform.authMount,
                        audience: v.audience,
                        tokenTtl: v.tokenTtl,
                        policyName: s.policyName,
                        roleName: s.roleName,
                    },
                    { providers: { vault: providers.vault } },
                );
                const si = new ServiceIdentity(
                    logical,
                    {
                        service: s.service,
                        namespace: en.namespace,
                        serviceAccount: s.serviceAccount,
                        vaultAuthName: s.vaultAuthName,
                        vaultRole: sa.roleName,
                        vaultAuthMount: platform.authMount,
                        audiences: [v.audience],
                        labels: id.labels,
                        crdDependencies: vso.crdDependencies,
                    },
                    { providers: { kubernetes: providers.kubernetes } },
                );
                services[s.service] = { serviceAccount: si.serviceAccountName, vaultAuth: si.vaultAuthName, policy: sa.policyName, role: sa.roleName };
            }
            access[env.name].services = services;
        }

        // One placeholder per service, created only where the path is empty (the seed's bootstrap
        // Job did the same), so each VaultStaticSecret syncs from the first deploy. Dynamic
        // resources take no provider: the Vault token comes from vault:token. Never deleted.
        if (v.servicePlaceholders) {
            for (const s of cfg.services.filter((s) => env !== preview || previewServices.includes(s.name))) {
                new ServiceSecretPlaceholder(`secret-placeholder-${s.name}-${env.name}`, {
                    mount: platform.kvMount,
                    path: servicePlaceholderPath(cfg.pathPrefix, s.name, env.name),
                });
            }
        }
    }

    // The seed's "create the GitLab group and repositories" (gitlab.manageProjects): gitops-config and
    // every service's project exist under the group, so adding a service is one entry in the stack
    // file. Created when missing, adopted when present, never deleted (retainOnDelete).
    const projects: GitLabProject[] = [];
    if (cfg.gitlab.manageProjects && cfg.gitlabToken) {
        pulumi.log.info(
            `gitlab.manageProjects: the projects ${managedProjectPaths(cfg).join(", ")} are created when missing and adopted ` +
                `when present; this stack never deletes a GitLab project (not on destroy, not when a service leaves the config: retainOnDelete)`,
        );
        for (const path of managedProjectPaths(cfg)) {
            projects.push(
                new GitLabProject(`gitlab-project-${path.slice(cfg.gitlab.group.length + 1).replace(/[^A-Za-z0-9_.-]/g, "-")}`, {
                    host: cfg.gitlab.apiUrl ?? cfg.gitlab.host,
                    path,
                    apiToken: cfg.gitlabToken,
                    configKey: path === `${cfg.gitlab.group}/${cfg.gitlab.configRepo}` ? "gitops-platform:gitlab.configRepo" : "gitops-platform:services",
                }),
            );
        }
    }

    // Other operators that write into Vault (the seed's vault-sync-operator), each under its own prefix.
    const writers: PlatformOutputs["writers"] = {};
    for (const w of cfg.writers) {
        const vw = new VaultWriter(
            `writer-${w.name}`,
            {
                writer: w.name,
                namespace: w.namespace,
                serviceAccount: w.serviceAccount,
                kvMount: platform.kvMount,
                prefix: w.prefix,
                read: w.read,
                authMount: platform.authMount,
                audience: v.audience,
                tokenTtl: v.tokenTtl,
                policyName: w.policyName,
                roleName: w.roleName,
            },
            { providers: { vault: providers.vault } },
        );
        writers[w.name] = { role: vw.roleName, policy: vw.policyName, prefix: w.prefix };
    }

    // Argo CD reads the service repos with a read_repository deploy token when GitLab tokens are
    // managed, otherwise with the configured user and secret token.
    const repoDeployToken =
        deployToken && apiToken
            ? {
                  host: cfg.gitlab.apiUrl ?? cfg.gitlab.host,
                  group: cfg.gitlab.group,
                  apiToken,
                  name: `${deployToken.name}-argocd`,
                  expiresInDays: deployToken.expiresInDays,
                  rotateBeforeDays: deployToken.rotateBeforeDays,
              }
            : undefined;
    const repoPrefix = `https://${cfg.gitlab.host}/${cfg.gitlab.group}`;
    const iu = cfg.imageUpdater;
    const imageUpdated = iu.enabled ? iu.images.flatMap((i) => cfg.environments.map((e) => `${i.service}-${e.name}`)) : [];
    const project = cfg.argocd.project ?? cfg.namespacePrefix;
    const ciAccount = cfg.argocd.ciAccount;
    // The GitLab webhook secret exists before Argo CD's values (argocd-secret webhook.gitlab.secret)
    // and the push hooks: only when GitLab can reach Argo CD (argocd.url).
    const webhookUrl = argocdWebhookUrlOf(cfg);
    const webhookSecret = webhookUrl ? new WebhookSecret("argocd-webhook-secret", { length: 32 }) : undefined;
    const argocd = new ArgoCd(
        "argocd",
        {
            enabled: cfg.argocd.enabled,
            chartVersion: cfg.argocd.chartVersion,
            chartRepo: cfg.argocd.chartRepo,
            namespace: cfg.argocd.namespace,
            repoPrefix,
            repoDeployToken,
            repoUsername: repoDeployToken ? undefined : cfg.argocd.repoUsername,
            repoPassword: repoDeployToken ? undefined : cfg.argocdRepoToken,
            project,
            environments: cfg.environments.map((e) => ({ name: e.name, namespace: e.namespace })),
            previewNamespace: preview?.namespace,
            services: cfg.services.map((s) => ({
                name: s.name,
                repoURL: `${repoPrefix}/${s.repo ?? s.name}.git`,
                syncWave: s.syncWave,
            })),
            appChart: cfg.argocd.appChart,
            targetRevision: cfg.argocd.targetRevision,
            labels: id.labels,
            ciAccount: ciAccount.enabled ? { name: ciAccount.name } : undefined,
            gitlabWebhookSecret: webhookSecret?.value,
            imageUpdatedApplications: imageUpdated,
        },
        { providers: { kubernetes: providers.kubernetes } },
    );

    // Preview environments: an ApplicationSet with GitLab pull-request generators, its token via
    // Vault and VSO, a quota on the preview namespace.
    const previews =
        preview && previewNs && cfg.previewsGitlabToken !== undefined
            ? new PreviewEnvironments(
                  "previews",
                  {
                      namespace: previewNs,
                      namespaceName: preview.namespace,
                      argocdNamespace: cfg.argocd.namespace,
                      project,
                      services: cfg.services
                          .filter((s) => previewServices.includes(s.name))
                          .map((s) => ({
                              name: s.name,
                              gitlabProject: `${cfg.gitlab.group}/${s.repo ?? s.name}`,
                              repoURL: `${repoPrefix}/${s.repo ?? s.name}.git`,
                          })),
                      appChart: cfg.argocd.appChart,
                      gitlabApi: cfg.gitlab.apiUrl ?? `https://${cfg.gitlab.host}`,
                      label: cfg.previews.label,
                      valuesFile: cfg.previews.valuesFile,
                      imageTagParameter: cfg.previews.imageTagParameter,
                      host: cfg.previews.host,
                      requeueAfterSeconds: cfg.previews.requeueAfterSeconds,
                      maxPreviews: cfg.previews.maxPreviews,
                      gitlabToken: pulumi.secret(cfg.previewsGitlabToken),
                      kvMount: platform.kvMount,
                      pathPrefix: cfg.pathPrefix,
                      stack: cfg.stack,
                      owner: id.owner,
                      authMount: platform.authMount,
                      audience: v.audience,
                      tokenTtl: v.tokenTtl,
                      refreshAfter: cfg.vso.refreshAfter,
                      labels: id.labels,
                      crdDependencies: [argocd, ...vso.crdDependencies],
                  },
                  { providers: { kubernetes: providers.kubernetes, vault: providers.vault } },
              )
            : undefined;

    // Argo CD Image Updater (issue 11.1): regsecret in the Argo CD namespace through its own role (the
    // registry policy only), the updater's release and one ImageUpdater per image.
    if (iu.enabled) {
        const argocdNamespace = cfg.argocd.namespace;
        const role = new RegistryReaderRole(
            "image-updater-regsecret",
            {
                authMount: platform.authMount,
                roleName: regsecretRoleName(argocdNamespace),
                namespace: argocdNamespace,
                serviceAccount: REGSECRET_SYNC_NAME,
                audience: v.audience,
                tokenTtl: v.tokenTtl,
                registryPolicyName: platform.registryPolicyName,
            },
            { providers: { vault: providers.vault } },
        );
        new RegistryPullSecret(
            "image-updater-regsecret",
            {
                namespace: argocdNamespace,
                name: REGSECRET_SYNC_NAME,
                vaultRole: role.roleName,
                vaultAuthMount: platform.authMount,
                audiences: [v.audience],
                source: registrySource,
                refreshAfter: cfg.vso.refreshAfter,
                syncTimeoutSeconds,
                labels: id.labels,
                dependsOn: [...vso.crdDependencies, ...argocd.installDependencies],
            },
            { providers: { kubernetes: providers.kubernetes } },
        );
        const gitlabRegistry = gitlabRegistryHost(cfg.gitlab.host, cfg.gitlab.registryHost);
        // Hosts regsecret holds a login for, as far as the stack knows; with registry.vault the
        // REGISTRY_URL host is unknown here: every image host but Docker Hub is taken for it.
        const authenticated = source
            ? [...(mirror ? [mirror.server] : []), ...iu.images.map((i) => imageRegistryHost(i.image)).filter((h) => !isDockerHub(h))]
            : [...(registryGitLab ? [gitlabRegistry] : []), ...statics.map((s) => s.server)];
        new ImageUpdater(
            "image-updater",
            {
                namespace: argocdNamespace,
                install: iu.install,
                chartVersion: iu.chartVersion,
                chartRepo: iu.chartRepo,
                registries: registriesConf({ namespace: argocdNamespace, gitlabRegistry, authenticated }),
                project,
                images: iu.images,
                environments: cfg.environments.map((e) => ({ name: e.name, constraint: e.imageConstraint })),
                labels: id.labels,
                dependsOn: argocd.installDependencies,
            },
            { providers: { kubernetes: providers.kubernetes } },
        );
    }

    // Argo CD for CI (issue 13.3): the CI account's token through Argo CD's API when pulumi up reaches
    // it (argocd.apiUrl), in Vault and the group variables ARGOCD_SERVER / ARGOCD_AUTH_TOKEN; the
    // webhook secret in Vault and push hooks on the gitops-config and service repos (argocd.url).
    const ciGitLab = cfg.gitlabToken ? { host: cfg.gitlab.apiUrl ?? cfg.gitlab.host, group: cfg.gitlab.group, apiToken: cfg.gitlabToken } : undefined;
    const ciApiUrl = ciTokenApiUrl(cfg);
    const argocdCi =
        ciApiUrl !== undefined || webhookSecret
            ? new ArgoCdCi("argocd-ci", {
                  kvMount: platform.kvMount,
                  pathPrefix: cfg.pathPrefix,
                  stack: cfg.stack,
                  owner: id.owner,
                  gitlab: ciGitLab,
                  token:
                      ciApiUrl !== undefined && cfg.argocdAdminPassword !== undefined
                          ? {
                                apiUrl: ciApiUrl,
                                account: ciAccount.name,
                                username: cfg.argocd.apiUsername,
                                password: pulumi.secret(cfg.argocdAdminPassword),
                                expiresInDays: ciAccount.tokenExpiresInDays,
                                rotateBeforeDays: ciAccount.rotateBeforeDays,
                                serverUrl: cfg.argocd.url ?? ciApiUrl,
                            }
                          : undefined,
                  webhook:
                      webhookSecret && webhookUrl
                          ? {
                                secret: webhookSecret.value,
                                url: webhookUrl,
                                projects: [cfg.gitlab.configRepo, ...cfg.services.map((s) => s.repo ?? s.name)].map((r) => `${cfg.gitlab.group}/${r}`),
                                sslVerification: cfg.argocd.webhook.sslVerification,
                            }
                          : undefined,
                  dependsOn: [argocd],
                  projects,
              })
            : undefined;

    // The seed's CI_PUSH_TOKEN, a group CI/CD variable CI pushes `.cicd/*.yaml` back with: masked, not
    // protected (every branch), not expanded. Either a group access token the stack creates and
    // rotates (gitlab.ciPushToken.mode groupAccessToken: create-before-delete, the variable updated
    // before the old token is revoked), or the personal access token in the secret ciPushToken, whose
    // expiry is read through GitLab with the token itself. Both write the same variable resource, so
    // switching modes updates the variable instead of deleting it.
    const pushMode = cfg.gitlab.ciPushToken?.mode ?? (cfg.ciPushToken !== undefined ? "personalAccessToken" : undefined);
    const pushVariable = (value: pulumi.Input<string>, personal: boolean) =>
        new GroupVariable("gitlab-ci-push-token", {
            host: cfg.gitlab.apiUrl ?? cfg.gitlab.host,
            group: cfg.gitlab.group,
            key: cfg.gitlab.ciPushTokenVariable,
            value: pulumi.secret(value),
            masked: true,
            protected: false,
            raw: true,
            apiToken: cfg.gitlabToken!,
            readTokenExpiry: personal,
            valueConfigKey: personal ? "gitops-platform:ciPushToken" : "gitops-platform:gitlab.ciPushToken",
        });
    let ciPushTokenExpiresAt: pulumi.Output<string | undefined> | undefined;
    const push = cfg.gitlab.ciPushToken;
    if (pushMode === "groupAccessToken" && push && cfg.gitlabToken) {
        const gat = new GroupAccessToken("gitlab-ci-push-access-token", {
            host: cfg.gitlab.apiUrl ?? cfg.gitlab.host,
            group: cfg.gitlab.group,
            name: push.name,
            scopes: push.scopes,
            accessLevel: push.accessLevel,
            expiresInDays: push.expiresInDays,
            rotateBeforeDays: push.rotateBeforeDays,
            apiToken: cfg.gitlabToken,
        });
        pushVariable(gat.token, false);
        ciPushTokenExpiresAt = gat.expiresAt;
    } else if (pushMode === "personalAccessToken" && cfg.ciPushToken !== undefined && cfg.gitlabToken) {
        ciPushTokenExpiresAt = pushVariable(cfg.ciPushToken, true).tokenExpiresAt.apply((t) => t ?? undefined);
    }

    const cloudflareTunnel = cfg.cloudflare.enabled ? buildCloudflare(cfg, providers, id, platform, vso) : undefined;

    return {
        namespaces,
        vault: access,
        writers,
        registrySecretPath: registry ? registry.secretPath : pulumi.output(`${source!.mount}/data/${source!.path}`),
        vaultAuthMount: platform.authMount,
        argocdNamespace: argocd.namespace,
        applications: argocd.applicationNames,
        registryTokenExpiresAt: registryGitLab && registry ? registry.tokenExpiresAt : undefined,
        repoTokenExpiresAt: argocd.repoTokenExpiresAt,
        ciPushTokenExpiresAt,
        argocdCiTokenExpiresAt: argocdCi?.tokenExpiresAt,
        previewNamespace: preview?.namespace,
        previewApplicationSet: previews?.applicationSetName,
        cloudflareTunnel,
    };
}

/**
 * The Cloudflare tunnel (`cloudflare.enabled`): the tunnel, its routes and DNS records with the
 * connector token in Vault; the connector's Vault access (read that one secret); the connector in
 * its namespace, fed by VSO. The schema has checked that account, zone, name and routes are set,
 * and config.ts that `cloudflare:apiToken` is.
 */
function buildCloudflare(
    cfg: PlatformConfig,
    providers: Providers,
    id: StackIdentity,
    platform: VaultPlatform,
    vso: VaultSecretsOperator,
): NonNullable<PlatformOutputs["cloudflareTunnel"]> {
    const cf = cfg.cloudflare;
    if (!providers.cloudflare || !cf.accountId || !cf.zoneId || !cf.tunnelName) {
        throw new Error("cloudflare.enabled without a cloudflare provider, accountId, zoneId or tunnelName: the config validation should have stopped the run");
    }
    const namespace = cloudflaredNamespace(cfg.namespacePrefix, cf);
    const tokenSecretPath = cloudflareTunnelSecretPath(cfg.pathPrefix, cfg.stack);
    const dns01SecretPath = cf.dns01Token ? cloudflareDns01SecretPath(cfg.pathPrefix, cfg.stack) : undefined;
    const tunnel = new CloudflareTunnel(
        "cloudflare",
        {
            accountId: cf.accountId,
            zoneId: cf.zoneId,
            tunnelName: cf.tunnelName,
            routes: cf.routes,
            kvMount: platform.kvMount,
            tokenSecretPath,
            owner: id.owner,
            dns01: dns01SecretPath ? { tokenName: `gitops-platform-${cfg.stack}-dns01`, secretPath: dns01SecretPath } : undefined,
            protect: cfg.protect,
        },
        { providers: { cloudflare: providers.cloudflare } },
    );
    const reader = new KvSecretReader(
        "cloudflared-vault",
        {
            kvMount: platform.kvMount,
            secretPath: tokenSecretPath,
            purpose: `read access to the Cloudflare tunnel "${cf.tunnelName}" connector token, for ${namespace}/${CLOUDFLARED_NAME} only.`,
            policyName: id.cloudflaredPolicyName,
            authMount: platform.authMount,
            roleName: CLOUDFLARED_ROLE,
            serviceAccount: CLOUDFLARED_NAME,
            namespace,
            audience: cfg.vault.audience,
            tokenTtl: cfg.vault.tokenTtl,
        },
        { providers: { vault: providers.vault } },
    );
    const connector = new CloudflaredConnector(
        "cloudflared",
        {
            namespace,
            image: cf.image,
            replicas: cf.replicas,
            vaultAuthMount: platform.authMount,
            vaultRole: reader.roleName,
            audiences: [cfg.vault.audience],
            kvMount: platform.kvMount,
            tokenSecretPath,
            tokenSecretVersion: tunnel.tokenSecretVersion,
            refreshAfter: cfg.vso.refreshAfter,
            labels: id.labels,
            protect: cfg.protect,
            crdDependencies: vso.crdDependencies,
        },
        { providers: { kubernetes: providers.kubernetes } },
    );
    const kvPath = (p: string) => platform.kvMount.apply((m) => `${m}/data/${p}`);
    return {
        tunnelId: tunnel.tunnelId,
        cname: tunnel.cname,
        namespace: connector.namespace,
        hostnames: cf.routes.map((r) => r.hostname),
        tokenSecretPath: kvPath(tokenSecretPath),
        dns01SecretPath: dns01SecretPath ? kvPath(dns01SecretPath) : undefined,
    };
}

/** The preview namespace as an environment named `preview` (policy `<ns>-read` on `<prefix>/+/preview/+`, role `<ns>-default`). */
function previewEnvironment(cfg: PlatformConfig): EnvironmentConfig {
    const namespace = previewNamespace(cfg);
    // imageConstraint: unused (Image Updater moves the environments' Applications, not the previews').
    return {
        name: "preview",
        namespace,
        serviceAccounts: ["default"],
        policyName: `${namespace}-read`,
        roleName: `${namespace}-default`,
        imageConstraint: defaultImageConstraint("preview"),
        perService: false,
        services: [],
    };
}
