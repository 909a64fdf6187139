/**
 * `npm run drift -- --stack <name> | --all [--out <dir>] [--open-issue]`: the read-only drift check.
 *
 * Runs `pulumi preview --refresh` (Automation API) for each stack, which reads every resource from
 * Vault, the cluster and GitLab and says what `pulumi up` would do, without writing the state
 * (checked: the state's sha256 before and after is reported and must match). Also reads the tokens'
 * expiry from the stack outputs, each against its own rotateBeforeDays (ops/lib/tokenExpiry.ts). Writes `<out>/drift.json` (schema: docs/drift.md) and
 * `<out>/drift.md`, prints a table.
 * Exit codes: 0 clean, 2 drift (or changes a failed or interrupted last deploy did not apply:
 * ops/lib/lastDeploy.ts), 3 a token inside its rotation window (no drift), 1 error.
 * GITOPS_PLATFORM_CLOCK (ISO 8601) moves the clock for rehearsals; never set it in production.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { byRisk, changesOf, type Change } from "./lib/changes";
import { EXIT, parse, runMain } from "./lib/cli";
import { nowMs } from "./lib/clock";
import { driftMarkdown, driftReport, driftTable, statusOf, type StackDrift } from "./lib/driftReport";
import { explain, meaningfulErrors } from "./lib/failures";
import { readGitLabProjectContext } from "./lib/gitlabCi";
import { upsertIssue } from "./lib/gitlabNotes";
import { runPreview } from "./lib/preview";
import { redactorFor } from "./lib/redact";
import { digestOf, stateDigest } from "./lib/stateDigest";
import { incompleteReason, lastDeployOf, markIncomplete } from "./lib/lastDeploy";
import { openStack, stacksToRun } from "./lib/stacks";
import { ciPushModeOf, rotateWindowsOf, tokenFindings } from "./lib/tokenExpiry";

const USAGE = "npm run drift -- --stack <name> | --all [--out <dir>] [--open-issue]";

/** Drifted resources first, then what follows from them; replacements and deletions first within each. */
function driftOrder(changes: Change[]): Change[] {
    const sorted = byRisk(changes);
    return [...sorted.filter((c) => c.drifted), ...sorted.filter((c) => !c.drifted)];
}

/** Checks one stack. */
export async function checkStack(stackName: string, dir: string, now: number): Promise<StackDrift> {
    const t0 = Date.now();
    const stack = await openStack(stackName, dir);
    const config = await stack.getAllConfig();
    const redact = redactorFor(config);
    const exported = await stack.exportStack();
    const sha256Before = digestOf(exported.deployment);
    // A failed or interrupted last deploy: its pending changes are findings, not a merge waiting for a deploy.
    const pendingOperations = ((exported.deployment as { pending_operations?: unknown[] }).pending_operations ?? []).length;
    const incomplete = incompleteReason(lastDeployOf(await stack.history(10)), pendingOperations);
    const run = await runPreview(stack);
    const sha256After = await stateDigest(stack);
    const outputs = Object.fromEntries(Object.entries(await stack.outputs()).filter(([, o]) => !o.secret).map(([k, o]) => [k, o.value]));
    const tokens = tokenFindings(stackName, outputs, rotateWindowsOf(config), now, ciPushModeOf(config));
    const result: StackDrift = {
        stack: stackName,
        status: "clean",
        changes: run.failure ? [] : driftOrder(markIncomplete(changesOf(run.record), incomplete)),
        tokens,
        ...(incomplete && !run.failure ? { incomplete } : {}),
        state: { sha256Before, sha256After, unchanged: sha256Before === sha256After },
        durationMs: Date.now() - t0,
    };
    if (run.failure) {
        const messages = meaningfulErrors(run.record.errors.map((e) => e.message));
        const shown = (messages.length > 0 ? messages : [run.failure.trim().split("\n").slice(-15).join("\n")]).map(redact);
        result.error = { kind: explain(shown.join("\n")).kind, messages: shown, fix: explain(shown.join("\n")).fix };
    }
    if (!result.state!.unchanged) {
        result.error = { kind: "other", messages: ["the exported state changed during the check"], fix: "report this: the drift check must never write the state" };
    }
    result.status = statusOf(result);
    return result;
}

async function main(argv: string[]): Promise<number> {
    const opts = parse(argv, { stack: { type: "string" }, all: { type: "boolean" }, out: { type: "string" }, "open-issue": { type: "boolean" } }, USAGE);
    const dir = process.cwd();
    const now = nowMs();
    if (opts["open-issue"]) readGitLabProjectContext(); // fail before the (slow) previews when the issue cannot be written
    const names = stacksToRun(opts, dir);
    const results: StackDrift[] = [];
    for (const name of names) {
        try {
            results.push(await checkStack(name, dir, now));
        } catch (e) {
            const message = e instanceof Error ? e.message : String(e);
            const why = explain(message);
            results.push({ stack: name, status: "error", changes: [], tokens: [], error: { kind: why.kind, messages: [message], fix: why.fix }, durationMs: 0 });
        }
    }
    const report = driftReport(results, new Date(now));
    const out = path.resolve(opts.out ?? "reports");
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, "drift.json"), JSON.stringify(report, null, 2) + "\n");
    const md = driftMarkdown(report);
    fs.writeFileSync(path.join(out, "drift.md"), md + "\n");
    console.log(driftTable(report));
    console.log(`\nexit ${report.exitCode}; reports: ${path.join(out, "drift.json")}, ${path.join(out, "drift.md")}`);
    if (opts["open-issue"] && report.exitCode !== EXIT.ok) await openIssue(md);
    return report.exitCode;
}

/** The hidden marker of the project's drift issue (one open issue, updated by every failing run). */
export const DRIFT_ISSUE_MARKER = "<!-- gitops-platform:drift -->";

/** Opens or updates the project's drift issue (in GitLab CI, with GITLAB_NOTE_TOKEN). */
async function openIssue(md: string): Promise<void> {
    const ctx = readGitLabProjectContext();
    const r = await upsertIssue({ ctx, marker: DRIFT_ISSUE_MARKER, title: "Drift or deploy token expiry found by the scheduled check", body: md, labels: ["drift"] });
    console.log(`drift issue ${r.action}: ${r.webUrl ?? `#${r.issueIid}`}`);
}

if (require.main === module) runMain(main);
