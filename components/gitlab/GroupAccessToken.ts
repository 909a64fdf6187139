import * as pulumi from "@pulumi/pulumi";
import { groupAccessTokenProvider } from "./groupAccessTokenProvider";

/** Arguments of a GitLab group access token. */
export interface GroupAccessTokenArgs {
    /** GitLab host or API base URL. */
    host: pulumi.Input<string>;
    /** Group full path or numeric id. */
    group: pulumi.Input<string>;
    /** Token name shown in GitLab, e.g. `gitops-platform-ci-push`. */
    name: pulumi.Input<string>;
    /** Scopes, e.g. `["write_repository"]`. */
    scopes: pulumi.Input<pulumi.Input<string>[]>;
    /** Role of the token's bot user in the group, e.g. `developer`. */
    accessLevel: pulumi.Input<string>;
    /** Lifetime of each new token in days (at most 365). */
    expiresInDays: pulumi.Input<number>;
    /** Create a replacement once the current token expires within this many days. */
    rotateBeforeDays: pulumi.Input<number>;
    /** GitLab API token (api scope, Owner of the group). Kept secret, also in the state. */
    apiToken: pulumi.Input<string>;
}

/**
 * A GitLab group access token (`pulumi-nodejs:dynamic/gitlab:GroupAccessToken`), rotated before it
 * expires (create-before-delete, like the deploy tokens). `token` and `apiToken` are secret outputs.
 * See groupAccessTokenProvider.ts.
 */
export class GroupAccessToken extends pulumi.dynamic.Resource {
    /** GitLab's id of the token. */
    declare readonly tokenId: pulumi.Output<number>;
    /** The token value. Secret. */
    declare readonly token: pulumi.Output<string>;
    /** When the current token expires (ISO 8601, midnight UTC). */
    declare readonly expiresAt: pulumi.Output<string>;

    constructor(name: string, args: GroupAccessTokenArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            host: args.host,
            group: args.group,
            name: args.name,
            scopes: args.scopes,
            accessLevel: args.accessLevel,
            expiresInDays: args.expiresInDays,
            rotateBeforeDays: args.rotateBeforeDays,
            apiToken: pulumi.secret(args.apiToken),
            tokenId: undefined,
            userId: undefined,
            token: undefined,
            expiresAt: undefined,
        };
        const secretOpts: pulumi.CustomResourceOptions = { additionalSecretOutputs: ["token", "apiToken"] };
        super(groupAccessTokenProvider, name, props, pulumi.mergeOptions(opts, secretOpts), "gitlab", "GroupAccessToken");
    }
}
