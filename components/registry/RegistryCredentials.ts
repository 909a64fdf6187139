import * as pulumi from "@pulumi/pulumi";
import { GroupDeployToken } from "../gitlab/GroupDeployToken";
import { OwnedKvSecret } from "../vault/OwnedKvSecret";
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

/** Arguments of {@link RegistryCredentials}. */
export interface RegistryCredentialsArgs {
    /** Create a GitLab group deploy token for GitLab's registry. Default: none. */
    gitlab?: RegistryCredentialsGitLabArgs;
    /** Static credentials for other registries (or instead of GitLab). Default: none. */
    staticCredentials?: StaticRegistryCredential[];
    /** Vault KV v2 mount path, e.g. `secret` (an Output of the mount creates the dependency). */
    kvMount: pulumi.Input<string>;
    /** KV path (no mount, no `data/`) of the secret, e.g. `my-group/platform/stacks/dev/registry` (see vault/policies.ts). */
    secretPath: string;
    /** The stack that owns the secret, `<org>/<project>/<stack>` (custom_metadata `gitops-platform-owner`). */
    owner: string;
    /** Vault address for the secret's writer; default: `vault:address`, then VAULT_ADDR. */
    vaultAddress?: pulumi.Input<string>;
    /** Vault namespace for the secret's writer; default: `vault:namespace`, then VAULT_NAMESPACE. */
    vaultNamespace?: pulumi.Input<string>;
    /** Extra dependencies of the Vault secret (e.g. the KV mount when kvMount is a plain string). Default: none. */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * One `.dockerconfigjson` with an `auths` entry per registry, kept in Vault KV v2 at `secretPath`
 * (one per stack) under the key `.dockerconfigjson` — the path every environment's
 * VaultStaticSecret of this stack reads to build `regsecret`. The secret is an OwnedKvSecret:
 * claimed by this stack, read back on refresh, never written over another stack's.
 */
export class RegistryCredentials extends pulumi.ComponentResource {
    /** Vault API path of the secret: `<kvMount>/data/<secretPath>`. */
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

        // Rotation ordering: the secret's data is computed from the deploy token's outputs, so the
        // engine orders this secret after the token. When the token is replaced (rotation, or a changed
        // name), the GroupDeployToken provider asks for create-before-delete: the engine creates the
        // new token, updates this secret with it (dependents are updated before the replaced
        // resource is deleted), and only then revokes the old token. Pods never see a revoked token
        // in Vault; VSO picks the new one up on its next refresh.
        const secret = new OwnedKvSecret(
            `${name}-vault-secret`,
            {
                address: args.vaultAddress,
                namespace: args.vaultNamespace,
                mount: args.kvMount,
                path: args.secretPath,
                owner: args.owner,
                data: dockerConfigJson.apply((json) => ({ ".dockerconfigjson": json })),
            },
            { parent: this, dependsOn: args.dependsOn },
        );

        this.secretPath = pulumi.interpolate`${args.kvMount}/data/${args.secretPath}`;
        this.kvVersion = secret.version.apply((v) => (v === undefined || v === null ? undefined : String(v)));
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
