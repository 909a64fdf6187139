/**
 * Proof that a check is read-only: the sha256 of the stack's exported state (the same bytes
 * `pulumi stack export` prints), taken before and after.
 */
import { createHash } from "node:crypto";
import type { Stack } from "@pulumi/pulumi/automation";

/** sha256 (hex) of the stack's exported deployment. */
export async function stateDigest(stack: Stack): Promise<string> {
    return digestOf((await stack.exportStack()).deployment);
}

/** sha256 (hex) of an exported deployment (the `deployment` of `stack.exportStack()`). */
export function digestOf(deployment: unknown): string {
    return createHash("sha256").update(JSON.stringify(deployment)).digest("hex");
}
