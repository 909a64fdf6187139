/**
 * Before anything is registered: what is already mounted in Vault at the stack's KV mount and
 * Kubernetes auth paths (components/vault/inventory.ts), checked against the stack config. What
 * matches is adopted (VaultPlatform imports it, keeping its description); what does not stops the
 * program with an error naming the config key. See docs/migration.md.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ConfigProblem, PlatformConfig } from "./config";
import { AUTH_OWNER_MARKER } from "./stackIdentity";
import { rawConfig } from "./runtimeConfig";
import { isKvV2, readVaultInventory, VaultEndpoint, VaultInventory } from "../components/vault/inventory";
import {
    capabilityProblem,
    checkSealStatus,
    readCapabilities,
    requiredCapabilities,
    RequiredCapabilities,
    VaultNotReadyError,
} from "../components/vault/readiness";
import { registryPolicyName, registrySecretPath } from "../components/vault/policies";
import { regsecretRoleName } from "../components/image-updater/specs";
import { servicePlaceholderPath } from "../components/vault/ServiceSecretPlaceholder";
import { cloudflareDns01SecretPath, cloudflaredPolicyName, cloudflareTunnelSecretPath, CLOUDFLARED_ROLE } from "../components/cloudflare/names";
import { argocdCiSecretPath, argocdWebhookSecretPath } from "../components/argocd/ArgoCdCi";
import { ciTokenApiUrl, webhookUrl } from "./argocdCi";


/** The Vault endpoint the vault provider uses: `vault:address`/`vault:token`/`vault:namespace`, else VAULT_ADDR, VAULT_TOKEN (or ~/.vault-token), VAULT_NAMESPACE. */
export function vaultEndpoint(): VaultEndpoint {
    const get = (k: string) => rawConfig(`vault:${k}`);
    const address = get("address") ?? process.env.VAULT_ADDR ?? "";
    let token = get("token") ?? process.env.VAULT_TOKEN ?? "";
    if (token === "") {
        const file = path.join(os.homedir(), ".vault-token");
        token = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : "";
    }
    if (address === "" || token === "") {
        const login = Object.keys(pulumi.runtime.allConfig()).filter((k) => /^vault:(authLogin|clientAuth)/.test(k));
        const why =
            login.length > 0
                ? ` (${login.join(", ")} log the vault provider in, but the preflight and the registry secret writer ` +
                  `call Vault themselves and need a token)`
                : "";
        throw new ConfigError([
            {
                key: address === "" ? "vault:address" : "vault:token",
                message:
                    "is required (or VAULT_ADDR / VAULT_TOKEN in the environment): the program reads what is already mounted " +
                    `in Vault and writes the stack's registry secret${address === "" ? "" : why}`,
                example: address === "" ? "vault:address: https://vault.example.com" : "pulumi config set --secret vault:token <token>",
            },
        ]);
    }
    return { address, token, namespace: get("namespace") ?? process.env.VAULT_NAMESPACE };
}

/** Problems between what exists in Vault and the stack config (empty: adopt or create). */
export function inventoryProblems(cfg: PlatformConfig, inv: VaultInventory, owner: string): ConfigProblem[] {
    const v = cfg.vault;
    const problems: ConfigProblem[] = [];
    if (inv.kvMount && !isKvV2(inv.kvMount)) {
        const version = inv.kvMount.options.version ? ` version ${inv.kvMount.options.version}` : "";
        problems.push({
            key: "gitops-platform:vault.kvMount",
            message:
                `Vault already has a "${inv.kvMount.type}"${version} engine at ${v.kvMount}/, not KV version 2; it is left alone. ` +
                `Use another path, or upgrade a KV v1 mount in place: vault kv enable-versioning ${v.kvMount}/`,
            example: "gitops-platform:vault:\n  kvMount: kv-platform",
        });
    }
    if (!inv.kvMount && !v.manageKvMount) {
        problems.push({
            key: "gitops-platform:vault.manageKvMount",
            message: `is false but Vault has no engine at ${v.kvMount}/: let this stack create it, or point vault.kvMount at the shared KV v2 mount`,
            example: "gitops-platform:vault:\n  kvMount: secret\n  manageKvMount: true",
        });
    }
    if (inv.authMount && inv.authMount.type !== "kubernetes") {
        problems.push({
            key: "gitops-platform:vault.kubernetesAuthMount",
            message: `Vault already has a "${inv.authMount.type}" auth method at auth/${v.kubernetesAuthMount}/, not "kubernetes"; it is left alone. Use another path`,
            example: "gitops-platform:vault:\n  kubernetesAuthMount: kubernetes-dev",
        });
    }
    const marker = inv.authMount?.description.indexOf(AUTH_OWNER_MARKER) ?? -1;
    if (inv.authMount && marker >= 0) {
        const other = inv.authMount.description.slice(marker + AUTH_OWNER_MARKER.length).trim();
        if (other !== owner) {
            problems.push({
                key: "gitops-platform:vault.kubernetesAuthMount",
                message:
                    `auth/${v.kubernetesAuthMount}/ belongs to stack "${other}", not to this stack "${owner}": each stack needs its own ` +
                    `Kubernetes auth mount (one per cluster), otherwise one stack's destroy disables the other's logins`,
                example: "gitops-platform:vault:\n  kubernetesAuthMount: kubernetes-prod",
            });
        }
    }
    return problems;
}

/** Returns `inv` when it agrees with the config; otherwise throws a ConfigError listing every problem. */
export function checkInventory(cfg: PlatformConfig, inv: VaultInventory, owner: string): VaultInventory {
    const problems = inventoryProblems(cfg, inv, owner);
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return inv;
}

/** The names from the stack identity the readiness check needs (defaults derived from the config alone). */
export interface PreflightNames {
    /** Vault policy that reads the registry secret. */
    registryPolicyName: string;
    /** KV path of the registry secret (no mount, no `data/`). */
    registrySecretPath: string;
    /** Vault policy of the cloudflared connector (with `cloudflare.enabled`). @default cloudflared-read-<stack> */
    cloudflaredPolicyName?: string;
}

/** Every Vault path the stack writes or reads, with the capabilities it needs there (README "Before you start"). */
export function stackCapabilities(cfg: PlatformConfig, names: PreflightNames): RequiredCapabilities {
    // The Cloudflare tunnel: the connector's role and policy, the token (and DNS-01 token) in KV.
    const cf = cfg.cloudflare.enabled;
    return requiredCapabilities({
        kvMount: cfg.vault.kvMount,
        manageKvMount: cfg.vault.manageKvMount,
        authMount: cfg.vault.kubernetesAuthMount,
        // With Image Updater, the role that syncs regsecret into the Argo CD namespace too; with
        // perService each service's role and policy (no <ns>-read); each writer's role and policy.
        roles: [
            ...cfg.environments.flatMap((e) => [e.roleName, ...e.services.map((s) => s.roleName)]),
            ...(cf ? [CLOUDFLARED_ROLE] : []),
            ...(cfg.imageUpdater.enabled ? [regsecretRoleName(cfg.argocd.namespace)] : []),
            ...cfg.writers.map((w) => w.roleName),
        ],
        policies: [
            ...cfg.environments.flatMap((e) => [...(e.policyName === undefined ? [] : [e.policyName]), ...e.services.map((s) => s.policyName)]),
            names.registryPolicyName,
            ...(cf ? [names.cloudflaredPolicyName ?? cloudflaredPolicyName(cfg.stack)] : []),
            ...cfg.writers.map((w) => w.policyName),
        ],
        // With registry.vault the stack only reads the existing secret through VSO: it writes none.
        registrySecretPath: cfg.registryVault ? undefined : names.registrySecretPath,
        placeholderPaths: cfg.vault.servicePlaceholders
            ? cfg.environments.flatMap((e) => cfg.services.map((s) => servicePlaceholderPath(cfg.pathPrefix, s.name, e.name)))
            : [],
        ownedSecretPaths: [
            ...(cf
                ? [
                      cloudflareTunnelSecretPath(cfg.pathPrefix, cfg.stack),
                      ...(cfg.cloudflare.dns01Token ? [cloudflareDns01SecretPath(cfg.pathPrefix, cfg.stack)] : []),
                  ]
                : []),
            // Argo CD for CI: the CI account's token (argocd.apiUrl) and the GitLab webhook secret (argocd.url).
            ...(ciTokenApiUrl(cfg) !== undefined ? [argocdCiSecretPath(cfg.pathPrefix, cfg.stack)] : []),
            ...(webhookUrl(cfg) !== undefined ? [argocdWebhookSecretPath(cfg.pathPrefix, cfg.stack)] : []),
        ],
    });
}

/**
 * Checks that Vault is ready (reachable, initialised, unsealed: GET sys/seal-status), then, in
 * parallel, that the token has every capability the stack needs (POST sys/capabilities-self) and
 * what is already mounted (GET sys/mounts, sys/auth). Throws one error listing every problem with
 * what to run (VaultNotReadyError, a ConfigError), before anything is registered.
 */
export async function vaultPreflight(
    cfg: PlatformConfig,
    owner: string,
    endpoint: VaultEndpoint = vaultEndpoint(),
    names: PreflightNames = { registryPolicyName: registryPolicyName(cfg.stack), registrySecretPath: registrySecretPath(cfg.pathPrefix, cfg.stack) },
): Promise<VaultInventory> {
    const seal = await checkSealStatus(endpoint);
    if (seal.problem) throw new VaultNotReadyError([seal.problem]);
    const required = stackCapabilities(cfg, names);
    const [caps, inv] = await Promise.allSettled([
        readCapabilities(endpoint, Object.keys(required)),
        readVaultInventory(endpoint, cfg.vault.kvMount, cfg.vault.kubernetesAuthMount),
    ]);
    if (caps.status === "rejected") throw caps.reason;
    const missing = capabilityProblem(required, caps.value, `gitops-platform-${cfg.stack.toLowerCase().replace(/[^a-z0-9_-]/g, "-")}`);
    if (missing) {
        // The inventory's own 403 is the same problem, said once; its config problems are added.
        const more = inv.status === "fulfilled" ? inventoryProblems(cfg, inv.value, owner) : [];
        throw new VaultNotReadyError([missing, ...more]);
    }
    if (inv.status === "rejected") throw inv.reason;
    return checkInventory(cfg, inv.value, owner);
}
