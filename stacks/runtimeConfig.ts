/**
 * The stack config as the engine handed it to the program, read without `pulumi.Config`: raw
 * values (`Config.get` would warn about reading a secret in clear, and the preflights need the
 * plain Vault token and kubeconfig) and whether a key is stored encrypted.
 */

interface RuntimeConfig {
    getConfig(key: string): string | undefined;
    isConfigSecret(key: string): boolean;
}

function runtimeConfig(): RuntimeConfig {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@pulumi/pulumi/runtime/config") as RuntimeConfig;
}

/** The plain value of a full key (`vault:token`), or undefined when unset or empty. */
export function rawConfig(key: string): string | undefined {
    return runtimeConfig().getConfig(key) || undefined;
}

/** Whether the stack stores the full key encrypted (`pulumi config set --secret`). */
export function isSecretConfig(key: string): boolean {
    return runtimeConfig().isConfigSecret(key);
}
