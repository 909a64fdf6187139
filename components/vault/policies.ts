/**
 * Vault policy documents (HCL) that gitops-platform writes. Pure functions, so tests can parse the
 * exact text with a real HCL parser.
 */

/** Where one environment's secrets live under a KV v2 mount. */
export interface EnvironmentPolicyArgs {
    /** KV v2 mount path, e.g. `secret`. */
    kvMount: string;
    /** Prefix under the mount, e.g. the GitLab group `gitops-poc-dzha`. */
    pathPrefix: string;
    /** Environment name, e.g. `dev`. */
    environment: string;
}

/**
 * Read access to `<prefix>/<service>/<env>/<name>` for every service of one environment.
 * `+` matches exactly one path segment (a service, then a secret name); `*` is never used, so a
 * policy cannot reach deeper paths or other environments.
 */
export function environmentReadPolicy(a: EnvironmentPolicyArgs): string {
    return [
        `# gitops-platform: read access to every service's secrets of environment "${a.environment}".`,
        `# '+' matches exactly one path segment: <service> and <secret name>.`,
        `path "${a.kvMount}/data/${a.pathPrefix}/+/${a.environment}/+" {`,
        `  capabilities = ["read"]`,
        `}`,
        ``,
        `path "${a.kvMount}/metadata/${a.pathPrefix}/+/${a.environment}/+" {`,
        `  capabilities = ["read", "list"]`,
        `}`,
        ``,
    ].join("\n");
}

/** KV path (without mount and `data/`) of the registry credentials every namespace syncs. */
export function registrySecretPath(pathPrefix: string): string {
    return `${pathPrefix}/platform/registry`;
}

/** Read access to the registry credentials at `<mount>/data/<prefix>/platform/registry`, nothing else. */
export function registryReadPolicy(kvMount: string, pathPrefix: string): string {
    return [
        `# gitops-platform: read access to the container registry credentials (.dockerconfigjson).`,
        `path "${kvMount}/data/${registrySecretPath(pathPrefix)}" {`,
        `  capabilities = ["read"]`,
        `}`,
        ``,
    ].join("\n");
}
