/**
 * `npm run preview-report -- --stack <name> [--post] [--policy-pack <dir>] [--out <dir>]`: the
 * merge-request preview.
 *
 * Runs `pulumi preview --refresh` (Automation API, with the policy pack when given) and writes
 *   <out>/preview-<stack>.md    the note body (Markdown, under NOTE_BUDGET characters)
 *   <out>/preview-<stack>.json  the full report (schema gitops-platform/preview/v1, docs/drift.md)
 *   <out>/plan-<stack>.json     {"create","update","delete"} for GitLab's `artifacts:reports:terraform`
 * With --post (in a merge-request pipeline, GITLAB_NOTE_TOKEN set) it creates or updates the one
 * note of this stack on the merge request (found by a hidden marker), so reruns never pile up.
 * Exit codes: 0 the preview ran (changes or not), 5 a mandatory policy or guardrail violation,
 * 1 error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { changesOf } from "./lib/changes";
import { EXIT, parse, runMain } from "./lib/cli";
import { explain, meaningfulErrors } from "./lib/failures";
import { readGitLabMergeRequestContext } from "./lib/gitlabCi";
import { upsertMergeRequestNote, GITLAB_NOTE_MAX_CHARS } from "./lib/gitlabNotes";
import { guardrailViolations, isProduction, type Violation } from "./lib/guardrails";
import { runPreview } from "./lib/preview";
import { noteMarker, previewMarkdown, previewReport } from "./lib/previewReport";
import { redactorFor } from "./lib/redact";
import { openStack } from "./lib/stacks";

const USAGE = "npm run preview-report -- --stack <name> [--post] [--policy-pack <dir>] [--out <dir>]";

/**
 * Characters of a note: far under GitLab's limit (GITLAB_NOTE_MAX_CHARS) so that the note stays
 * readable; the rest is in the job log and the JSON artifact.
 */
export const NOTE_BUDGET = Math.min(60_000, GITLAB_NOTE_MAX_CHARS);

async function main(argv: string[]): Promise<number> {
    const opts = parse(argv, { stack: { type: "string" }, post: { type: "boolean" }, "policy-pack": { type: "string", multiple: true }, out: { type: "string" } }, USAGE);
    if (!opts.stack) throw new Error(`name the stack: --stack <name> (e.g. --stack dev)\nusage: ${USAGE}`);
    // Fail before the (slow) preview when --post cannot work.
    const ctx = opts.post ? readGitLabMergeRequestContext() : undefined;
    const dir = process.cwd();
    const stack = await openStack(opts.stack, dir);
    const config = await stack.getAllConfig();
    const redact = redactorFor(config);
    const packs = (opts["policy-pack"] ?? []).map((p) => path.resolve(p));
    const run = await runPreview(stack, { policyPacks: packs.length ? packs : undefined });
    const changes = changesOf(run.record);
    const production = isProduction(opts.stack, config);
    const violations: Violation[] = [
        ...run.record.policies.map((p) => ({ ...p, message: redact(p.message) })),
        ...guardrailViolations(changes, production),
    ];
    const policyFailed = run.record.policies.some((p) => p.enforcement === "mandatory");
    let error: { messages: string[]; fix: string } | undefined;
    if (run.failure && !policyFailed) {
        const messages = meaningfulErrors(run.record.errors.map((e) => e.message));
        const shown = (messages.length ? messages : [run.failure.trim().split("\n").slice(-15).join("\n")]).map(redact);
        error = { messages: shown, fix: explain(shown.join("\n")).fix };
    }
    const report = previewReport({ stack: opts.stack, production, changes, violations, error, now: new Date() });
    const md = previewMarkdown(report, NOTE_BUDGET);
    const out = path.resolve(opts.out ?? "reports");
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, `preview-${opts.stack}.md`), md + "\n");
    fs.writeFileSync(path.join(out, `preview-${opts.stack}.json`), JSON.stringify(report, null, 2) + "\n");
    fs.writeFileSync(path.join(out, `plan-${opts.stack}.json`), JSON.stringify(report.widget) + "\n");
    console.log(md);
    if (ctx) {
        const posted = await upsertMergeRequestNote({ ctx, marker: noteMarker(opts.stack), body: md });
        console.log(`\nmerge request note ${posted.action} (id ${posted.noteId})`);
    }
    if (error) return EXIT.error;
    if (violations.some((v) => v.enforcement === "mandatory")) return EXIT.policy;
    return EXIT.ok;
}

if (require.main === module) runMain(main);
