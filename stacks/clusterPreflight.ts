/**
 * Before anything is registered: the ServiceAccounts listed in `environments.<env>.serviceAccounts`
 * as the cluster has them, so that the preview says what the stack will not do: create a missing
 * ServiceAccount, or keep an entry in a list another manager (Helm, Argo CD) owns (warnings), and
 * the environment namespaces, which must not belong to another stack (an error). The Kubernetes
 * provider reports an unreachable cluster itself.
 */
import { ConfigError, ConfigProblem, PlatformConfig } from "./config";
import { STACK_LABEL } from "./stackIdentity";
import { rawConfig } from "./runtimeConfig";
import { REGISTRY_SECRET_NAME } from "../components/kubernetes/EnvironmentNamespace";
import { apiStatus, coreV1Client, entryIndex, foreignOwners, kubernetesServiceAccountClient, listOwners, ServiceAccountClient } from "../components/kubernetes/pullSecretProvider";

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
 * Environment namespaces another stack already owns (label `gitops-platform/stack`): one stack's
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
    for (const env of cfg.environments) {
        let labels: Record<string, string> | undefined;
        try {
            labels = await r(env.namespace);
        } catch {
            return problems;
        }
        const other = labels?.[STACK_LABEL];
        if (other !== undefined && other !== stackLabel) {
            problems.push({
                key: `gitops-platform:environments.${env.name}.namespace`,
                message:
                    `namespace ${env.namespace} belongs to stack "${other}" (label ${STACK_LABEL}), not to this stack "${stackLabel}": ` +
                    `two stacks must not share a namespace (one's destroy would delete it for both); choose another namespace or namespacePrefix`,
                example: `gitops-platform:environments:\n  ${env.name}:\n    namespace: ${env.namespace}-2`,
            });
        }
    }
    return problems;
}

/** Throws a ConfigError when an environment namespace belongs to another stack. */
export async function clusterPreflight(cfg: PlatformConfig, stackLabel: string): Promise<void> {
    const problems = await namespaceOwnershipProblems(cfg, stackLabel);
    if (problems.length > 0) throw new ConfigError(problems);
}
