import * as pulumi from "@pulumi/pulumi";
import { secretSyncProvider } from "./secretSyncProvider";

/** Arguments of {@link RegistrySecretSync}. */
export interface RegistrySecretSyncArgs {
    /** Namespace of the synced Secret, e.g. `poc-dev`. */
    namespace: pulumi.Input<string>;
    /** Secret name, e.g. `regsecret`. */
    secretName: pulumi.Input<string>;
    /** Annotation carrying the KV version, e.g. `gitops-platform/registry-kv-version`. */
    annotation: pulumi.Input<string>;
    /** KV version the Secret must reach, e.g. `3`. */
    version: pulumi.Input<string>;
    /** Secret type, e.g. `kubernetes.io/dockerconfigjson`. */
    type: pulumi.Input<string>;
    /** Seconds to wait before `up` fails, e.g. 180. */
    timeoutSeconds: pulumi.Input<number>;
}

/**
 * Waits, during `pulumi up`, until the Vault Secrets Operator has synced a KV version of the
 * registry credentials into a namespace's Secret (`pulumi-nodejs:dynamic/kubernetes:RegistrySecretSync`).
 * As a dependent of the VaultStaticSecret it holds back a rotated deploy token's revocation until
 * every `regsecret` holds the new token. See secretSyncProvider.ts.
 */
export class RegistrySecretSync extends pulumi.dynamic.Resource {
    /** The KV version the Secret carried when the wait ended. */
    declare readonly version: pulumi.Output<string>;

    constructor(name: string, args: RegistrySecretSyncArgs, opts?: pulumi.CustomResourceOptions) {
        super(secretSyncProvider, name, { ...args }, opts, "kubernetes", "RegistrySecretSync");
    }
}
