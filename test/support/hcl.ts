/** Parses Vault policy HCL with HashiCorp's HCL parser (compiled to wasm by @cdktf/hcl2json). */
import { parse } from "@cdktf/hcl2json";

/** One `path` block of a policy. */
export interface PolicyRule {
    path: string;
    capabilities: string[];
}

/** The `path` blocks of a Vault policy, in document order; throws on invalid HCL. */
export async function parsePolicy(hcl: string): Promise<PolicyRule[]> {
    const doc = (await parse("policy.hcl", hcl)) as { path?: Record<string, { capabilities?: string[] }[]> };
    const keys = Object.keys(doc).filter((k) => k !== "path");
    if (keys.length > 0) {
        throw new Error(`unexpected top-level blocks in policy: ${keys.join(", ")}`);
    }
    return Object.entries(doc.path ?? {}).flatMap(([path, blocks]) =>
        blocks.map((b) => ({ path, capabilities: b.capabilities ?? [] })),
    );
}
