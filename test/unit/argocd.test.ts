/** ArgoCd under mocks: release, repo-creds, AppProject and the bootstrap ApplicationSet. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import {
    GITLAB_DEPLOY_TOKEN_TYPE,
    installMocks,
    isSecretAt,
    isSecretOutput,
    kubernetesKind,
    ofType,
    one,
    providerRef,
    recorded,
    settle,
    valueOf,
    type Recorded,
    type RecordedAlias,
} from "../support/mocks";
import { crdSkipReason, validateCustomResource } from "../support/crds";
import { ArgoCd } from "../../components/argocd/ArgoCd";
import { rolloutStrategy, syncWaveLabelValue } from "../../components/argocd/specs";

const environments = [
    { name: "dev", namespace: "poc-dev" },
    { name: "staging", namespace: "poc-staging" },
];
const services = [
    { name: "api-gateway", repoURL: "https://gitlab.com/gitops-poc-dzha/api-gateway.git", syncWave: 1 },
    { name: "auth-adapter", repoURL: "https://gitlab.com/gitops-poc-dzha/auth-adapter.git", syncWave: 0 },
];
const appChart = { repoURL: "https://d7561985.github.io/k8app", chart: "app", version: "3.4.0" };
/** The argo-cd chart the stack config pins (stacks/schema.ts). */
const chart = { chartVersion: "10.1.1", chartRepo: "https://argoproj.github.io/argo-helm" };

let provider: k8s.Provider;
/** The component read with a configured user and token (no managed deploy token). */
let withRepoUser: ArgoCd;

before(async () => {
    await installMocks("dev");
    provider = new k8s.Provider("k", {});
    withRepoUser = new ArgoCd(
        "argocd",
        {
            enabled: true,
            ...chart,
            namespace: "argocd",
            repoPrefix: "https://gitlab.com/gitops-poc-dzha",
            repoUsername: "gitlab+deploy-token-7",
            repoPassword: pulumi.secret("gldt-repo-secret"),
            project: "poc",
            environments,
            services,
            appChart,
            targetRevision: "HEAD",
        },
        { providers: { kubernetes: provider } },
    );
    new ArgoCd(
        "existing",
        {
            enabled: false,
            ...chart,
            namespace: "argo",
            repoPrefix: "https://gitlab.example.com/team",
            repoUsername: "reader",
            repoPassword: "plain-input-still-secret",
            project: "team",
            environments,
            services: [],
            appChart,
            targetRevision: "HEAD",
        },
        { providers: { kubernetes: provider } },
    );
    await settle();
});

test("pinned argo-cd Helm release only when enabled", () => {
    const releases = ofType("kubernetes:helm.sh/v3:Release");
    assert.equal(releases.length, 1);
    assert.deepEqual(
        [releases[0].inputs.chart, releases[0].inputs.version, releases[0].inputs.namespace, releases[0].inputs.repositoryOpts.repo],
        ["argo-cd", "10.1.1", "argocd", "https://argoproj.github.io/argo-helm"],
    );
});

test("repo-creds Secret for https://<host>/<group>, labelled, password secret", () => {
    const s = one("kubernetes:core/v1:Secret", "argocd-repo-creds");
    assert.deepEqual(s.inputs.metadata, {
        name: "gitlab-repo-creds",
        namespace: "argocd",
        labels: { "argocd.argoproj.io/secret-type": "repo-creds" },
        annotations: { "pulumi.com/patchForce": "true" },
    });
    assert.equal(s.inputs.stringData.url, "https://gitlab.com/gitops-poc-dzha");
    assert.equal(s.inputs.stringData.type, "git");
    assert.equal(s.inputs.stringData.username, "gitlab+deploy-token-7");
    assert.equal(s.inputs.stringData.password, "gldt-repo-secret");
    assert.ok(isSecretAt(s.wire, "stringData.password") || isSecretAt(s.wire, "stringData"), "password is a secret");
    const other = one("kubernetes:core/v1:Secret", "existing-repo-creds");
    assert.ok(isSecretAt(other.wire, "stringData.password") || isSecretAt(other.wire, "stringData"), "a plain input is made secret");
});

test("AppProject limited to the group's repos, the chart repo and the stack's namespaces", () => {
    const p = kubernetesKind("AppProject").find((r) => r.name === "argocd-project")!;
    assert.deepEqual(p.inputs.metadata, { name: "poc", namespace: "argocd", annotations: { "pulumi.com/patchForce": "true" } });
    assert.deepEqual(p.inputs.spec.sourceRepos, ["https://gitlab.com/gitops-poc-dzha/*", "https://d7561985.github.io/k8app"]);
    assert.deepEqual(p.inputs.spec.destinations, [
        { server: "https://kubernetes.default.svc", namespace: "poc-dev" },
        { server: "https://kubernetes.default.svc", namespace: "poc-staging" },
    ]);
    assert.deepEqual(p.inputs.spec.clusterResourceWhitelist, [], "no cluster-scoped objects");
});

test("ApplicationSet generates <service>-<env> per service × environment into the env namespace", () => {
    const set = kubernetesKind("ApplicationSet").find((r) => r.name === "argocd-applicationset")!;
    assert.deepEqual(set.inputs.metadata, { name: "poc-services", namespace: "argocd", annotations: { "pulumi.com/patchForce": "true" } });
    const spec = set.inputs.spec;
    assert.equal(spec.goTemplate, true);
    const elements = spec.generators[0].list.elements;
    assert.deepEqual(
        elements.map((e: any) => `${e.service}-${e.env}@${e.namespace}#${e.syncWave}`),
        ["api-gateway-dev@poc-dev#1", "api-gateway-staging@poc-staging#1", "auth-adapter-dev@poc-dev#0", "auth-adapter-staging@poc-staging#0"],
    );
    const t = spec.template;
    assert.equal(t.metadata.name, "{{.service}}-{{.env}}");
    assert.equal(t.metadata.labels["gitops-platform/sync-wave"], "{{.syncWave}}");
    assert.equal(t.metadata.annotations, undefined, "no sync-wave annotation: it ordered nothing between Applications");
    assert.equal(t.spec.project, "poc");
    assert.deepEqual(t.spec.destination, { server: "https://kubernetes.default.svc", namespace: "{{.namespace}}" });
    assert.deepEqual(t.spec.syncPolicy.automated, { prune: true, selfHeal: true });
    assert.equal(spec.syncPolicy.preserveResourcesOnDeletion, true, "deleting the set keeps running services");
});

test("rollout order: one RollingSync step per syncWave, lowest first, and the controller's progressive syncs switched on", () => {
    const set = kubernetesKind("ApplicationSet").find((r) => r.name === "argocd-applicationset")!;
    assert.deepEqual(set.inputs.spec.strategy, {
        type: "RollingSync",
        rollingSync: {
            steps: [
                { matchExpressions: [{ key: "gitops-platform/sync-wave", operator: "In", values: ["0"] }] },
                { matchExpressions: [{ key: "gitops-platform/sync-wave", operator: "In", values: ["1"] }] },
            ],
        },
    });
    const rel = one("kubernetes:helm.sh/v3:Release", "argocd-release");
    assert.equal(rel.inputs.values.configs.params["applicationsetcontroller.enable.progressive.syncs"], true);
});

test("rollout order helpers: negative waves as label values, one wave means no strategy", () => {
    assert.equal(syncWaveLabelValue(-2), "m2");
    assert.equal(syncWaveLabelValue(3), "3");
    assert.equal(rolloutStrategy([0, 0, 0]), undefined);
    assert.deepEqual(rolloutStrategy([2, -1, 2, 0])!.rollingSync.steps.map((s) => s.matchExpressions[0].values[0]), ["m1", "0", "2"]);
});

test("Applications use the seed's values layout: .cicd/default.yaml + .cicd/<env>.yaml from the service repo", () => {
    const set = kubernetesKind("ApplicationSet").find((r) => r.name === "argocd-applicationset")!;
    const [chart, values] = set.inputs.spec.template.spec.sources;
    assert.deepEqual([chart.repoURL, chart.chart, chart.targetRevision], [appChart.repoURL, "app", "3.4.0"]);
    assert.deepEqual(chart.helm.valueFiles, ["$values/.cicd/default.yaml", "$values/.cicd/{{.env}}.yaml"]);
    assert.deepEqual(values, { repoURL: "{{.repoURL}}", targetRevision: "HEAD", ref: "values" });
    const elements = set.inputs.spec.generators[0].list.elements;
    assert.ok(elements.every((e: any) => e.repoURL.endsWith(".git")), "GitLab repo URLs carry .git");
});

test("Argo CD custom resources depend on the chart when enabled, not when pre-installed", () => {
    const rel = one("kubernetes:helm.sh/v3:Release", "argocd-release");
    for (const name of ["argocd-project", "argocd-applicationset"]) {
        assert.ok(recordedByName(name).dependencies.includes(rel.urn), `${name} dependsOn the release`);
    }
    assert.deepEqual(recordedByName("existing-applicationset").dependencies, []);
    assert.equal(recordedByName("existing-applicationset").inputs.metadata.namespace, "argo");
});

test("every Kubernetes resource uses the provider given in the component's options, never a default provider", async () => {
    const explicit = await providerRef(provider);
    const children = recorded.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    // argocd: release, repo-creds, project, applicationset; existing: the same without the release
    assert.equal(children.length, 7);
    for (const r of children) {
        assert.equal(r.provider, explicit, `${r.type} ${r.name} uses the explicit kubernetes provider`);
        assert.match(r.parent, /::gitops-platform:argocd:ArgoCd::/, `${r.name} is a child of its ArgoCd`);
    }
});

function recordedByName(name: string) {
    return [...kubernetesKind("AppProject"), ...kubernetesKind("ApplicationSet")].find((r) => r.name === name)!;
}

test("AppProject and ApplicationSet match the upstream CRD schemas (unknown fields are errors)", (t) => {
    if (crdSkipReason()) {
        t.skip(crdSkipReason());
        return;
    }
    const crs = [...kubernetesKind("AppProject"), ...kubernetesKind("ApplicationSet")];
    assert.equal(crs.length, 4);
    for (const cr of crs) {
        assert.deepEqual(validateCustomResource(cr.inputs as any), [], `${cr.name} is valid`);
    }
});

/**
 * The URN an alias points at, as the engine resolves it: empty name/type/stack/project are the
 * resource's own; the parent is the alias's, none with `noParent`, else the resource's. The stack
 * resource is not part of a URN's type chain, so "no parent" and "child of the stack" are one URN.
 */
function aliasUrn(a: RecordedAlias, r: Recorded): string {
    if (a.urn) return a.urn;
    const type = a.type || r.type;
    const parent = a.noParent ? "" : (a.parentUrn ?? r.parent);
    const parentType = parent ? parent.split("::")[2] : "";
    const chain = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
    return `urn:pulumi:${a.stack || "dev"}::${a.project || "gitops-platform"}::${chain}::${a.name || r.name}`;
}

test("the read_repository deploy token is a child of ArgoCd, with an alias to its old top-level URN (argocd-repo-token)", async () => {
    // The program names the component "argocd"; earlier versions registered the token at the top
    // level as "argocd-repo-token". This component is registered last, and its records removed after.
    const from = recorded.length;
    const component = new ArgoCd(
        "argocd",
        {
            enabled: false,
            ...chart,
            namespace: "argocd",
            repoPrefix: "https://gitlab.com/gitops-poc-dzha",
            repoDeployToken: {
                host: "gitlab.com",
                group: "gitops-poc-dzha",
                apiToken: pulumi.secret("glpat-api-token"),
                name: "gitops-platform-registry-argocd",
                expiresInDays: 90,
                rotateBeforeDays: 14,
            },
            project: "poc",
            environments,
            services: [],
            appChart,
            targetRevision: "HEAD",
        },
        { providers: { kubernetes: provider } },
    );
    const componentUrn = await valueOf(component.urn);
    await settle();
    const mine = recorded.splice(from);

    const tokens = mine.filter((r) => r.type === GITLAB_DEPLOY_TOKEN_TYPE);
    assert.equal(tokens.length, 1);
    const [token] = tokens;
    assert.equal(token.name, "argocd-repo-token");
    assert.deepEqual(token.inputs.scopes, ["read_repository"]);
    assert.equal(token.parent, componentUrn, "a child of the ArgoCd component");
    assert.equal(componentUrn, "urn:pulumi:dev::gitops-platform::gitops-platform:argocd:ArgoCd::argocd");

    const OLD_URN = `urn:pulumi:dev::gitops-platform::${GITLAB_DEPLOY_TOKEN_TYPE}::argocd-repo-token`;
    assert.notEqual(token.urn, OLD_URN, "its URN changed");
    assert.deepEqual(
        token.aliases.map((a) => aliasUrn(a, token)),
        [OLD_URN],
        `the engine finds the old top-level token (aliases: ${JSON.stringify(token.aliases)}), so it is not replaced`,
    );

    const creds = mine.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "argocd-repo-creds")!;
    assert.equal(creds.inputs.stringData.username, "gitlab+deploy-token-argocd-repo-token", "repo-creds read with the token");
    assert.equal(creds.inputs.stringData.password, "mock-deploy-token-argocd-repo-token");
    assert.ok(isSecretAt(creds.wire, "stringData.password") || isSecretAt(creds.wire, "stringData"), "password is a secret");

    // The managed token's expiry (the mocks' GroupDeployToken expiresAt), not secret, for the stack output repoTokenExpiresAt.
    assert.ok(component.repoTokenExpiresAt, "repoTokenExpiresAt with a managed deploy token");
    assert.equal(await valueOf(component.repoTokenExpiresAt), "2027-01-01");
    assert.equal(await isSecretOutput(component.repoTokenExpiresAt), false, "an expiry date is not a secret");
});

test("no repoTokenExpiresAt without a managed deploy token (repoUsername + repoPassword)", () => {
    assert.equal(withRepoUser.repoTokenExpiresAt, undefined);
});
