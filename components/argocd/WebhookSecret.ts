import * as pulumi from "@pulumi/pulumi";
import { webhookSecretProvider } from "./webhookSecretProvider";

/** Arguments of {@link WebhookSecret}. */
export interface WebhookSecretArgs {
    /** Random bytes (the value is their hex, twice as long). @default 32 */
    length?: number;
}

/**
 * A random secret (`pulumi-nodejs:dynamic/argocd:WebhookSecret`), e.g. the GitLab webhook secret
 * Argo CD checks (`webhook.gitlab.secret`). Made once; `value` is a secret output, never in clear.
 */
export class WebhookSecret extends pulumi.dynamic.Resource {
    /** The random value (hex). Secret. */
    declare readonly value: pulumi.Output<string>;

    constructor(name: string, args: WebhookSecretArgs = {}, opts?: pulumi.CustomResourceOptions) {
        super(webhookSecretProvider, name, { length: args.length ?? 32, value: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["value"] }), "argocd", "WebhookSecret");
    }
}
