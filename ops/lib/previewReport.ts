/**
 * The merge-request preview report of one stack: counts, replacements and deletions first with the
 * input that forces each replacement, policy and guardrail violations, protected resources touched,
 * drift found by the refresh apart from the merge request's own changes. Rendered as Markdown for
 * a GitLab note (under a size limit, with a pointer to the job log), as JSON, and as the
 * `{"create","update","delete"}` summary GitLab's merge-request widget reads from
 * `artifacts:reports:terraform`. Names, types, property paths and actions only, never a value.
 */
import { byRisk, countsOf, type Change, type Counts } from "./changes";
import type { Violation } from "./guardrails";
import { cell, code, detailsPointer, table } from "./markdown";

/** Schema id of preview-<stack>.json. */
export const PREVIEW_SCHEMA = "gitops-platform/preview/v1";

/** The hidden marker that identifies a stack's note on the merge request. */
export function noteMarker(stack: string): string {
    return `<!-- gitops-platform:preview:${stack} -->`;
}

/** GitLab's merge-request widget summary: a replacement counts as one create and one delete. */
export interface WidgetSummary {
    create: number;
    update: number;
    delete: number;
}

/** The report of one stack's preview. */
export interface PreviewReport {
    schema: typeof PREVIEW_SCHEMA;
    stack: string;
    generatedAt: string;
    production: boolean;
    counts: Counts;
    widget: WidgetSummary;
    /** Resources the refresh found changed or deleted outside Pulumi (up puts them back). */
    drift: Change[];
    /** The merge request's own changes (not drift), replacements and deletions first. */
    changes: Change[];
    violations: Violation[];
    /** Set when the preview failed for another reason than a policy violation. */
    error?: { messages: string[]; fix: string };
}

/** The widget summary of a set of changes. */
export function widgetSummary(c: Counts): WidgetSummary {
    return { create: c.create + c.replace, update: c.update, delete: c.delete + c.replace };
}

/** Assembles the report. */
export function previewReport(args: {
    stack: string;
    production: boolean;
    changes: Change[];
    violations: Violation[];
    error?: { messages: string[]; fix: string };
    now: Date;
}): PreviewReport {
    const counts = countsOf(args.changes);
    return {
        schema: PREVIEW_SCHEMA,
        stack: args.stack,
        generatedAt: args.now.toISOString(),
        production: args.production,
        counts,
        widget: widgetSummary(counts),
        drift: byRisk(args.changes.filter((c) => c.drifted)),
        changes: byRisk(args.changes.filter((c) => !c.drifted)),
        violations: args.violations,
        error: args.error,
    };
}

function reason(c: Change): string {
    if (c.action === "replace") return c.replaceReasons.length ? `forced by ${c.replaceReasons.map(code).join(", ")}` : "forced by the provider";
    if (c.action === "delete") return "no longer in the program";
    return "";
}

function urnName(urn: string | undefined): string {
    return urn ? urn.slice(urn.lastIndexOf("::") + 2) : "(stack)";
}

/** Markdown for the merge-request note, at most `limit` characters, starting with the stack's marker. */
export function previewMarkdown(r: PreviewReport, limit: number, env: NodeJS.ProcessEnv = process.env): string {
    const pointer = detailsPointer(`preview-${r.stack}.json`, env);
    const c = r.counts;
    const parts: string[] = [
        noteMarker(r.stack),
        `### \`pulumi preview\` of stack \`${r.stack}\`${r.production ? " (production)" : ""}`,
        "",
        `**${c.create} to create · ${c.update} to update · ${c.replace} to replace · ${c.delete} to delete**` +
            (r.drift.length ? ` — including ${r.drift.length} drifted resource(s) the refresh found` : ""),
        "",
    ];
    // Budget: each section gets what is left, replacements/deletions and violations first.
    let left = limit - 400;
    const push = (s: string) => {
        parts.push(s);
        left -= s.length + 1;
    };
    if (r.error) {
        push("**The preview failed:**");
        push("```\n" + r.error.messages.map((m) => m.slice(0, 2_000)).join("\n") + "\n```");
        push(`What to fix: ${r.error.fix}\n`);
    }
    const risky = [...r.changes, ...r.drift].filter((x) => x.action === "replace" || x.action === "delete");
    if (risky.length) {
        push(":warning: **Replacements and deletions**\n");
        push(table(["action", "resource", "type", "reason", "protected"], byRisk(risky).map((x) => [x.action, code(x.name), code(x.type), reason(x), x.protected ? "yes" : ""]), Math.max(1_500, left / 3), pointer));
    }
    if (r.violations.length) {
        push("**Policy violations** (mandatory ones block `deploy`)\n");
        push(table(["level", "policy", "resource", "message"], r.violations.map((v) => [v.enforcement, code(`${v.policyPack}/${v.policy}`), code(urnName(v.urn)), cell(v.message)]), Math.max(1_500, left / 3), pointer));
    }
    const prot = [...r.changes, ...r.drift].filter((x) => x.protected);
    if (prot.length) {
        push(`**Protected resources touched:** ${prot.map((x) => `${code(x.name)} (${x.action})`).join(", ")} — a delete or replace of a protected resource fails until it is unprotected on purpose.\n`);
    }
    const kept = [...r.changes, ...r.drift].filter((x) => x.retained && (x.action === "delete" || x.action === "replace"));
    if (kept.length) {
        push(
            `**Kept, not deleted (retainOnDelete):** ${kept.map((x) => `${code(x.name)} (${x.action})`).join(", ")} — only dropped from the state: ` +
                `the live object stays (GitLab projects of gitlab.manageProjects, service secret placeholders: they belong to the service teams).\n`,
        );
    }
    if (r.drift.length) {
        push("**Drift found by the refresh** (changed outside Pulumi; `pulumi up` puts it back)\n");
        push(table(["up would", "resource", "type", "properties"], r.drift.map((x) => [x.action, code(x.name), code(x.type), cell(x.paths.map(code).join(", ") || (x.driftKind === "deleted" ? "deleted" : "—"))]), Math.max(1_500, left / 2), pointer));
    }
    // replacements and deletions are listed above; the rest of the merge request's own changes here
    const rest = r.changes.filter((x) => x.action !== "replace" && x.action !== "delete");
    if (rest.length) {
        push(`**${rest.length === r.changes.length ? "Changes" : "Other changes"} in this merge request**\n`);
        push(table(["action", "resource", "type", "properties"], rest.map((x) => [x.action, code(x.name), code(x.type), cell(x.paths.map(code).join(", ") || "—")]), Math.max(1_500, left), pointer));
    } else if (!r.error && r.changes.length === 0) {
        push("No change from this merge request.\n");
    }
    push(`<sub>${r.generatedAt} · full report: ${pointer}</sub>`);
    const text = parts.join("\n");
    return text.length <= limit ? text : text.slice(0, limit - 200) + `\n\n… cut to fit a GitLab note: ${pointer}\n`;
}
