import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { GroupDeployToken } from "../gitlab/GroupDeployToken";
import { authKeysFor, buildDockerConfigJson, type RegistryAuth } from "./dockerConfig";
import { gitlabRegistryHost } from "./gitlabRegistryHost";

/** Registry pull credentials from a GitLab group deploy token (scope read_registry). */
export interface RegistryCredentialsGitLabArgs {
    /** GitLab host, e.g. `gitlab.com` or `gitlab.example.com`. */
    host: string;
    /** Group whose deploy token is created: full path (`my-org/platform`) or numeric id. */
    group: string;
    /** Registry host; default `registry.<host>` (`registry.gitlab.com` for gitlab.com). */
    registryHost?: string;
    /** Base URL for API calls when it is not `https://<host>` (e.g. a relative URL root). @default `https://<host>` */
    apiUrl?: string;
    /** The deploy token: name, lifetime, and how long before expiry it is replaced. */
    deployToken: { name: string; expiresInDays: number; rotateBeforeDays: number };
    /** GitLab API token (api scope, Owner of the group); secret. */
    apiToken: pulumi.Input<string>;
}

/** Fixed credentials for a registry (e.g. Docker Hub, a mirror). */
export interface StaticRegistryCredential {
    /** Registry host, e.g. `registry.example.com` or `docker.io` (Docker Hub gets both of its keys). */
    server: string;
    /** Login user. */
    username: pulumi.Input<string>;
    /** Password or token; secret. */
    password: pulumi.Input<string>;
}

export interface RegistryCredentialsArgs {
    /** Create a GitLab group deploy token for GitLab's registry. Default: none. */
    gitlab?: RegistryCredentialsGitLabArgs;
    /** Static credentials for other registries (or instead of GitLab). Default: none. */
    staticCredentials?: StaticRegistryCredential[];
    /** Vault KV v2 mount path, e.g. `secret` (an Output of the mount creates the dependency). */
    kvMount: pulumi.Input<string>;
    /** Vault path prefix; the secret is written at `<pathPrefix>/platform/registry`. */
    pathPrefix: string;
    /** Explicit Vault provider for the KV secret. */
    vaultProvider: vault.Provider;
    /** Extra dependencies of the Vault secret (e.g. the KV mount when kvMount is a plain string). Default: none. */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * One `.dockerconfigjson` with an `auths` entry per registry, kept in Vault KV v2 at
 * `<pathPrefix>/platform/registry` under the key `.dockerconfigjson` — the path every environment's
 * VaultStaticSecret reads to build `regsecret`.
 */
export class RegistryCredentials extends pulumi.ComponentResource {
    /** Vault API path of the secret: `<kvMount>/data/<pathPrefix>/platform/registry`. */
    public readonly secretPath: pulumi.Output<string>;
    /** `auths` keys in the secret (Docker Hub appears as its two keys). */
    public readonly registryHosts: pulumi.Output<string[]>;
    /** Username of the GitLab deploy token (not secret); undefined without `gitlab`. */
    public readonly tokenUsername: pulumi.Output<string | undefined>;
    /** Expiry of the current GitLab deploy token (ISO 8601); undefined without `gitlab`. */
    public readonly tokenExpiresAt: pulumi.Output<string | undefined>;
    /** KV v2 version of the written secret; changes on every write (rotation), so consumers can resync at once. */
    public readonly kvVersion: pulumi.Output<string | undefined>;

    constructor(name: string, args: RegistryCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:registry:RegistryCredentials", name, {}, opts);

        const statics = args.staticCredentials ?? [];
        if (!args.gitlab && statics.length === 0) {
            throw new Error(
                "RegistryCredentials needs at least one credential source: set gitops-platform:gitlab.deployToken " +
                    "(with the secret gitops-platform:gitlabToken) to create a GitLab deploy token, or " +
                    "gitops-platform:registry (server, username, secret password) for static credentials.",
            );
        }

        // Hosts are plain strings: check for duplicates now, before anything is registered.
        const gitlabHost = args.gitlab ? gitlabRegistryHost(args.gitlab.host, args.gitlab.registryHost) : undefined;
        const keys = [...(gitlabHost ? authKeysFor(gitlabHost) : []), ...statics.flatMap((s) => authKeysFor(s.server))];
        const dup = keys.find((k, i) => keys.indexOf(k) !== i);
        if (dup) {
            throw new Error(
                `Registry "${dup}" has credentials twice: once is enough. Remove it from gitops-platform:registry ` +
                    `or change gitops-platform:gitlab.registryHost.`,
            );
        }

        const logins: { server: string; username: pulumi.Input<string>; password: pulumi.Input<string> }[] = [];
        let token: GroupDeployToken | undefined;
        if (args.gitlab && gitlabHost) {
            token = new GroupDeployToken(
                `${name}-deploy-token`,
                {
                    host: args.gitlab.apiUrl ?? args.gitlab.host,
                    group: args.gitlab.group,
                    name: args.gitlab.deployToken.name,
                    scopes: ["read_registry"],
                    expiresInDays: args.gitlab.deployToken.expiresInDays,
                    rotateBeforeDays: args.gitlab.deployToken.rotateBeforeDays,
                    apiToken: args.gitlab.apiToken,
                },
                { parent: this },
            );
            logins.push({ server: gitlabHost, username: token.username, password: token.token });
        }
        logins.push(...statics.map((s) => ({ server: s.server, username: s.username, password: pulumi.secret(s.password) })));

        const dockerConfigJson = pulumi
            .all(logins.map((l) => pulumi.all([l.username, l.password])))
            .apply((pairs) =>
                buildDockerConfigJson(
                    pairs.map(([username, password], i): RegistryAuth => ({ server: logins[i].server, username, password })),
                ),
            );

        const secretName = `${args.pathPrefix.replace(/^\/+|\/+$/g, "")}/platform/registry`;
        // Rotation ordering: dataJson is computed from the deploy token's outputs, so the engine
        // orders this secret after the token. When the token is replaced (rotation, or a changed
        // name), the GroupDeployToken provider asks for create-before-delete: the engine creates the
        // new token, updates this secret with it (dependents are updated before the replaced
        // resource is deleted), and only then revokes the old token. Pods never see a revoked token
        // in Vault; VSO picks the new one up on its next refresh.
        const secret = new vault.kv.SecretV2(
            `${name}-vault-secret`,
            {
                mount: args.kvMount,
                name: secretName,
                dataJson: pulumi.secret(dockerConfigJson.apply((json) => JSON.stringify({ ".dockerconfigjson": json }))),
            },
            { parent: this, provider: args.vaultProvider, dependsOn: args.dependsOn },
        );

        this.secretPath = pulumi.interpolate`${args.kvMount}/data/${secretName}`;
        this.kvVersion = secret.metadata.apply((m) => (m ?? {})["version"]);
        this.registryHosts = pulumi.output(keys);
        this.tokenUsername = token ? token.username.apply((u) => u as string | undefined) : pulumi.output(undefined);
        this.tokenExpiresAt = token ? token.expiresAt.apply((e) => e as string | undefined) : pulumi.output(undefined);

        this.registerOutputs({
            secretPath: this.secretPath,
            registryHosts: this.registryHosts,
            tokenUsername: this.tokenUsername,
            tokenExpiresAt: this.tokenExpiresAt,
            kvVersion: this.kvVersion,
        });
    }
}
