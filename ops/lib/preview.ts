/**
 * Runs `pulumi preview --refresh` through the Automation API and records the engine events. A
 * preview never writes the state, and with `refresh` it compares the program with what the
 * providers read from the live systems, so its planned steps are exactly what `pulumi up
 * --refresh` would do: drift, and (in a merge request) the change itself.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import { recorder, type PreviewRecord } from "./events";

/** Result of one preview: the record, and the CLI's error output when it failed. */
export interface PreviewRun {
    record: PreviewRecord;
    /** Set when the preview failed (the CLI's stderr, unredacted: redact before printing). */
    failure?: string;
    /** Wall time in ms. */
    ms: number;
}

/** Options of runPreview. */
export interface PreviewRunOptions {
    /** Policy pack directories (`--policy-pack`). */
    policyPacks?: string[];
    /** Policy pack config files (`--policy-pack-config`). */
    policyPackConfigs?: string[];
}

/** Runs the preview (with refresh); never throws for a failed preview, only records it. */
export async function runPreview(stack: Stack, opts: PreviewRunOptions = {}): Promise<PreviewRun> {
    const { record, onEvent } = recorder();
    const t0 = Date.now();
    try {
        await stack.preview({
            refresh: true,
            color: "never",
            onEvent,
            policyPacks: opts.policyPacks,
            policyPackConfigs: opts.policyPackConfigs,
        });
        return { record, ms: Date.now() - t0 };
    } catch (e) {
        const err = e as { stderr?: string; message?: string };
        return { record, failure: err.stderr || err.message || String(e), ms: Date.now() - t0 };
    }
}
