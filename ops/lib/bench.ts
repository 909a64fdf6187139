/**
 * Pure parts of `npm run bench` (ops/bench.ts, docs/benchmark.md): the command line, the stack
 * config of a benchmark stack, the read-only shell check derived from a stack's exported state
 * (one `kubectl get` per Kubernetes object, one Vault read per Vault object, one GitLab read per
 * GitLab object), statistics, the printed table and the shape of bench.json.
 */
import { UsageError } from "./cli";

/** Options of `npm run bench`. */
export interface BenchOptions {
    /** Environment counts, one stack each, measured one after the other. */
    envs: number[];
    /** How many times the no-op preview, the drift check and the shell check are run per stack. */
    repeat: number;
    /** Where bench.json is written. */
    out: string;
    /** A Pulumi.yaml to run instead of the checkout's (to compare runtime options). */
    pulumiYaml?: string;
    /** Also measure the floors (pulumi version, empty programs). */
    floors: boolean;
    /** Label stored in bench.json (e.g. "before", "after"). */
    label?: string;
}

/** Usage line of `npm run bench`. */
export const BENCH_USAGE =
    "npm run bench -- [--envs 2,10,30] [--repeat 3] [--out bench.json] [--pulumi-yaml FILE] [--no-floors] [--label TEXT]";

/** Largest environment count accepted (namespaces, roles and policies per stack). */
export const MAX_ENVS = 200;

/** Parses `--envs 2,10,30`: distinct positive integers, sorted. */
export function parseEnvList(text: string): number[] {
    const parts = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
    if (parts.length === 0) throw new UsageError(`--envs: give a comma-separated list of environment counts, e.g. --envs 2,10,30\nusage: ${BENCH_USAGE}`);
    const out = new Set<number>();
    for (const p of parts) {
        if (!/^[0-9]+$/.test(p) || Number(p) < 1 || Number(p) > MAX_ENVS) {
            throw new UsageError(`--envs: "${p}" is not a whole number from 1 to ${MAX_ENVS}\nusage: ${BENCH_USAGE}`);
        }
        out.add(Number(p));
    }
    return [...out].sort((a, b) => a - b);
}

/** Builds the options from parsed flags (node:util parseArgs values). */
export function benchOptions(v: { envs?: string; repeat?: string; out?: string; "pulumi-yaml"?: string; "no-floors"?: boolean; label?: string }): BenchOptions {
    const repeat = v.repeat === undefined ? 3 : Number(v.repeat);
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) {
        throw new UsageError(`--repeat: "${v.repeat}" is not a whole number from 1 to 20\nusage: ${BENCH_USAGE}`);
    }
    return {
        envs: parseEnvList(v.envs ?? "2,10,30"),
        repeat,
        out: v.out ?? "bench.json",
        pulumiYaml: v["pulumi-yaml"],
        floors: !v["no-floors"],
        label: v.label,
    };
}

/** Environment names of a benchmark stack with `n` environments: e01, e02, … (zero-padded, sorted like numbers). */
export function envNames(n: number): string[] {
    const width = Math.max(2, String(n).length);
    return Array.from({ length: n }, (_, i) => `e${String(i + 1).padStart(width, "0")}`);
}

/** What a benchmark stack's config is made from (the servers bench.sh started). */
export interface BenchStackInputs {
    /** Number of environments. */
    envs: number;
    /** Kubeconfig file of the cluster. */
    kubeconfig: string;
    /** Vault address and token. */
    vaultAddress: string;
    vaultToken: string;
    /** API server address and CA (PEM) as OpenBao reaches them. */
    kubeServer: string;
    kubeCa: string;
    /** GitLab API double: base URL, group, an Owner API token. */
    gitlabUrl: string;
    gitlabGroup: string;
    gitlabToken: string;
}

/** One `pulumi config set-all` argument: a key, its value, and whether it is stored as a secret. */
export interface ConfigEntry {
    key: string;
    value: string;
    secret: boolean;
}

/** Stack name of the benchmark stack with `n` environments. */
export function benchStackName(n: number): string {
    return `bench-${n}`;
}

/**
 * The config of a benchmark stack, as test/e2e/smoke.sh configures its stack: Helm off (Argo CD and
 * VSO installed out of band), managed GitLab deploy tokens in the double plus static registry
 * credentials, one service (a secret placeholder per environment), the shared KV mount not managed.
 * Names carry the size (`b<n>`) so stacks of different sizes never share a namespace, a Vault path
 * or an auth mount.
 */
export function benchStackConfig(i: BenchStackInputs): ConfigEntry[] {
    const tag = `b${i.envs}`;
    const environments = Object.fromEntries(envNames(i.envs).map((e, k) => [e, k === 0 ? { serviceAccounts: ["default"] } : {}]));
    const plain = (key: string, value: unknown): ConfigEntry => ({ key, value: typeof value === "string" ? value : JSON.stringify(value), secret: false });
    return [
        plain("kubernetes:kubeconfig", i.kubeconfig),
        plain("vault:address", i.vaultAddress),
        { key: "vault:token", value: i.vaultToken, secret: true },
        plain("gitops-platform:namespacePrefix", tag),
        plain("gitops-platform:environments", environments),
        plain("gitops-platform:services", [{ name: "api-gateway" }]),
        plain("gitops-platform:gitlab", {
            host: "gitlab.example.com",
            apiUrl: i.gitlabUrl,
            group: i.gitlabGroup,
            deployToken: { name: `bench-${tag}`, expiresInDays: 30, rotateBeforeDays: 7 },
        }),
        { key: "gitops-platform:gitlabToken", value: i.gitlabToken, secret: true },
        plain("gitops-platform:registry.server", "registry.example.com"),
        plain("gitops-platform:registry.username", "bench-user"),
        { key: "gitops-platform:registry.password", value: "bench-registry-password", secret: true },
        plain("gitops-platform:argocd", { enabled: false }),
        // no operator runs: the wait for VSO to sync regsecret is off, as in the e2e scripts
        plain("gitops-platform:vso", { enabled: false, waitForSync: false }),
        plain("gitops-platform:imageUpdater", { enabled: false }),
        plain("gitops-platform:cloudflare", { enabled: false }),
        plain("gitops-platform:vault", {
            kvMount: "secret",
            manageKvMount: false,
            pathPrefix: tag,
            kubernetesAuthMount: `kubernetes-${tag}`,
            kubernetesHost: i.kubeServer,
            kubernetesCaCert: i.kubeCa,
        }),
    ];
}

/** `pulumi config set-all --path` arguments for these entries. */
export function setAllArgs(entries: ConfigEntry[]): string[] {
    return ["config", "set-all", "--path", ...entries.flatMap((e) => [e.secret ? "--secret" : "--plaintext", `${e.key}=${e.value}`])];
}

/** One resource of `pulumi stack export` (the fields read here). */
export interface StateResource {
    urn: string;
    type: string;
    custom?: boolean;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

/** Which system one read of the shell check goes to. */
export type ObjectSystem = "kubernetes" | "vault" | "gitlab";

/** One read of the shell check: a `kubectl get` argv, or an HTTP GET path (Vault: after /v1/; GitLab: after /api/v4/). */
export interface ShellRead {
    system: ObjectSystem;
    /** Resource type and name, for messages. */
    what: string;
    /** kubectl arguments (kubernetes) or the URL path (vault, gitlab). */
    kubectl?: string[];
    path?: string;
}

/** How the state's resources were counted. */
export interface StateCounts {
    /** Every resource in the state (stack, providers, components, custom resources): what the engine walks. */
    resources: number;
    /** Custom resources, providers excluded: objects in a real system. */
    custom: number;
    /** Reads per system of the shell check. */
    objects: Record<ObjectSystem, number>;
    /** Custom resource types the shell check has no read for (counted, not read). */
    unmapped: string[];
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const rec = (v: unknown): Record<string, unknown> => (v && typeof v === "object" ? (v as Record<string, unknown>) : {});
const trim = (p: string) => p.replace(/^\/+|\/+$/g, "");

/** `kubectl get` arguments for an object with this apiVersion/kind/name/namespace (`kind.version.group` for non-core groups). */
export function kubectlGet(apiVersion: string, kind: string, name: string, namespace?: string): string[] {
    const slash = apiVersion.indexOf("/");
    const resource = slash < 0 ? kind.toLowerCase() : `${kind.toLowerCase()}.${apiVersion.slice(slash + 1)}.${apiVersion.slice(0, slash)}`;
    return ["get", resource, name, ...(namespace ? ["-n", namespace] : []), "-o", "name"];
}

/** The read the shell check makes for one state resource; undefined for what is not an object (stack, providers, components) or has no known read. */
export function shellRead(r: StateResource): ShellRead | undefined | "unmapped" {
    if (!r.custom || r.type.startsWith("pulumi:providers:") || r.type === "pulumi:pulumi:Stack") return undefined;
    const o = { ...rec(r.inputs), ...rec(r.outputs) };
    const name = r.urn.slice(r.urn.lastIndexOf("::") + 2);
    const what = `${r.type} ${name}`;
    if (r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/")) {
        const meta = rec(o.metadata);
        const apiVersion = str(o.apiVersion), kind = str(o.kind), objName = str(meta.name);
        if (!apiVersion || !kind || !objName) return "unmapped";
        return { system: "kubernetes", what, kubectl: kubectlGet(apiVersion, kind, objName, str(meta.namespace)) };
    }
    switch (r.type) {
        case "pulumi-nodejs:dynamic/kubernetes:ServiceAccountPullSecret": {
            const ns = str(o.namespace), sa = str(o.serviceAccount);
            return ns && sa ? { system: "kubernetes", what, kubectl: kubectlGet("v1", "ServiceAccount", sa, ns) } : "unmapped";
        }
        case "vault:index/policy:Policy":
            return str(o.name) ? { system: "vault", what, path: `sys/policies/acl/${o.name}` } : "unmapped";
        case "vault:index/mount:Mount":
            return str(o.path) ? { system: "vault", what, path: `sys/mounts/${trim(o.path as string)}` } : "unmapped";
        case "vault:index/authBackend:AuthBackend":
            return str(o.path) ? { system: "vault", what, path: `sys/auth/${trim(o.path as string)}` } : "unmapped";
        case "vault:kubernetes/authBackendConfig:AuthBackendConfig":
            return str(o.backend) ? { system: "vault", what, path: `auth/${trim(o.backend as string)}/config` } : "unmapped";
        case "vault:kubernetes/authBackendRole:AuthBackendRole":
            return str(o.backend) && str(o.roleName) ? { system: "vault", what, path: `auth/${trim(o.backend as string)}/role/${o.roleName}` } : "unmapped";
        case "pulumi-nodejs:dynamic/vault:OwnedKvSecret":
            return str(o.mount) && str(o.path) ? { system: "vault", what, path: `${trim(o.mount as string)}/data/${trim(o.path as string)}` } : "unmapped";
        case "pulumi-nodejs:dynamic/vault:ServiceSecretPlaceholder":
            return str(o.mount) && str(o.path) ? { system: "vault", what, path: `${trim(o.mount as string)}/metadata/${trim(o.path as string)}` } : "unmapped";
        case "pulumi-nodejs:dynamic/gitlab:GroupDeployToken": {
            const group = str(o.group), id = o.tokenId;
            return group && (typeof id === "number" || typeof id === "string")
                ? { system: "gitlab", what, path: `groups/${encodeURIComponent(group)}/deploy_tokens/${id}` }
                : "unmapped";
        }
        case "pulumi-nodejs:dynamic/gitlab:GroupVariable": {
            const group = str(o.group), key = str(o.key);
            return group && key ? { system: "gitlab", what, path: `groups/${encodeURIComponent(group)}/variables/${encodeURIComponent(key)}` } : "unmapped";
        }
        default:
            return "unmapped";
    }
}

/** The shell check's reads for a stack's exported state, and the counts. */
export function shellReads(resources: StateResource[]): { reads: ShellRead[]; counts: StateCounts } {
    const reads: ShellRead[] = [];
    const unmapped = new Set<string>();
    let custom = 0;
    for (const r of resources) {
        if (r.custom && !r.type.startsWith("pulumi:providers:")) custom++;
        const read = shellRead(r);
        if (read === "unmapped") unmapped.add(r.type);
        else if (read) reads.push(read);
    }
    const objects = { kubernetes: 0, vault: 0, gitlab: 0 };
    for (const r of reads) objects[r.system]++;
    return { reads, counts: { resources: resources.length, custom, objects, unmapped: [...unmapped].sort() } };
}

/** Single-quotes a word for bash. */
export function shq(s: string): string {
    return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The shell check as the old scripts would run it: a bash script, one command per line, one after
 * the other. Tokens come from header files (never on a command line). A failed read prints
 * `FAIL <what>` and the script goes on; the caller counts those lines.
 */
export function shellScript(reads: ShellRead[], env: { vaultAddr: string; vaultHeaderFile: string; gitlabUrl: string; gitlabHeaderFile: string }): string {
    const lines = ["#!/usr/bin/env bash", "# generated by npm run bench: the read-only check of the old shell scripts"];
    for (const r of reads) {
        const cmd =
            r.system === "kubernetes"
                ? ["kubectl", ...r.kubectl!].map(shq).join(" ")
                : r.system === "vault"
                  ? `curl -fsS -o /dev/null -H @${shq(env.vaultHeaderFile)} ${shq(`${env.vaultAddr.replace(/\/+$/, "")}/v1/${r.path}`)}`
                  : `curl -fsS -o /dev/null -H @${shq(env.gitlabHeaderFile)} ${shq(`${env.gitlabUrl.replace(/\/+$/, "")}/api/v4/${r.path}`)}`;
        lines.push(`${cmd} >/dev/null 2>&1 || echo ${shq(`FAIL ${r.what}`)}`);
    }
    return lines.join("\n") + "\n";
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
    if (xs.length === 0) throw new Error("median of no values");
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Least-squares line y = intercept + slope·x, with R² (1 when every point is on it; undefined with fewer than 2 distinct x). */
export function linearFit(xs: number[], ys: number[]): { slope: number; intercept: number; r2: number } | undefined {
    if (xs.length !== ys.length) throw new Error("linearFit: xs and ys differ in length");
    if (new Set(xs).size < 2) return undefined;
    const n = xs.length;
    const mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
    let sxy = 0, sxx = 0, syy = 0;
    for (let i = 0; i < n; i++) {
        sxy += (xs[i] - mx) * (ys[i] - my);
        sxx += (xs[i] - mx) ** 2;
        syy += (ys[i] - my) ** 2;
    }
    const slope = sxy / sxx;
    const intercept = my - slope * mx;
    const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
    return { slope, intercept, r2 };
}

/** Figures of one stack size. Times in ms; lists hold every run. */
export interface SizeResult {
    envs: number;
    stack: string;
    counts: StateCounts;
    /** `pulumi up --yes` from an empty stack (its preview included, as the deploy job runs it). */
    upMs: number;
    /** No-op `pulumi preview --expect-no-changes`. */
    previewMs: number[];
    /** `node --import tsx ops/drift.ts --stack S` (preview --refresh through the Automation API). */
    driftMs: number[];
    /** The shell check: one read per object, one after the other. */
    shellMs: number[];
    /** Reads of the shell check that failed (0 when every object was found). */
    shellFailures: string[];
    /** `pulumi destroy --yes`. */
    destroyMs: number;
    /** Steps that did not exit as expected (the figure is still recorded). */
    problems: string[];
    /** The program's own preflight checks during each no-op preview (GITOPS_PLATFORM_TIMINGS), when it logged them. */
    preflightMs?: { vault: number[]; cluster: number[] };
}


/** Derived figures of one size (medians). */
export interface SizeSummary {
    envs: number;
    resources: number;
    objects: number;
    upS: number;
    previewS: number;
    previewMsPerResource: number;
    driftS: number;
    shellS: number;
    driftOverShell: number;
    destroyS: number;
    /** Median ms of the program's Vault and cluster preflight checks in a no-op preview, when logged. */
    preflightMs?: { vault: number; cluster: number };
}

/** Medians and ratios of one size. */
export function summarize(r: SizeResult): SizeSummary {
    const objects = r.counts.objects.kubernetes + r.counts.objects.vault + r.counts.objects.gitlab;
    const preview = median(r.previewMs), drift = median(r.driftMs), shell = median(r.shellMs);
    return {
        envs: r.envs,
        resources: r.counts.resources,
        objects,
        upS: r.upMs / 1000,
        previewS: preview / 1000,
        previewMsPerResource: preview / r.counts.resources,
        driftS: drift / 1000,
        shellS: shell / 1000,
        driftOverShell: drift / shell,
        destroyS: r.destroyMs / 1000,
        ...(r.preflightMs && r.preflightMs.vault.length > 0
            ? { preflightMs: { vault: Math.round(median(r.preflightMs.vault)), cluster: Math.round(median(r.preflightMs.cluster)) } }
            : {}),
    };
}

/** Per-environment cost (slope, ms per environment) and fixed cost (intercept, ms) of each measured step, from the medians. */
export function scaling(results: SizeResult[]): Record<"up" | "preview" | "drift" | "shell" | "destroy", ReturnType<typeof linearFit>> {
    const xs = results.map((r) => r.envs);
    return {
        up: linearFit(xs, results.map((r) => r.upMs)),
        preview: linearFit(xs, results.map((r) => median(r.previewMs))),
        drift: linearFit(xs, results.map((r) => median(r.driftMs))),
        shell: linearFit(xs, results.map((r) => median(r.shellMs))),
        destroy: linearFit(xs, results.map((r) => r.destroyMs)),
    };
}

const s1 = (x: number) => x.toFixed(1);

/** The printed table: one row per size (medians), then the per-environment cost of each step. */
export function benchTable(results: SizeResult[]): string {
    const head = ["envs", "resources", "objects", "up s", "preview s", "ms/resource", "preflight ms", "drift s", "shell s", "drift/shell", "destroy s"];
    const rows = results.map((r) => {
        const s = summarize(r);
        const pf = s.preflightMs === undefined ? "-" : `${s.preflightMs.vault}+${s.preflightMs.cluster}`;
        return [String(s.envs), String(s.resources), String(s.objects), s1(s.upS), s1(s.previewS), s.previewMsPerResource.toFixed(0), pf, s1(s.driftS), s1(s.shellS), `${s.driftOverShell.toFixed(1)}x`, s1(s.destroyS)];
    });
    const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padStart(width[i])).join("  ");
    const out = [line(head), ...rows.map(line)];
    const fit = scaling(results);
    const fits = Object.entries(fit)
        .filter(([, f]) => f)
        .map(([k, f]) => `${k} ${s1(f!.intercept / 1000)} s + ${(f!.slope / 1000).toFixed(2)} s/env (R² ${f!.r2.toFixed(3)})`);
    if (fits.length > 0) out.push("", `fit (median times, fixed + per environment): ${fits.join("; ")}`);
    return out.join("\n");
}
