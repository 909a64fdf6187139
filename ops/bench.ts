/**
 * `npm run bench -- [--envs 2,10,30] [--repeat 3] [--out bench.json] [--pulumi-yaml FILE] [--no-floors] [--label TEXT]`:
 * wall times of the real engine against real servers, for one stack per environment count
 * (docs/benchmark.md). Started by scripts/bench.sh, which brings up the e2e cluster, OpenBao,
 * offline Pulumi and the GitLab API double and passes them in the environment. Per size: `pulumi up`
 * from empty, a no-op `pulumi preview`, the read-only drift check (ops/drift.ts), the equivalent
 * shell check (one `kubectl get` / Vault read / GitLab read per object, one after the other) and
 * `pulumi destroy`. Prints a table and writes bench.json. It measures; it asserts nothing.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, runMain, UsageError } from "./lib/cli";
import {
    BENCH_USAGE,
    benchOptions,
    benchStackConfig,
    benchStackName,
    benchTable,
    median,
    scaling,
    setAllArgs,
    shellReads,
    shellScript,
    summarize,
    type BenchOptions,
    type SizeResult,
    type StateResource,
} from "./lib/bench";
import { parsePreflightTimings, TIMINGS_ENV } from "../stacks/preflightTimings";

/** Servers and directories scripts/bench.sh set up (environment variables). */
interface BenchEnv {
    root: string;
    work: string;
    kubeconfig: string;
    vaultAddress: string;
    vaultToken: string;
    kubeServer: string;
    kubeCa: string;
    gitlabUrl: string;
    gitlabGroup: string;
    gitlabToken: string;
}

function benchEnv(): BenchEnv {
    const need = ["BENCH_ROOT", "BENCH_WORK", "KUBECONFIG", "VAULT_ADDR", "VAULT_TOKEN", "E2E_KUBE_SERVER", "E2E_KUBE_CA", "GL_URL", "GL_GROUP", "GL_API_TOKEN", "PULUMI_HOME"];
    const missing = need.filter((k) => !process.env[k]);
    if (missing.length > 0) {
        throw new UsageError(`ops/bench.ts runs inside scripts/bench.sh, which starts the servers (missing: ${missing.join(", ")}): use npm run bench`);
    }
    const e = process.env as Record<string, string>;
    return {
        root: e.BENCH_ROOT,
        work: e.BENCH_WORK,
        kubeconfig: e.KUBECONFIG,
        vaultAddress: e.VAULT_ADDR,
        vaultToken: e.VAULT_TOKEN,
        kubeServer: e.E2E_KUBE_SERVER,
        kubeCa: fs.readFileSync(e.E2E_KUBE_CA, "utf8"),
        gitlabUrl: e.GL_URL,
        gitlabGroup: e.GL_GROUP,
        gitlabToken: e.GL_API_TOKEN,
    };
}

/** Result of one timed command. */
interface Timed {
    ms: number;
    code: number;
    log: string;
}

/** Runs a command in `cwd`, output to `<work>/logs/<log>`; returns its wall time and exit code. */
function timed(env: BenchEnv, log: string, cmd: string, args: string[], cwd = env.work): Timed {
    const file = path.join(env.work, "logs", log);
    const fd = fs.openSync(file, "w");
    try {
        const t0 = process.hrtime.bigint();
        const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", fd, fd], env: process.env });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
        return { ms, code: r.status ?? 1, log: file };
    } finally {
        fs.closeSync(fd);
    }
}

/** Runs a command that must succeed (setup steps, not measured); throws with the end of its output. */
function must(env: BenchEnv, log: string, cmd: string, args: string[], cwd = env.work): string {
    const t = timed(env, log, cmd, args, cwd);
    const out = fs.readFileSync(t.log, "utf8");
    if (t.code !== 0) throw new Error(`${cmd} ${args[0] ?? ""} ${args[1] ?? ""} failed (exit ${t.code}), ${t.log}:\n${out.split("\n").slice(-25).join("\n")}`);
    return out;
}

/** The end of a log, for a problem report. */
function tail(file: string, lines = 12): string {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

function say(msg: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Whether a `go build` (the e2e toolchain build) is running: it takes both cores and pollutes every figure. */
function goBuildRunning(): boolean {
    const r = spawnSync("pgrep", ["-f", "go build"], { encoding: "utf8" });
    return r.status === 0 && r.stdout.trim() !== "";
}

/** Load on the machine when a measurement starts or ends. */
function machineLoad() {
    const loadavg = os.loadavg().map((x) => Number(x.toFixed(2)));
    // the 1-minute load above half the cores: another job (a build, tests) shares the CPUs
    return { loadavg, goBuildRunning: goBuildRunning(), busy: loadavg[0] > os.cpus().length / 2 };
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Measures one stack size. */
function measureSize(env: BenchEnv, opts: BenchOptions, n: number): SizeResult {
    const stack = benchStackName(n);
    const problems: string[] = [];
    const p = (args: string[]) => [...args, "--stack", stack, "--non-interactive"];
    say(`${stack}: stack init and config (${n} environments)`);
    must(env, `${stack}-init.log`, "pulumi", p(["stack", "init", "--secrets-provider", "passphrase"]));
    must(env, `${stack}-config.log`, "pulumi", p(setAllArgs(benchStackConfig({ envs: n, ...env }))));

    say(`${stack}: pulumi up (from empty)`);
    const up = timed(env, `${stack}-up.log`, "pulumi", p(["up", "--yes"]));
    if (up.code !== 0) throw new Error(`${stack}: pulumi up failed (exit ${up.code}), ${up.log}:\n${tail(up.log, 30)}`);
    say(`${stack}: up ${sec(up.ms)}`);

    const exported = JSON.parse(must(env, `${stack}-export.json`, "pulumi", ["stack", "export", "--stack", stack])) as {
        deployment: { resources?: StateResource[] };
    };
    const { reads, counts } = shellReads(exported.deployment.resources ?? []);
    if (counts.unmapped.length > 0) say(`${stack}: no shell read for ${counts.unmapped.join(", ")} (counted as resources, not read)`);
    const vaultHeader = path.join(env.work, "vault.header"), gitlabHeader = path.join(env.work, "gitlab.header");
    fs.writeFileSync(vaultHeader, `X-Vault-Token: ${env.vaultToken}\n`, { mode: 0o600 });
    fs.writeFileSync(gitlabHeader, `PRIVATE-TOKEN: ${env.gitlabToken}\n`, { mode: 0o600 });
    const script = path.join(env.work, `${stack}-shell-check.sh`);
    fs.writeFileSync(script, shellScript(reads, { vaultAddr: env.vaultAddress, vaultHeaderFile: vaultHeader, gitlabUrl: env.gitlabUrl, gitlabHeaderFile: gitlabHeader }));

    const previewMs: number[] = [], driftMs: number[] = [], shellMs: number[] = [];
    const preflightMs = { vault: [] as number[], cluster: [] as number[] };
    let shellFailures: string[] = [];
    // kubectl's discovery cache for this API server, as on the workstation of whoever ran the old scripts
    timed(env, `${stack}-kubectl-warmup.log`, "kubectl", ["api-resources", "-o", "name"]);
    for (let i = 1; i <= opts.repeat; i++) {
        const pv = timed(env, `${stack}-preview-${i}.log`, "pulumi", p(["preview", "--expect-no-changes"]));
        if (pv.code !== 0) problems.push(`preview ${i} exited ${pv.code} (${pv.log}): ${tail(pv.log, 6)}`);
        previewMs.push(pv.ms);
        const pf = parsePreflightTimings(fs.readFileSync(pv.log, "utf8"));
        if (pf) {
            preflightMs.vault.push(pf.vault);
            preflightMs.cluster.push(pf.cluster);
        }
        const dr = timed(env, `${stack}-drift-${i}.log`, "node", ["--import", "tsx", path.join(env.root, "ops", "drift.ts"), "--stack", stack, "--out", path.join(env.work, "reports", `${stack}-${i}`)]);
        if (dr.code !== 0) problems.push(`drift check ${i} exited ${dr.code}, want 0 (${dr.log}): ${tail(dr.log, 6)}`);
        driftMs.push(dr.ms);
        const sh = timed(env, `${stack}-shell-${i}.log`, "bash", [script]);
        shellFailures = fs.readFileSync(sh.log, "utf8").split("\n").filter((l) => l.startsWith("FAIL "));
        if (sh.code !== 0 || shellFailures.length > 0) problems.push(`shell check ${i}: exit ${sh.code}, ${shellFailures.length} failed reads (${sh.log})`);
        shellMs.push(sh.ms);
        say(`${stack}: run ${i}/${opts.repeat}: preview ${sec(pv.ms)}, drift check ${sec(dr.ms)}, shell check ${sec(sh.ms)} (${reads.length} reads)`);
    }

    say(`${stack}: pulumi destroy`);
    const destroy = timed(env, `${stack}-destroy.log`, "pulumi", p(["destroy", "--yes"]));
    if (destroy.code !== 0) problems.push(`destroy exited ${destroy.code} (${destroy.log}): ${tail(destroy.log, 6)}`);
    else must(env, `${stack}-rm.log`, "pulumi", ["stack", "rm", "--yes", "--stack", stack]);
    say(`${stack}: destroy ${sec(destroy.ms)}`);
    for (const pr of problems) say(`${stack}: PROBLEM ${pr}`);
    return { envs: n, stack, counts, upMs: up.ms, previewMs, driftMs, shellMs, shellFailures, destroyMs: destroy.ms, problems, preflightMs };
}

/** A floor: a no-op preview of a program that registers nothing, in its own project next to the benchmark's. */
function floorProject(env: BenchEnv, name: string, runtime: string, main: string, source: string): string {
    const dir = path.join(env.work, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\n${runtime}main: ${main}\n`);
    fs.writeFileSync(path.join(dir, main), source);
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, main }) + "\n");
    for (const f of ["node_modules", "tsconfig.json"]) fs.symlinkSync(path.join(env.root, f), path.join(dir, f));
    must(env, `${name}-init.log`, "pulumi", ["stack", "init", "floor", "--secrets-provider", "passphrase", "--non-interactive"], dir);
    return dir;
}

/** The `runtime:` block of a Pulumi.yaml (text up to the next top-level key). */
function runtimeBlock(pulumiYaml: string): string {
    const m = /^runtime:.*\n(?:[ \t]+.*\n)*/m.exec(pulumiYaml);
    if (!m) throw new Error("the Pulumi.yaml has no runtime: block");
    return m[0];
}

/** Fixed costs any program of this project pays: the CLI alone, and no-op previews of programs that register nothing. */
function measureFloors(env: BenchEnv, opts: BenchOptions, pulumiYaml: string): Record<string, number[]> {
    const jsRuntime = "runtime:\n  name: nodejs\n  options:\n    typescript: false\n";
    const floors: Record<string, { dir?: string; cmd: string[] }> = {
        "pulumi version": { cmd: ["version"] },
        "preview, empty JavaScript program": {
            dir: floorProject(env, "floor-js", jsRuntime, "index.js", "// registers nothing\n"),
            cmd: ["preview", "--non-interactive"],
        },
        "preview, JavaScript program loading the SDKs only (@pulumi/pulumi, kubernetes, vault, @kubernetes/client-node)": {
            dir: floorProject(
                env,
                "floor-sdk",
                jsRuntime,
                "index.js",
                'require("@pulumi/pulumi"); require("@pulumi/kubernetes"); require("@pulumi/vault"); require("@kubernetes/client-node");\n',
            ),
            cmd: ["preview", "--non-interactive"],
        },
        "preview, empty TypeScript program (this project's runtime options)": {
            dir: floorProject(env, "floor-ts", runtimeBlock(pulumiYaml), "index.ts", "export {};\n"),
            cmd: ["preview", "--non-interactive"],
        },
    };
    const out: Record<string, number[]> = {};
    for (const [name, f] of Object.entries(floors)) {
        out[name] = [];
        for (let i = 1; i <= opts.repeat; i++) {
            const t = timed(env, `floor-${Object.keys(out).length}-${i}.log`, "pulumi", f.cmd, f.dir ?? env.work);
            if (t.code !== 0) throw new Error(`floor "${name}" failed (exit ${t.code}), ${t.log}:\n${tail(t.log)}`);
            out[name].push(t.ms);
        }
        say(`floor: ${name}: ${out[name].map(sec).join(", ")}`);
    }
    return out;
}

async function main(argv: string[]): Promise<number> {
    const values = parse(
        argv,
        {
            envs: { type: "string" },
            repeat: { type: "string" },
            out: { type: "string" },
            "pulumi-yaml": { type: "string" },
            "no-floors": { type: "boolean" },
            label: { type: "string" },
            check: { type: "boolean" },
        },
        BENCH_USAGE,
    );
    const opts = benchOptions(values);
    if (opts.pulumiYaml && !fs.existsSync(opts.pulumiYaml)) throw new UsageError(`--pulumi-yaml: no file ${opts.pulumiYaml}\nusage: ${BENCH_USAGE}`);
    if (values.check) return 0; // scripts/bench.sh: the arguments are valid, start the servers
    const env = benchEnv();
    // The program logs its own preflight checks' time (stacks/main.ts), shown as "preflight ms".
    process.env[TIMINGS_ENV] = "1";
    fs.mkdirSync(path.join(env.work, "logs"), { recursive: true });
    const pulumiYaml = fs.readFileSync(path.join(env.work, "Pulumi.yaml"), "utf8");
    const start = { at: new Date().toISOString(), ...machineLoad() };
    if (start.goBuildRunning) say("WARNING: a `go build` is running: it takes the CPUs, every figure of this run is inflated");
    else if (start.busy) say(`WARNING: load average ${start.loadavg[0]} on ${os.cpus().length} cores: another job shares the CPUs, the figures are inflated`);

    const floors = opts.floors ? measureFloors(env, opts, pulumiYaml) : {};
    const results: SizeResult[] = [];
    for (const n of opts.envs) results.push(measureSize(env, opts, n));
    const end = { at: new Date().toISOString(), ...machineLoad() };

    const pulumiVersion = spawnSync("pulumi", ["version"], { encoding: "utf8" }).stdout.trim();
    const report = {
        label: opts.label,
        machine: { cores: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, pulumi: pulumiVersion },
        load: { start, end, polluted: start.goBuildRunning || end.goBuildRunning || start.busy },
        runtime: runtimeBlock(pulumiYaml).split("\n").filter((l) => !/^\s*#/.test(l)).join("\n").trim(),
        repeat: opts.repeat,
        floorsMs: floors,
        sizes: results.map((r) => ({ ...r, summary: summarize(r) })),
        scaling: scaling(results),
    };
    const out = path.resolve(process.env.BENCH_CALLER_CWD ?? process.env.INIT_CWD ?? process.cwd(), opts.out);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(report, null, 2) + "\n");

    console.log(`\nnpm run bench${opts.label ? ` (${opts.label})` : ""}: ${os.cpus().length} cores, median of ${opts.repeat} for preview/drift/shell, ${pulumiVersion}`);
    console.log(`runtime: ${report.runtime.replace(/\n\s*/g, " ")}`);
    for (const [name, ms] of Object.entries(floors)) console.log(`floor: ${name}: ${sec(median(ms))}`);
    console.log("");
    console.log(benchTable(results));
    if (report.load.polluted) console.log("\nWARNING: a `go build` or another job shared the CPUs (load average at start above half the cores): the figures are inflated (see load in bench.json)");
    const problems = results.flatMap((r) => r.problems.map((pr) => `${r.stack}: ${pr}`));
    for (const pr of problems) console.log(`PROBLEM ${pr}`);
    console.log(`\nload average at start ${start.loadavg.join(" ")}, at end ${end.loadavg.join(" ")}; written: ${out}`);
    return problems.length > 0 ? 1 : 0;
}

if (require.main === module) runMain(main);
