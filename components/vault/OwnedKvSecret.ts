import * as pulumi from "@pulumi/pulumi";
import { ownedKvSecretProvider } from "./ownedKvSecretProvider";

/** Arguments of {@link OwnedKvSecret}. */
export interface OwnedKvSecretArgs {
    /** Vault address the secret is written to; default: the stack's `vault:address`, then VAULT_ADDR. */
    address?: pulumi.Input<string>;
    /** Vault Enterprise namespace; default: `vault:namespace`, then VAULT_NAMESPACE, else none. */
    namespace?: pulumi.Input<string>;
    /** KV v2 mount path, e.g. `secret`. */
    mount: pulumi.Input<string>;
    /** Path under the mount, e.g. `my-group/platform/stacks/dev/registry`. */
    path: pulumi.Input<string>;
    /** The owning stack, `<org>/<project>/<stack>`, written to custom_metadata `gitops-platform-owner`. */
    owner: pulumi.Input<string>;
    /** The key/value pairs; kept secret in the state. */
    data: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * A KV v2 secret owned by exactly one stack (`pulumi-nodejs:dynamic/vault:OwnedKvSecret`): the
 * owner is recorded in the secret's custom_metadata, a path another stack owns is never written or
 * deleted, and refresh reads the data back so an overwrite or a deleted version shows as drift and
 * the next `up` repairs it. The Vault token comes from `vault:token` or VAULT_TOKEN, never from
 * the state. See ownedKvSecretProvider.ts.
 */
export class OwnedKvSecret extends pulumi.dynamic.Resource {
    /** KV version last written or read back. */
    declare readonly version: pulumi.Output<number>;
    /** sha256 of the data last written or read back (secret). */
    declare readonly sha256: pulumi.Output<string>;
    /** KV v2 mount path. */
    declare readonly mount: pulumi.Output<string>;
    /** Path under the mount. */
    declare readonly path: pulumi.Output<string>;
    /** The owning stack. */
    declare readonly owner: pulumi.Output<string>;

    constructor(name: string, args: OwnedKvSecretArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            address: args.address ?? "",
            namespace: args.namespace ?? "",
            mount: args.mount,
            path: args.path,
            owner: args.owner,
            data: pulumi.secret(args.data),
            version: undefined,
            sha256: undefined,
        };
        super(ownedKvSecretProvider, name, props, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["data", "sha256"] }), "vault", "OwnedKvSecret");
    }
}
