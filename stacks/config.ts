/**
 * Reads the `gitops-platform:*` stack config, validates it against the contract (schema.ts) and
 * derives the names every component uses. Nothing else in the program reads `pulumi.Config`
 * for this project's keys. Invalid config throws one `ConfigError` listing every problem,
 * before any resource is registered; the provider namespaces `kubernetes:*`, `vault:*` and
 * `cloudflare:*` are checked in the same pass (providerSettings.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { configSchema, defaultImageConstraint, RawPlatformConfig, SECRET_PATHS, TOP_LEVEL_KEYS } from "./schema";
import { exampleFor } from "./examples";
import { isSecretConfig } from "./runtimeConfig";
import { providerConfigProblems } from "./providerSettings";
import { stackVaultFragment } from "./stackIdentity";
import { registryPolicyName, writerPolicyName, writerRoleName } from "../components/vault/policies";
import { CLOUDFLARED_ROLE, cloudflaredPolicyName } from "../components/cloudflare/names";
import { regsecretRoleName } from "../components/image-updater/specs";

/** The Pulumi project name; config keys are `gitops-platform:<key>`. */
export const PROJECT = "gitops-platform";

/** One environment with every derived name resolved. */
export interface EnvironmentConfig {
    /** Environment name, e.g. `dev`. */
    name: string;
    /** Kubernetes namespace, `<namespacePrefix>-<env>` unless overridden. */
    namespace: string;
    /** ServiceAccounts bound to the Vault role and given `imagePullSecrets`; always starts with `default`. */
    serviceAccounts: string[];
    /**
     * Vault policy name, `<namespace>-read`: every service's secrets of the environment. Undefined
     * with `perService`: no such policy, each service has its own (`services`).
     */
    policyName?: string;
    /** Vault Kubernetes auth role name, `<namespace>-default`. */
    roleName: string;
    /** Semver constraint Argo CD Image Updater applies here: `imageConstraint`, else `defaultImageConstraint(name)`. */
    imageConstraint: string;
    /** Whether each service has its own identity (`environments.<env>.perService`). */
    perService: boolean;
    /** With `perService`: one identity per service, in `services` order; otherwise empty. */
    services: ServiceIdentityConfig[];
}

/** One service's own identity in one environment (`environments.<env>.perService`). */
export interface ServiceIdentityConfig {
    /** Service name, e.g. `api-gateway`. */
    service: string;
    /** Its ServiceAccount in the environment namespace: the service name (k8app `serviceAccountName`). */
    serviceAccount: string;
    /** Its Vault policy, `<namespace>-<service>-read`. */
    policyName: string;
    /** Its Kubernetes auth role, `<namespace>-<service>`. */
    roleName: string;
    /** Its VaultAuth, `vault-auth-<service>` (k8app `secretsProvider.vault.authRef`). */
    vaultAuthName: string;
}

/** A writer (`vault.writers[]`) with its per-stack Vault names. */
export interface WriterConfig {
    /** Writer name, e.g. `vault-sync-operator`. */
    name: string;
    /** Namespace of its ServiceAccount. */
    namespace: string;
    /** Its ServiceAccount. */
    serviceAccount: string;
    /** Prefix under the KV mount it may write. */
    prefix: string;
    /** Whether it may also read there. */
    read: boolean;
    /** Its policy, `<name>-write-<stack fragment>`. */
    policyName: string;
    /** Its Kubernetes auth role, `<name>-<stack fragment>`. */
    roleName: string;
}

/** The validated stack config with defaults applied and secrets wrapped as Pulumi secrets. */
export interface PlatformConfig extends Omit<RawPlatformConfig, "environments" | "gitlabToken" | "argocdRepoToken" | "registry" | "protect"> {
    /** Stack name the config was read for. */
    stack: string;
    /** Environments in config order, with derived names. */
    environments: EnvironmentConfig[];
    /** Vault path prefix (defaults to the GitLab group). */
    pathPrefix: string;
    /** Whether Vault mounts, the auth backend and namespaces are `protect`ed. */
    protect: boolean;
    /** GitLab API token that manages deploy tokens (secret). */
    gitlabToken?: pulumi.Output<string>;
    /** Git read token for Argo CD repo-creds when no deploy token is managed (secret). */
    argocdRepoToken?: pulumi.Output<string>;
    /** Static registry credentials (`registry.server/username/password`); the password is secret. */
    registry?: { server: string; username: string; password: pulumi.Output<string> };
    /**
     * Registry credentials that already live in Vault (`registry.vault`): KV v2 mount (default
     * `vault.kvMount`) and path of a secret with REGISTRY_URL, REGISTRY_USERNAME, REGISTRY_PASSWORD.
     */
    registryVault?: { mount: string; path: string };
    /** A registry mirror (`registry.mirror`): host, and its login unless it comes from `registryVault`; the password is secret. */
    registryMirror?: { server: string; username?: string; password?: pulumi.Output<string> };
    /** `vault.writers` with their per-stack role and policy names. */
    writers: WriterConfig[];
}

/** One problem found in the stack config. */
export interface ConfigProblem {
    /** Full key, e.g. `gitops-platform:environments.dev.namespace`. */
    key: string;
    /** What is wrong. */
    message: string;
    /** A valid example for that key. */
    example?: string;
}

/** Thrown when the stack config is invalid; its message lists every problem with an example. */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly problems: ConfigProblem[]) {
        super(formatProblems(problems));
        this.name = "ConfigError";
    }
}

function formatProblems(problems: ConfigProblem[]): string {
    const lines = [
        `the stack configuration is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was created:`,
    ];
    for (const p of problems) {
        lines.push(`  - ${p.key}: ${p.message}`);
        if (p.example) {
            lines.push("    valid example:");
            lines.push(...p.example.split("\n").map((l) => `      ${l}`));
        }
    }
    return lines.join("\n");
}

function keyOf(path: readonly PropertyKey[]): string {
    let out = PROJECT + ":";
    path.forEach((seg, i) => {
        out += typeof seg === "number" ? `[${seg}]` : (i === 0 ? "" : ".") + String(seg);
    });
    return out;
}

/**
 * Whether the value at `path` may be quoted in an error: not when it is, holds or lies under a
 * secret path (`registry` given as a list holds the password), nor when its top-level key is
 * stored encrypted, whatever the value's shape.
 */
function mayEcho(path: readonly PropertyKey[], secretKeys: ReadonlySet<string>): boolean {
    if (path.length === 0 || secretKeys.has(`${PROJECT}:${String(path[0])}`)) {
        return false;
    }
    const dotted = path.filter((p) => typeof p !== "number").join(".");
    return !SECRET_PATHS.some((s) => dotted === s || dotted.startsWith(s + ".") || s.startsWith(dotted + "."));
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
    let cur: unknown = obj;
    for (const seg of path) {
        if (cur === null || typeof cur !== "object") {
            return undefined;
        }
        cur = (cur as Record<PropertyKey, unknown>)[seg];
    }
    return cur;
}

/** A value Pulumi handed over as JSON text of a map or list (the stack file held structured YAML). */
function isStructured(text: string): boolean {
    if (!/^\s*[[{]/.test(text)) {
        return false;
    }
    try {
        const v: unknown = JSON.parse(text);
        return v !== null && typeof v === "object";
    } catch {
        return false;
    }
}

function describeInput(v: unknown): string {
    if (v === undefined) {
        return "";
    }
    const text = JSON.stringify(v);
    return text.length > 80 ? "" : ` (got ${text})`;
}

/**
 * Validates raw stack config values (as Pulumi stores them: strings, objects as JSON text): the
 * `gitops-platform:*` contract and the `kubernetes:*` / `vault:*` provider settings.
 * `secretKeys` holds the full keys the stack stores encrypted. Pure: no Pulumi engine needed.
 */
export function parseStackConfig(raw: Record<string, string>, secretKeys: ReadonlySet<string>, stack: string): PlatformConfig {
    const problems: ConfigProblem[] = [];
    const input: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(raw)) {
        if (!fullKey.startsWith(PROJECT + ":")) {
            continue;
        }
        const key = fullKey.slice(PROJECT.length + 1);
        const kind = (TOP_LEVEL_KEYS as Record<string, string>)[key];
        if (kind === undefined) {
            const known = Object.keys(TOP_LEVEL_KEYS).join(", ");
            problems.push({ key: fullKey, message: `unknown key (a typo?); known keys: ${known}` });
            continue;
        }
        if (kind === "string") {
            if (isStructured(text)) {
                problems.push({
                    key: fullKey,
                    message: "must be plain text, not a structured value (a YAML map or list in the stack file)",
                    example: exampleFor([key]),
                });
                continue;
            }
            input[key] = text;
        } else if (kind === "boolean") {
            if (text !== "true" && text !== "false") {
                const got = mayEcho([key], secretKeys) ? describeInput(text) : "";
                problems.push({ key: fullKey, message: `must be true or false${got}`, example: exampleFor([key]) });
                continue;
            }
            input[key] = text === "true";
        } else {
            try {
                input[key] = JSON.parse(text);
            } catch {
                problems.push({
                    key: fullKey,
                    message: "must be a structured value (a YAML map or list in the stack file), not plain text",
                    example: exampleFor([key]),
                });
            }
        }
    }

    const parsed = configSchema.safeParse(input);
    if (!parsed.success) {
        for (const issue of parsed.error.issues) {
            const paths: PropertyKey[][] =
                issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
            for (const path of paths) {
                let message =
                    issue.code === "unrecognized_keys"
                        ? "unknown key (a typo?)"
                        : issue.code === "invalid_key"
                          ? `invalid name: ${issue.issues[0]?.message ?? issue.message}`
                          : issue.message;
                if (issue.code === "invalid_type" && valueAt(input, path) === undefined) {
                    message = "is required";
                }
                const echo = mayEcho(path, secretKeys);
                if (issue.code === "custom" && !echo && typeof issue.params?.redacted === "string") {
                    message = issue.params.redacted;
                }
                if (issue.code !== "unrecognized_keys" && issue.code !== "custom" && echo) {
                    message += describeInput(valueAt(input, path));
                }
                problems.push({ key: keyOf(path), message, example: exampleFor(path) });
            }
        }
    }

    problems.push(...providerConfigProblems(raw, secretKeys));

    // An enabled tunnel needs the cloudflare provider's credential, itself stack config (encrypted).
    if (parsed.success && parsed.data.cloudflare.enabled && !raw["cloudflare:apiToken"]) {
        problems.push({
            key: "cloudflare:apiToken",
            message:
                "is required when gitops-platform:cloudflare.enabled is true: the Cloudflare API token the stack manages the tunnel and " +
                "its DNS records with (Account: Cloudflare Tunnel Edit; Zone: DNS Edit on the zone; with cloudflare.dns01Token also User: API Tokens Edit)",
            example: "pulumi config set --secret cloudflare:apiToken <cloudflare-api-token>",
        });
    }

    // Every secret path must live under a top-level key the stack stores encrypted.
    for (const secretPath of parsed.success ? SECRET_PATHS : []) {
        const path = secretPath.split(".");
        if (valueAt(parsed.data, path) !== undefined && !secretKeys.has(`${PROJECT}:${path[0]}`)) {
            problems.push({
                key: keyOf(path),
                message: "is stored in clear text in the stack file; store it encrypted",
                example: exampleFor(path),
            });
        }
    }

    if (problems.length > 0 || !parsed.success) {
        throw new ConfigError(problems);
    }
    const cfg = derive(parsed.data, stack);
    const clashes = vaultNameClashes(cfg);
    if (clashes.length > 0) {
        throw new ConfigError(clashes);
    }
    return cfg;
}

/**
 * Two of the stack's Vault policies, or two of its roles (one auth mount), with one name: the
 * second would take the first over. Derived names can meet (`<ns>-<service>` of environment `dev`
 * and service `api-default` is `<ns of dev-api>-default`), so each clash names the key that made it.
 */
function vaultNameClashes(cfg: PlatformConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const policies = new Map<string, string>([[registryPolicyName(stackVaultFragment(cfg.stack)), "the stack's registry policy"]]);
    const roles = new Map<string, string>();
    const claim = (seen: Map<string, string>, kind: string, name: string, what: string, path: PropertyKey[]) => {
        const other = seen.get(name);
        if (other !== undefined) {
            problems.push({
                key: keyOf(path),
                message: `gives Vault ${kind} "${name}" to ${what}, which ${other} already has; rename one of them`,
                example: exampleFor(path),
            });
        } else {
            seen.set(name, what);
        }
    };
    // Environments and the other features first, then what perService and writers add: the clash
    // names the key that added it.
    for (const e of cfg.environments) {
        if (e.policyName !== undefined) claim(policies, "policy", e.policyName, `environment "${e.name}"`, ["environments", e.name]);
        claim(roles, "role", e.roleName, `environment "${e.name}"`, ["environments", e.name]);
    }
    if (cfg.cloudflare.enabled) {
        claim(policies, "policy", cloudflaredPolicyName(stackVaultFragment(cfg.stack)), "the cloudflared connector", ["cloudflare", "enabled"]);
        claim(roles, "role", CLOUDFLARED_ROLE, "the cloudflared connector", ["cloudflare", "enabled"]);
    }
    if (cfg.imageUpdater.enabled) {
        claim(roles, "role", regsecretRoleName(cfg.argocd.namespace), "Image Updater's regsecret sync", ["imageUpdater", "enabled"]);
    }
    for (const e of cfg.environments) {
        for (const s of e.services) {
            const what = `service "${s.service}" in environment "${e.name}"`;
            claim(policies, "policy", s.policyName, what, ["environments", e.name, "perService"]);
            claim(roles, "role", s.roleName, what, ["environments", e.name, "perService"]);
        }
    }
    cfg.writers.forEach((w, i) => {
        claim(policies, "policy", w.policyName, `writer "${w.name}"`, ["vault", "writers", i, "name"]);
        claim(roles, "role", w.roleName, `writer "${w.name}"`, ["vault", "writers", i, "name"]);
    });
    return problems;
}

function derive(c: RawPlatformConfig, stack: string): PlatformConfig {
    const environments = Object.entries(c.environments).map(([name, e]): EnvironmentConfig => {
        const namespace = e.namespace ?? `${c.namespacePrefix}-${name}`;
        return {
            name,
            namespace,
            serviceAccounts: ["default", ...e.serviceAccounts.filter((sa) => sa !== "default")],
            policyName: e.perService ? undefined : `${namespace}-read`,
            roleName: `${namespace}-default`,
            imageConstraint: e.imageConstraint ?? defaultImageConstraint(name),
            perService: e.perService,
            services: e.perService
                ? c.services.map((s) => ({
                      service: s.name,
                      serviceAccount: s.name,
                      policyName: `${namespace}-${s.name}-read`,
                      roleName: `${namespace}-${s.name}`,
                      vaultAuthName: `vault-auth-${s.name}`,
                  }))
                : [],
        };
    });
    const fragment = stackVaultFragment(stack);
    const writers = c.vault.writers.map(
        (w): WriterConfig => ({
            ...w,
            policyName: writerPolicyName(w.name, fragment),
            roleName: writerRoleName(w.name, fragment),
        }),
    );
    const { gitlabToken, argocdRepoToken, registry, protect, environments: _e, ...rest } = c;
    return {
        ...rest,
        stack,
        environments,
        pathPrefix: c.vault.pathPrefix ?? c.gitlab.group,
        protect: protect ?? /(^|[-_.])prod(uction)?($|[-_.])/.test(stack),
        gitlabToken: gitlabToken === undefined ? undefined : pulumi.secret(gitlabToken),
        argocdRepoToken: argocdRepoToken === undefined ? undefined : pulumi.secret(argocdRepoToken),
        registry:
            registry?.server !== undefined && registry.username !== undefined && registry.password !== undefined
                ? { server: registry.server, username: registry.username, password: pulumi.secret(registry.password) }
                : undefined,
        registryVault: registry?.vault ? { mount: registry.vault.mount ?? c.vault.kvMount, path: registry.vault.path } : undefined,
        registryMirror: registry?.mirror
            ? {
                  server: registry.mirror.server,
                  username: registry.mirror.username,
                  password: registry.mirror.password === undefined ? undefined : pulumi.secret(registry.mirror.password),
              }
            : undefined,
        writers,
    };
}

/** Reads and validates this stack's `gitops-platform:*` config from the Pulumi engine. */
export function loadConfig(): PlatformConfig {
    const raw = pulumi.runtime.allConfig();
    const secretKeys = new Set(Object.keys(raw).filter(isSecretConfig));
    return parseStackConfig(raw, secretKeys, pulumi.getStack());
}
