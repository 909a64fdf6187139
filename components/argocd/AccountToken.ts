import * as pulumi from "@pulumi/pulumi";
import { accountTokenProvider } from "./accountTokenProvider";

/** Arguments of {@link AccountToken}. */
export interface AccountTokenArgs {
    /** Argo CD API base URL as `pulumi up` reaches it, e.g. `https://argocd.example.com`. */
    apiUrl: pulumi.Input<string>;
    /** Local account the token is for, e.g. `ci-readonly` (argocd-cm `accounts.<name>: apiKey`). */
    account: pulumi.Input<string>;
    /** User that makes the token by password login, e.g. `admin`. */
    username: pulumi.Input<string>;
    /** That user's password; kept secret, also in the state. */
    password: pulumi.Input<string>;
    /** Lifetime of each new token in days, e.g. 90. */
    expiresInDays: pulumi.Input<number>;
    /** Make a new token once the current one expires within this many days, e.g. 14. */
    rotateBeforeDays: pulumi.Input<number>;
}

/**
 * An API token of an Argo CD local account (`pulumi-nodejs:dynamic/argocd:AccountToken`), made with
 * `POST /api/v1/account/<account>/token` and rotated before it expires (create-before-delete, like
 * the GitLab deploy tokens). `token` and `password` are secret outputs. See accountTokenProvider.ts.
 */
export class AccountToken extends pulumi.dynamic.Resource {
    /** The token (a JWT). Secret. */
    declare readonly token: pulumi.Output<string>;
    /** Argo CD's id of the token. */
    declare readonly tokenId: pulumi.Output<string>;
    /** When the token expires (ISO 8601, midnight UTC). */
    declare readonly expiresAt: pulumi.Output<string>;
    /** When Argo CD issued it (ISO 8601). */
    declare readonly issuedAt: pulumi.Output<string>;
    /** The account. */
    declare readonly account: pulumi.Output<string>;

    constructor(name: string, args: AccountTokenArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            apiUrl: args.apiUrl,
            account: args.account,
            username: args.username,
            password: pulumi.secret(args.password),
            expiresInDays: args.expiresInDays,
            rotateBeforeDays: args.rotateBeforeDays,
            passwordConfigKey: "gitops-platform:argocdAdminPassword",
            tokenId: undefined,
            token: undefined,
            expiresAt: undefined,
            issuedAt: undefined,
        };
        const secretOpts: pulumi.CustomResourceOptions = { additionalSecretOutputs: ["token", "password"] };
        super(accountTokenProvider, name, props, pulumi.mergeOptions(opts, secretOpts), "argocd", "AccountToken");
    }
}
