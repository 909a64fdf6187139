/**
 * The change model every report is built from: one entry per resource that `pulumi up` would act
 * on, with the property paths involved, the reason of a replacement and whether the refresh found
 * the resource changed behind Pulumi's back (drift). Never carries a property value.
 */
import type { PreviewRecord, RefreshRecord, StepRecord } from "./events";
import { isNoise } from "./noise";

/** What `pulumi up` would do to a resource. */
export type Action = "create" | "update" | "replace" | "delete" | "import";

/** The path shown when only a dynamic provider's code changed (a new version of this program). */
export const PROVIDER_CODE = "(dynamic provider code)";

/** The path shown for a provider resource whose configuration changed (providers give no detailed diff). */
export const PROVIDER_CONFIG = "(provider configuration)";

/** One resource `pulumi up` would act on. */
export interface Change {
    urn: string;
    /** Pulumi type token, e.g. `vault:index/policy:Policy`. */
    type: string;
    /** Logical name (the URN's last segment). */
    name: string;
    action: Action;
    /** Property paths that differ (dotted, as the engine reports them); may be empty for create/delete. */
    paths: string[];
    /** For a replacement: the inputs that force it. */
    replaceReasons: string[];
    /** The refresh found this resource changed or deleted outside Pulumi. */
    drifted: boolean;
    /** When drifted, what the refresh saw: "deleted" (gone) or "changed". */
    driftKind?: "deleted" | "changed";
    /** The resource is protected (a delete or replace would fail until protect is removed). */
    protected: boolean;
    /**
     * Not drift, and not a merged change waiting for its deploy either: the stack's last `pulumi up`
     * failed or was interrupted before applying it (drift check only, ops/lib/lastDeploy.ts).
     */
    incomplete?: boolean;
    /** retainOnDelete: a delete (or the old half of a replacement) only drops it from the state; the live object stays. */
    retained?: boolean;
}

/** The counts GitLab's merge-request widget and the summaries show. */
export interface Counts {
    create: number;
    update: number;
    replace: number;
    delete: number;
}

const REPLACE_OPS = new Set(["replace", "create-replacement", "delete-replaced", "discard-replaced", "read-replacement", "import-replacement"]);

/** The logical name of a URN (its last `::` segment). */
export function urnName(urn: string): string {
    const i = urn.lastIndexOf("::");
    return i >= 0 ? urn.slice(i + 2) : urn;
}

function actionOf(ops: Set<string>): Action | undefined {
    if ([...ops].some((o) => REPLACE_OPS.has(o))) return "replace";
    if (ops.has("create")) return "create";
    if (ops.has("delete") || ops.has("discard")) return "delete";
    if (ops.has("update")) return "update";
    if (ops.has("import")) return "import";
    return undefined;
}

function sameJson(a: unknown, b: unknown): boolean {
    return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object") {
        return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
    }
    return v;
}

/** Keys of outputs that are not resource data: the serialized dynamic provider, internal markers. */
const NOT_DATA = new Set(["__provider", "__defaults", "__internal"]);

/** Property paths a refresh found different (provider's detailed diff, else changed top-level outputs). */
export function refreshPaths(r: RefreshRecord): string[] {
    if (r.detailedDiff && Object.keys(r.detailedDiff).length > 0) return Object.keys(r.detailedDiff).sort();
    if (r.detailedDiff) return [];
    const olds = r.oldOutputs ?? {};
    const news = r.newOutputs ?? {};
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
    return [...keys].filter((k) => !NOT_DATA.has(k) && !sameJson(olds[k], news[k])).sort();
}

function stepPaths(steps: StepRecord[]): string[] {
    const paths = new Set<string>();
    for (const s of steps) {
        for (const p of Object.keys(s.detailedDiff ?? {})) paths.add(p);
        if (!s.detailedDiff || Object.keys(s.detailedDiff).length === 0) for (const p of s.diffs ?? []) paths.add(p);
    }
    return [...paths].sort();
}

function replaceReasons(steps: StepRecord[]): string[] {
    const keys = new Set<string>();
    for (const s of steps) {
        for (const k of s.keys ?? []) keys.add(k);
        for (const [p, d] of Object.entries(s.detailedDiff ?? {})) if (d.diffKind.endsWith("-replace")) keys.add(p);
    }
    return [...keys].sort();
}

/**
 * The changes of a preview: one per resource with a planned step, in the engine's order, with
 * noise (see noise.ts) and component resources (no live object) removed; a resource is `drifted`
 * when the refresh saw it deleted or changed.
 */
export function changesOf(rec: PreviewRecord): Change[] {
    const byUrn = new Map<string, StepRecord[]>();
    for (const s of rec.steps) {
        if (!s.custom) continue;
        const list = byUrn.get(s.urn) ?? [];
        list.push(s);
        byUrn.set(s.urn, list);
    }
    const refreshed = new Map(rec.refreshes.map((r) => [r.urn, r]));
    const out: Change[] = [];
    for (const [urn, steps] of byUrn) {
        const action = actionOf(new Set(steps.map((s) => s.op)));
        if (!action) continue;
        const type = steps[0].type;
        const r = refreshed.get(urn);
        const rPaths = r && !r.gone ? refreshPaths(r) : [];
        const drifted = !!r && (r.gone || rPaths.length > 0);
        let paths = stepPaths(steps);
        if (paths.length === 0 && action === "update") paths = rPaths;
        if (paths.length === 0 && action === "update" && steps.some((s) => s.providerCodeChanged)) paths = [PROVIDER_CODE];
        if (paths.length === 0 && action === "update" && type.startsWith("pulumi:providers:")) paths = [PROVIDER_CONFIG];
        const change: Change = {
            urn,
            type,
            name: urnName(urn),
            action,
            paths,
            replaceReasons: action === "replace" ? replaceReasons(steps) : [],
            drifted,
            driftKind: drifted ? (r!.gone ? "deleted" : "changed") : undefined,
            protected: steps.some((s) => s.protect),
            ...(steps.some((s) => s.retain) ? { retained: true } : {}),
        };
        if (action === "update" && paths.length > 0 && paths.every((p) => isNoise(type, p))) continue;
        out.push(change);
    }
    return out;
}

/** Counts per action (a replacement counted once, as `replace`). */
export function countsOf(changes: Change[]): Counts {
    const c: Counts = { create: 0, update: 0, replace: 0, delete: 0 };
    for (const ch of changes) if (ch.action !== "import") c[ch.action] += 1;
    return c;
}

/** Ordering for reports: replacements and deletions first, then creates, updates, imports; by name within each (the engine's order varies between runs). */
export function byRisk(changes: Change[]): Change[] {
    const rank: Record<Action, number> = { replace: 0, delete: 1, create: 2, update: 3, import: 4 };
    return [...changes].sort((a, b) => rank[a.action] - rank[b.action] || a.name.localeCompare(b.name) || a.urn.localeCompare(b.urn));
}
