import * as pulumi from "@pulumi/pulumi";
import { groupVariableProvider } from "./groupVariableProvider";

export interface GroupVariableArgs {
    /** GitLab host or API base URL. */
    host: pulumi.Input<string>;
    /** Group full path or numeric id. */
    group: pulumi.Input<string>;
    /** Variable key, e.g. CI_PUSH_TOKEN. */
    key: pulumi.Input<string>;
    /** The value; always kept secret. */
    value: pulumi.Input<string>;
    masked: pulumi.Input<boolean>;
    protected: pulumi.Input<boolean>;
    /** true: not expanded. */
    raw: pulumi.Input<boolean>;
    /** GitLab API token (api scope, Owner of the group). Kept secret. */
    apiToken: pulumi.Input<string>;
    /** The value is a personal access token: read its expiry into `tokenExpiresAt`. */
    readTokenExpiry?: pulumi.Input<boolean>;
    /** Stack config key the value comes from, named in errors. */
    valueConfigKey?: pulumi.Input<string>;
}

/**
 * A GitLab group CI/CD variable (`pulumi-nodejs:dynamic/gitlab:GroupVariable`): created or updated
 * from a secret value, read back on refresh (drift on value, masked, protected, raw), deleted with
 * the resource. `value`, `apiToken` and `valueSha256` are secret outputs.
 */
export class GroupVariable extends pulumi.dynamic.Resource {
    declare readonly key: pulumi.Output<string>;
    declare readonly masked: pulumi.Output<boolean>;
    declare readonly protected: pulumi.Output<boolean>;
    declare readonly raw: pulumi.Output<boolean>;
    /** Expiry (ISO 8601) of the personal access token in the value, when `readTokenExpiry`; else null. */
    declare readonly tokenExpiresAt: pulumi.Output<string | null>;

    constructor(name: string, args: GroupVariableArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            host: args.host,
            group: args.group,
            key: args.key,
            value: pulumi.secret(args.value),
            masked: args.masked,
            protected: args.protected,
            raw: args.raw,
            apiToken: pulumi.secret(args.apiToken),
            readTokenExpiry: args.readTokenExpiry ?? false,
            valueConfigKey: args.valueConfigKey,
            valueSha256: undefined,
            tokenExpiresAt: undefined,
        };
        const secretOpts: pulumi.CustomResourceOptions = { additionalSecretOutputs: ["value", "apiToken", "valueSha256"] };
        super(groupVariableProvider, name, props, pulumi.mergeOptions(opts, secretOpts), "gitlab", "GroupVariable");
    }
}
