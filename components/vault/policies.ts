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

/**
 * KV path (without mount and `data/`) of one stack's registry credentials:
 * `<prefix>/platform/stacks/<stack>/registry`. Four segments under the prefix, so no environment
 * policy (`<prefix>/+/<env>/+`, three segments) can reach it, whatever the environment and stack
 * names. Each stack has its own: two stacks never write one path.
 */
export function registrySecretPath(pathPrefix: string, stack: string): string {
    return `${pathPrefix}/platform/stacks/${stack}/registry`;
}

/**
 * Name of one stack's registry read policy: `registry-read-<fragment>`, lowercased with characters
 * Vault policy names do not keep turned into '-' (Vault lowercases policy names). Pass the stack's
 * fragment from stackIdentity (`dev` for `dev`, `dev-<hash>` for `DEV`): a raw stack name would
 * give `DEV` and `dev`, or `eu.prod` and `eu-prod`, one policy.
 */
export function registryPolicyName(stackFragment: string): string {
    return `registry-read-${stackFragment.toLowerCase().replace(/[^a-z0-9_-]/g, "-")}`;
}

/** Read access to one stack's registry credentials at `<mount>/data/<secretPath>`, nothing else. */
export function registryReadPolicy(kvMount: string, secretPath: string): string {
    return [
        `# gitops-platform: read access to the container registry credentials (.dockerconfigjson).`,
        `path "${kvMount}/data/${secretPath}" {`,
        `  capabilities = ["read"]`,
        `}`,
        ``,
    ].join("\n");
}

/**
 * Read access to exactly one KV v2 secret, `<mount>/data/<secretPath>`: no metadata, no list,
 * nothing beside or below it. For the one workload that needs that secret (e.g. the cloudflared
 * connector's tunnel token); `purpose` becomes the policy's comment.
 */
export function kvSecretReadPolicy(kvMount: string, secretPath: string, purpose: string): string {
    return [`# gitops-platform: ${purpose}`, `path "${kvMount}/data/${secretPath}" {`, `  capabilities = ["read"]`, `}`, ``].join("\n");
}

/** Where one service's secrets of one environment live under a KV v2 mount. */
export interface ServicePolicyArgs extends EnvironmentPolicyArgs {
    /** Service name, e.g. `api-gateway`. */
    service: string;
}

/**
 * Read access to `<prefix>/<service>/<env>/<name>` for one service of one environment only
 * (`environments.<env>.perService`). Same KV v2 forms as {@link environmentReadPolicy}, with the
 * service fixed: `+` matches exactly one segment (the secret name), so the policy reaches neither
 * another service, another environment, deeper paths nor the registry credentials (four segments
 * under the prefix).
 */
export function serviceReadPolicy(a: ServicePolicyArgs): string {
    return [
        `# gitops-platform: read access to the secrets of service "${a.service}" in environment "${a.environment}" only.`,
        `# '+' matches exactly one path segment: <secret name>.`,
        `path "${a.kvMount}/data/${a.pathPrefix}/${a.service}/${a.environment}/+" {`,
        `  capabilities = ["read"]`,
        `}`,
        ``,
        `path "${a.kvMount}/metadata/${a.pathPrefix}/${a.service}/${a.environment}/+" {`,
        `  capabilities = ["read", "list"]`,
        `}`,
        ``,
    ].join("\n");
}

/** Where a writer (another operator syncing into Vault) may write, and how. */
export interface WriterPolicyArgs {
    /** KV v2 mount path, e.g. `secret`. */
    kvMount: string;
    /** Prefix under the mount the writer owns, e.g. `k8s-sync/dev`: never the platform's own prefix. */
    prefix: string;
    /** Writer name, for the comment, e.g. `vault-sync-operator`. */
    writer: string;
    /** Also grant `read` on the secrets and their metadata. @default false */
    read?: boolean;
}

/**
 * A writer's policy: create, update and delete secrets under `<mount>/data/<prefix>/`, list and
 * delete (all versions) under `<mount>/metadata/<prefix>/`, plus `read` on both when asked;
 * nothing else. `*` after the fixed prefix: the writer chooses its own layout below it.
 */
export function writerPolicy(a: WriterPolicyArgs): string {
    const read = a.read ? [`"read"`] : [];
    return [
        `# gitops-platform: writer "${a.writer}" manages secrets under ${a.kvMount}/${a.prefix}/ only.`,
        `path "${a.kvMount}/data/${a.prefix}/*" {`,
        `  capabilities = [${['"create"', ...read, '"update"', '"delete"'].join(", ")}]`,
        `}`,
        ``,
        `path "${a.kvMount}/metadata/${a.prefix}/*" {`,
        `  capabilities = [${[...read, '"delete"', '"list"'].join(", ")}]`,
        `}`,
        ``,
    ].join("\n");
}

/** Vault policy names keep `[a-z0-9_-]`: anything else becomes '-' (Vault lowercases them). */
function policySafe(s: string): string {
    return s.toLowerCase().replace(/[^a-z0-9_-]/g, "-");
}

/** Name of one writer's policy: `<writer>-write-<stack fragment>` (per stack, like `registry-read-<fragment>`). */
export function writerPolicyName(writer: string, stackFragment: string): string {
    return policySafe(`${writer}-write-${stackFragment}`);
}

/** Name of one writer's Kubernetes auth role: `<writer>-<stack fragment>`. */
export function writerRoleName(writer: string, stackFragment: string): string {
    return policySafe(`${writer}-${stackFragment}`);
}
