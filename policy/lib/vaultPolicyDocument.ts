/**
 * Vault ACL policy documents, parsed with HashiCorp's HCL parser (compiled to wasm by
 * @cdktf/hcl2json) or as JSON, into the grants a policy pack checks.
 */
import { parse } from "@cdktf/hcl2json";

/** One `path` block: the path (with its `+` / `*` globs) and the capabilities it lists. */
export interface VaultGrant {
    /** Policy path, e.g. `secret/data/gitops-poc-dzha/+/dev/+`. */
    path: string;
    /** Capabilities, e.g. `["read", "list"]`; the legacy `policy = "write"` form is expanded. */
    capabilities: string[];
}

/** What Vault's legacy `policy = "<level>"` attribute of a path block stands for. */
const LEGACY_POLICY: Record<string, string[]> = {
    deny: ["deny"],
    read: ["read", "list"],
    write: ["create", "read", "update", "delete", "list"],
    sudo: ["create", "read", "update", "delete", "list", "sudo"],
};

type PathBlock = { capabilities?: unknown; policy?: unknown };

function capabilitiesOf(path: string, block: PathBlock): string[] {
    const caps = new Set<string>();
    if (block.capabilities !== undefined) {
        if (!Array.isArray(block.capabilities) || block.capabilities.some((c) => typeof c !== "string")) {
            throw new Error(`path "${path}": capabilities must be a list of strings`);
        }
        block.capabilities.forEach((c: string) => caps.add(c.toLowerCase()));
    }
    if (block.policy !== undefined) {
        const legacy = typeof block.policy === "string" ? LEGACY_POLICY[block.policy.toLowerCase()] : undefined;
        if (!legacy) {
            throw new Error(`path "${path}": unknown policy level ${JSON.stringify(block.policy)}`);
        }
        legacy.forEach((c) => caps.add(c));
    }
    return [...caps];
}

/**
 * The grants of a Vault policy document, in document order (a path listed twice gives two
 * grants). Accepts HCL and Vault's JSON form; throws when the text is neither.
 */
export async function parseVaultPolicy(text: string): Promise<VaultGrant[]> {
    const doc = (text.trim().startsWith("{") ? JSON.parse(text) : await parse("policy.hcl", text)) as { path?: unknown };
    if (doc.path === undefined) {
        return [];
    }
    if (typeof doc.path !== "object" || doc.path === null || Array.isArray(doc.path)) {
        throw new Error("`path` must be a set of path blocks");
    }
    return Object.entries(doc.path as Record<string, PathBlock | PathBlock[]>).flatMap(([path, blocks]) =>
        (Array.isArray(blocks) ? blocks : [blocks]).map((b) => ({ path, capabilities: capabilitiesOf(path, b ?? {}) })),
    );
}
