/** Runs the real program (stacks/index.ts) under recording mocks with a given raw config. */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, settle } from "./mocks";

/** Runs the program for `stack`; returns its exports (the stack outputs). */
export async function runProgram(stack: string, config: Record<string, string>, secretKeys: string[]): Promise<Record<string, any>> {
    await installMocks(stack);
    pulumi.runtime.setAllConfig(config, secretKeys);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const outputs = require("../../stacks/index");
    await settle();
    return outputs;
}

/** Resolves every Output in a value (deeply), for asserting on stack outputs. */
export async function resolveDeep(v: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(v)) {
        return resolveDeep(await new Promise((r) => (v as pulumi.Output<unknown>).apply(r)));
    }
    if (Array.isArray(v)) {
        return Promise.all(v.map(resolveDeep));
    }
    if (v && typeof v === "object") {
        return Object.fromEntries(await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await resolveDeep(x)])));
    }
    return v;
}
