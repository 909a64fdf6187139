import * as pulumi from "@pulumi/pulumi";
import { deployTokenProvider } from "./deployTokenProvider";

/** Arguments of a GitLab group deploy token. */
export interface GroupDeployTokenArgs {
    /** GitLab host: `gitlab.com` (default of the stack config), `gitlab.example.com` or `https://…`. */
    host: pulumi.Input<string>;
    /** Group full path (`my-org/platform`, nested groups included) or numeric id. */
    group: pulumi.Input<string>;
    /** Token name shown in GitLab, e.g. `gitops-platform-registry`. */
    name: pulumi.Input<string>;
    /** Fixed username; default: GitLab's `gitlab+deploy-token-<id>`. */
    username?: pulumi.Input<string>;
    /** Scopes, e.g. `["read_registry"]` (image pulls) or `["read_repository"]` (git clone, Argo CD). */
    scopes: pulumi.Input<pulumi.Input<string>[]>;
    /** Lifetime of each new token in days, e.g. 90. */
    expiresInDays: pulumi.Input<number>;
    /** Create a replacement token once the current one expires within this many days, e.g. 14. */
    rotateBeforeDays: pulumi.Input<number>;
    /** GitLab API token (api scope, Owner of the group). Kept secret, also in the state. */
    apiToken: pulumi.Input<string>;
}

/**
 * A GitLab group deploy token, managed through GitLab's REST API by a dynamic provider
 * (`pulumi-nodejs:dynamic/gitlab:GroupDeployToken`). `token` is a secret output; a replacement
 * (name/scopes/username/expiresInDays change, or rotation before expiry) is create-before-delete.
 * See docs/gitlab.md.
 */
export class GroupDeployToken extends pulumi.dynamic.Resource {
    /** GitLab's numeric id of the token. */
    declare readonly tokenId: pulumi.Output<number>;
    /** Username to authenticate with (registry login, git clone). */
    declare readonly username: pulumi.Output<string>;
    /** The token value. Secret. */
    declare readonly token: pulumi.Output<string>;
    /** When the current token expires (ISO 8601, midnight UTC). */
    declare readonly expiresAt: pulumi.Output<string>;
    declare readonly name: pulumi.Output<string>;
    declare readonly group: pulumi.Output<string>;
    declare readonly host: pulumi.Output<string>;
    declare readonly scopes: pulumi.Output<string[]>;

    constructor(name: string, args: GroupDeployTokenArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            host: args.host,
            group: args.group,
            name: args.name,
            username: args.username,
            scopes: args.scopes,
            expiresInDays: args.expiresInDays,
            rotateBeforeDays: args.rotateBeforeDays,
            apiToken: pulumi.secret(args.apiToken),
            // Outputs (declared by passing undefined).
            tokenId: undefined,
            token: undefined,
            expiresAt: undefined,
        };
        // Dynamic providers cannot mark their results secret: the engine must. `token` is the deploy
        // token value; `apiToken` is the API token kept in the state for refresh and delete.
        const secretOpts: pulumi.CustomResourceOptions = { additionalSecretOutputs: ["token", "apiToken"] };
        super(deployTokenProvider, name, props, pulumi.mergeOptions(opts, secretOpts), "gitlab", "GroupDeployToken");
    }
}
