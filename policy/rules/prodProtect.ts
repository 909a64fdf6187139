/**
 * Rule 2, `prod-protect`: in a production stack, every Namespace and every Vault mount and auth
 * backend is registered with `protect: true`. The engine sends a resource's protect flag as the
 * program sets it, so a change that drops it (`protect: false` in the stack config, a code
 * change) is refused before anything happens. Which stacks are production comes from the pack
 * config `prodStacks` (names, `*` matches any characters); the stack of a resource is read from
 * its URN. Deleting or replacing these resources is not seen by policies at all (the engine asks
 * them about registrations only): the preview report checks the preview's steps for that.
 */
import type { PolicyConfigSchema, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { known } from "../lib/leaves";
import { reveal } from "../lib/pulumiSecrets";
import { parseUrn } from "../lib/urn";
import { NAMESPACE, VAULT_AUTH_BACKEND, VAULT_MOUNT } from "../lib/types";

/** Policy name, also its key in `--policy-pack-config`. */
export const NAME = "prod-protect";

/** Stacks treated as production when the pack config does not say: the names the program itself protects by default (`prod`, `*-prod`, README), and `production`. */
export const DEFAULT_PROD_STACKS: readonly string[] = ["prod", "production", "*-prod"];

/** Resource types that must be protected in production, with a word for messages. */
export const PROTECTED_TYPES: Readonly<Record<string, string>> = {
    [NAMESPACE]: "Namespace",
    [VAULT_MOUNT]: "Vault mount",
    [VAULT_AUTH_BACKEND]: "Vault auth backend",
};

/** This policy's config (`--policy-pack-config`), validated by the CLI against {@link CONFIG_SCHEMA}. */
export interface ProdProtectConfig {
    /** Stack names (or patterns with `*`) that are production, e.g. `["prod", "*-prod"]`. */
    prodStacks?: string[];
}

/** JSON schema of {@link ProdProtectConfig}. */
export const CONFIG_SCHEMA: PolicyConfigSchema = {
    properties: {
        prodStacks: {
            type: "array",
            items: { type: "string", minLength: 1 },
            default: [...DEFAULT_PROD_STACKS],
            description: "Stacks that are production: names, '*' matches any characters (e.g. \"*-prod\").",
        },
    },
};

/** True when `stack` is one of `prodStacks` (exact names, `*` matches any run of characters). */
export function isProdStack(stack: string, prodStacks: readonly string[]): boolean {
    return prodStacks.some((p) => new RegExp("^" + p.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$").test(stack));
}

/** The name users know a resource by: the Namespace's `metadata.name`, the mount's `path`, else its logical name. */
function displayName(urn: string, props: Record<string, unknown>): string {
    const metadata = known(props, "metadata");
    const name = reveal(metadata === undefined ? known(props, "path") : known(metadata, "name"));
    return typeof name === "string" ? name : parseUrn(urn).name;
}

/**
 * Why a resource breaks the rule, or undefined (not a protected type, not production, or
 * protected). `props` are its inputs, for the name in the message.
 */
export function prodProtectViolation(
    res: { type: string; urn: string; protect: boolean; props?: Record<string, unknown> },
    prodStacks: readonly string[] = DEFAULT_PROD_STACKS,
): string | undefined {
    const what = PROTECTED_TYPES[res.type];
    const { stack } = parseUrn(res.urn);
    if (what === undefined || res.protect || !isProdStack(stack, prodStacks)) {
        return undefined;
    }
    const name = displayName(res.urn, res.props ?? {});
    return (
        `${what} "${name}" is not protected in production stack "${stack}": keep protect on ` +
        `(gitops-platform:protect: true); deleting or replacing it would take the environment's workloads or secrets with it`
    );
}

/** The policy as the pack registers it. */
export const prodProtect: ResourceValidationPolicy = {
    name: NAME,
    description: "In production stacks, Namespaces and Vault mounts/auth backends stay protected.",
    enforcementLevel: "mandatory",
    configSchema: CONFIG_SCHEMA,
    validateResource: (args: ResourceValidationArgs, reportViolation) => {
        const prodStacks = args.getConfig<ProdProtectConfig>().prodStacks ?? DEFAULT_PROD_STACKS;
        const m = prodProtectViolation({ type: args.type, urn: args.urn, protect: args.opts.protect, props: args.props }, prodStacks);
        if (m !== undefined) {
            reportViolation(m);
        }
    },
};
