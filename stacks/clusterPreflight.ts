/**
 * Before anything is registered: the ServiceAccounts listed in `environments.<env>.serviceAccounts`
 * as the cluster has them, so that the preview says what the stack will not do: create a missing
 * ServiceAccount, or keep an entry in a list another manager (Helm, Argo CD) owns. Warnings only:
 * the Kubernetes provider reports an unreachable cluster itself.
 */
import { PlatformConfig } from "./config";
import { REGISTRY_SECRET_NAME } from "../components/kubernetes/EnvironmentNamespace";
import { entryIndex, kubernetesServiceAccountClient, listOwners, ServiceAccountClient } from "../components/kubernetes/pullSecretProvider";

/** The kubeconfig the kubernetes provider uses (`kubernetes:kubeconfig`, `kubernetes:context`). */
export function stackKubeconfig(): { kubeconfig?: string; context?: string } {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { getConfig(k: string): string | undefined };
    return {
        kubeconfig: runtimeConfig.getConfig("kubernetes:kubeconfig") || undefined,
        context: runtimeConfig.getConfig("kubernetes:context") || undefined,
    };
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
            const owners = listOwners(sa);
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
