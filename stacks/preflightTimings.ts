// How long the program's preflight checks take, for the benchmark: with GITOPS_PLATFORM_TIMINGS=1
// the run logs one line (stacks/main.ts) that `npm run bench` reads from each no-op preview
// (ops/lib/bench.ts). No imports: the benchmark loads this without the program.

/** Env var: `1` makes the run log how long its preflight checks took. */
export const TIMINGS_ENV = "GITOPS_PLATFORM_TIMINGS";

/** The line the run logs. */
export function preflightTimingsLine(vaultMs: number, clusterMs: number): string {
    return `preflight timings: vault ${Math.round(vaultMs)} ms, cluster ${Math.round(clusterMs)} ms`;
}

/** The figures of that line in a command's output, or undefined when it has none. */
export function parsePreflightTimings(output: string): { vault: number; cluster: number } | undefined {
    const m = /preflight timings: vault (\d+) ms, cluster (\d+) ms/.exec(output);
    return m ? { vault: Number(m[1]), cluster: Number(m[2]) } : undefined;
}
