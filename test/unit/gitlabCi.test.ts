/**
 * The users' pipeline (.gitlab-ci.yml at the repository root): which jobs run in which pipeline
 * (rules evaluated for MR, default-branch, feature-branch and scheduled pipelines), prod deploys by
 * a click and dev by itself, environments and resource groups per stack, the Terraform MR widget
 * report, the drift artifacts, stack matrices that list exactly the committed Pulumi.<stack>.yaml
 * files, every `npm run <script>` present in package.json, and the shell helpers the jobs share
 * (bash syntax, the credentials guard's exit codes, the GitLab token passed through stdin).
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";

const ROOT = path.join(__dirname, "..", "..");
const CI_FILE = path.join(ROOT, ".gitlab-ci.yml");

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The file as GitLab reads it: YAML 1.2 with anchors and `<<` merge keys; any parse problem fails. */
function loadCi(): Obj {
    const doc = parseDocument(fs.readFileSync(CI_FILE, "utf8"), { merge: true });
    assert.deepEqual(doc.errors.map(String), [], "the YAML parses");
    assert.deepEqual(doc.warnings.map(String), [], "the YAML parses without warnings (unknown tags, ...)");
    const ci = doc.toJS() as unknown;
    assert.ok(isObj(ci), "the top level is a mapping");
    return ci;
}

/** Global keywords: everything else that does not start with "." is a job. */
const GLOBAL_KEYWORDS = new Set(["default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script", "after_script"]);

/** GitLab's `extends`: hashes merge deeply, everything else (arrays, scalars) is replaced. */
function deepMerge(base: Json, over: Json): Json {
    if (isObj(base) && isObj(over)) {
        const out: Obj = { ...base };
        for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
        return out;
    }
    return over;
}

function resolveJob(ci: Obj, name: string, seen: string[] = []): Obj {
    assert.ok(!seen.includes(name), `extends cycle: ${[...seen, name].join(" → ")}`);
    const job = ci[name];
    assert.ok(isObj(job), `${name} is a mapping`);
    const parents = job.extends === undefined ? [] : Array.isArray(job.extends) ? job.extends : [job.extends];
    let merged: Json = {};
    for (const p of parents) {
        assert.equal(typeof p, "string");
        merged = deepMerge(merged, resolveJob(ci, p as string, [...seen, name]));
    }
    const { extends: _e, ...own } = job;
    return deepMerge(merged, own) as Obj;
}

function jobs(ci: Obj): Map<string, Obj> {
    const out = new Map<string, Obj>();
    for (const name of Object.keys(ci)) {
        if (!name.startsWith(".") && !GLOBAL_KEYWORDS.has(name)) out.set(name, resolveJob(ci, name));
    }
    return out;
}

/** Script lines as the runner sees them (nested arrays from anchors are flattened). */
function lines(v: Json | undefined): string[] {
    if (v === undefined || v === null) return [];
    if (typeof v === "string") return [v];
    assert.ok(Array.isArray(v), "a script is a string or a list");
    return v.flatMap((x) => lines(x));
}

// ---------------------------------------------------------------------------------------------
// rules:if — the subset of GitLab's expression syntax this file may use: $VAR, "string", 'string',
// null, /regex/, == != =~ !~, && (binds tighter) ||, parentheses. Anything else fails the test, so
// a new construct in the CI file comes with its evaluation here.

type Vars = Record<string, string | undefined>;
type Tok = { t: "var" | "str" | "null" | "re" | "op" | "lp" | "rp"; v: string };

function tokenize(expr: string): Tok[] {
    const toks: Tok[] = [];
    const re = /\s*(?:(\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?)|"([^"]*)"|'([^']*)'|(null)\b|\/((?:\\.|[^/])*)\/([a-z]*)|(==|!=|=~|!~|&&|\|\|)|(\()|(\)))/y;
    let i = 0;
    while (i < expr.length) {
        if (/^\s*$/.test(expr.slice(i))) break;
        re.lastIndex = i;
        const m = re.exec(expr);
        assert.ok(m, `unsupported rules:if syntax at "${expr.slice(i)}" in: ${expr}`);
        i = re.lastIndex;
        if (m[1] !== undefined) toks.push({ t: "var", v: m[2] });
        else if (m[3] !== undefined) toks.push({ t: "str", v: m[3] });
        else if (m[4] !== undefined) toks.push({ t: "str", v: m[4] });
        else if (m[5] !== undefined) toks.push({ t: "null", v: "" });
        else if (m[6] !== undefined) toks.push({ t: "re", v: `${m[6]}\u0000${m[7]}` });
        else if (m[8] !== undefined) toks.push({ t: "op", v: m[8] });
        else if (m[9] !== undefined) toks.push({ t: "lp", v: "(" });
        else toks.push({ t: "rp", v: ")" });
    }
    return toks;
}

function evaluate(expr: string, vars: Vars): boolean {
    const toks = tokenize(expr);
    let pos = 0;
    const peek = () => toks[pos];
    const value = (tok: Tok): string | null | RegExp => {
        if (tok.t === "var") return vars[tok.v] ?? null;
        if (tok.t === "str") return tok.v;
        if (tok.t === "null") return null;
        if (tok.t === "re") {
            const [src, flags] = tok.v.split("\u0000");
            return new RegExp(src, flags);
        }
        assert.fail(`expected a value, got "${tok.v}" in: ${expr}`);
    };
    const primary = (): boolean => {
        const tok = toks[pos++];
        assert.ok(tok, `unexpected end of: ${expr}`);
        if (tok.t === "lp") {
            const v = or();
            assert.equal(toks[pos++]?.t, "rp", `missing ")" in: ${expr}`);
            return v;
        }
        const left = value(tok);
        const op = peek();
        if (op?.t === "op" && ["==", "!=", "=~", "!~"].includes(op.v)) {
            pos++;
            const rightTok = toks[pos++];
            assert.ok(rightTok, `unexpected end of: ${expr}`);
            const right = value(rightTok);
            if (op.v === "==" || op.v === "!=") {
                assert.ok(!(left instanceof RegExp) && !(right instanceof RegExp), `regex with ${op.v} in: ${expr}`);
                return (left === right) === (op.v === "==");
            }
            assert.ok(right instanceof RegExp, `=~ needs a /regex/ in: ${expr}`);
            const matches = typeof left === "string" && right.test(left);
            return matches === (op.v === "=~");
        }
        // A lone variable: true when defined and not empty.
        assert.equal(tok.t, "var", `a lone value must be a variable in: ${expr}`);
        return typeof left === "string" && left !== "";
    };
    const and = (): boolean => {
        let v = primary();
        while (peek()?.t === "op" && peek().v === "&&") {
            pos++;
            const r = primary();
            v = v && r;
        }
        return v;
    };
    const or = (): boolean => {
        let v = and();
        while (peek()?.t === "op" && peek().v === "||") {
            pos++;
            const r = and();
            v = v || r;
        }
        return v;
    };
    const result = or();
    assert.equal(pos, toks.length, `trailing tokens in: ${expr}`);
    return result;
}

type Decision = { when: string; allowFailure?: Json };

/** The first matching rule decides; no match (or when: never) means the job is not in the pipeline. */
function decide(rules: Json | undefined, vars: Vars): Decision | undefined {
    assert.ok(Array.isArray(rules), "the job has rules");
    for (const rule of rules) {
        assert.ok(isObj(rule), "a rule is a mapping");
        for (const k of Object.keys(rule)) {
            assert.ok(["if", "when", "allow_failure", "variables"].includes(k), `rule keyword "${k}" is not evaluated by this test`);
        }
        if (rule.if === undefined || evaluate(String(rule.if), vars)) {
            const when = (rule.when as string | undefined) ?? "on_success";
            return when === "never" ? undefined : { when, allowFailure: rule.allow_failure };
        }
    }
    return undefined;
}

/** Predefined variables of the pipelines users get. */
const PIPELINES: Record<string, Vars> = {
    mr: { CI_PIPELINE_SOURCE: "merge_request_event", CI_MERGE_REQUEST_IID: "7", CI_COMMIT_REF_NAME: "feature", CI_DEFAULT_BRANCH: "main" },
    pushDefault: { CI_PIPELINE_SOURCE: "push", CI_COMMIT_BRANCH: "main", CI_COMMIT_REF_NAME: "main", CI_DEFAULT_BRANCH: "main" },
    pushFeature: { CI_PIPELINE_SOURCE: "push", CI_COMMIT_BRANCH: "feature", CI_COMMIT_REF_NAME: "feature", CI_DEFAULT_BRANCH: "main" },
    pushFeatureWithMr: { CI_PIPELINE_SOURCE: "push", CI_COMMIT_BRANCH: "feature", CI_COMMIT_REF_NAME: "feature", CI_DEFAULT_BRANCH: "main", CI_OPEN_MERGE_REQUESTS: "group/project!7" },
    scheduleDrift: { CI_PIPELINE_SOURCE: "schedule", CI_COMMIT_BRANCH: "main", CI_COMMIT_REF_NAME: "main", CI_DEFAULT_BRANCH: "main", SCHEDULED_TASK: "drift" },
    scheduleRotate: { CI_PIPELINE_SOURCE: "schedule", CI_COMMIT_BRANCH: "main", CI_COMMIT_REF_NAME: "main", CI_DEFAULT_BRANCH: "main", SCHEDULED_TASK: "rotate" },
    scheduleOther: { CI_PIPELINE_SOURCE: "schedule", CI_COMMIT_BRANCH: "main", CI_COMMIT_REF_NAME: "main", CI_DEFAULT_BRANCH: "main" },
};

// ---------------------------------------------------------------------------------------------
// stacks

/** The stacks of the committed Pulumi.<stack>.yaml files in a directory. */
function committedStacks(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** The STACK values of a job's parallel:matrix (one entry with one STACK list, as the file uses). */
function matrixStacks(job: Obj, name: string): string[] {
    const parallel = job.parallel;
    assert.ok(isObj(parallel) && Array.isArray(parallel.matrix), `${name} has parallel:matrix`);
    const stacks: string[] = [];
    for (const entry of parallel.matrix) {
        assert.ok(isObj(entry), `${name}: a matrix entry is a mapping`);
        assert.deepEqual(Object.keys(entry), ["STACK"], `${name}: the matrix has the one variable STACK`);
        const v = entry.STACK;
        stacks.push(...(Array.isArray(v) ? v.map(String) : [String(v)]));
    }
    return stacks.sort();
}

/** Why a matrix does not list exactly the committed stacks, or undefined when it does. */
function matrixMismatch(matrix: string[], committed: string[]): string | undefined {
    const missing = committed.filter((s) => !matrix.includes(s));
    const extra = matrix.filter((s) => !committed.includes(s));
    const dup = matrix.filter((s, i) => matrix.indexOf(s) !== i);
    if (!missing.length && !extra.length && !dup.length) return undefined;
    return [
        missing.length ? `missing ${missing.join(", ")} (committed as Pulumi.<stack>.yaml)` : "",
        extra.length ? `lists ${extra.join(", ")} without a Pulumi.<stack>.yaml` : "",
        dup.length ? `lists ${dup.join(", ")} twice` : "",
    ]
        .filter(Boolean)
        .join("; ");
}

const expand = (s: string, vars: Vars) => s.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, n: string) => vars[n] ?? m);

const STACK_JOBS = ["preview", "deploy", "rotate"] as const;

describe(".gitlab-ci.yml", () => {
    const ci = loadCi();
    const all = jobs(ci);
    const job = (name: string): Obj => {
        const j = all.get(name);
        assert.ok(j, `job ${name} exists`);
        return j;
    };
    const committed = committedStacks(ROOT);

    it("has the stages in order and each job in its stage", () => {
        assert.deepEqual(ci.stages, ["validate", "preview", "deploy", "drift", "rotate"]);
        assert.deepEqual([...all.keys()].sort(), ["deploy", "drift", "preview", "rotate", "validate"]);
        for (const [name, j] of all) assert.equal(j.stage, name, `${name} is in stage ${name}`);
    });

    it("workflow: MR pipelines and branch pipelines without duplicates, and schedules", () => {
        const wf = ci.workflow;
        assert.ok(isObj(wf));
        const runs = (p: keyof typeof PIPELINES) => decide(wf.rules, PIPELINES[p]) !== undefined;
        assert.equal(runs("mr"), true, "merge request pipelines run");
        assert.equal(runs("pushDefault"), true, "default-branch pipelines run");
        assert.equal(runs("pushFeature"), true, "a branch without an MR gets a branch pipeline");
        assert.equal(runs("pushFeatureWithMr"), false, "a push to a branch with an open MR does not add a branch pipeline");
        assert.equal(runs("scheduleDrift"), true);
        assert.equal(runs("scheduleRotate"), true);
    });

    /** The pipelines (by name) in which a job, for one stack, is created, with its `when`. */
    const where = (name: string, stack?: string) => {
        const out: Record<string, string> = {};
        for (const [p, vars] of Object.entries(PIPELINES)) {
            const d = decide(job(name).rules, { ...vars, ...(stack ? { STACK: stack } : {}) });
            if (d) out[p] = d.when;
        }
        return out;
    };

    it("validate runs on merge requests and the default branch, not on schedules", () => {
        assert.deepEqual(where("validate"), { mr: "on_success", pushDefault: "on_success" });
        const script = lines(job("validate").script).join("\n");
        assert.match(script, /^npm ci\b/m);
        assert.match(script, /^npm test$/m);
    });

    it("preview runs only in merge request pipelines, for every stack", () => {
        for (const stack of committed) assert.deepEqual(where("preview", stack), { mr: "on_success" }, stack);
        assert.match(lines(job("preview").script).join("\n"), /npm run preview-report -- --stack "?\$STACK"? --post --policy-pack policy/);
    });

    it("deploy runs only on the default branch: dev by itself, prod (and any other stack) by a click", () => {
        assert.deepEqual(where("deploy", "dev"), { pushDefault: "on_success" });
        assert.deepEqual(where("deploy", "prod"), { pushDefault: "manual" });
        assert.deepEqual(where("deploy", "staging"), { pushDefault: "manual" }, "a stack added later is manual until listed as automatic");
        // Fail-safe: if GitLab did not see $STACK in rules, every stack would be manual, not automatic.
        assert.deepEqual(where("deploy", undefined), { pushDefault: "manual" });
        assert.match(lines(job("deploy").script).join("\n"), /pulumi up --yes --non-interactive --refresh --stack "?\$STACK"? --policy-pack policy/);
    });

    it("drift and rotate run only in scheduled pipelines with their SCHEDULED_TASK", () => {
        assert.deepEqual(where("drift"), { scheduleDrift: "on_success" });
        for (const stack of committed) assert.deepEqual(where("rotate", stack), { scheduleRotate: "on_success" }, stack);
        const drift = lines(job("drift").script).join("\n");
        assert.match(drift, /npm run drift -- --all\b/);
        assert.match(drift, /--open-issue/);
        assert.match(drift, /DRIFT_OPEN_ISSUE/);
        assert.match(lines(job("rotate").script).join("\n"), /npm run rotate -- --stack "?\$STACK"?/);
    });

    it("each stack has its own environment and resource group; rotate shares deploy's", () => {
        const deploy = job("deploy");
        const rotate = job("rotate");
        const preview = job("preview");
        const seenEnv = new Set<string>();
        const seenGroup = new Set<string>();
        for (const stack of committed) {
            const vars = { STACK: stack };
            assert.ok(isObj(deploy.environment) && isObj(rotate.environment) && isObj(preview.environment));
            const env = expand(String(deploy.environment.name), vars);
            assert.equal(env, stack, "deploy's environment is named after the stack");
            assert.ok(["start", undefined].includes(deploy.environment.action as string | undefined), "deploy records a deployment");
            assert.equal(expand(String(rotate.environment.name), vars), env, "rotate uses deploy's environment");
            assert.notEqual(rotate.environment.action ?? "start", "start", "rotate does not record a deployment of the commit");
            assert.equal(preview.environment.action, "prepare", "a preview is not a deployment");
            assert.notEqual(expand(String(preview.environment.name), vars), env, "MR previews have their own credential scope");

            const group = expand(String(deploy.resource_group), vars);
            assert.equal(group, `pulumi-${stack}`);
            assert.equal(expand(String(rotate.resource_group), vars), group, "rotate waits for deploy of the same stack");
            seenEnv.add(env);
            seenGroup.add(group);
        }
        assert.equal(seenEnv.size, committed.length);
        assert.equal(seenGroup.size, committed.length);
    });

    it("preview keeps reports/ and feeds the Terraform MR widget from reports/plan-<stack>.json", () => {
        const a = job("preview").artifacts;
        assert.ok(isObj(a) && isObj(a.reports) && Array.isArray(a.paths));
        assert.equal(a.reports.terraform, "reports/plan-$STACK.json");
        assert.ok(a.paths.includes("reports/"));
        assert.equal(a.when, "always", "the report is kept when the preview fails (policy violation)");
        const report = String(a.reports.terraform);
        assert.deepEqual(
            committed.map((s) => expand(report, { STACK: s })),
            committed.map((s) => `reports/plan-${s}.json`),
        );
    });

    it("drift keeps reports/drift.json and reports/drift.md whatever the outcome", () => {
        const a = job("drift").artifacts;
        assert.ok(isObj(a) && Array.isArray(a.paths));
        assert.equal(a.when, "always");
        for (const p of ["reports/drift.json", "reports/drift.md"]) assert.ok(a.paths.includes(p), p);
        const r = job("rotate").artifacts;
        assert.ok(isObj(r) && r.when === "always", "rotate keeps its report (exit 4) too");
    });

    it("preview, deploy and rotate matrices list exactly the committed Pulumi.<stack>.yaml stacks", () => {
        assert.ok(committed.length > 0, "there are committed stack files");
        for (const name of STACK_JOBS) {
            const problem = matrixMismatch(matrixStacks(job(name), name), committed);
            assert.equal(problem, undefined, `${name}: parallel:matrix STACK ${problem}`);
        }
    });

    it("the matrix check fails when a stack file is added without updating the CI file", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gitlab-ci-stacks-"));
        try {
            for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml", "README.md"]) fs.writeFileSync(path.join(dir, f), "");
            assert.deepEqual(committedStacks(dir), ["dev", "prod", "staging"]);
            assert.match(matrixMismatch(["dev", "prod"], committedStacks(dir)) ?? "", /missing staging/);
            assert.match(matrixMismatch(["dev", "prod", "qa"], ["dev", "prod"]) ?? "", /lists qa without/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("every `npm run <script>` the file calls exists in package.json", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts?: Record<string, string> };
        const text = fs.readFileSync(CI_FILE, "utf8");
        const called = [...new Set([...text.matchAll(/\bnpm run ([A-Za-z0-9:_.-]+)/g)].map((m) => m[1]))].sort();
        assert.ok(called.includes("drift") && called.includes("preview-report") && called.includes("rotate"));
        const missing = called.filter((s) => !(pkg.scripts && s in pkg.scripts));
        assert.deepEqual(missing, [], `package.json has no script ${missing.join(", ")}`);
    });

    describe("shell helpers", () => {
        const stackBefore = lines(resolveJob(ci, ".stack").before_script);
        const helpers = stackBefore.find((l) => l.includes("require_credentials()"));
        assert.ok(helpers, ".stack defines the helpers");

        /** Runs the helpers plus `body` in bash, in the repository root, with only `env` set. */
        const run = (body: string, env: Record<string, string>, pathPrefix?: string) =>
            spawnSync("bash", ["-eo", "pipefail", "-c", `${helpers}\n${body}`], {
                cwd: ROOT,
                encoding: "utf8",
                env: { PATH: `${pathPrefix ? `${pathPrefix}:` : ""}${process.env.PATH ?? ""}`, ...env },
            });

        it("every job's shell is valid bash", () => {
            for (const [name, j] of all) {
                const script = [...lines(j.before_script), ...lines(j.script)].join("\n");
                const r = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
                assert.equal(r.status, 0, `${name}: ${r.stderr}`);
            }
        });

        it("without stack credentials an MR preview is skipped with the allowed exit code, anything else fails", () => {
            assert.deepEqual(job("preview").allow_failure, { exit_codes: [10] });
            const mr = run('require_credentials prod', { CI_PIPELINE_SOURCE: "merge_request_event", CI_COMMIT_REF_PROTECTED: "false" });
            assert.equal(mr.status, 10, mr.stderr);
            assert.match(mr.stderr, /protected/);
            // The other cases in one shell (each in a subshell): "<case>:<exit code>" per line.
            const cases: [string, string][] = [
                ["main", "CI_PIPELINE_SOURCE=push CI_COMMIT_REF_PROTECTED=true"],
                ["mrProtected", "CI_PIPELINE_SOURCE=merge_request_event CI_COMMIT_REF_PROTECTED=true"],
                ...["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "VAULT_SERVER_TOKEN", "PULUMI_ACCESS_TOKEN"].map(
                    (v): [string, string] => [v, `CI_PIPELINE_SOURCE=merge_request_event ${v}=x`],
                ),
            ];
            const batch = run(cases.map(([name, vars]) => `( ${vars}; require_credentials s ) 2>/dev/null && echo "${name}:0" || echo "${name}:$?"`).join("\n"), {});
            assert.equal(batch.status, 0, batch.stderr);
            assert.deepEqual(batch.stdout.trim().split("\n"), [
                "main:1",
                "mrProtected:1", // a protected MR pipeline should have had the variables: a real error
                "PULUMI_CONFIG_PASSPHRASE:0",
                "PULUMI_CONFIG_PASSPHRASE_FILE:0",
                "VAULT_SERVER_TOKEN:0",
                "PULUMI_ACCESS_TOKEN:0",
            ]);
        });

        it("committed_stacks lists the Pulumi.<stack>.yaml files", () => {
            const r = run("committed_stacks", {});
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.stdout.trim().split("\n").sort(), committed);
        });

        it("stack_secrets writes gitops-platform:gitlabToken per stack through stdin, never as an argument", () => {
            const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
            const log = path.join(bin, "calls.log");
            try {
                fs.writeFileSync(path.join(bin, "pulumi"), `#!/usr/bin/env bash\nprintf 'ARGS %s | STDIN %s\\n' "$*" "$(cat)" >> "${log}"\n`, { mode: 0o755 });
                const token = "glpat-not-a-real-token";
                const r = run("stack_secrets dev prod", { GITOPS_GITLAB_TOKEN: token }, bin);
                assert.equal(r.status, 0, r.stderr);
                const calls = fs.readFileSync(log, "utf8").trim().split("\n");
                assert.deepEqual(calls, [
                    `ARGS config set --secret --stack dev gitops-platform:gitlabToken | STDIN ${token}`,
                    `ARGS config set --secret --stack prod gitops-platform:gitlabToken | STDIN ${token}`,
                ]);
                fs.rmSync(log);
                const none = run("stack_secrets dev", {}, bin);
                assert.equal(none.status, 0);
                assert.equal(fs.existsSync(log), false, "without GITOPS_GITLAB_TOKEN the stack file is left as committed");
            } finally {
                fs.rmSync(bin, { recursive: true, force: true });
            }
        });
    });
});
