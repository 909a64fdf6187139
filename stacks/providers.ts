/**
 * Explicit providers built from the stack's own provider config namespaces (`kubernetes:*`,
 * `vault:*`). An explicit provider ignores those keys unless they are passed on, so every
 * setting a user may put in the stack file is forwarded here.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as vault from "@pulumi/vault";

/** The providers every component receives. */
export interface Providers {
    /** Kubernetes provider for this stack's cluster. */
    kubernetes: k8s.Provider;
    /** Vault provider. */
    vault: vault.Provider;
}

function bool(cfg: pulumi.Config, key: string): boolean | undefined {
    return cfg.getBoolean(key);
}

/** Kubernetes provider from `kubernetes:kubeconfig` (secret), `kubernetes:context`, `kubernetes:cluster`, … */
export function kubernetesProvider(): k8s.Provider {
    const cfg = new pulumi.Config("kubernetes");
    return new k8s.Provider("kubernetes", {
        // a path, or the kubeconfig itself with its bearer tokens / client keys: secret in the state
        kubeconfig: cfg.getSecret("kubeconfig"),
        context: cfg.get("context"),
        cluster: cfg.get("cluster"),
        namespace: cfg.get("namespace"),
        enableServerSideApply: bool(cfg, "enableServerSideApply"),
        enableConfigMapMutable: bool(cfg, "enableConfigMapMutable"),
        deleteUnreachable: bool(cfg, "deleteUnreachable"),
        skipUpdateUnreachable: bool(cfg, "skipUpdateUnreachable"),
        suppressDeprecationWarnings: bool(cfg, "suppressDeprecationWarnings"),
        suppressHelmHookWarnings: bool(cfg, "suppressHelmHookWarnings"),
        renderYamlToDirectory: cfg.get("renderYamlToDirectory"),
        helmReleaseSettings: cfg.getObject<k8s.types.input.HelmReleaseSettings>("helmReleaseSettings"),
        kubeClientSettings: cfg.getObject<k8s.types.input.KubeClientSettings>("kubeClientSettings"),
    });
}

/** Vault provider from `vault:address`, `vault:token` (secret), `vault:namespace`, `vault:skipTlsVerify`, … */
export function vaultProvider(): vault.Provider {
    const cfg = new pulumi.Config("vault");
    return new vault.Provider("vault", {
        address: cfg.get("address"),
        token: cfg.getSecret("token"),
        namespace: cfg.get("namespace"),
        skipTlsVerify: bool(cfg, "skipTlsVerify"),
        caCertFile: cfg.get("caCertFile"),
        caCertDir: cfg.get("caCertDir"),
        tlsServerName: cfg.get("tlsServerName"),
        vaultVersionOverride: cfg.get("vaultVersionOverride"),
        skipGetVaultVersion: bool(cfg, "skipGetVaultVersion"),
        skipChildToken: bool(cfg, "skipChildToken"),
        maxLeaseTtlSeconds: cfg.getNumber("maxLeaseTtlSeconds"),
        maxRetries: cfg.getNumber("maxRetries"),
        addAddressToEnv: cfg.get("addAddressToEnv"),
        tokenName: cfg.getSecret("tokenName"),
    });
}

/** Both providers of the stack. */
export function createProviders(): Providers {
    return { kubernetes: kubernetesProvider(), vault: vaultProvider() };
}
