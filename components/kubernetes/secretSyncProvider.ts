// The Pulumi dynamic provider behind RegistrySecretSync: create and update wait until the Vault
// Secrets Operator has written a given KV version of the registry credentials into an environment
// namespace's `regsecret`, as the version annotation the VaultStaticSecret's destination carries.
//
// Why: a rotation creates the new deploy token, writes it to Vault, updates each VaultStaticSecret
// (new version annotation, so VSO re-syncs at once) and revokes the old token. The engine runs the
// revocation (the delete of the replaced token) at the end of the update, after every create and
// update, but VSO re-syncs asynchronously: without this wait the old token could be revoked while a
// `regsecret` still holds it, and image pulls fail until VSO's next refresh. Waiting here, as a
// dependent of the VaultStaticSecret, holds the revocation back until every namespace is synced.
//
// Reads only the Secret's type and annotations, never its data: nothing secret is an input, an
// output or in an error. `read` (refresh) reports the recorded state: the wait is a step of `up`,
// not something that drifts. Delete does nothing (VSO owns the Secret). The Kubernetes client is
// loaded with `require` at run time (never serialized), configured from the stack config like
// pullSecretProvider.ts.

import type * as pulumi from "@pulumi/pulumi";
import { providerCodeChanged } from "../dynamic/providerCode";
import { configValue } from "../dynamic/providerConfig";
import { apiStatus, KubeconfigSource, loadKubeConfig, clientNode } from "./pullSecretProvider";
import { clusterTarget, kubernetesCallError } from "./clusterErrors";

/** Inputs of the dynamic resource. */
export interface SecretSyncInputs {
    /** Namespace of the synced Secret, e.g. `poc-dev`. */
    namespace: string;
    /** Secret (and VaultStaticSecret) name, e.g. `regsecret`. */
    secretName: string;
    /** Annotation VSO copies from the VaultStaticSecret's destination, e.g. `gitops-platform/registry-kv-version`. */
    annotation: string;
    /** KV version the Secret must carry, e.g. `3`; empty: any version (the Secret only has to exist with its type). */
    version: string;
    /** Secret type the Secret must have, e.g. `kubernetes.io/dockerconfigjson`. */
    type: string;
    /** How long to wait before failing, in seconds. */
    timeoutSeconds: number;
}

/** What the Secret looked like at one poll: absent, or its type and version annotation. */
export interface SecretSeen {
    /** Whether the Secret exists. */
    exists: boolean;
    /** Its type. */
    type?: string;
    /** The version annotation's value. */
    version?: string;
}

/** Reads a Secret's type and annotations (never its data); a seam so tests run without a cluster. */
export interface SecretMetaClient {
    /** What the Secret looks like now. */
    read(namespace: string, name: string, annotation: string): Promise<SecretSeen>;
}

/** Whether the Secret carries what the inputs ask for. */
export function isSynced(seen: SecretSeen, want: Pick<SecretSyncInputs, "version" | "type">): boolean {
    return seen.exists && seen.type === want.type && (want.version === "" || seen.version === want.version);
}

/**
 * Annotation that marks a `regsecret` rendered from credentials that already live in Vault
 * (registrySecretSpec.ts REGISTRY_SOURCE_ANNOTATION; a literal here, since the provider is
 * serialized by value): its value is a fingerprint of source and template, not a KV version.
 */
const SOURCE_ANNOTATION = "gitops-platform/registry-source";

/** The error after the timeout: what was found, what to check, how to turn the wait off. */
export function notSyncedMessage(p: SecretSyncInputs, seen: SecretSeen): string {
    const fromVault = p.annotation === SOURCE_ANNOTATION;
    const found = !seen.exists
        ? "the Secret does not exist"
        : seen.type !== p.type
          ? `the Secret has type ${seen.type ?? "(none)"}`
          : `the Secret carries ${fromVault ? "fingerprint" : "version"} ${seen.version ?? "(none)"}`;
    const what = fromVault
        ? `the registry credentials from Vault (source fingerprint ${p.version})`
        : `version ${p.version} of the registry credentials`;
    const check = fromVault
        ? `(events: authentication to Vault, the KV path, and the template: the Vault secret needs non-empty ` +
          `REGISTRY_URL, REGISTRY_USERNAME and REGISTRY_PASSWORD, and MIRROR_USERNAME / MIRROR_PASSWORD with a mirror). `
        : `(events: authentication to Vault, the KV path). The old registry token is not revoked until this ` +
          `succeeds; run pulumi up again once the operator syncs. `;
    return (
        `the Vault Secrets Operator has not synced ${what} into ` +
        `${p.namespace}/${p.secretName} within ${p.timeoutSeconds}s (${found}). Check that the operator runs ` +
        `and what it reports: kubectl -n ${p.namespace} describe vaultstaticsecret ${p.secretName} ` +
        check +
        `To skip the wait (a stack without a running operator), set gitops-platform:vso.waitForSync false.`
    );
}

/** A SecretMetaClient over @kubernetes/client-node. */
export function kubernetesSecretMetaClient(src: KubeconfigSource): SecretMetaClient {
    const kc = loadKubeConfig(src);
    const api = kc.makeApiClient(clientNode().CoreV1Api);
    const target = clusterTarget(kc, (src.kubeconfig ?? "").trim() !== "");
    return {
        async read(namespace, name, annotation) {
            try {
                const s = await api.readNamespacedSecret({ name, namespace });
                return { exists: true, type: s.type, version: s.metadata?.annotations?.[annotation] };
            } catch (e) {
                if (apiStatus(e) === 404) return { exists: false };
                throw kubernetesCallError(`reading Secret ${namespace}/${name}`, e, target);
            }
        },
    };
}

/** Options of {@link makeSecretSyncProvider} (tests). */
export interface SecretSyncProviderOptions {
    /** Client factory (default: the kubeconfig from `configure`). */
    clientFor?: (src: KubeconfigSource) => SecretMetaClient;
    /** Time between polls in ms. @default 500 */
    pollMs?: number;
}

/** Builds the provider. */
export function makeSecretSyncProvider(o: SecretSyncProviderOptions = {}): pulumi.dynamic.ResourceProvider {
    const configured: KubeconfigSource = {};
    const pollMs = o.pollMs ?? 500;

    const waitSynced = async (p: SecretSyncInputs): Promise<SecretSyncInputs> => {
        const c = (o.clientFor ?? kubernetesSecretMetaClient)(configured);
        const deadline = Date.now() + p.timeoutSeconds * 1000;
        for (;;) {
            const seen = await c.read(p.namespace, p.secretName, p.annotation);
            if (isSynced(seen, p)) return p;
            if (Date.now() >= deadline) throw new Error(notSyncedMessage(p, seen));
            await new Promise((r) => setTimeout(r, pollMs));
        }
    };

    return {
        async configure(req: pulumi.dynamic.ConfigureRequest) {
            configured.kubeconfig = configValue(req, "kubernetes:kubeconfig");
            configured.context = configValue(req, "kubernetes:context");
        },

        async diff(_id: string, olds: SecretSyncInputs, news: SecretSyncInputs) {
            const changed = (["namespace", "secretName", "annotation", "version", "type"] as const).some((k) => olds[k] !== news[k]);
            // The timeout alone is recorded without waiting again (update only runs on a real change).
            return { changes: changed || olds.timeoutSeconds !== news.timeoutSeconds || providerCodeChanged(olds, news) };
        },

        async create(inputs: SecretSyncInputs) {
            return { id: `${inputs.namespace}/${inputs.secretName}`, outs: await waitSynced(inputs) };
        },

        async read(id: string, props: SecretSyncInputs) {
            return { id, props };
        },

        async update(_id: string, olds: SecretSyncInputs, news: SecretSyncInputs) {
            const same = (["namespace", "secretName", "annotation", "version", "type"] as const).every((k) => olds[k] === news[k]);
            return { outs: same ? news : await waitSynced(news) };
        },

        async delete() {
            // VSO owns the Secret; nothing to undo.
        },
    };
}

/** The provider RegistrySecretSync uses (kubeconfig from the stack config). */
export const secretSyncProvider: pulumi.dynamic.ResourceProvider = makeSecretSyncProvider();
