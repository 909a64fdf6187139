/**
 * Command-line plumbing shared by the ops commands: argument parsing (node:util parseArgs),
 * exit codes, and how a failure is printed.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Exit codes of the ops commands (documented in docs/drift.md and docs/pipeline.md). */
export const EXIT = {
    ok: 0,
    error: 1,
    drift: 2,
    tokenExpiry: 3,
    otherChanges: 4,
    policy: 5,
} as const;

/** Bad command-line usage (exit 1, message only). */
export class UsageError extends Error {}

/** Parses `argv` with the given options; unknown options are a UsageError naming them. */
export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T, usage: string) {
    try {
        return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
    } catch (e) {
        throw new UsageError(`${e instanceof Error ? e.message : String(e)}\nusage: ${usage}`);
    }
}

/** Runs a command's main: prints the failure (never a stack trace for expected errors) and exits. */
export function runMain(main: (argv: string[]) => Promise<number>): void {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e: unknown) => {
            console.error(e instanceof Error ? e.message : String(e));
            process.exit(EXIT.error);
        },
    );
}
