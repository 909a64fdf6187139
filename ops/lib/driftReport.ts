/**
 * The drift check's report: per stack, what `pulumi up` would change (drift), the deploy tokens
 * due for rotation, or the error that stopped the check; rendered as JSON (`drift.json`, schema
 * in docs/drift.md), Markdown (`drift.md`, sized for a GitLab note or issue) and a terminal table.
 * Carries names, types, property paths and actions, never a value.
 */
import { EXIT } from "./cli";
import type { Change } from "./changes";
import type { FailureKind } from "./failures";
import { cell, code, detailsPointer, table } from "./markdown";
import type { TokenFinding } from "./tokenExpiry";

/** Schema id of drift.json. */
export const DRIFT_SCHEMA = "gitops-platform/drift/v1";

/** One stack's result. */
export interface StackDrift {
    stack: string;
    status: "clean" | "drift" | "token-expiry" | "error";
    /** Resources `pulumi up` would act on, drifted ones first. */
    changes: Change[];
    tokens: TokenFinding[];
    error?: { kind: FailureKind; messages: string[]; fix: string };
    /** Why the last deployment is incomplete (failed or interrupted `pulumi up`); its pending changes are findings. */
    incomplete?: string;
    /** sha256 of the exported state before and after the check (equal: nothing was written). */
    state?: { sha256Before: string; sha256After: string; unchanged: boolean };
    durationMs: number;
}

/** The whole report (drift.json). */
export interface DriftReport {
    schema: typeof DRIFT_SCHEMA;
    checkedAt: string;
    exitCode: number;
    stacks: StackDrift[];
}

/** The status of a stack from its findings. */
export function statusOf(s: Pick<StackDrift, "changes" | "tokens" | "error">): StackDrift["status"] {
    if (s.error) return "error";
    // Drift, or what a failed or interrupted deploy did not apply: both need a pulumi up.
    if (s.changes.some((c) => c.drifted || c.incomplete)) return "drift";
    if (s.tokens.length > 0) return "token-expiry";
    return "clean";
}

/** Exit code over all stacks: 1 error, else 2 drift, else 3 token expiry, else 0. */
export function exitCodeOf(stacks: StackDrift[]): number {
    if (stacks.some((s) => s.status === "error")) return EXIT.error;
    if (stacks.some((s) => s.status === "drift")) return EXIT.drift;
    if (stacks.some((s) => s.status === "token-expiry")) return EXIT.tokenExpiry;
    return EXIT.ok;
}

/** Assembles the report. */
export function driftReport(stacks: StackDrift[], checkedAt: Date): DriftReport {
    return { schema: DRIFT_SCHEMA, checkedAt: checkedAt.toISOString(), exitCode: exitCodeOf(stacks), stacks };
}

function driftNote(c: Change): string {
    if (c.drifted) return c.driftKind === "deleted" ? "deleted outside Pulumi" : "changed outside Pulumi";
    if (c.incomplete) return "not applied: the last pulumi up failed or was interrupted";
    return "not drift: pending program change, or follows from a drifted resource";
}

function tokenLine(t: TokenFinding): string {
    const when = t.status === "expired" ? `expired on ${t.expiresAt}` : `expires ${t.expiresAt} (${t.daysLeft} days left, rotateBeforeDays ${t.rotateBeforeDays})`;
    return `${t.purpose} (${t.output}) ${when}; rotated by ${t.rotatedBy}`;
}

/** Markdown for a GitLab note or issue, at most `limit` characters. */
export function driftMarkdown(r: DriftReport, limit = 60_000, env: NodeJS.ProcessEnv = process.env): string {
    const pointer = detailsPointer("drift.json", env);
    const head: string[] = [`### Drift check — ${r.checkedAt}`, ""];
    const per = Math.max(2_000, Math.floor((limit - 600) / Math.max(1, r.stacks.length)));
    for (const s of r.stacks) {
        const drifted = s.changes.filter((c) => c.drifted).length;
        const notApplied = s.changes.filter((c) => c.incomplete).length;
        const driftTitle =
            drifted > 0
                ? `**drift** on ${drifted} resource(s)${notApplied ? `, ${notApplied} not applied by the last deploy` : ""}; \`pulumi up\` would change ${s.changes.length}`
                : `**incomplete deployment**: ${notApplied} change(s) not applied by the last deploy; \`pulumi up\` would change ${s.changes.length}`;
        const title = { clean: s.changes.length ? `no drift (${s.changes.length} pending change(s) not applied yet)` : "clean", drift: driftTitle, "token-expiry": "**token rotation due**", error: "**check failed**" }[s.status];
        head.push(`#### Stack \`${s.stack}\`: ${title}`, "");
        if (s.incomplete) head.push(`Why: ${s.incomplete}. Deploy again (\`pulumi up --refresh\`) after fixing what stopped it.`, "");
        if (s.error) {
            head.push("```", ...s.error.messages.map((m) => m.slice(0, 1_500)), "```", "", `What to fix: ${s.error.fix}`, "");
        }
        if (s.changes.length > 0) {
            const rows = s.changes.map((c) => [c.action, code(c.name), code(c.type), cell(c.paths.map(code).join(", ") || "—"), driftNote(c)]);
            head.push(table(["pulumi up would", "resource", "type", "properties", "why"], rows, per, pointer));
        }
        for (const t of s.tokens) head.push(`- ${cell(tokenLine(t))}`);
        if (s.tokens.length) head.push("");
        if (s.state && !s.state.unchanged) head.push("**The state changed during the check** (it must not): report this.", "");
    }
    const text = head.join("\n");
    return text.length <= limit ? text : text.slice(0, limit - pointer.length - 20) + `\n\n… cut: ${pointer}\n`;
}

/** A plain-text table for the terminal. */
export function driftTable(r: DriftReport): string {
    const rows: string[][] = [["STACK", "STATUS", "ACTION", "RESOURCE", "TYPE", "PROPERTIES"]];
    const lines: string[] = [];
    for (const s of r.stacks) {
        if (s.changes.length === 0) rows.push([s.stack, s.status, "", "", "", ""]);
        for (const c of s.changes) rows.push([s.stack, c.drifted ? "drift" : c.incomplete ? "not-applied" : "pending", c.action, c.name, c.type, c.paths.join(", ") || "-"]);
        if (s.incomplete) lines.push(`${s.stack}: incomplete deployment: ${s.incomplete}`);
        for (const t of s.tokens) lines.push(`${s.stack}: ${tokenLine(t)}`);
        if (s.error) lines.push(`${s.stack}: ERROR (${s.error.kind}): ${s.error.messages.join(" | ")}`, `${s.stack}: what to fix: ${s.error.fix}`);
    }
    const widths = rows[0].map((_, i) => Math.min(70, Math.max(...rows.map((r) => r[i].length))));
    const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
    return [...rows.map(fmt), ...(lines.length ? ["", ...lines] : [])].join("\n");
}
