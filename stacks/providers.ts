/**
 * Explicit providers built from the stack's own provider config namespaces (`kubernetes:*`,
 * `vault:*`, and `cloudflare:*` when the stack manages a Cloudflare tunnel). An explicit provider ignores those keys unless they are passed on, so every
 * setting the installed SDKs accept (providerSettings.ts) is forwarded here. Settings that may
 * hold a credential, and any key the stack stores encrypted, are read as Pulumi secrets so that
 * they stay encrypted in the state. `config.ts` has already rejected unknown keys and values of
 * the wrong shape, so reading them here cannot fail half-way through registration.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as vault from "@pulumi/vault";
// The provider class only: the package root would load every Cloudflare resource module.
import { Provider as CloudflareProvider, ProviderArgs as CloudflareProviderArgs } from "@pulumi/cloudflare/provider";
import { isSecretConfig } from "./runtimeConfig";
import { CLOUDFLARE_SETTINGS, KUBERNETES_SETTINGS, ProviderSetting, VAULT_SETTINGS } from "./providerSettings";

/** The providers every component receives. */
export interface Providers {
    /** Kubernetes provider for this stack's cluster. */
    kubernetes: k8s.Provider;
    /** Vault provider. */
    vault: vault.Provider;
    /** Cloudflare provider; only when the stack manages a tunnel (`gitops-platform:cloudflare.enabled`). */
    cloudflare?: CloudflareProvider;
}

function read(cfg: pulumi.Config, key: string, s: ProviderSetting): unknown {
    const secret = s.secret === true || isSecretConfig(`${cfg.name}:${key}`);
    switch (s.kind) {
        case "string":
            return secret ? cfg.getSecret(key) : cfg.get(key);
        case "boolean":
            return secret ? cfg.getSecretBoolean(key) : cfg.getBoolean(key);
        case "integer":
            return secret ? cfg.getSecretNumber(key) : cfg.getNumber(key);
        case "map":
        case "list":
            return secret ? cfg.getSecretObject(key) : cfg.getObject(key);
    }
}

/** Provider arguments from every setting of `settings` present under the `namespace:` config keys. */
export function providerArgs(namespace: string, settings: Record<string, ProviderSetting>): Record<string, unknown> {
    const cfg = new pulumi.Config(namespace);
    const args: Record<string, unknown> = {};
    for (const [key, s] of Object.entries(settings)) {
        const value = read(cfg, key, s);
        if (value !== undefined) {
            args[key] = value;
        }
    }
    return args;
}

/**
 * Defaults of the kubernetes provider that differ from the SDK's; a `kubernetes:*` key the stack
 * sets wins (including `false`). `enablePatchForce`: every object this program applies is its
 * own, so a hand edit (e.g. `kubectl label --overwrite`, field manager `kubectl-label`) is drift
 * the next `up` overwrites instead of failing with a server-side apply field conflict.
 */
export const KUBERNETES_DEFAULTS: Readonly<Partial<k8s.ProviderArgs>> = { enablePatchForce: true };

/** Kubernetes provider from every `kubernetes:*` key (`kubeconfig` as a secret, `context`, `clusterIdentifier`, …) over {@link KUBERNETES_DEFAULTS}. */
export function kubernetesProvider(): k8s.Provider {
    const args = { ...KUBERNETES_DEFAULTS, ...providerArgs("kubernetes", KUBERNETES_SETTINGS) };
    return new k8s.Provider("kubernetes", args as k8s.ProviderArgs);
}

/** Vault provider from every `vault:*` key (`address`, `token` and the auth-login blocks as secrets, `namespace`, …). */
export function vaultProvider(): vault.Provider {
    return new vault.Provider("vault", providerArgs("vault", VAULT_SETTINGS) as vault.ProviderArgs);
}

/** Cloudflare provider from every `cloudflare:*` key (`apiToken`, `apiKey`, `apiUserServiceKey` as secrets, `baseUrl`, …). */
export function cloudflareProvider(): CloudflareProvider {
    return new CloudflareProvider("cloudflare", providerArgs("cloudflare", CLOUDFLARE_SETTINGS) as CloudflareProviderArgs);
}

/**
 * The providers of the stack: kubernetes and vault always; cloudflare only with `cloudflare: true`
 * (a stack without a tunnel never registers it, so its plugin is never needed).
 */
export function createProviders(opts: { cloudflare?: boolean } = {}): Providers {
    const providers: Providers = { kubernetes: kubernetesProvider(), vault: vaultProvider() };
    if (opts.cloudflare) {
        providers.cloudflare = cloudflareProvider();
    }
    return providers;
}
