/**
 * Rule 1, `vault-policy-least-privilege`: a Vault policy grants no path with `*`, and no write
 * capability on another environment's secrets.
 *
 * Which environment a policy belongs to comes from its Pulumi resource, not from its Vault name:
 * the program creates environment `<env>`'s policy as `env-<env>-read`, a child of the
 * `gitops-platform:vault:EnvironmentAccess` component `env-<env>` (stacks/program.ts), so the URN
 * says `<env>` exactly. The Vault name (`<namespace>-read`) cannot: `environments.<env>.namespace`
 * may rename the namespace, and `<prefix>-<env>` cannot be split when either contains '-'. Every
 * other policy (e.g. `registry-read-<stack>`) belongs to no environment.
 *
 * Which environment a path belongs to comes from its place in the KV layout the program uses,
 * `<mount>/<data|metadata|delete|undelete|destroy>/<pathPrefix>/<service>/<env>/<secret>`: the
 * second-to-last segment, for paths of at least six segments (a `+` there is every environment).
 *
 * One exception, for writers (`vault.writers`: another operator syncing into Vault): a policy
 * that is the `writer-<name>-write` child of a `gitops-platform:vault:VaultWriter` may grant
 * `<mount>/<data|metadata>/<prefix>/*` with a fixed, glob-free prefix of at least one segment,
 * one prefix for the whole policy; those grants are not checked against environments (the config
 * refuses a writer prefix that overlaps `vault.pathPrefix`: stacks/schema.ts). Every other grant
 * of a writer's policy is checked like any other.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { parseVaultPolicy, type VaultGrant } from "../lib/vaultPolicyDocument";
import { known } from "../lib/leaves";
import { reveal } from "../lib/pulumiSecrets";
import { parseUrn } from "../lib/urn";
import { ENVIRONMENT_ACCESS, VAULT_POLICY, VAULT_WRITER } from "../lib/types";

/** Policy name, also its key in `--policy-pack-config`. */
export const NAME = "vault-policy-least-privilege";

/** Capabilities that change data or act as root on a path; `recover` restores data from a snapshot. */
export const WRITE_CAPABILITIES: readonly string[] = ["create", "update", "patch", "delete", "sudo", "recover"];

/** The environment a Vault policy resource belongs to (see the module comment), or undefined. */
export function environmentOfPolicy(urn: string): string | undefined {
    const { types, name } = parseUrn(urn);
    const m = /^env-(.+)-read$/.exec(name);
    return m && types[types.length - 2] === ENVIRONMENT_ACCESS ? m[1] : undefined;
}

/** Whether a Vault policy resource is a writer's: the `writer-<name>-write` direct child of a VaultWriter. */
export function isWriterPolicy(urn: string): boolean {
    const { types, name } = parseUrn(urn);
    return /^writer-.+-write$/.test(name) && types[types.length - 2] === VAULT_WRITER;
}

/**
 * `<mount>/<prefix>` of a writer's grant `<mount>/<data|metadata>/<prefix>/*` (prefix glob-free,
 * at least one segment, no empty segment), or undefined for any other path.
 */
export function writerPrefixOf(path: string): string | undefined {
    const m = /^([^/*+]+)\/(?:data|metadata)\/([^*+]+)\/\*$/.exec(path);
    return m && !m[2].split("/").includes("") ? `${m[1]}/${m[2]}` : undefined;
}

/** The `<env>` segment of a KV path, or undefined for a path too short to have one. */
export function environmentOfPath(path: string): string | undefined {
    const segments = path.replace(/\/+$/, "").split("/");
    return segments.length >= 6 ? segments[segments.length - 2] : undefined;
}

/** True when a path block grants something: a non-empty capability list without `deny` (which overrides the rest). */
function grants(g: VaultGrant): boolean {
    return g.capabilities.length > 0 && !g.capabilities.includes("deny");
}

/** Why one grant breaks the rule, for a policy of `owner` (undefined: no environment). */
function grantViolations(g: VaultGrant, owner: string | undefined): string[] {
    if (!grants(g)) {
        return [];
    }
    const out: string[] = [];
    if (g.path.includes("*")) {
        out.push(
            `path "${g.path}" uses '*', which matches any suffix (every service, environment and deeper path); ` +
                `list the paths, with '+' for exactly one segment`,
        );
    }
    const writes = g.capabilities.filter((c) => WRITE_CAPABILITIES.includes(c));
    const env = environmentOfPath(g.path);
    if (writes.length > 0 && env !== undefined && env !== owner) {
        const whose = env === "+" ? "every environment's secrets ('+' in the environment segment)" : `environment "${env}"'s secrets`;
        const self = owner === undefined ? "it belongs to no environment" : `it belongs to environment "${owner}"`;
        out.push(`path "${g.path}" grants ${writes.join(", ")} on ${whose}, but ${self}`);
    }
    return out;
}

/**
 * Violations of one Vault policy resource: `urn` locates it (and says its environment),
 * `props` are its inputs (`name`, `policy`). Each message names the policy and the path.
 */
export async function vaultPolicyViolations(urn: string, props: Record<string, unknown>): Promise<string[]> {
    const name = String(reveal(known(props, "name")) ?? parseUrn(urn).name);
    const text = reveal(known(props, "policy"));
    if (text === undefined) {
        return []; // not known during this preview: checked once it is
    }
    if (typeof text !== "string") {
        return [`Vault policy "${name}": the policy document is not a string`];
    }
    let doc: VaultGrant[];
    try {
        doc = await parseVaultPolicy(text);
    } catch (e) {
        return [`Vault policy "${name}": the policy document cannot be parsed (${(e as Error).message}); a policy the pack cannot read is refused`];
    }
    const owner = environmentOfPolicy(urn);
    const writer = isWriterPolicy(urn);
    const prefixes = new Set<string>();
    const out = doc.flatMap((g) => {
        const prefix = writer && grants(g) ? writerPrefixOf(g.path) : undefined;
        if (prefix === undefined) {
            return grantViolations(g, owner);
        }
        prefixes.add(prefix);
        return [];
    });
    if (prefixes.size > 1) {
        out.push(`a writer's policy grants under one prefix only, this one under ${[...prefixes].sort().join(", ")}`);
    }
    return out.map((m) => `Vault policy "${name}": ${m}`);
}

/** The policy as the pack registers it. */
export const vaultPolicyLeastPrivilege: ResourceValidationPolicy = {
    name: NAME,
    description: "Vault policies grant no '*' path and no write capability on another environment's secrets.",
    enforcementLevel: "mandatory",
    validateResource: async (args: ResourceValidationArgs, reportViolation) => {
        if (args.type !== VAULT_POLICY) {
            return;
        }
        for (const m of await vaultPolicyViolations(args.urn, args.props)) {
            reportViolation(m);
        }
    },
};
