/**
 * Two stacks on one cluster must not share the objects of the Argo CD and VSO installation
 * namespaces (repo-creds Secret, AppProject, ApplicationSet, default VaultConnection): the
 * kubernetes provider force-applies, so the second stack would silently take them over. The
 * program labels them with its stack, and the cluster preflight (stacks/clusterPreflight.ts)
 * refuses, before anything is registered, objects labelled for another stack.
 */
import { describe, it, after, before } from "node:test";
import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { parse } from "yaml";
import { ConfigError, parseStackConfig, type PlatformConfig } from "../../stacks/config";
import { STACK_LABEL } from "../../stacks/stackIdentity";
import {
    clusterPreflight,
    installationObjects,
    installationOwnershipProblems,
    kubernetesObjectLabels,
    type ObjectLabelReader,
} from "../../stacks/clusterPreflight";
import type { AppliedObjectRef } from "../../components/argocd/ArgoCd";
import { apiStatus } from "../../components/kubernetes/pullSecretProvider";
import { runProgramSettled, type OfflineCluster, type ProgramRun } from "../support/program";
import { stackConfig } from "../support/stackConfig";

const TOKEN_KEY = "gitops-platform:gitlabToken";
const SECRETS = { [TOKEN_KEY]: "glpat-ownership-test" };
const MANAGED_BY = { "app.kubernetes.io/managed-by": "gitops-platform" };
/** The kinds the preflight protects, as the program registers them. */
const TYPES: Record<string, string> = {
    Secret: "kubernetes:core/v1:Secret",
    AppProject: "kubernetes:argoproj.io/v1alpha1:AppProject",
    ApplicationSet: "kubernetes:argoproj.io/v1alpha1:ApplicationSet",
    VaultConnection: "kubernetes:secrets.hashicorp.com/v1beta1:VaultConnection",
};

/** The committed stack config, with `extra` raw keys, through the real loader. */
function config(stack: string, extra: Record<string, unknown> = {}): PlatformConfig {
    return parseStackConfig(stackConfig(stack, { ...SECRETS, ...extra }), new Set([TOKEN_KEY]), stack);
}

/** `<kind> <namespace>/<name>`, the key of {@link OfflineCluster}. */
function keyOf(ref: { kind: string; namespace: string; name: string }): string {
    return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/** A reader over an offline cluster that records what it read. */
function fakeReader(cluster: OfflineCluster): ObjectLabelReader & { reads: string[] } {
    const reads: string[] = [];
    const read = async (ref: AppliedObjectRef) => {
        reads.push(keyOf(ref));
        return structuredClone(cluster[keyOf(ref)]);
    };
    return Object.assign(read, { reads });
}

/** The registered object of a protected kind with this namespace and name (from a program run). */
function registeredObject(run: ProgramRun, kind: string, namespace: string, name: string) {
    const r = run.registered.find((x) => x.type === TYPES[kind] && x.inputs.metadata?.namespace === namespace && x.inputs.metadata?.name === name);
    assert.ok(r, `${kind} ${namespace}/${name} registered; have ${run.registered.map((x) => `${x.type} ${x.name}`).join(", ")}`);
    return r;
}

describe("the program labels the Argo CD and VSO installation objects with its stack", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: repo-creds Secret, AppProject, ApplicationSet and VaultConnection carry ${STACK_LABEL}: ${stack}`, async () => {
            const run = await runProgramSettled(stack, stackConfig(stack, SECRETS), [TOKEN_KEY]);
            assert.equal(run.error, undefined, String(run.error));
            const cfg = config(stack);
            const labels = { ...MANAGED_BY, [STACK_LABEL]: stack };
            const secret = registeredObject(run, "Secret", cfg.argocd.namespace, "gitlab-repo-creds");
            // Argo CD finds repo-creds by their secret-type label: kept next to the stack's.
            assert.deepEqual(secret.inputs.metadata.labels, { ...labels, "argocd.argoproj.io/secret-type": "repo-creds" });
            for (const [kind, name] of [
                ["AppProject", "poc"],
                ["ApplicationSet", "poc-services"],
            ]) {
                assert.deepEqual(registeredObject(run, kind, cfg.argocd.namespace, name).inputs.metadata.labels, labels, kind);
            }
            assert.deepEqual(registeredObject(run, "VaultConnection", cfg.vso.namespace, "default").inputs.metadata.labels, labels);
        });
    }

    it("the preflight reads exactly the objects of those kinds the program registers (names and namespaces as the program computes them)", async () => {
        const extra = {
            "gitops-platform:namespacePrefix": "team",
            "gitops-platform:argocd": { enabled: false, namespace: "argo-team", project: "platform" },
            "gitops-platform:vso": { enabled: false, namespace: "vso-team", vaultAddress: "https://vault.example.com" },
        };
        const run = await runProgramSettled("dev", stackConfig("dev", { ...SECRETS, ...extra }), [TOKEN_KEY]);
        assert.equal(run.error, undefined, String(run.error));
        const planned = installationObjects(config("dev", extra)).map(keyOf).sort();
        const namespaces = new Set(["argo-team", "vso-team"]);
        const registered = run.registered
            .filter((r) => Object.values(TYPES).includes(r.type) && namespaces.has(r.inputs.metadata?.namespace))
            .map((r) => keyOf({ kind: r.type.split(":").pop()!, namespace: r.inputs.metadata.namespace, name: r.inputs.metadata.name }))
            .sort();
        assert.deepEqual(planned, [
            "AppProject argo-team/platform",
            "ApplicationSet argo-team/platform-services",
            "Secret argo-team/gitlab-repo-creds",
            "VaultConnection vso-team/default",
        ]);
        assert.deepEqual(registered, planned);
    });

    it("with previews: the preview ApplicationSet and the token's VaultStaticSecret and VaultAuth are planned, registered and labelled alike", async () => {
        const extra = {
            "gitops-platform:namespacePrefix": "team",
            "gitops-platform:argocd": { enabled: false, namespace: "argo-team", project: "platform" },
            "gitops-platform:previews": { enabled: true },
            "gitops-platform:previewsGitlabToken": "glpat-preview-read",
        };
        const secrets = { ...SECRETS, "gitops-platform:previewsGitlabToken": "glpat-preview-read" };
        const run = await runProgramSettled("dev", stackConfig("dev", { ...secrets, ...extra }), [TOKEN_KEY, "gitops-platform:previewsGitlabToken"]);
        assert.equal(run.error, undefined, String(run.error));
        const cfg = parseStackConfig(stackConfig("dev", { ...secrets, ...extra }), new Set([TOKEN_KEY, "gitops-platform:previewsGitlabToken"]), "dev");
        const planned = installationObjects(cfg).map(keyOf).filter((k) => /previews|-scm$/.test(k)).sort();
        assert.deepEqual(planned, [
            "ApplicationSet argo-team/platform-previews",
            "VaultAuth argo-team/team-preview-scm",
            "VaultStaticSecret argo-team/team-preview-scm",
        ]);
        const types: Record<string, string> = {
            ApplicationSet: TYPES.ApplicationSet,
            VaultAuth: "kubernetes:secrets.hashicorp.com/v1beta1:VaultAuth",
            VaultStaticSecret: "kubernetes:secrets.hashicorp.com/v1beta1:VaultStaticSecret",
        };
        for (const key of planned) {
            const [kind, ref] = key.split(" ");
            const [namespace, name] = ref.split("/");
            const r = run.registered.find((x) => x.type === types[kind] && x.inputs.metadata?.namespace === namespace && x.inputs.metadata?.name === name);
            assert.ok(r, `${key} registered`);
            assert.deepEqual(r.inputs.metadata.labels, { ...MANAGED_BY, [STACK_LABEL]: "dev" }, key);
        }
    });

    it("the program stops before anything is registered when an installation object belongs to another stack", async () => {
        const run = await runProgramSettled("prod", stackConfig("prod", SECRETS), [TOKEN_KEY], {
            "Secret argocd/gitlab-repo-creds": { ...MANAGED_BY, [STACK_LABEL]: "dev" },
        });
        assert.ok(run.error instanceof ConfigError, `a ConfigError: ${run.error}`);
        assert.match(run.error.message, /gitops-platform:argocd\.namespace: Secret argocd\/gitlab-repo-creds belongs to stack "dev".*this stack "prod"/);
        assert.deepEqual(run.constructed, [], "no resource (not even a provider) was constructed");
        assert.deepEqual(run.registered, [], "nothing registered");
    });
});

describe("installationOwnershipProblems", () => {
    const prod = () => config("prod");
    const devLabels = { ...MANAGED_BY, [STACK_LABEL]: "dev" };

    it("Argo CD objects of another stack: one problem naming every object, both stacks, argocd.namespace and a valid example", async () => {
        const cfg = prod();
        const read = fakeReader({
            "Secret argocd/gitlab-repo-creds": devLabels,
            "AppProject argocd/poc": devLabels,
            "ApplicationSet argocd/poc-services": devLabels,
        });
        const problems = await installationOwnershipProblems(cfg, "prod", read);
        assert.equal(problems.length, 1, JSON.stringify(problems));
        const [p] = problems;
        assert.equal(p.key, "gitops-platform:argocd.namespace");
        for (const name of ["Secret argocd/gitlab-repo-creds", "AppProject argocd/poc", "ApplicationSet argocd/poc-services"]) {
            assert.ok(p.message.includes(name), `${name} in: ${p.message}`);
        }
        assert.match(p.message, /belong to stack "dev" \(label gitops-platform\/stack\), not to this stack "prod"/);

        // The example is valid config, moves the objects elsewhere, and the same cluster then has nothing to refuse.
        const example = parse(p.example!) as Record<string, { namespace: string }>;
        assert.deepEqual(Object.keys(example), ["gitops-platform:argocd"]);
        const moved = config("prod", { "gitops-platform:argocd": { ...cfg.argocd, ...example["gitops-platform:argocd"] } });
        assert.equal(moved.argocd.namespace, "argocd-prod");
        assert.deepEqual(await installationOwnershipProblems(moved, "prod", read), []);
    });

    it("the VaultConnection of another stack: a problem on vso.namespace with a valid example", async () => {
        const cfg = prod();
        const problems = await installationOwnershipProblems(cfg, "prod", fakeReader({ "VaultConnection vault-secrets-operator-system/default": devLabels }));
        assert.equal(problems.length, 1, JSON.stringify(problems));
        const [p] = problems;
        assert.equal(p.key, "gitops-platform:vso.namespace");
        assert.match(p.message, /^VaultConnection vault-secrets-operator-system\/default belongs to stack "dev".*this stack "prod"/);
        const example = parse(p.example!) as Record<string, { namespace: string }>;
        const moved = config("prod", { "gitops-platform:vso": { ...cfg.vso, ...example["gitops-platform:vso"] } });
        assert.notEqual(moved.vso.namespace, cfg.vso.namespace);
    });

    it("objects of two other stacks: one problem per stack", async () => {
        const problems = await installationOwnershipProblems(
            prod(),
            "prod",
            fakeReader({ "Secret argocd/gitlab-repo-creds": devLabels, "AppProject argocd/poc": { [STACK_LABEL]: "staging" } }),
        );
        assert.deepEqual(
            problems.map((p) => [p.key, /belongs to stack "(\w+)"/.exec(p.message)?.[1]]),
            [
                ["gitops-platform:argocd.namespace", "dev"],
                ["gitops-platform:argocd.namespace", "staging"],
            ],
        );
    });

    it("objects without the label (earlier versions', by hand) or with this stack's are adopted; missing ones are created", async () => {
        const read = fakeReader({
            "Secret argocd/gitlab-repo-creds": { "argocd.argoproj.io/secret-type": "repo-creds" },
            "AppProject argocd/poc": {},
            "VaultConnection vault-secrets-operator-system/default": { ...MANAGED_BY, [STACK_LABEL]: "prod" },
        });
        assert.deepEqual(await installationOwnershipProblems(prod(), "prod", read), []);
        assert.deepEqual(read.reads, [
            "Secret argocd/gitlab-repo-creds",
            "AppProject argocd/poc",
            "ApplicationSet argocd/poc-services",
            "VaultConnection vault-secrets-operator-system/default",
        ]);
    });

    it("a client that throws without an answer (unreachable cluster): no problem, no throw, stops at the first read", async () => {
        let reads = 0;
        const problems = await installationOwnershipProblems(prod(), "prod", async () => {
            reads += 1;
            throw new Error("connect ECONNREFUSED 127.0.0.1:6443");
        });
        assert.deepEqual(problems, []);
        assert.equal(reads, 1);
    });

    it("an object the API server refuses to show (403) is skipped; the others are still checked", async () => {
        const read: ObjectLabelReader = async (ref) => {
            if (ref.kind === "Secret") throw Object.assign(new Error("secrets is forbidden"), { code: 403 });
            return ref.kind === "AppProject" ? devLabels : undefined;
        };
        const problems = await installationOwnershipProblems(prod(), "prod", read);
        assert.equal(problems.length, 1, JSON.stringify(problems));
        assert.match(problems[0].message, /^AppProject argocd\/poc belongs to stack "dev"/);
    });

    it("clusterPreflight: one ConfigError with the namespace and the installation problems", async () => {
        const cfg = prod();
        await assert.rejects(
            clusterPreflight(cfg, "prod", {
                namespaces: async (name) => (name === "poc-prod" ? devLabels : undefined),
                objects: fakeReader({ "VaultConnection vault-secrets-operator-system/default": devLabels }),
            }),
            (e: unknown) => {
                assert.ok(e instanceof ConfigError);
                assert.deepEqual(e.problems.map((p) => p.key), ["gitops-platform:environments.prod.namespace", "gitops-platform:vso.namespace"]);
                assert.match(e.message, /valid example:\n\s+gitops-platform:vso:\n\s+namespace: vault-secrets-operator-system-prod/);
                return true;
            },
        );
        await clusterPreflight(cfg, "prod", { namespaces: async () => undefined, objects: fakeReader({}) });
    });
});

describe("kubernetesObjectLabels against a local API server", () => {
    /** Path → object; anything else answers 404 as the API server does (object, namespace or CRD missing). */
    const objects: Record<string, unknown> = {
        "/api/v1/namespaces/argocd/secrets/gitlab-repo-creds": { metadata: { name: "gitlab-repo-creds", labels: { [STACK_LABEL]: "dev" } }, data: {} },
        "/apis/argoproj.io/v1alpha1/namespaces/argocd/appprojects/poc": { metadata: { name: "poc" } },
        "/apis/secrets.hashicorp.com/v1beta1/namespaces/vso/vaultconnections/default": { metadata: { name: "default", labels: { a: "b" } } },
    };
    const seen: string[] = [];
    let server: http.Server;
    let url: string;
    const kubeconfig = (server: string) =>
        [
            "apiVersion: v1",
            "kind: Config",
            // client-node refuses plain http unless TLS verification is off.
            `clusters: [{name: c, cluster: {server: '${server}', insecure-skip-tls-verify: true}}]`,
            "users: [{name: u, user: {token: t}}]",
            "contexts: [{name: x, context: {cluster: c, user: u}}]",
            "current-context: x",
            "",
        ].join("\n");

    before(async () => {
        server = http.createServer((req, res) => {
            const path = (req.url ?? "").split("?")[0];
            seen.push(`${req.method} ${path}`);
            const body = objects[path];
            res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
            res.end(JSON.stringify(body ?? { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 }));
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it("reads Secrets through CoreV1, custom objects through CustomObjects; 404 is undefined", async () => {
        const read = kubernetesObjectLabels({ kubeconfig: kubeconfig(url) });
        const ref = (apiVersion: string, kind: string, plural: string, namespace: string, name: string) => ({ apiVersion, kind, plural, namespace, name });
        assert.deepEqual(await read(ref("v1", "Secret", "secrets", "argocd", "gitlab-repo-creds")), { [STACK_LABEL]: "dev" });
        assert.deepEqual(await read(ref("argoproj.io/v1alpha1", "AppProject", "appprojects", "argocd", "poc")), {});
        assert.equal(await read(ref("argoproj.io/v1alpha1", "ApplicationSet", "applicationsets", "argocd", "poc-services")), undefined);
        assert.deepEqual(await read(ref("secrets.hashicorp.com/v1beta1", "VaultConnection", "vaultconnections", "vso", "default")), { a: "b" });
        assert.deepEqual(seen, [
            "GET /api/v1/namespaces/argocd/secrets/gitlab-repo-creds",
            "GET /apis/argoproj.io/v1alpha1/namespaces/argocd/appprojects/poc",
            "GET /apis/argoproj.io/v1alpha1/namespaces/argocd/applicationsets/poc-services",
            "GET /apis/secrets.hashicorp.com/v1beta1/namespaces/vso/vaultconnections/default",
        ]);
    });

    it("the real reader over an unreachable API server: the preflight finds nothing and leaves it to the provider", async () => {
        const closed = http.createServer();
        await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
        const port = (closed.address() as AddressInfo).port;
        await new Promise<void>((r) => closed.close(() => r()));
        const read = kubernetesObjectLabels({ kubeconfig: kubeconfig(`http://127.0.0.1:${port}`) });
        // the read itself fails for want of a server (not for a client setting), with no HTTP status
        await assert.rejects(read(installationObjects(config("prod"))[0]), (e: unknown) => {
            assert.match(String((e as { cause?: unknown }).cause ?? e), /ECONNREFUSED/);
            assert.ok(!Number.isFinite(apiStatus(e)));
            return true;
        });
        assert.deepEqual(await installationOwnershipProblems(config("prod"), "prod", read), []);
    });
});
