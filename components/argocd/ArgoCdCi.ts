import * as pulumi from "@pulumi/pulumi";
import type { WebhookSecret } from "./WebhookSecret";
import { AccountToken } from "./AccountToken";
import { OwnedKvSecret } from "../vault/OwnedKvSecret";
import { GroupVariable } from "../gitlab/GroupVariable";
import { ProjectHook } from "../gitlab/ProjectHook";

/** `<prefix>/platform/stacks/<stack>/argocd-ci`: KV path of the CI account's token. */
export function argocdCiSecretPath(pathPrefix: string, stack: string): string {
    return `${pathPrefix}/platform/stacks/${stack}/argocd-ci`;
}

/** `<prefix>/platform/stacks/<stack>/argocd-webhook`: KV path of the GitLab webhook secret. */
export function argocdWebhookSecretPath(pathPrefix: string, stack: string): string {
    return `${pathPrefix}/platform/stacks/${stack}/argocd-webhook`;
}

/**
 * The value of ARGOCD_SERVER: what the argocd CLI takes as `--server` (host and port, no scheme,
 * no path), from the public URL (or the API URL). A path is not part of it: see {@link argocdGrpcWebRootPath}.
 */
export function argocdServerAddress(url: string): string {
    return new URL(url).host;
}

/**
 * The path Argo CD is served under (`https://host/argocd` → `/argocd`; none for `/`), which the
 * argocd CLI takes as `--grpc-web-root-path` (Argo CD's ingress docs, path-based routing:
 * `argocd login <host>:<port> --grpc-web-root-path /argo-cd`); `--server` takes only host:port.
 */
export function argocdGrpcWebRootPath(url: string): string | undefined {
    const p = new URL(url).pathname.replace(/\/+$/, "");
    return p === "" ? undefined : p;
}

/**
 * The value of the group variable ARGOCD_OPTS (options the argocd CLI reads from the environment)
 * for a URL with a path: `--grpc-web-root-path <path>`; undefined without a path (no variable).
 */
export function argocdCliOptions(url: string): string | undefined {
    const root = argocdGrpcWebRootPath(url);
    return root === undefined ? undefined : `--grpc-web-root-path ${root}`;
}

/** `<url>/api/webhook`: where GitLab sends push events for Argo CD. */
export function argocdWebhookUrl(url: string): string {
    return `${url.replace(/\/+$/, "")}/api/webhook`;
}

/** GitLab side of {@link ArgoCdCi}: where the CI variables and the push hooks go. */
export interface ArgoCdCiGitLabArgs {
    /** GitLab host or API base URL. */
    host: string;
    /** Group whose CI/CD variables get ARGOCD_SERVER and ARGOCD_AUTH_TOKEN. */
    group: string;
    /** GitLab API token (api scope, group Owner); secret. */
    apiToken: pulumi.Input<string>;
}

/** Arguments of {@link ArgoCdCi}. */
export interface ArgoCdCiArgs {
    /** Vault KV v2 mount (an Output of the mount orders the secrets after it). */
    kvMount: pulumi.Input<string>;
    /** Vault path prefix, e.g. the GitLab group. */
    pathPrefix: string;
    /** Stack name (the KV paths are per stack). */
    stack: string;
    /** Owning stack `<org>/<project>/<stack>` (OwnedKvSecret custom_metadata). */
    owner: string;
    /** GitLab group and API token (variables, hooks); none: neither is managed. */
    gitlab?: ArgoCdCiGitLabArgs;
    /**
     * Make the CI account's token through Argo CD's API (`argocd.apiUrl` set), keep it in Vault and the
     * group variables ARGOCD_SERVER / ARGOCD_AUTH_TOKEN. @default none (no token)
     */
    token?: {
        apiUrl: string;
        account: string;
        username: string;
        password: pulumi.Input<string>;
        expiresInDays: number;
        rotateBeforeDays: number;
        /** ARGOCD_SERVER's (and, with a path, ARGOCD_OPTS') source: the public URL, else `apiUrl`. */
        serverUrl: string;
    };
    /** A webhook secret (in Vault) and, with `hooks`, GitLab push hooks to `<url>/api/webhook`. @default none */
    webhook?: {
        /** The webhook secret (a {@link WebhookSecret}'s value, also given to ArgoCd); secret. */
        secret: pulumi.Input<string>;
        /** Public Argo CD URL. */
        url: string;
        /** Project paths (`group/repo`) that get a push hook. */
        projects: string[];
        /** GitLab verifies Argo CD's certificate. */
        sslVerification: boolean;
    };
    /** Resources the Argo CD API calls need first (e.g. the Helm release that sets the account). @default none */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
    /** The GitLab projects the push hooks go on, when the stack creates them (gitlab.manageProjects): the hooks wait for them. @default none */
    projects?: pulumi.Resource[];
}

/**
 * Argo CD for CI and webhooks (issue 13.3): the CI account's token (rotated before expiry) in Vault
 * and in the GitLab group variables, and the GitLab webhook secret in Vault with push hooks on the
 * repositories. The Helm values (account, RBAC role, `webhook.gitlab.secret`) are ArgoCd's; the
 * webhook secret is a {@link WebhookSecret} made before both.
 */
export class ArgoCdCi extends pulumi.ComponentResource {
    /** When the CI token expires (ISO 8601, not secret); undefined without `token`. */
    public readonly tokenExpiresAt: pulumi.Output<string> | undefined;

    constructor(name: string, args: ArgoCdCiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:argocd:ArgoCdCi", name, {}, opts);
        const child = { parent: this };

        if (args.webhook) {
            const webhookSecret = pulumi.secret(args.webhook.secret);
            new OwnedKvSecret(
                `${name}-webhook-vault-secret`,
                {
                    mount: args.kvMount,
                    path: argocdWebhookSecretPath(args.pathPrefix, args.stack),
                    owner: args.owner,
                    data: { "webhook.gitlab.secret": webhookSecret },
                },
                child,
            );
            if (args.gitlab) {
                const hookUrl = argocdWebhookUrl(args.webhook.url);
                for (const project of args.webhook.projects) {
                    new ProjectHook(
                        `${name}-hook-${project.replace(/[^A-Za-z0-9_.-]/g, "-")}`,
                        {
                            host: args.gitlab.host,
                            project,
                            url: hookUrl,
                            token: webhookSecret,
                            enableSslVerification: args.webhook.sslVerification,
                            apiToken: args.gitlab.apiToken,
                        },
                        { ...child, dependsOn: args.projects },
                    );
                }
            }
        }

        let tokenExpiresAt: pulumi.Output<string> | undefined;
        if (args.token) {
            const t = args.token;
            // Create-before-delete: on rotation the new token is made, the Vault secret and the GitLab
            // variable (which read `token.token`) are updated, and only then the old token is deleted.
            const token = new AccountToken(
                `${name}-token`,
                {
                    apiUrl: t.apiUrl,
                    account: t.account,
                    username: t.username,
                    password: t.password,
                    expiresInDays: t.expiresInDays,
                    rotateBeforeDays: t.rotateBeforeDays,
                },
                { ...child, dependsOn: args.dependsOn },
            );
            const server = argocdServerAddress(t.serverUrl);
            const rootPath = argocdGrpcWebRootPath(t.serverUrl);
            const cliOptions = argocdCliOptions(t.serverUrl);
            new OwnedKvSecret(
                `${name}-token-vault-secret`,
                {
                    mount: args.kvMount,
                    path: argocdCiSecretPath(args.pathPrefix, args.stack),
                    owner: args.owner,
                    data: { token: pulumi.secret(token.token), server, account: t.account, ...(rootPath ? { grpcWebRootPath: rootPath } : {}) },
                },
                child,
            );
            if (args.gitlab) {
                new GroupVariable(
                    `${name}-server-variable`,
                    { host: args.gitlab.host, group: args.gitlab.group, key: "ARGOCD_SERVER", value: server, masked: false, protected: false, raw: true, apiToken: args.gitlab.apiToken },
                    child,
                );
                // Argo CD under a path (https://host/argocd): the CLI needs --grpc-web-root-path, which it
                // reads from ARGOCD_OPTS; ARGOCD_SERVER stays host[:port].
                if (cliOptions !== undefined) {
                    new GroupVariable(
                        `${name}-opts-variable`,
                        { host: args.gitlab.host, group: args.gitlab.group, key: "ARGOCD_OPTS", value: cliOptions, masked: false, protected: false, raw: true, apiToken: args.gitlab.apiToken },
                        child,
                    );
                }
                new GroupVariable(
                    `${name}-token-variable`,
                    {
                        host: args.gitlab.host,
                        group: args.gitlab.group,
                        key: "ARGOCD_AUTH_TOKEN",
                        value: pulumi.secret(token.token),
                        masked: true,
                        protected: false,
                        raw: true,
                        apiToken: args.gitlab.apiToken,
                    },
                    child,
                );
            }
            tokenExpiresAt = token.expiresAt;
        }

        this.tokenExpiresAt = tokenExpiresAt;
        this.registerOutputs({ tokenExpiresAt });
    }
}
