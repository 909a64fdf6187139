/**
 * The pure parts of `npm run bench` (ops/lib/bench.ts): arguments, the benchmark stack's config,
 * the shell check derived from an exported state, statistics and the table.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import {
    benchOptions,
    benchStackConfig,
    benchTable,
    envNames,
    kubectlGet,
    linearFit,
    median,
    parseEnvList,
    setAllArgs,
    shellReads,
    shellScript,
    shq,
    summarize,
    type SizeResult,
    type StateResource,
} from "../../ops/lib/bench";
import { parsePreflightTimings, preflightTimingsLine } from "../../stacks/preflightTimings";
import { UsageError } from "../../ops/lib/cli";

describe("bench arguments", () => {
    it("--envs: distinct sizes, sorted; defaults 2,10,30, repeat 3, ./bench.json", () => {
        assert.deepEqual(parseEnvList("30, 2,10,2"), [2, 10, 30]);
        assert.deepEqual(benchOptions({}), { envs: [2, 10, 30], repeat: 3, out: "bench.json", pulumiYaml: undefined, floors: true, label: undefined });
        assert.equal(benchOptions({ repeat: "1", "no-floors": true }).floors, false);
    });
    it("refuses what is not a size, naming it", () => {
        assert.throws(() => parseEnvList("2,x"), (e: Error) => e instanceof UsageError && /"x" is not a whole number/.test(e.message));
        assert.throws(() => parseEnvList("0"), UsageError);
        assert.throws(() => parseEnvList("201"), UsageError);
        assert.throws(() => parseEnvList(" , "), /comma-separated/);
        assert.throws(() => benchOptions({ repeat: "0" }), /--repeat: "0"/);
        assert.throws(() => benchOptions({ repeat: "1.5" }), UsageError);
    });
});

describe("benchmark stack config", () => {
    const inputs = {
        envs: 10,
        kubeconfig: "/tmp/kc",
        vaultAddress: "http://127.0.0.1:8200",
        vaultToken: "root-token",
        kubeServer: "https://127.0.0.1:6443",
        kubeCa: "-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n",
        gitlabUrl: "http://127.0.0.1:9999",
        gitlabGroup: "g/p",
        gitlabToken: "glpat-x",
    };
    it("zero-padded environment names that sort like numbers", () => {
        assert.deepEqual(envNames(3), ["e01", "e02", "e03"]);
        assert.equal(envNames(100)[99], "e100");
        assert.equal(envNames(100)[0], "e001");
    });
    it("n environments, names tagged with the size, tokens as secrets, Helm off", () => {
        const cfg = benchStackConfig(inputs);
        const get = (k: string) => cfg.find((e) => e.key === k)!;
        assert.equal(Object.keys(JSON.parse(get("gitops-platform:environments").value)).length, 10);
        assert.equal(get("gitops-platform:namespacePrefix").value, "b10");
        assert.equal(JSON.parse(get("gitops-platform:vault").value).kubernetesAuthMount, "kubernetes-b10");
        assert.equal(JSON.parse(get("gitops-platform:vault").value).pathPrefix, "b10");
        assert.deepEqual(JSON.parse(get("gitops-platform:argocd").value), { enabled: false });
        assert.deepEqual(JSON.parse(get("gitops-platform:vso").value), { enabled: false, waitForSync: false });
        assert.deepEqual(cfg.filter((e) => e.secret).map((e) => e.key).sort(), ["gitops-platform:gitlabToken", "gitops-platform:registry.password", "vault:token"]);
    });
    it("one set-all call with --path", () => {
        const args = setAllArgs([{ key: "a:b", value: "1", secret: false }, { key: "a:c.d", value: "s", secret: true }]);
        assert.deepEqual(args, ["config", "set-all", "--path", "--plaintext", "a:b=1", "--secret", "a:c.d=s"]);
    });
});

describe("shell check from the exported state", () => {
    const urn = (t: string, n: string) => `urn:pulumi:s::gitops-platform::${t}::${n}`;
    const state: StateResource[] = [
        { urn: urn("pulumi:pulumi:Stack", "gitops-platform-s"), type: "pulumi:pulumi:Stack", custom: false },
        { urn: urn("pulumi:providers:kubernetes", "kubernetes"), type: "pulumi:providers:kubernetes", custom: true },
        { urn: urn("gitops-platform:kubernetes:EnvironmentNamespace", "env-dev"), type: "gitops-platform:kubernetes:EnvironmentNamespace", custom: false },
        {
            urn: urn("kubernetes:core/v1:Namespace", "ns"),
            type: "kubernetes:core/v1:Namespace",
            custom: true,
            outputs: { apiVersion: "v1", kind: "Namespace", metadata: { name: "b2-e01" } },
        },
        {
            urn: urn("kubernetes:secrets.hashicorp.com/v1beta1:VaultAuth", "va"),
            type: "kubernetes:secrets.hashicorp.com/v1beta1:VaultAuth",
            custom: true,
            outputs: { apiVersion: "secrets.hashicorp.com/v1beta1", kind: "VaultAuth", metadata: { name: "vault-auth", namespace: "b2-e01" } },
        },
        {
            urn: urn("pulumi-nodejs:dynamic/kubernetes:ServiceAccountPullSecret", "ps"),
            type: "pulumi-nodejs:dynamic/kubernetes:ServiceAccountPullSecret",
            custom: true,
            outputs: { namespace: "b2-e01", serviceAccount: "default" },
        },
        { urn: urn("vault:index/policy:Policy", "p"), type: "vault:index/policy:Policy", custom: true, outputs: { name: "b2-e01-read" } },
        { urn: urn("vault:index/authBackend:AuthBackend", "ab"), type: "vault:index/authBackend:AuthBackend", custom: true, outputs: { path: "kubernetes-b2" } },
        {
            urn: urn("vault:kubernetes/authBackendConfig:AuthBackendConfig", "c"),
            type: "vault:kubernetes/authBackendConfig:AuthBackendConfig",
            custom: true,
            outputs: { backend: "kubernetes-b2" },
        },
        {
            urn: urn("vault:kubernetes/authBackendRole:AuthBackendRole", "r"),
            type: "vault:kubernetes/authBackendRole:AuthBackendRole",
            custom: true,
            outputs: { backend: "kubernetes-b2", roleName: "b2-e01-default" },
        },
        {
            urn: urn("pulumi-nodejs:dynamic/vault:OwnedKvSecret", "kv"),
            type: "pulumi-nodejs:dynamic/vault:OwnedKvSecret",
            custom: true,
            outputs: { mount: "secret", path: "b2/platform/stacks/bench-2/registry" },
        },
        {
            urn: urn("pulumi-nodejs:dynamic/vault:ServiceSecretPlaceholder", "ph"),
            type: "pulumi-nodejs:dynamic/vault:ServiceSecretPlaceholder",
            custom: true,
            outputs: { mount: "secret", path: "b2/api-gateway/e01/config" },
        },
        {
            urn: urn("pulumi-nodejs:dynamic/gitlab:GroupDeployToken", "dt"),
            type: "pulumi-nodejs:dynamic/gitlab:GroupDeployToken",
            custom: true,
            outputs: { group: "g/p", tokenId: 7 },
        },
        { urn: urn("pulumi-nodejs:dynamic/x:Unknown", "u"), type: "pulumi-nodejs:dynamic/x:Unknown", custom: true, outputs: {} },
    ];

    it("one read per object; stack, providers and components are not objects; unknown types are named", () => {
        const { reads, counts } = shellReads(state);
        assert.deepEqual(counts, { resources: 14, custom: 11, objects: { kubernetes: 3, vault: 6, gitlab: 1 }, unmapped: ["pulumi-nodejs:dynamic/x:Unknown"] });
        assert.deepEqual(
            reads.map((r) => r.kubectl?.join(" ") ?? r.path),
            [
                "get namespace b2-e01 -o name",
                "get vaultauth.v1beta1.secrets.hashicorp.com vault-auth -n b2-e01 -o name",
                "get serviceaccount default -n b2-e01 -o name",
                "sys/policies/acl/b2-e01-read",
                "sys/auth/kubernetes-b2",
                "auth/kubernetes-b2/config",
                "auth/kubernetes-b2/role/b2-e01-default",
                "secret/data/b2/platform/stacks/bench-2/registry",
                "secret/metadata/b2/api-gateway/e01/config",
                "groups/g%2Fp/deploy_tokens/7",
            ],
        );
    });
    it("kubectl resource argument: kind for core, kind.version.group otherwise", () => {
        assert.deepEqual(kubectlGet("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "x"), ["get", "clusterrolebinding.v1.rbac.authorization.k8s.io", "x", "-o", "name"]);
    });
    it("the script: one command per read, tokens from header files, a failed read is reported and the rest still run", () => {
        const { reads } = shellReads(state);
        const sh = shellScript(reads, { vaultAddr: "http://127.0.0.1:8200/", vaultHeaderFile: "/w/v.header", gitlabUrl: "http://127.0.0.1:9", gitlabHeaderFile: "/w/g.header" });
        const lines = sh.trimEnd().split("\n").slice(2);
        assert.equal(lines.length, reads.length);
        assert.equal(lines[0], "kubectl get namespace b2-e01 -o name >/dev/null 2>&1 || echo 'FAIL kubernetes:core/v1:Namespace ns'");
        assert.equal(lines[3], "curl -fsS -o /dev/null -H @/w/v.header http://127.0.0.1:8200/v1/sys/policies/acl/b2-e01-read >/dev/null 2>&1 || echo 'FAIL vault:index/policy:Policy p'");
        assert.match(lines[9], /-H @\/w\/g\.header http:\/\/127\.0\.0\.1:9\/api\/v4\/groups\/g%2Fp\/deploy_tokens\/7 /);
        assert.doesNotMatch(sh, /set -e/);
    });
    it("shq quotes what bash would split or expand", () => {
        assert.equal(shq("a/b-c.d"), "a/b-c.d");
        assert.equal(shq("it's $x"), `'it'\\''s $x'`);
    });
});

describe("statistics and table", () => {
    it("median", () => {
        assert.equal(median([3, 1, 2]), 2);
        assert.equal(median([4, 1, 2, 3]), 2.5);
        assert.throws(() => median([]));
    });
    it("linear fit: slope, intercept, R²; none with one size", () => {
        const f = linearFit([2, 10, 30], [7000, 9000, 14000])!;
        assert.ok(Math.abs(f.slope - 250) < 1e-9 && Math.abs(f.intercept - 6500) < 1e-9 && Math.abs(f.r2 - 1) < 1e-12);
        assert.equal(linearFit([3], [1]), undefined);
        assert.ok(linearFit([1, 2, 3], [1, 5, 2])!.r2 < 0.5);
    });
    const size = (envs: number, previewMs: number[]): SizeResult => ({
        envs,
        stack: `bench-${envs}`,
        counts: { resources: 10 * envs + 20, custom: 8 * envs, objects: { kubernetes: 4 * envs, vault: 3 * envs, gitlab: 2 }, unmapped: [] },
        upMs: 20000,
        previewMs,
        driftMs: [9000, 8000, 10000],
        shellMs: [3000, 3000, 3000],
        shellFailures: [],
        destroyMs: 8000,
        problems: [],
    });
    it("summary: medians, ms per resource, drift/shell ratio", () => {
        const s = summarize(size(2, [4000, 6000, 5000]));
        assert.deepEqual(s, { envs: 2, resources: 40, objects: 16, upS: 20, previewS: 5, previewMsPerResource: 125, driftS: 9, shellS: 3, driftOverShell: 3, destroyS: 8 });
    });
    it("table: a row per size and the fit", () => {
        const t = benchTable([size(2, [5000]), size(10, [7000])]);
        const lines = t.split("\n");
        assert.match(lines[0], /envs\s+resources\s+objects\s+up s\s+preview s\s+ms\/resource\s+preflight ms\s+drift s\s+shell s\s+drift\/shell\s+destroy s/);
        assert.match(lines[1], /^\s*2\s+40\s+16\s+20\.0\s+5\.0\s+125\s+-\s+9\.0\s+3\.0\s+3\.0x\s+8\.0$/);
        assert.match(t, /preview 4\.5 s \+ 0\.25 s\/env/);
    });
    it("preflight: the line the program logs with GITOPS_PLATFORM_TIMINGS=1 is parsed, its medians summarized and shown as vault+cluster", () => {
        const line = preflightTimingsLine(41.6, 7.2);
        assert.equal(line, "preflight timings: vault 42 ms, cluster 7 ms");
        assert.deepEqual(parsePreflightTimings(`Diagnostics:\n  pulumi:pulumi:Stack (gitops-platform-bench-2):\n    ${line}\n`), { vault: 42, cluster: 7 });
        assert.equal(parsePreflightTimings("no such line"), undefined);
        const r = { ...size(2, [5000]), preflightMs: { vault: [40, 90, 50], cluster: [7, 9, 8] } };
        assert.deepEqual(summarize(r).preflightMs, { vault: 50, cluster: 8 });
        assert.match(benchTable([r]).split("\n")[1], /\s125\s+50\+8\s+9\.0\s/);
    });
});
