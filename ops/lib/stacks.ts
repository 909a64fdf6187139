/**
 * Which stacks a command runs on: `--stack <name>` or `--all` (every `Pulumi.<stack>.yaml` in the
 * project directory, i.e. the committed stack configs), and opening them with the Automation API
 * (the `pulumi` CLI on PATH, the backend from PULUMI_BACKEND_URL or `pulumi login`).
 */
import * as fs from "node:fs";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { UsageError } from "./cli";

/** Stack names of the `Pulumi.<stack>.yaml` files in `dir`, sorted. */
export function committedStacks(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
        .sort();
}

/** The stacks named by the options, or a UsageError saying how to name them. */
export function stacksToRun(opts: { stack?: string; all?: boolean }, dir: string): string[] {
    if (opts.stack && opts.all) throw new UsageError("give either --stack <name> or --all, not both");
    if (opts.stack) return [opts.stack];
    if (opts.all) {
        const found = committedStacks(dir);
        if (found.length === 0) throw new UsageError(`--all: no Pulumi.<stack>.yaml in ${dir}`);
        return found;
    }
    throw new UsageError("name the stack: --stack <name> (e.g. --stack dev), or --all for every Pulumi.<stack>.yaml");
}

/** Opens an existing stack of the project in `dir`. */
export async function openStack(stackName: string, dir: string): Promise<Stack> {
    return LocalWorkspace.selectStack({ stackName, workDir: dir });
}
