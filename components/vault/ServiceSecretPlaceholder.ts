import * as pulumi from "@pulumi/pulumi";
import { servicePlaceholderProvider } from "./servicePlaceholderProvider";

/** Arguments of {@link ServiceSecretPlaceholder}. */
export interface ServiceSecretPlaceholderArgs {
    /** Vault address; default: the stack's `vault:address`, then VAULT_ADDR. */
    address?: pulumi.Input<string>;
    /** Vault Enterprise namespace; default: `vault:namespace`, then VAULT_NAMESPACE, else none. */
    namespace?: pulumi.Input<string>;
    /** KV v2 mount path, e.g. `secret`. */
    mount: pulumi.Input<string>;
    /** Path under the mount, `<prefix>/<service>/<env>/config`. */
    path: pulumi.Input<string>;
}

/** The secret path a service's VaultStaticSecret reads: `<prefix>/<service>/<env>/config`. */
export function servicePlaceholderPath(pathPrefix: string, service: string, environment: string): string {
    return `${pathPrefix}/${service}/${environment}/config`;
}

/**
 * A placeholder KV v2 secret for one service and environment
 * (`pulumi-nodejs:dynamic/vault:ServiceSecretPlaceholder`): written with check-and-set 0 only where
 * the path does not exist, never overwritten, never read, never deleted (retainOnDelete; the
 * provider's delete is a no-op too). The state holds only the path and `created`. See
 * servicePlaceholderProvider.ts.
 */
export class ServiceSecretPlaceholder extends pulumi.dynamic.Resource {
    /** True when this stack wrote the placeholder; false when the path already existed. */
    declare readonly created: pulumi.Output<boolean>;
    /** KV v2 mount path. */
    declare readonly mount: pulumi.Output<string>;
    /** Path under the mount. */
    declare readonly path: pulumi.Output<string>;

    constructor(name: string, args: ServiceSecretPlaceholderArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            address: args.address ?? "",
            namespace: args.namespace ?? "",
            mount: args.mount,
            path: args.path,
            created: undefined,
        };
        super(
            servicePlaceholderProvider,
            name,
            props,
            pulumi.mergeOptions(opts, { retainOnDelete: true }),
            "vault",
            "ServiceSecretPlaceholder",
        );
    }
}
