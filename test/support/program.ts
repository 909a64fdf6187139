/** Runs the real program (stacks/index.ts) under recording mocks with a given raw config. */
import * as pulumi from "@pulumi/pulumi";
import { constructed, installMocks, recorded, settle, trackConstruction, type Recorded } from "./mocks";
import { inspect } from "../../stacks/main";
import { checkInventory } from "../../stacks/vaultPreflight";
import { clusterPreflight } from "../../stacks/clusterPreflight";

/** The shared KV v2 mount as a Vault where another stack manages it would list it. */
export const SHARED_KV_MOUNT = { type: "kv", description: "KV v2 secrets managed by gitops-platform", options: { version: "2" } };

/**
 * Labels of the objects an offline cluster holds, by `<kind> <namespace>/<name>` (namespaces:
 * `Namespace <name>`), e.g. `{ "Secret argocd/gitlab-repo-creds": { "gitops-platform/stack": "dev" } }`.
 */
export type OfflineCluster = Record<string, Record<string, string>>;

/**
 * No network under mocks: the Vault inspection answers like a Vault that has the KV mount exactly
 * when the stack does not manage it (another stack does), and nothing at the auth path; the
 * cluster ownership preflight (stacks/clusterPreflight.ts, the real one) reads `cluster` (default:
 * empty) instead of an API server; the ServiceAccount inspection finds nothing to warn about.
 * Tests may replace `inspect.*` afterwards.
 */
export function offlineInspection(cluster: OfflineCluster = {}): void {
    inspect.vault = async (cfg, owner) => checkInventory(cfg, cfg.vault.manageKvMount ? {} : { kvMount: SHARED_KV_MOUNT }, owner);
    inspect.namespaces = (cfg, stackLabel) =>
        clusterPreflight(cfg, stackLabel, {
            namespaces: async (name) => cluster[`Namespace ${name}`],
            objects: async (ref) => cluster[`${ref.kind} ${ref.namespace}/${ref.name}`],
        });
    inspect.serviceAccounts = async () => [];
}

/**
 * Runs the program for `stack` (the function stacks/index.ts exports) against an offline `cluster`
 * (see {@link offlineInspection}); returns the stack outputs.
 */
export async function runProgram(
    stack: string,
    config: Record<string, string>,
    secretKeys: string[],
    cluster: OfflineCluster = {},
): Promise<Record<string, any>> {
    await installMocks(stack);
    pulumi.runtime.setAllConfig(config, secretKeys);
    offlineInspection(cluster);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require("../../stacks/index") as () => Promise<Record<string, any>>;
    const outputs = await program();
    await settle();
    return outputs;
}

/** What one run of the program did. */
export interface ProgramRun {
    /** The program's exports, when it ran to the end. */
    outputs?: Record<string, any>;
    /** What the program threw, if it did. */
    error?: unknown;
    /** Resources that reached the engine (mock monitor), after every pending registration settled. */
    registered: Recorded[];
    /** Resources constructed at all, recorded synchronously (see `trackConstruction`). */
    constructed: { type: string; name: string }[];
}

/**
 * `runProgram` with the program loaded afresh, waiting for every pending registration whether it
 * threw or not, so that "nothing was registered" is an observation and not a race with the
 * asynchronous registration. Several runs may share one test file: the records are cleared first.
 */
export async function runProgramSettled(
    stack: string,
    config: Record<string, string>,
    secretKeys: string[],
    cluster: OfflineCluster = {},
): Promise<ProgramRun> {
    recorded.length = 0;
    constructed.length = 0;
    trackConstruction();
    delete require.cache[require.resolve("../../stacks/index")];
    const run: ProgramRun = { registered: [], constructed: [] };
    try {
        run.outputs = await runProgram(stack, config, secretKeys, cluster);
    } catch (e) {
        run.error = e;
    }
    // every constructed resource reaches the monitor eventually; wait for those, then for the rest
    const deadline = Date.now() + 10_000;
    while (recorded.length < constructed.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
    }
    await settle();
    run.registered = [...recorded];
    run.constructed = [...constructed];
    return run;
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
