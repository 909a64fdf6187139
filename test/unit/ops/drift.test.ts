/** The drift check's pieces: token expiry with a controlled clock, exit codes, reports, redaction, failures, rotation plan. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { changesOf } from "../../../ops/lib/changes";
import { nowMs } from "../../../ops/lib/clock";
import { driftMarkdown, driftReport, driftTable, exitCodeOf, statusOf, type StackDrift } from "../../../ops/lib/driftReport";
import { explain, meaningfulErrors } from "../../../ops/lib/failures";
import { redactorFor } from "../../../ops/lib/redact";
import { committedStacks, stacksToRun } from "../../../ops/lib/stacks";
import { rotateWindowsOf, tokenFindings } from "../../../ops/lib/tokenExpiry";
import { rotationPlan, ARGOCD_ACCOUNT_TOKEN_TYPE, DEPLOY_TOKEN_TYPE, GROUP_ACCESS_TOKEN_TYPE, ROTATED_TOKEN_TYPES } from "../../../ops/rotate";
import { recorded } from "./recorded";

const DAY = 86_400_000;
const EXPIRES = "2026-12-31T00:00:00.000Z";
const T = Date.parse(EXPIRES);

describe("token expiry", () => {
    const outputs = { registryTokenExpiresAt: EXPIRES, repoTokenExpiresAt: "2027-03-01T00:00:00.000Z", vaultAddress: "x" };
    it("outside the window: no finding; one second inside it: a finding naming the rotate job", () => {
        assert.deepEqual(tokenFindings("dev", outputs, 7, T - 7 * DAY - 1000), []);
        const f = tokenFindings("dev", outputs, 7, T - 7 * DAY);
        assert.equal(f.length, 1);
        assert.deepEqual([f[0].output, f[0].status, f[0].daysLeft, f[0].rotateBeforeDays], ["registryTokenExpiresAt", "rotation-due", 7, 7]);
        assert.match(f[0].rotatedBy, /SCHEDULED_TASK=rotate\): npm run rotate -- --stack dev/);
    });
    it("expired tokens are findings; both tokens counted; absent outputs (static credentials) are not", () => {
        const f = tokenFindings("prod", outputs, 14, Date.parse("2027-03-02T00:00:00Z"));
        assert.deepEqual(f.map((x) => [x.output, x.status]), [["registryTokenExpiresAt", "expired"], ["repoTokenExpiresAt", "expired"]]);
        assert.deepEqual(tokenFindings("dev", {}, 7, T), []);
    });
    it("rotateBeforeDays comes from the gitlab config value", () => {
        const w = (gitlab: string | undefined) => rotateWindowsOf({ "gitops-platform:gitlab": gitlab === undefined ? undefined : { value: gitlab } }).registryTokenExpiresAt;
        assert.equal(w('{"host":"gitlab.com","deployToken":{"name":"x","expiresInDays":90,"rotateBeforeDays":7}}'), 7);
        assert.equal(w('{"deployToken":{"name":"x"}}'), 14, "deployToken without rotateBeforeDays: the schema default");
        assert.equal(w(undefined), 0);
        assert.equal(w("not json"), 0);
    });
    it("GITOPS_PLATFORM_CLOCK moves the clock; an invalid value is an error naming it with an example", () => {
        assert.equal(nowMs({ GITOPS_PLATFORM_CLOCK: "2026-12-28T00:00:00Z" }), Date.parse("2026-12-28T00:00:00Z"));
        assert.ok(Math.abs(nowMs({}) - Date.now()) < 5_000);
        assert.throws(() => nowMs({ GITOPS_PLATFORM_CLOCK: "tomorrow" }), /GITOPS_PLATFORM_CLOCK="tomorrow" is not an ISO 8601 instant \(e\.g\. GITOPS_PLATFORM_CLOCK=2026-12-28T00:00:00Z\)/);
    });
});

describe("drift report", () => {
    const stack = (over: Partial<StackDrift>): StackDrift => ({ stack: "dev", status: "clean", changes: [], tokens: [], durationMs: 1, ...over });
    it("exit codes: 1 error beats 2 drift beats 3 token expiry beats 0", () => {
        const drift = changesOf(recorded("drift"));
        const pendingOnly = drift.filter((c) => !c.drifted);
        const token = tokenFindings("dev", { registryTokenExpiresAt: EXPIRES }, 7, T);
        const s = (o: Partial<StackDrift>) => { const x = stack(o); x.status = statusOf(x); return x; };
        assert.equal(exitCodeOf([s({})]), 0);
        assert.equal(exitCodeOf([s({ changes: pendingOnly })]), 0, "pending program changes are not drift");
        assert.equal(exitCodeOf([s({ tokens: token })]), 3);
        assert.equal(exitCodeOf([s({ tokens: token }), s({ changes: drift })]), 2);
        assert.equal(exitCodeOf([s({ changes: drift }), s({ error: { kind: "vault", messages: ["x"], fix: "y" } })]), 1);
    });
    it("markdown and table name every drifted resource with its paths; the token line says which job rotates it", () => {
        const changes = changesOf(recorded("drift"));
        const token = tokenFindings("dev", { registryTokenExpiresAt: EXPIRES }, 7, T - DAY);
        const s = stack({ changes, tokens: token, state: { sha256Before: "a", sha256After: "a", unchanged: true } });
        s.status = statusOf(s);
        const r = driftReport([s], new Date(T));
        const md = driftMarkdown(r);
        assert.match(md, /#### Stack `dev`: \*\*drift\*\* on 6 resource\(s\)/);
        assert.match(md, /\| update \| `env-dev-read` \| `vault:index\/policy:Policy` \| `policy` \| changed outside Pulumi \|/);
        assert.match(md, /\| create \| `env-staging-role` \| .* \| — \| deleted outside Pulumi \|/);
        assert.match(md, /registry pull deploy token \(read_registry\) \(registryTokenExpiresAt\) expires 2026-12-31T00:00:00.000Z \(1 days left, rotateBeforeDays 7\); rotated by the scheduled rotate job/);
        const table = driftTable(r);
        assert.match(table, /^STACK\s+STATUS\s+ACTION\s+RESOURCE\s+TYPE\s+PROPERTIES$/m);
        assert.match(table, /^dev\s+drift\s+update\s+vault-kubernetes-auth-config\s+vault:kubernetes\/authBackendConfig:AuthBackendConfig\s+kubernetesHost$/m);
        assert.match(table, /^dev\s+pending\s+update\s+env-dev-regsecret\s/m);
        assert.equal(r.exitCode, 2);
    });
    it("a state written during the check is reported", () => {
        const s = stack({ state: { sha256Before: "a", sha256After: "b", unchanged: false } });
        assert.match(driftMarkdown(driftReport([s], new Date(T))), /The state changed during the check/);
    });
});

describe("redaction and failures", () => {
    const config = {
        "vault:token": { value: "hvs.CAESIExampleExampleExample", secret: true },
        "gitops-platform:registry": { value: '{"server":"r.example.com","password":"p4ssw0rd-long"}', secret: true },
        "vault:address": { value: "https://vault.example.com", secret: false },
    };
    it("every secret config value and JSON leaf is masked; plain values stay", () => {
        const r = redactorFor(config);
        assert.equal(r("token hvs.CAESIExampleExampleExample at https://vault.example.com, pw p4ssw0rd-long"), "token [secret] at https://vault.example.com, pw [secret]");
    });
    it("explains which system failed and what to fix", () => {
        assert.equal(explain("cannot reach Vault at https://v:8200 to check what is already mounted (GET sys/mounts): connect ECONNREFUSED").kind, "vault");
        assert.equal(explain("Vault at https://v refused GET sys/mounts (403): the token (vault:token or VAULT_TOKEN) needs").kind, "vault-credentials");
        assert.match(explain("Unauthorized").fix, /kubernetes:kubeconfig/);
        assert.equal(explain("configured Kubernetes cluster is unreachable: dial tcp 127.0.0.1:1: connect: connection refused").kind, "cluster");
        // The dynamic providers' own calls (components/kubernetes/clusterErrors.ts).
        assert.equal(
            explain("reading ServiceAccount poc-dev/default: cannot reach the Kubernetes API server https://127.0.0.1:6443 (kubeconfig context dev, from kubernetes:kubeconfig): ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:6443. Check …").kind,
            "cluster",
        );
        assert.equal(explain("reading Secret poc-dev/regsecret: the Kubernetes API server https://10.0.0.1:6443 (kubeconfig context prod) answered 403: the kubeconfig's user may not do this (RBAC).").kind, "cluster-credentials");
        assert.equal(explain("GitLab rejected the API token (401)").kind, "gitlab");
        assert.equal(explain("Vault is not ready for this stack (1 problem); nothing was created:\n  vault:token: the token lacks capabilities the stack needs on 2 paths: sys/mounts (read)").kind, "vault-credentials");
        assert.equal(explain("Vault at https://v:8200 is sealed: unseal it").kind, "vault");
        assert.equal(explain("Vault at https://v:8200 is not initialised: run `vault operator init`").kind, "vault");
        assert.deepEqual(meaningfulErrors(["preview failed", "x", "x", " "]), ["x"]);
        assert.deepEqual(
            meaningfulErrors(["Error: cannot reach Vault at http://127.0.0.1:2\n    at list (/p/components/vault/inventory.ts:62:15)\n    at async Promise.all (index 0)\n    at async runPlatform (/p/stacks/main.ts:28:22)"]),
            ["Error: cannot reach Vault at http://127.0.0.1:2"],
            "stack frames dropped",
        );
    });
});

describe("stack selection", () => {
    it("--all means every committed Pulumi.<stack>.yaml; --stack and --all exclude each other", () => {
        assert.deepEqual(committedStacks(process.cwd()), ["dev", "prod"]);
        assert.deepEqual(stacksToRun({ all: true }, process.cwd()), ["dev", "prod"]);
        assert.throws(() => stacksToRun({}, process.cwd()), /--stack <name> \(e\.g\. --stack dev\), or --all/);
        assert.throws(() => stacksToRun({ stack: "dev", all: true }, process.cwd()), /not both/);
    });
});

describe("rotation plan", () => {
    const urn = (t: string, n: string) => `urn:pulumi:dev::gitops-platform::${t}::${n}`;
    const token = urn(DEPLOY_TOKEN_TYPE, "registry-deploy-token");
    const kv = urn("pulumi-nodejs:dynamic/vault:OwnedKvSecret", "registry-vault-secret");
    const vss = urn("kubernetes:secrets.hashicorp.com/v1beta1:VaultStaticSecret", "env-dev-regsecret");
    const policy = urn("vault:index/policy:Policy", "env-dev-read");
    const resources = [
        { urn: token, type: DEPLOY_TOKEN_TYPE },
        { urn: kv, type: "pulumi-nodejs:dynamic/vault:OwnedKvSecret", propertyDependencies: { data: [token] } },
        { urn: vss, type: "kubernetes:secrets.hashicorp.com/v1beta1:VaultStaticSecret", dependencies: [kv] },
        { urn: policy, type: "vault:index/policy:Policy" },
    ];
    const ch = (u: string, action: "replace" | "update") => ({ urn: u, type: resources.find((r) => r.urn === u)!.type, name: u.split("::").pop()!, action, paths: [], replaceReasons: [], drifted: false, protected: false });
    it("the tokens and what depends on them (transitively) are the rotation", () => {
        const p = rotationPlan([ch(token, "replace"), ch(kv, "update"), ch(vss, "update")], resources);
        assert.deepEqual(p.tokens.map((t) => t.name), ["registry-deploy-token"]);
        assert.deepEqual(p.others, []);
    });
    it("anything else stops it", () => {
        const p = rotationPlan([ch(token, "replace"), ch(policy, "update")], resources);
        assert.deepEqual(p.others.map((o) => o.name), ["env-dev-read"]);
    });

    // ArgoCdCi's children: the token, its Vault secret and ARGOCD_AUTH_TOKEN read token.token;
    // ARGOCD_SERVER does not depend on it.
    const argoToken = urn(ARGOCD_ACCOUNT_TOKEN_TYPE, "argocd-ci-token");
    const argoKv = urn("pulumi-nodejs:dynamic/vault:OwnedKvSecret", "argocd-ci-token-vault-secret");
    const argoVar = urn("pulumi-nodejs:dynamic/gitlab:GroupVariable", "argocd-ci-token-variable");
    const argoServer = urn("pulumi-nodejs:dynamic/gitlab:GroupVariable", "argocd-ci-server-variable");
    const release = urn("kubernetes:helm.sh/v3:Release", "argocd-release");
    const withArgo = [
        ...resources,
        { urn: release, type: "kubernetes:helm.sh/v3:Release" },
        { urn: argoToken, type: ARGOCD_ACCOUNT_TOKEN_TYPE, dependencies: [release] },
        { urn: argoKv, type: "pulumi-nodejs:dynamic/vault:OwnedKvSecret", propertyDependencies: { data: [argoToken] } },
        { urn: argoVar, type: "pulumi-nodejs:dynamic/gitlab:GroupVariable", propertyDependencies: { value: [argoToken] } },
        { urn: argoServer, type: "pulumi-nodejs:dynamic/gitlab:GroupVariable" },
    ];
    const chA = (u: string, action: "replace" | "update") => ({ ...ch(token, action), urn: u, type: withArgo.find((r) => r.urn === u)!.type, name: u.split("::").pop()! });
    it("the Argo CD CI token is rotated too: it, its Vault secret and ARGOCD_AUTH_TOKEN are the rotation", () => {
        assert.ok(ROTATED_TOKEN_TYPES.includes(ARGOCD_ACCOUNT_TOKEN_TYPE) && ROTATED_TOKEN_TYPES.includes(DEPLOY_TOKEN_TYPE));
        const p = rotationPlan([chA(argoToken, "replace"), chA(argoKv, "update"), chA(argoVar, "update")], withArgo);
        assert.deepEqual(p.tokens.map((t) => t.name), ["argocd-ci-token"]);
        assert.deepEqual(p.others, []);
        const both = rotationPlan([chA(token, "replace"), chA(kv, "update"), chA(argoToken, "replace"), chA(argoVar, "update")], withArgo);
        assert.deepEqual(both.tokens.map((t) => t.name).sort(), ["argocd-ci-token", "registry-deploy-token"]);
        assert.deepEqual(both.others, []);
    });
    it("the CI push group access token is rotated with its group variable", () => {
        const gat = urn(GROUP_ACCESS_TOKEN_TYPE, "gitlab-ci-push-access-token");
        const pushVar = urn("pulumi-nodejs:dynamic/gitlab:GroupVariable", "gitlab-ci-push-token");
        const res = [...withArgo, { urn: gat, type: GROUP_ACCESS_TOKEN_TYPE }, { urn: pushVar, type: "pulumi-nodejs:dynamic/gitlab:GroupVariable", propertyDependencies: { value: [gat] } }];
        const c = (u: string, action: "replace" | "update") => ({ ...ch(token, action), urn: u, type: res.find((r) => r.urn === u)!.type, name: u.split("::").pop()! });
        const p = rotationPlan([c(gat, "replace"), c(pushVar, "update")], res);
        assert.deepEqual(p.tokens.map((t) => t.name), ["gitlab-ci-push-access-token"]);
        assert.deepEqual(p.others, []);
        assert.ok(ROTATED_TOKEN_TYPES.includes(GROUP_ACCESS_TOKEN_TYPE));
    });
    it("a change of what the Argo CD token depends on (the Helm release) or of ARGOCD_SERVER stops it", () => {
        const p = rotationPlan([chA(argoToken, "replace"), chA(release, "update"), chA(argoServer, "update")], withArgo);
        assert.deepEqual(p.others.map((o) => o.name).sort(), ["argocd-ci-server-variable", "argocd-release"]);
    });
});
