/**
 * What a preview with refresh reports, gathered from the engine's event stream (the Automation
 * API's `onEvent`), keeping only what the reports need: the planned steps, the refresh results,
 * error diagnostics, policy violations and the summary. Values of properties are kept only as
 * far as the change model compares them (outputs of refreshed resources); secrets arrive from
 * the engine as `{ciphertext: "[secret]"}` envelopes and are never turned back into values.
 */
import type { EngineEvent, OpType, StepEventMetadata } from "@pulumi/pulumi/automation";

/** One resource's planned step (from `resourcePreEvent`), as `pulumi up` would perform it. */
export interface StepRecord {
    op: OpType;
    urn: string;
    type: string;
    /** Top-level keys that changed, when the provider said. */
    diffs?: string[];
    /** Property paths → diff kind ("update", "add", "delete", "update-replace", …) and whether the program's inputs changed. */
    detailedDiff?: Record<string, { diffKind: string; inputDiff: boolean }>;
    /** Keys that force the replacement (create/replace ops). */
    keys?: string[];
    /** Whether the resource is protected (before or after the step). */
    protect: boolean;
    /** Whether the resource is retainOnDelete: a delete only drops it from the state (the live object stays). */
    retain?: boolean;
    /** False for component resources (groupings with no live object of their own). */
    custom: boolean;
    /** A dynamic resource whose serialized provider code differs (a new version of the program). */
    providerCodeChanged?: boolean;
}

/** One resource's refresh result (from the refresh step's `resOutputsEvent`). */
export interface RefreshRecord {
    urn: string;
    type: string;
    /** The resource no longer exists: the refresh drops it from the (in-memory) state. */
    gone: boolean;
    /** Property paths the refresh found different from what the program set, when the provider said. */
    detailedDiff?: Record<string, { diffKind: string; inputDiff: boolean }>;
    /** Outputs before and after the refresh (secrets stay envelopes), for providers that give no detailed diff. */
    oldOutputs?: Record<string, unknown>;
    newOutputs?: Record<string, unknown>;
}

/** A policy pack's violation. */
export interface PolicyRecord {
    urn?: string;
    policyPack: string;
    policy: string;
    message: string;
    enforcement: "warning" | "mandatory";
}

/** Everything a report is built from. */
export interface PreviewRecord {
    steps: StepRecord[];
    refreshes: RefreshRecord[];
    /** Error diagnostics (program or provider errors), raw text (redact before printing). */
    errors: { urn?: string; message: string }[];
    /** Warning diagnostics. */
    warnings: { urn?: string; message: string }[];
    policies: PolicyRecord[];
    /** The engine's counts per op, from the summary event. */
    summary?: Partial<Record<OpType, number>>;
    /** "succeeded" or "failed", from the summary event. */
    result?: string;
}

/** An empty record. */
export function emptyRecord(): PreviewRecord {
    return { steps: [], refreshes: [], errors: [], warnings: [], policies: [] };
}

function codeChanged(a: unknown, b: unknown): boolean | undefined {
    return typeof a === "string" && typeof b === "string" ? a !== b : undefined;
}

function stepOf(m: StepEventMetadata): StepRecord {
    return {
        op: m.op,
        urn: m.urn,
        type: m.type,
        diffs: m.diffs ?? undefined,
        detailedDiff: (m.detailedDiff as StepRecord["detailedDiff"]) ?? undefined,
        keys: m.keys ?? undefined,
        protect: m.old?.protect === true || m.new?.protect === true,
        retain: m.old?.retainOnDelete === true || m.new?.retainOnDelete === true,
        // the engine omits `custom` for component resources
        custom: m.new?.custom === true || m.old?.custom === true,
        providerCodeChanged: codeChanged(m.old?.inputs?.__provider, m.new?.inputs?.__provider),
    };
}

/** Adds one engine event to `rec` (use as the Automation API's `onEvent`). */
export function addEvent(rec: PreviewRecord, e: EngineEvent): void {
    if (e.resourcePreEvent) {
        const m = e.resourcePreEvent.metadata;
        if (m.op !== "refresh" && m.op !== "same" && m.op !== "read") rec.steps.push(stepOf(m));
    } else if (e.resOutputsEvent) {
        const m = e.resOutputsEvent.metadata;
        if (m.op === "refresh") {
            rec.refreshes.push({
                urn: m.urn,
                type: m.type,
                gone: m.new === undefined || m.new === null,
                detailedDiff: (m.detailedDiff as RefreshRecord["detailedDiff"]) ?? undefined,
                oldOutputs: m.old?.outputs,
                newOutputs: m.new?.outputs ?? undefined,
            });
        }
    } else if (e.diagnosticEvent) {
        const d = e.diagnosticEvent;
        if (d.severity === "error") rec.errors.push({ urn: d.urn || undefined, message: d.message });
        else if (d.severity === "warning") rec.warnings.push({ urn: d.urn || undefined, message: d.message });
    } else if (e.policyEvent) {
        const p = e.policyEvent;
        rec.policies.push({
            urn: p.resourceUrn || undefined,
            policyPack: p.policyPackName,
            policy: p.policyName,
            message: p.message,
            enforcement: p.enforcementLevel,
        });
    } else if (e.summaryEvent) {
        rec.summary = e.summaryEvent.resourceChanges;
        rec.result = (e.summaryEvent as { result?: string }).result;
    }
}

/** A collector: the record and the `onEvent` callback that fills it. */
export function recorder(): { record: PreviewRecord; onEvent: (e: EngineEvent) => void } {
    const record = emptyRecord();
    return { record, onEvent: (e) => addEvent(record, e) };
}
