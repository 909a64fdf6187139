// The Pulumi dynamic provider behind ServiceAccountPullSecret: one entry, `regsecret`, in one
// ServiceAccount's `imagePullSecrets`, next to whatever other managers put there.
//
// Why not ServiceAccountPatch: `imagePullSecrets` is an atomic list under server-side apply, so a
// patch that sets `[regsecret]` owns the whole list: it dropped a chart's entries (with patchForce),
// fought every other manager, created ServiceAccounts that did not exist, and removing it left an
// empty list. This provider instead:
// - never creates a ServiceAccount: a missing one is recorded (`exists: false`), and the entry is
//   added by the first `pulumi up --refresh` after it appears;
// - adds the entry with a JSON patch guarded by the resourceVersion, keeping every other entry;
// - records whether it added the entry itself (`added`); on delete it removes only an entry it
//   added, so the others' entries stay and an entry someone else put there is never taken away;
// - reads the list back on refresh (`present`, `managers`). A missing entry is drift the next `up`
//   puts back (`added: true`) when nobody but this provider and interactive kubectl (field managers
//   `kubectl`, `kubectl-*`: `kubectl patch`, `kubectl edit`, client-side `kubectl apply`) owns the
//   list, or when there is no list at all: a hand edit does not win. When another manager (Helm,
//   Argo CD self-heal, …) owns the list and removed an entry this provider added, the next `up`
//   does not put it back (no fight); the program warns and recommends the pod-spec route.
//
// Closure-serialized into the state like every dynamic provider: the Kubernetes client is loaded
// with `require` at run time (never captured), and the kubeconfig comes from the stack config
// (`kubernetes:kubeconfig`, `kubernetes:context`) handed to `configure`, else KUBECONFIG /
// ~/.kube/config. Nothing secret is an input or an output.

import type * as pulumi from "@pulumi/pulumi";
import { providerCodeChanged } from "../dynamic/providerCode";
import { configValue } from "../dynamic/providerConfig";
import { apiStatus, clusterTarget, kubernetesCallError } from "./clusterErrors";

export { apiStatus };

/** Field manager of the entries this provider adds. */
export const FIELD_MANAGER = "gitops-platform";

/** Inputs of the dynamic resource. */
export interface PullSecretInputs {
    /** Namespace of the ServiceAccount. */
    namespace: string;
    /** ServiceAccount name. */
    serviceAccount: string;
    /** Name of the pull secret to list, e.g. `regsecret`. */
    secretName: string;
}

/** State of the dynamic resource; `id` is `<namespace>/<serviceAccount>`. */
export interface PullSecretOutputs extends PullSecretInputs {
    /** Whether the ServiceAccount existed at the last create, update or refresh. */
    exists: boolean;
    /** Whether the entry was in the list at the last create, update or refresh. */
    present: boolean;
    /** Whether this provider added the entry (and so removes it on delete). */
    added: boolean;
    /** Field managers other than this one that own `imagePullSecrets`. */
    managers: string[];
}

/** Minimal shapes of the ServiceAccount fields used here. */
interface ServiceAccountLike {
    metadata?: { resourceVersion?: string; managedFields?: { manager?: string; fieldsV1?: unknown }[] };
    imagePullSecrets?: { name?: string }[];
}

/** Field managers that own `imagePullSecrets`, except `self`. */
export function listOwners(sa: ServiceAccountLike, self: string = FIELD_MANAGER): string[] {
    const owners = new Set<string>();
    for (const mf of sa.metadata?.managedFields ?? []) {
        const fields = (mf.fieldsV1 ?? {}) as Record<string, unknown>;
        if (mf.manager && mf.manager !== self && "f:imagePullSecrets" in fields) owners.add(mf.manager);
    }
    return [...owners].sort();
}

/** Field managers of interactive kubectl commands (`kubectl`, `kubectl-patch`, `kubectl-edit`, `kubectl-client-side-apply`, …). */
export const KUBECTL_MANAGER = /^kubectl(-|$)/;

/** Of the list's `managers` (as {@link listOwners} returns them), those that are not interactive kubectl: a chart, a controller. */
export function foreignOwners(managers: readonly string[]): string[] {
    return managers.filter((m) => !KUBECTL_MANAGER.test(m));
}

/**
 * Whether a missing entry is put back: always when this provider did not add it (the ServiceAccount
 * appeared, or the entry was someone else's); when it did, only if no foreign manager owns the list
 * now (a hand edit with kubectl is drift, a chart's removal is not fought).
 */
export function restoresEntry(added: boolean, managers: readonly string[]): boolean {
    return !added || foreignOwners(managers).length === 0;
}

/** Index of `name` in the list, or -1. */
export function entryIndex(sa: ServiceAccountLike, name: string): number {
    return (sa.imagePullSecrets ?? []).findIndex((e) => e?.name === name);
}

/** JSON patch adding `name` at the end of the list, guarded by the resourceVersion. */
export function addPatch(sa: ServiceAccountLike, name: string): object[] {
    const guard = { op: "test", path: "/metadata/resourceVersion", value: sa.metadata?.resourceVersion };
    return sa.imagePullSecrets === undefined || sa.imagePullSecrets === null
        ? [guard, { op: "add", path: "/imagePullSecrets", value: [{ name }] }]
        : [guard, { op: "add", path: "/imagePullSecrets/-", value: { name } }];
}

/** JSON patch removing the entry at `index` (which must still be `name`). */
export function removePatch(index: number, name: string): object[] {
    return [
        { op: "test", path: `/imagePullSecrets/${index}/name`, value: name },
        { op: "remove", path: `/imagePullSecrets/${index}` },
    ];
}

/** Reads and patches ServiceAccounts; a seam so tests can run the provider without a cluster. */
export interface ServiceAccountClient {
    /** The ServiceAccount, or undefined when it does not exist. */
    read(namespace: string, name: string): Promise<ServiceAccountLike | undefined>;
    /** Applies a JSON patch as FIELD_MANAGER. */
    jsonPatch(namespace: string, name: string, patch: object[]): Promise<ServiceAccountLike>;
}

/** Where the client's kubeconfig comes from. */
export interface KubeconfigSource {
    /** Kubeconfig content or path (`kubernetes:kubeconfig`). */
    kubeconfig?: string;
    /** Context to use (`kubernetes:context`). */
    context?: string;
}

/** @kubernetes/client-node, required at run time (the serialized provider never captures the module). */
export function clientNode(): typeof import("@kubernetes/client-node") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
}

/**
 * A CoreV1 client over @kubernetes/client-node (loaded at run time with `require`, so it is never
 * serialized) for a kubeconfig given as content, as a path, or (neither) KUBECONFIG / ~/.kube/config.
 */
export function coreV1Client(src: KubeconfigSource): import("@kubernetes/client-node").CoreV1Api {
    return loadKubeConfig(src).makeApiClient(clientNode().CoreV1Api);
}

/** The KubeConfig for a kubeconfig given as content, as a path, or (neither) KUBECONFIG / ~/.kube/config; `context` selected. */
export function loadKubeConfig(src: KubeconfigSource): import("@kubernetes/client-node").KubeConfig {
    const kc = new (clientNode().KubeConfig)();
    const given = (src.kubeconfig ?? "").trim();
    if (given === "") kc.loadFromDefault();
    else if (given.includes("\n") || given.startsWith("{") || given.startsWith("apiVersion")) kc.loadFromString(given);
    else kc.loadFromFile(given);
    if (src.context) kc.setCurrentContext(src.context);
    return kc;
}

/** A ServiceAccountClient over `coreV1Client`. */
export function kubernetesServiceAccountClient(src: KubeconfigSource): ServiceAccountClient {
    const k8s = clientNode();
    const kc = loadKubeConfig(src);
    const api = kc.makeApiClient(k8s.CoreV1Api);
    // Named in errors: an unreachable API server is otherwise undici's bare "fetch failed".
    const target = clusterTarget(kc, (src.kubeconfig ?? "").trim() !== "");
    return {
        async read(namespace, name) {
            try {
                return (await api.readNamespacedServiceAccount({ name, namespace })) as ServiceAccountLike;
            } catch (e) {
                if (apiStatus(e) === 404) return undefined;
                throw kubernetesCallError(`reading ServiceAccount ${namespace}/${name}`, e, target);
            }
        },
        async jsonPatch(namespace, name, patch) {
            try {
                return (await api.patchNamespacedServiceAccount(
                    { name, namespace, body: patch, fieldManager: FIELD_MANAGER },
                    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch),
                )) as ServiceAccountLike;
            } catch (e) {
                const code = apiStatus(e);
                const action = `patching imagePullSecrets of ServiceAccount ${namespace}/${name}`;
                if (code === 422 || code === 409) throw new Error(`${action}: it changed meanwhile (run again)`);
                throw kubernetesCallError(action, e, target);
            }
        },
    };
}

/** Builds the provider; `clientFor` is for tests (default: the kubeconfig from `configure`). */
export function makePullSecretProvider(clientFor?: (src: KubeconfigSource) => ServiceAccountClient): pulumi.dynamic.ResourceProvider {
    const configured: KubeconfigSource = {};
    const client = () => (clientFor ?? kubernetesServiceAccountClient)(configured);

    /**
     * Adds the entry unless it is there, the ServiceAccount is missing, or a foreign manager removed
     * the entry this provider added (see restoresEntry, decided on the live list); `added` carries over.
     */
    const ensure = async (p: PullSecretInputs, addedBefore: boolean): Promise<PullSecretOutputs> => {
        const c = client();
        const sa = await c.read(p.namespace, p.serviceAccount);
        if (!sa) return { ...p, exists: false, present: false, added: false, managers: [] };
        const managers = listOwners(sa);
        if (entryIndex(sa, p.secretName) >= 0) {
            return { ...p, exists: true, present: true, added: addedBefore, managers };
        }
        if (!restoresEntry(addedBefore, managers)) {
            return { ...p, exists: true, present: false, added: addedBefore, managers };
        }
        const after = await c.jsonPatch(p.namespace, p.serviceAccount, addPatch(sa, p.secretName));
        return { ...p, exists: true, present: true, added: true, managers: listOwners(after) };
    };

    return {
        async configure(req: pulumi.dynamic.ConfigureRequest) {
            configured.kubeconfig = configValue(req, "kubernetes:kubeconfig");
            configured.context = configValue(req, "kubernetes:context");
        },

        async diff(_id: string, olds: PullSecretOutputs, news: PullSecretInputs) {
            const replaces = (["namespace", "serviceAccount", "secretName"] as const).filter((k) => olds[k] !== news[k]);
            // The entry is missing (seen by a refresh): the ServiceAccount appeared, or someone removed
            // the entry. Put it back unless a foreign manager removed the one this stack added (no fight).
            const missing = olds.exists === true && olds.present === false;
            const restore = missing && restoresEntry(olds.added === true, olds.managers ?? []);
            return { changes: replaces.length > 0 || restore || providerCodeChanged(olds, news), replaces, deleteBeforeReplace: true };
        },

        async create(inputs: PullSecretInputs) {
            return { id: `${inputs.namespace}/${inputs.serviceAccount}`, outs: await ensure(inputs, false) };
        },

        async read(id: string, props: PullSecretOutputs) {
            const sa = await client().read(props.namespace, props.serviceAccount);
            const outs: PullSecretOutputs = sa
                ? { ...props, exists: true, present: entryIndex(sa, props.secretName) >= 0, managers: listOwners(sa) }
                : { ...props, exists: false, present: false, managers: [] };
            return { id, props: outs };
        },

        async update(_id: string, olds: PullSecretOutputs, news: PullSecretInputs) {
            // ensure keeps an entry a foreign manager removed removed (see diff), and puts back one a
            // kubectl hand edit removed.
            return { outs: await ensure(news, olds.added === true) };
        },

        async delete(_id: string, props: PullSecretOutputs) {
            if (!props.added) return;
            const c = client();
            const sa = await c.read(props.namespace, props.serviceAccount);
            if (!sa) return;
            const i = entryIndex(sa, props.secretName);
            if (i >= 0) await c.jsonPatch(props.namespace, props.serviceAccount, removePatch(i, props.secretName));
        },
    };
}

/** The provider ServiceAccountPullSecret uses (kubeconfig from the stack config). */
export const pullSecretProvider: pulumi.dynamic.ResourceProvider = makePullSecretProvider();
