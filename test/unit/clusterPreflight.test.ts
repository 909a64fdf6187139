/**
 * The preview's ServiceAccount warnings (stacks/clusterPreflight.ts): what the stack will not do for
 * a listed ServiceAccount (create a missing one, keep an entry in a list another manager owns),
 * against a fake ServiceAccountClient. Warnings only: nothing here may throw.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { parseStackConfig, type PlatformConfig } from "../../stacks/config";
import { serviceAccountWarnings } from "../../stacks/clusterPreflight";
import { FIELD_MANAGER, type ServiceAccountClient } from "../../components/kubernetes/pullSecretProvider";

const P = "gitops-platform:";
const SECRET_KEYS = new Set([`${P}gitlabToken`, `${P}argocdRepoToken`, `${P}registry`]);

/** A valid config (static registry credentials) with these environments, through the real loader. */
function config(environments: Record<string, unknown>): PlatformConfig {
    const values: Record<string, unknown> = {
        environments,
        gitlab: { group: "gitops-poc-dzha" },
        registry: { server: "registry.example.com", username: "puller", password: "hunter2-registry" },
        argocd: { repoUsername: "argocd-reader" },
        argocdRepoToken: "glpat-argocd-secret",
    };
    const raw = Object.fromEntries(Object.entries(values).map(([k, v]) => [P + k, typeof v === "string" ? v : JSON.stringify(v)]));
    return parseStackConfig(raw, SECRET_KEYS, "dev");
}

/** A ServiceAccount with `imagePullSecrets` owned by `owner` (managedFields as the API server keeps them). */
function sa(names?: string[], owner?: string) {
    return {
        metadata: {
            resourceVersion: "1",
            managedFields: owner ? [{ manager: owner, operation: "Apply", fieldsV1: { "f:imagePullSecrets": {} } }] : [],
        },
        ...(names ? { imagePullSecrets: names.map((name) => ({ name })) } : {}),
    };
}

/** A read-only fake client over `<namespace>/<name>` → ServiceAccount; records what was read. */
function fakeClient(accounts: Record<string, ReturnType<typeof sa>>): ServiceAccountClient & { reads: string[] } {
    const reads: string[] = [];
    return {
        reads,
        async read(namespace, name) {
            reads.push(`${namespace}/${name}`);
            return structuredClone(accounts[`${namespace}/${name}`]);
        },
        async jsonPatch() {
            throw new Error("the preflight must not patch anything");
        },
    };
}

describe("serviceAccountWarnings", () => {
    it("a missing ServiceAccount: a warning naming it, its config key and pulumi up --refresh; it is never created", async () => {
        const cfg = config({ dev: { serviceAccounts: ["ghost"] } });
        const client = fakeClient({ "poc-dev/default": sa() });
        const warnings = await serviceAccountWarnings(cfg, client);
        assert.equal(warnings.length, 1, warnings.join("\n"));
        const [w] = warnings;
        assert.ok(w.includes("poc-dev/ghost"), w);
        assert.ok(w.includes("gitops-platform:environments.dev.serviceAccounts"), w);
        assert.ok(w.includes("pulumi up --refresh"), w);
        assert.match(w, /never creates it/);
        assert.deepEqual(client.reads.sort(), ["poc-dev/default", "poc-dev/ghost"]);
    });

    it("names the environment and namespace of the missing ServiceAccount", async () => {
        const cfg = config({ dev: {}, staging: { namespace: "team-staging", serviceAccounts: ["deployer"] } });
        const warnings = await serviceAccountWarnings(cfg, fakeClient({ "poc-dev/default": sa(), "team-staging/default": sa() }));
        assert.equal(warnings.length, 1, warnings.join("\n"));
        assert.ok(warnings[0].includes("team-staging/deployer"), warnings[0]);
        assert.ok(warnings[0].includes("gitops-platform:environments.staging.serviceAccounts"), warnings[0]);
    });

    it("a missing default ServiceAccount (the namespace does not exist yet): no warning", async () => {
        const cfg = config({ dev: {}, staging: { serviceAccounts: ["default"] } });
        assert.deepEqual(await serviceAccountWarnings(cfg, fakeClient({})), []);
    });

    it("a list another manager owns without regsecret: a warning naming the manager and the pod-spec route", async () => {
        const cfg = config({ dev: { serviceAccounts: ["app"] } });
        const warnings = await serviceAccountWarnings(cfg, fakeClient({ "poc-dev/default": sa(), "poc-dev/app": sa(["other-creds"], "helm") }));
        assert.equal(warnings.length, 1, warnings.join("\n"));
        const [w] = warnings;
        assert.ok(w.includes("poc-dev/app"), w);
        assert.ok(w.includes("gitops-platform:environments.dev.serviceAccounts"), w);
        assert.match(w, /owned by helm/);
        assert.match(w, /pod spec/);
        assert.ok(w.includes("imagePullSecrets: [{name: regsecret}]"), w);
    });

    it("a list that already holds regsecret, or that no other manager owns: no warning", async () => {
        const cfg = config({ dev: { serviceAccounts: ["app", "mine", "bare"] } });
        const warnings = await serviceAccountWarnings(
            cfg,
            fakeClient({
                "poc-dev/default": sa(["regsecret"], "kubectl-patch"),
                "poc-dev/app": sa(["other-creds", "regsecret"], "helm"),
                "poc-dev/mine": sa(["other-creds"], FIELD_MANAGER),
                "poc-dev/bare": sa(),
            }),
        );
        assert.deepEqual(warnings, []);
    });

    it("a list a hand edit (kubectl) left without regsecret: no warning, the next up puts it back", async () => {
        const cfg = config({ dev: { serviceAccounts: ["app", "edited"] } });
        const warnings = await serviceAccountWarnings(
            cfg,
            fakeClient({ "poc-dev/default": sa(), "poc-dev/app": sa(["other-creds"], "kubectl-edit"), "poc-dev/edited": sa([], "kubectl") }),
        );
        assert.deepEqual(warnings, []);
    });

    it("a client that throws: one 'could not check' warning, no throw", async () => {
        const cfg = config({ dev: { serviceAccounts: ["app", "ghost"] }, staging: {} });
        let reads = 0;
        const failing: ServiceAccountClient = {
            async read() {
                reads += 1;
                throw new Error("connect ECONNREFUSED 127.0.0.1:6443");
            },
            async jsonPatch() {
                throw new Error("the preflight must not patch anything");
            },
        };
        const warnings = await serviceAccountWarnings(cfg, failing);
        assert.equal(warnings.length, 1, warnings.join("\n"));
        assert.match(warnings[0], /could not check/);
        assert.match(warnings[0], /ECONNREFUSED/);
        assert.equal(reads, 1, "stops at the first failure");
    });

    it("a client that fails midway keeps the warnings found so far and adds one 'could not check'", async () => {
        const cfg = config({ dev: { serviceAccounts: ["ghost"] }, staging: {} });
        const client = fakeClient({ "poc-dev/default": sa() });
        const read = client.read;
        client.read = async (namespace, name) => {
            if (namespace === "poc-staging") throw new Error("forbidden");
            return read(namespace, name);
        };
        const warnings = await serviceAccountWarnings(cfg, client);
        assert.equal(warnings.length, 2, warnings.join("\n"));
        assert.ok(warnings[0].includes("poc-dev/ghost"));
        assert.match(warnings[1], /could not check.*forbidden/);
    });
});
