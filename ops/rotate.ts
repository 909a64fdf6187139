/**
 * `npm run rotate -- --stack <name> [--out <dir>]`: the scheduled token rotation.
 *
 * Runs `pulumi preview --refresh`; when it shows managed tokens being replaced (inside their
 * `rotateBeforeDays` window, expired, revoked or deleted) — the GitLab deploy tokens, the CI push
 * group access token and the Argo CD CI account token (ROTATED_TOKEN_TYPES) — and nothing else than
 * them and what depends on them (the registry secret in Vault, the VaultStaticSecrets that re-sync
 * it, Argo CD's repo-creds; the CI push token's group variable; the Argo CD token's Vault secret and
 * the ARGOCD_AUTH_TOKEN group variable), runs `pulumi up` targeted at the
 * tokens with their dependents: each new token exists and its dependents hold it before the old one
 * is revoked (create-before-delete, as in every deploy). Anything else in the
 * preview (a pending merge, drift elsewhere) stops it before applying anything: exit 4 and
 * `<out>/rotate-<stack>.md` lists what else is pending, so a schedule never applies unrelated
 * changes silently. Exit codes: 0 rotated or nothing due, 4 other changes pending, 1 error.
 * GITOPS_PLATFORM_CLOCK (ISO 8601) moves the clock for rehearsals; never set it in production.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { changesOf, type Change } from "./lib/changes";
import { EXIT, parse, runMain } from "./lib/cli";
import { nowMs } from "./lib/clock";
import { withDependents, type StateResourceLike } from "./lib/dependents";
import { explain, meaningfulErrors } from "./lib/failures";
import { cell, code, table } from "./lib/markdown";
import { runPreview } from "./lib/preview";
import { redactorFor } from "./lib/redact";
import { openStack } from "./lib/stacks";

const USAGE = "npm run rotate -- --stack <name> [--out <dir>]";

/** The type of the GitLab deploy token resources. */
export const DEPLOY_TOKEN_TYPE = "pulumi-nodejs:dynamic/gitlab:GroupDeployToken";
/** The type of the Argo CD CI account token (argocd.apiUrl). */
export const ARGOCD_ACCOUNT_TOKEN_TYPE = "pulumi-nodejs:dynamic/argocd:AccountToken";
/** The type of the CI push group access token (gitlab.ciPushToken.mode groupAccessToken). */
export const GROUP_ACCESS_TOKEN_TYPE = "pulumi-nodejs:dynamic/gitlab:GroupAccessToken";
/** Token resources the rotate job replaces (with their dependents). */
export const ROTATED_TOKEN_TYPES: readonly string[] = [DEPLOY_TOKEN_TYPE, GROUP_ACCESS_TOKEN_TYPE, ARGOCD_ACCOUNT_TOKEN_TYPE];

/** What a rotation run would do, from the preview's changes and the state's dependency graph. */
export interface RotationPlan {
    /** The token resources the preview replaces or creates. */
    tokens: Change[];
    /** Changes that are neither a token nor depend on one: they stop the rotation. */
    others: Change[];
}

/** Splits the preview's changes into the rotation and everything else. */
export function rotationPlan(changes: Change[], resources: StateResourceLike[]): RotationPlan {
    const isToken = (type: string) => ROTATED_TOKEN_TYPES.includes(type);
    const tokens = changes.filter((c) => isToken(c.type));
    const tokenUrns = [...new Set([...resources.filter((r) => isToken(r.type)).map((r) => r.urn), ...tokens.map((t) => t.urn)])];
    const allowed = withDependents(resources, tokenUrns);
    return { tokens, others: changes.filter((c) => !allowed.has(c.urn)) };
}

function othersMarkdown(stack: string, others: Change[]): string {
    return [
        `### Rotation of stack \`${stack}\` stopped: other changes are pending`,
        "",
        "The preview shows changes that are not the token rotation. Nothing was applied. Deploy or revert them first (or run `npm run drift` to see drift), then rerun the rotate job.",
        "",
        table(["action", "resource", "type", "properties"], others.map((c) => [c.action, code(c.name), code(c.type), cell(c.paths.map(code).join(", ") || "—")]), 50_000, "see the job log"),
    ].join("\n");
}

async function main(argv: string[]): Promise<number> {
    const opts = parse(argv, { stack: { type: "string" }, out: { type: "string" } }, USAGE);
    if (!opts.stack) throw new Error(`name the stack: --stack <name> (e.g. --stack dev)\nusage: ${USAGE}`);
    nowMs(); // an invalid GITOPS_PLATFORM_CLOCK fails here, before anything runs
    const stack = await openStack(opts.stack, process.cwd());
    const redact = redactorFor(await stack.getAllConfig());
    const run = await runPreview(stack);
    if (run.failure) {
        const shown = (meaningfulErrors(run.record.errors.map((e) => e.message)).length ? meaningfulErrors(run.record.errors.map((e) => e.message)) : [run.failure.trim()]).map(redact);
        console.error(shown.join("\n"));
        console.error(`what to fix: ${explain(shown.join("\n")).fix}`);
        return EXIT.error;
    }
    const state = await stack.exportStack();
    const resources = ((state.deployment as { resources?: StateResourceLike[] }).resources ?? []);
    const plan = rotationPlan(changesOf(run.record), resources);
    if (plan.others.length > 0) {
        const out = path.resolve(opts.out ?? "reports");
        fs.mkdirSync(out, { recursive: true });
        const md = othersMarkdown(opts.stack, plan.others);
        fs.writeFileSync(path.join(out, `rotate-${opts.stack}.md`), md + "\n");
        console.log(md);
        return EXIT.otherChanges;
    }
    if (plan.tokens.length === 0) {
        console.log(`stack ${opts.stack}: no token due for rotation, nothing else pending`);
        return EXIT.ok;
    }
    for (const t of plan.tokens) console.log(`rotating ${t.name} (${t.action}${t.drifted ? `, revoked or deleted in ${t.type === ARGOCD_ACCOUNT_TOKEN_TYPE ? "Argo CD" : "GitLab"}` : ""})`);
    // No --refresh here: a targeted refresh fails on the dependents' providers ("unknown provider",
    // seen with the e2e CLI); the preview above already refreshed and found nothing else pending.
    const up = await stack.up({ target: plan.tokens.map((t) => t.urn), targetDependents: true, color: "never" });
    console.log(redact(up.stdout.split("\n").slice(-12).join("\n")));
    return up.summary.result === "succeeded" ? EXIT.ok : EXIT.error;
}

if (require.main === module) runMain(main);
