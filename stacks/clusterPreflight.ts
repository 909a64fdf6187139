/**
 * Before anything is registered: the ServiceAccounts listed in `environments.<env>.serviceAccounts`
 * as the cluster has them, so that the preview says what the stack will not do: create a missing
 * ServiceAccount, or keep an entry in a list another manager (Helm, Argo CD) owns (warnings); the
 * environment namespaces, and the objects the stack applies into the Argo CD and VSO namespaces
 * (repo-creds Secret, AppProject, ApplicationSet, default VaultConnection; with Image Updater its
 * ImageUpdaters and the Argo CD namespace's VaultAuth and VaultStaticSecret), none of which may
 * belong to another stack (an error: the provider force-applies, so it would silently take them
 * over). The Kubernetes provider reports an unreachable cluster itself.
 */
import { ConfigError, ConfigProblem, PlatformConfig } from "./config";
import { STACK_LABEL } from "./stackIdentity";
import { rawConfig } from "./runtimeConfig";
import { REGISTRY_SECRET_NAME } from "../components/kubernetes/EnvironmentNamespace";
import { argoCdAppliedObjects, type AppliedObjectRef } from "../components/argocd/ArgoCd";
import { previewAppliedObjects } from "../components/argocd/PreviewEnvironments";
import { previewNamespace } from "./schema";
import { vsoAppliedObjects } from "../components/vso/VaultSecretsOperator";
import { cloudflaredNamespace } from "./cloudflareConfig";
import { imageUpdaterAppliedObjects } from "../components/image-updater/specs";
import {
    apiStatus,
    clientNode,
    coreV1Client,
    entryIndex,
    foreignOwners,
    kubernetesServiceAccountClient,
    listOwners,
    loadKubeConfig,
    type KubeconfigSource,
    ServiceAccountClient,
} from "../components/kubernetes/pullSecretProvider";

/** The kubeconfig the kubernetes provider uses (`kubernetes:kubeconfig`, `kubernetes:context`). */
export function stackKubeconfig(): { kubeconfig?: string; context?: string } {
    return { kubeconfig: rawConfig("kubernetes:kubeconfig"), context: rawConfig("kubernetes:context") };
}

/** One warning per listed ServiceAccount the stack cannot give `regsecret` as users might expect. */
export async function serviceAccountWarnings(cfg: PlatformConfig, client?: ServiceAccountClient): Promise<string[]> {
    const warnings: string[] = [];
    let c: ServiceAccountClient;
    try {
        c = client ?? kubernetesServiceAccountClient(stackKubeconfig());
    } catch (e) {
        return [`could not check the listed ServiceAccounts: ${e instanceof Error ? e.message : String(e)}`];
    }
    const route = `put "imagePullSecrets: [{name: ${REGISTRY_SECRET_NAME}}]" in the pod spec of the chart's values instead (k8app: imagePullSecrets), a list that merges`;
    for (const env of cfg.environments) {
        for (const name of env.serviceAccounts) {
            let sa;
            try {
                sa = await c.read(env.namespace, name);
            } catch (e) {
                return [...warnings, `could not check the listed ServiceAccounts: ${e instanceof Error ? e.message : String(e)}`];
            }
            const key = `gitops-platform:environments.${env.name}.serviceAccounts`;
            if (!sa) {
                // `default` comes with the namespace.
                if (name !== "default") {
                    warnings.push(
                        `ServiceAccount ${env.namespace}/${name} (${key}) does not exist: this stack never creates it, so it gets no ` +
                            `${REGISTRY_SECRET_NAME} now; run "pulumi up --refresh" once it exists, or ${route}.`,
                    );
                }
                continue;
            }
            // kubectl edits are hand edits: the next up puts the entry back; a chart or controller is not fought.
            const owners = foreignOwners(listOwners(sa));
            if (entryIndex(sa, REGISTRY_SECRET_NAME) < 0 && owners.length > 0) {
                warnings.push(
                    `ServiceAccount ${env.namespace}/${name} (${key}): imagePullSecrets is owned by ${owners.join(", ")}. ` +
                        `${REGISTRY_SECRET_NAME} is added next to its entries once; if that manager removes it again, this stack ` +
                        `leaves it removed rather than fight it: ${route}.`,
                );
            }
        }
    }
    return warnings;
}

/** Reads a namespace's labels; undefined when it does not exist. */
export type NamespaceLabelReader = (name: string) => Promise<Record<string, string> | undefined>;

/** A NamespaceLabelReader over @kubernetes/client-node with the stack's kubeconfig. */
export function kubernetesNamespaceLabels(src = stackKubeconfig()): NamespaceLabelReader {
    const api = coreV1Client(src);
    return async (name) => {
        try {
            return (await api.readNamespace({ name })).metadata?.labels ?? {};
        } catch (e) {
            if (apiStatus(e) === 404) return undefined;
            throw e;
        }
    };
}

/**
 * Environment namespaces (and the cloudflared connector's, with `cloudflare.enabled`) another
 * stack already owns (label `gitops-platform/stack`): one stack's
 * `destroy` would delete the other's namespace, so the program stops, naming both. Namespaces
 * without the label (the old scripts') are adopted. An unreachable cluster is left to the
 * Kubernetes provider to report.
 */
export async function namespaceOwnershipProblems(
    cfg: PlatformConfig,
    stackLabel: string,
    read?: NamespaceLabelReader,
): Promise<ConfigProblem[]> {
    let r: NamespaceLabelReader;
    try {
        r = read ?? kubernetesNamespaceLabels();
    } catch {
        return [];
    }
    const problems: ConfigProblem[] = [];
    // The environments' namespaces, the preview namespace (under its own key) and the cloudflared
    // connector's when the stack has a tunnel.
    const owned = cfg.environments.map((env) => ({
        namespace: env.namespace,
        key: `gitops-platform:environments.${env.name}.namespace`,
        example: `gitops-platform:environments:\n  ${env.name}:\n    namespace: ${env.namespace}-2`,
    }));
    if (cfg.previews.enabled) {
        const namespace = previewNamespace(cfg);
        owned.push({ namespace, key: "gitops-platform:previews.namespace", example: `gitops-platform:previews:\n  namespace: ${namespace}-2` });
    }
    if (cfg.cloudflare.enabled) {
        const namespace = cloudflaredNamespace(cfg.namespacePrefix, cfg.cloudflare);
        owned.push({ namespace, key: "gitops-platform:cloudflare.namespace", example: `gitops-platform:cloudflare:\n  namespace: ${namespaceFor(namespace, stackLabel)}` });
    }
    for (const o of owned) {
        let labels: Record<string, string> | undefined;
        try {
            labels = await r(o.namespace);
        } catch {
            return problems;
        }
        const other = labels?.[STACK_LABEL];
        if (other !== undefined && other !== stackLabel) {
            problems.push({
                key: o.key,
                message:
                    `namespace ${o.namespace} belongs to stack "${other}" (label ${STACK_LABEL}), not to this stack "${stackLabel}": ` +
                    `two stacks must not share a namespace (one's destroy would delete it for both); choose another namespace or namespacePrefix`,
                example: o.example,
            });
        }
    }
    return problems;
}

/** An object the stack applies into a namespace of the Argo CD or VSO installation, with the config key that places it there. */
export interface InstallationObject extends AppliedObjectRef {
    /** `gitops-platform:argocd.namespace` or `gitops-platform:vso.namespace`. */
    key: string;
}

/**
 * The objects the program applies into the Argo CD and VSO installation namespaces, named as the
 * program names them (stacks/program.ts: AppProject `argocd.project`, default `namespacePrefix`).
 * Two stacks that share one of those namespaces would share these objects.
 */
export function installationObjects(cfg: PlatformConfig): InstallationObject[] {
    const project = cfg.argocd.project ?? cfg.namespacePrefix;
    return [
        ...argoCdAppliedObjects(cfg.argocd.namespace, project).map((o) => ({ ...o, key: "gitops-platform:argocd.namespace" })),
        ...(cfg.previews.enabled
            ? previewAppliedObjects(cfg.argocd.namespace, project, previewNamespace(cfg)).map((o) => ({ ...o, key: "gitops-platform:argocd.namespace" }))
            : []),
        ...vsoAppliedObjects(cfg.vso.namespace).map((o) => ({ ...o, key: "gitops-platform:vso.namespace" })),
        ...(cfg.imageUpdater.enabled
            ? imageUpdaterAppliedObjects(
                  cfg.argocd.namespace,
                  project,
                  cfg.imageUpdater.images.map((i) => i.service),
              ).map((o) => ({ ...o, key: "gitops-platform:argocd.namespace" }))
            : []),
    ];
}

/** Reads one object's labels; undefined when the object (or its kind: CRD not installed yet) does not exist. */
export type ObjectLabelReader = (ref: AppliedObjectRef) => Promise<Record<string, string> | undefined>;

/** A CustomObjects client for the kubeconfig `coreV1Client` would use (content, path, or KUBECONFIG / ~/.kube/config). */
export function customObjectsClient(src: KubeconfigSource): import("@kubernetes/client-node").CustomObjectsApi {
    return loadKubeConfig(src).makeApiClient(clientNode().CustomObjectsApi);
}

/**
 * An ObjectLabelReader over @kubernetes/client-node with the stack's kubeconfig: CoreV1 Secrets for
 * `v1` objects, CustomObjects otherwise. Clients are made on first use.
 */
export function kubernetesObjectLabels(src = stackKubeconfig()): ObjectLabelReader {
    let core: ReturnType<typeof coreV1Client> | undefined;
    let custom: ReturnType<typeof customObjectsClient> | undefined;
    return async (ref) => {
        try {
            if (ref.apiVersion === "v1") {
                // The only core object among installationObjects: the repo-creds Secret.
                core ??= coreV1Client(src);
                return (await core.readNamespacedSecret({ name: ref.name, namespace: ref.namespace })).metadata?.labels ?? {};
            }
            const [group, version] = ref.apiVersion.split("/");
            custom ??= customObjectsClient(src);
            const obj = (await custom.getNamespacedCustomObject({ group, version, namespace: ref.namespace, plural: ref.plural, name: ref.name })) as {
                metadata?: { labels?: Record<string, string> };
            };
            return obj?.metadata?.labels ?? {};
        } catch (e) {
            // 404: the object, its namespace or its CRD does not exist yet.
            if (apiStatus(e) === 404) return undefined;
            throw e;
        }
    };
}

/** A namespace for `stack` beside `namespace` (`<namespace>-<stack>`), a valid RFC 1123 label of at most 63 characters. */
function namespaceFor(namespace: string, stackLabel: string): string {
    const suffix = stackLabel.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "") || "2";
    const head = namespace.slice(0, 63 - suffix.length - 1).replace(/-+$/, "");
    return `${head}-${suffix}`;
}

/** "a, b and c". */
function listing(items: string[]): string {
    return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/**
 * Objects of the Argo CD and VSO installation namespaces (see {@link installationObjects}) another
 * stack already owns (label `gitops-platform/stack`): the kubernetes provider force-applies
 * (`enablePatchForce`), so this stack would take them over and the two stacks would overwrite
 * each other on every `up`; one problem per config key and other stack, naming every object and
 * both stacks. Objects without the label (earlier versions', made by hand) are adopted; missing
 * ones are created. An object the API server refuses to show (403) is skipped; an unreachable
 * cluster stops the check and is left to the provider to report.
 */
export async function installationOwnershipProblems(
    cfg: PlatformConfig,
    stackLabel: string,
    read?: ObjectLabelReader,
): Promise<ConfigProblem[]> {
    let r: ObjectLabelReader;
    try {
        r = read ?? kubernetesObjectLabels();
    } catch {
        return [];
    }
    // key → other stack → objects
    const taken = new Map<string, Map<string, InstallationObject[]>>();
    for (const obj of installationObjects(cfg)) {
        let labels: Record<string, string> | undefined;
        try {
            labels = await r(obj);
        } catch (e) {
            // An answer of the API server (e.g. 403: no right to read Secrets): check the other objects;
            // no answer (unreachable, bad kubeconfig): stop, the provider reports it.
            if (Number.isFinite(apiStatus(e))) continue;
            break;
        }
        const other = labels?.[STACK_LABEL];
        if (other === undefined || other === stackLabel) continue;
        const byStack = taken.get(obj.key) ?? new Map<string, InstallationObject[]>();
        byStack.set(other, [...(byStack.get(other) ?? []), obj]);
        taken.set(obj.key, byStack);
    }
    const problems: ConfigProblem[] = [];
    for (const [key, byStack] of taken) {
        const argo = key === "gitops-platform:argocd.namespace";
        const namespace = argo ? cfg.argocd.namespace : cfg.vso.namespace;
        const installation = argo ? "Argo CD" : "Vault Secrets Operator";
        const block = argo ? "argocd" : "vso";
        for (const [other, objects] of byStack) {
            const names = listing(objects.map((o) => `${o.kind} ${o.namespace}/${o.name}`));
            problems.push({
                key,
                message:
                    `${names} ${objects.length === 1 ? "belongs" : "belong"} to stack "${other}" (label ${STACK_LABEL}), not to this stack "${stackLabel}": ` +
                    `two stacks sharing the ${installation} namespace would overwrite each other's objects on every up (force apply) ` +
                    `and one's destroy would delete them for both; give this stack its own ${installation} namespace ` +
                    `(with ${block}.enabled: false it must already run there)`,
                example: `gitops-platform:${block}:\n  namespace: ${namespaceFor(namespace, stackLabel)}`,
            });
        }
    }
    return problems;
}

/**
 * Throws one ConfigError listing every environment namespace and every Argo CD or VSO
 * installation object that belongs to another stack.
 */
export async function clusterPreflight(
    cfg: PlatformConfig,
    stackLabel: string,
    readers: { namespaces?: NamespaceLabelReader; objects?: ObjectLabelReader } = {},
): Promise<void> {
    const problems = [
        ...(await namespaceOwnershipProblems(cfg, stackLabel, readers.namespaces)),
        ...(await installationOwnershipProblems(cfg, stackLabel, readers.objects)),
    ];
    if (problems.length > 0) throw new ConfigError(problems);
}
