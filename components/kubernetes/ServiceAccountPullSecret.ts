import * as pulumi from "@pulumi/pulumi";
import { pullSecretProvider } from "./pullSecretProvider";

/** Arguments of {@link ServiceAccountPullSecret}. */
export interface ServiceAccountPullSecretArgs {
    /** Namespace of the ServiceAccount. */
    namespace: pulumi.Input<string>;
    /** ServiceAccount name, e.g. `default`. */
    serviceAccount: pulumi.Input<string>;
    /** Pull secret to list in its `imagePullSecrets`, e.g. `regsecret`. */
    secretName: pulumi.Input<string>;
}

/**
 * One entry in a ServiceAccount's `imagePullSecrets` (`pulumi-nodejs:dynamic/kubernetes:ServiceAccountPullSecret`),
 * next to the entries other managers put there: never creates the ServiceAccount, removes only an
 * entry it added, and does not fight a manager that removed it. See pullSecretProvider.ts.
 */
export class ServiceAccountPullSecret extends pulumi.dynamic.Resource {
    /** Whether the ServiceAccount existed at the last create, update or refresh. */
    declare readonly exists: pulumi.Output<boolean>;
    /** Whether the entry was in the list at the last create, update or refresh. */
    declare readonly present: pulumi.Output<boolean>;
    /** Whether this stack added the entry. */
    declare readonly added: pulumi.Output<boolean>;
    /** Other field managers owning the list. */
    declare readonly managers: pulumi.Output<string[]>;

    constructor(name: string, args: ServiceAccountPullSecretArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            namespace: args.namespace,
            serviceAccount: args.serviceAccount,
            secretName: args.secretName,
            exists: undefined,
            present: undefined,
            added: undefined,
            managers: undefined,
        };
        super(pullSecretProvider, name, props, opts, "kubernetes", "ServiceAccountPullSecret");
    }
}
