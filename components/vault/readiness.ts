/**
 * Is Vault (or OpenBao) ready for this stack, before anything is registered? First
 * `GET /v1/sys/seal-status` (unauthenticated: `initialized`, `sealed`, `t`, `n`): unreachable,
 * not initialised and sealed each stop the run with what to run. Then
 * `POST /v1/sys/capabilities-self` with every path the stack writes or reads: a capability the
 * token lacks stops the run with the paths, the missing capabilities and a ready-to-apply policy
 * (for those paths, everything the stack needs there: see capabilityProblem).
 * The token is sent, never printed.
 */
import { ConfigError, ConfigProblem } from "../../stacks/config";
import { fetchFailure } from "./kvClient";
import type { VaultEndpoint } from "./inventory";

/** Vault capabilities a policy can grant on a path. */
export type Capability = "create" | "read" | "update" | "delete" | "list" | "sudo";

/** Path → capabilities the stack needs on it. */
export type RequiredCapabilities = Record<string, Capability[]>;

/** What `GET sys/seal-status` reports (the fields the check reads). */
export interface SealStatus {
    /** Whether `operator init` has run. */
    initialized: boolean;
    /** Whether the barrier is sealed. */
    sealed: boolean;
    /** Unseal keys needed (threshold). */
    t: number;
    /** Unseal keys issued (shares). */
    n: number;
    /** Unseal keys entered so far. */
    progress: number;
}

/** Vault is not ready for the stack; the message lists every problem and what to run. Still a ConfigError (nothing was created). */
export class VaultNotReadyError extends ConfigError {
    constructor(problems: ConfigProblem[]) {
        super(problems);
        this.name = "VaultNotReadyError";
        const lines = [`Vault is not ready for this stack (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was created:`];
        for (const p of problems) {
            lines.push(`  - ${p.key}: ${p.message}`);
            if (p.example) {
                lines.push("    run:");
                lines.push(...p.example.split("\n").map((l) => `      ${l}`));
            }
        }
        this.message = lines.join("\n");
    }
}

/** The names the stack writes in Vault, from its config and stack identity. */
export interface VaultNeeds {
    /** KV v2 mount path. */
    kvMount: string;
    /** Whether the stack enables (and tunes) the KV mount itself. */
    manageKvMount: boolean;
    /** Kubernetes auth mount path (no `auth/`). */
    authMount: string;
    /** Kubernetes auth role names it writes. */
    roles: string[];
    /** ACL policy names it writes. */
    policies: string[];
    /** KV path (no mount, no `data/`) of the registry secret it writes; undefined: it writes none (`registry.vault`). */
    registrySecretPath: string | undefined;
    /** KV paths (no mount, no `data/`) of the service secret placeholders it creates where missing. */
    placeholderPaths?: string[];
    /**
     * Other KV paths (no mount, no `data/`) the stack owns like the registry secret (written,
     * claimed in custom_metadata, read back on refresh, deleted by destroy): the Argo CD CI token and
     * webhook secret, the Cloudflare tunnel token.
     */
    ownedSecretPaths?: string[];
}

const CRUD: Capability[] = ["create", "read", "update", "delete"];

/** Every path the stack touches, with the capabilities it needs there. */
export function requiredCapabilities(n: VaultNeeds): RequiredCapabilities {
    const req: RequiredCapabilities = {
        "sys/mounts": ["read"],
        "sys/auth": ["read"],
    };
    if (n.manageKvMount) req[`sys/mounts/${n.kvMount}`] = [...CRUD];
    // Enabling and disabling an auth method needs sudo (Vault and OpenBao).
    req[`sys/auth/${n.authMount}`] = [...CRUD, "sudo"];
    req[`auth/${n.authMount}/config`] = ["create", "read", "update"];
    for (const r of n.roles) req[`auth/${n.authMount}/role/${r}`] = [...CRUD];
    for (const p of n.policies) req[`sys/policies/acl/${p}`] = [...CRUD];
    // The registry secret (unless it lives in Vault already: registry.vault) and the other owned secrets.
    for (const p of [...(n.registrySecretPath !== undefined ? [n.registrySecretPath] : []), ...(n.ownedSecretPaths ?? [])]) {
        req[`${n.kvMount}/data/${p}`] = [...CRUD];
        req[`${n.kvMount}/metadata/${p}`] = [...CRUD];
    }
    // A placeholder is written with cas=0 (an existing secret answers "check-and-set mismatch", which
    // needs update too) and refreshed from its metadata; its data is never read.
    for (const p of n.placeholderPaths ?? []) {
        req[`${n.kvMount}/data/${p}`] = ["create", "update"];
        req[`${n.kvMount}/metadata/${p}`] = ["read"];
    }
    return req;
}

/** What is missing: path → capabilities required but not granted (`root` grants all; `deny` none). */
export function missingCapabilities(required: RequiredCapabilities, granted: Record<string, string[]>): RequiredCapabilities {
    const missing: RequiredCapabilities = {};
    for (const [p, caps] of Object.entries(required)) {
        const have = new Set(granted[p] ?? []);
        if (have.has("root")) continue;
        const lack = have.has("deny") ? caps : caps.filter((c) => !have.has(c));
        if (lack.length > 0) missing[p] = lack;
    }
    return missing;
}

/** An HCL policy granting exactly `caps`, ready for `vault policy write <name> -`. */
export function policySnippet(caps: RequiredCapabilities): string {
    return Object.entries(caps)
        .map(([p, c]) => `path "${p}" {\n  capabilities = [${c.map((x) => `"${x}"`).join(", ")}]\n}`)
        .join("\n");
}

function headers(e: VaultEndpoint, token: boolean): Record<string, string> {
    const h: Record<string, string> = { "X-Vault-Request": "true" };
    if (token) h["X-Vault-Token"] = e.token;
    if (e.namespace) h["X-Vault-Namespace"] = e.namespace;
    return h;
}

const base = (e: VaultEndpoint) => e.address.replace(/\/+$/, "");

/** Reads `sys/seal-status`; a problem (unreachable, not initialised, sealed) or the status. */
export async function checkSealStatus(e: VaultEndpoint): Promise<{ problem?: ConfigProblem; status?: SealStatus }> {
    let res: Response;
    try {
        res = await fetch(`${base(e)}/v1/sys/seal-status`, { headers: headers(e, false), signal: AbortSignal.timeout(e.timeoutMs ?? 15000) });
    } catch (err) {
        return {
            problem: {
                key: "vault:address",
                message:
                    `cannot reach Vault at ${e.address} (GET sys/seal-status): ${fetchFailure(err)}. Check vault:address ` +
                    `(e.g. https://vault.example.com) and that Vault is running and reachable from here`,
                example: `pulumi config set vault:address https://vault.example.com\ncurl -s ${base(e)}/v1/sys/seal-status`,
            },
        };
    }
    const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!body || typeof body.initialized !== "boolean" || typeof body.sealed !== "boolean") {
        return {
            problem: {
                key: "vault:address",
                message: `${e.address} answered GET /v1/sys/seal-status with HTTP ${res.status} and no seal status: is vault:address a Vault or OpenBao server?`,
            },
        };
    }
    const status: SealStatus = {
        initialized: body.initialized,
        sealed: body.sealed,
        t: Number(body.t ?? 0),
        n: Number(body.n ?? 0),
        progress: Number(body.progress ?? 0),
    };
    if (!status.initialized) {
        return {
            status,
            problem: {
                key: "vault:address",
                message:
                    `Vault at ${e.address} is not initialised: run \`vault operator init\` (or \`bao operator init\`) once, keep the ` +
                    `unseal keys and the root token safe, unseal it, then make the stack's token (see README "Before you start")`,
                example: `VAULT_ADDR=${e.address} vault operator init\nVAULT_ADDR=${e.address} vault operator unseal   # repeat with enough keys`,
            },
        };
    }
    if (status.sealed) {
        const keys = status.t > 0 ? `${status.t} of ${status.n} keys` : "enough keys";
        return {
            status,
            problem: {
                key: "vault:address",
                message:
                    `Vault at ${e.address} is sealed: unseal it: \`vault operator unseal\` (or \`bao operator unseal\`), ` +
                    `${keys} (${status.progress} entered so far), then run again`,
                example: `VAULT_ADDR=${e.address} vault operator unseal   # once per key, ${keys}`,
            },
        };
    }
    return { status };
}

/** Asks `sys/capabilities-self` what the token may do on `paths`; path → capabilities. */
export async function readCapabilities(e: VaultEndpoint, paths: string[]): Promise<Record<string, string[]>> {
    let res: Response;
    try {
        res = await fetch(`${base(e)}/v1/sys/capabilities-self`, {
            method: "POST",
            headers: { ...headers(e, true), "Content-Type": "application/json" },
            body: JSON.stringify({ paths }),
            signal: AbortSignal.timeout(e.timeoutMs ?? 15000),
        });
    } catch (err) {
        throw new Error(`cannot reach Vault at ${e.address} (POST sys/capabilities-self): ${fetchFailure(err)}. Check vault:address.`);
    }
    if (res.status === 401 || res.status === 403) {
        throw new VaultNotReadyError([
            {
                key: "vault:token",
                message:
                    `Vault at ${e.address} refused the token (${res.status} on POST sys/capabilities-self): it is expired, revoked ` +
                    `or from another Vault. Make a new one with the policy in README "Before you start"`,
                example: "vault token create -policy=gitops-platform -period=24h\npulumi config set --secret vault:token <token>",
            },
        ]);
    }
    if (!res.ok) throw new Error(`Vault at ${e.address}: POST sys/capabilities-self answered HTTP ${res.status}.`);
    const body = (await res.json()) as Record<string, unknown>;
    // Each path is a key of the body, at the top level and under `data`.
    const data = ((body.data ?? body) as Record<string, unknown>) ?? {};
    const out: Record<string, string[]> = {};
    for (const p of paths) {
        const v = data[p] ?? body[p] ?? (paths.length === 1 ? (data.capabilities ?? body.capabilities) : undefined);
        out[p] = Array.isArray(v) ? v.map(String) : [];
    }
    return out;
}

/**
 * The problem for what the token lacks (undefined when it has everything): each path with its
 * missing capabilities, and a policy to add. The policy lists every capability the stack needs on
 * those paths, not only the missing ones: Vault applies the most specific matching path across all
 * of a token's policies, so an exact path granting only the missing ones would hide what a glob
 * grants today. A `deny` cannot be overridden by another policy; the message says to remove it.
 */
export function capabilityProblem(required: RequiredCapabilities, granted: Record<string, string[]>, policyName: string): ConfigProblem | undefined {
    const missing = missingCapabilities(required, granted);
    const entries = Object.entries(missing);
    if (entries.length === 0) return undefined;
    const denied = entries.filter(([p]) => (granted[p] ?? []).includes("deny")).map(([p]) => p);
    return {
        key: "vault:token",
        message:
            `the token lacks capabilities the stack needs on ${entries.length} path${entries.length === 1 ? "" : "s"}: ` +
            entries.map(([p, c]) => `${p} (${c.join(", ")})`).join("; ") +
            `. Grant them: write the policy below and add it to the token's policies (or make a new token with it)` +
            (denied.length > 0 ? `; a policy of the token denies ${denied.join(", ")} explicitly: remove that deny, no other policy can lift it` : ""),
        example: [
            `vault policy write ${policyName} - <<'EOF'`,
            policySnippet(Object.fromEntries(entries.map(([p]) => [p, required[p]]))),
            "EOF",
        ].join("\n"),
    };
}

/**
 * Seal status first (stops alone: nothing else answers on a sealed Vault), then the token's
 * capabilities on `required`. Throws a VaultNotReadyError listing every problem.
 */
export async function checkVaultReadiness(e: VaultEndpoint, required: RequiredCapabilities, policyName = "gitops-platform-missing"): Promise<void> {
    const seal = await checkSealStatus(e);
    if (seal.problem) throw new VaultNotReadyError([seal.problem]);
    const granted = await readCapabilities(e, Object.keys(required));
    const problem = capabilityProblem(required, granted, policyName);
    if (problem) throw new VaultNotReadyError([problem]);
}
