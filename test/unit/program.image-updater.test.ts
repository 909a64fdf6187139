/**
 * Argo CD Image Updater on (issue 11.1), with managed deploy tokens and a registry mirror: the
 * release and its registries, one ImageUpdater per image with each environment's constraint, the
 * ApplicationSet keeping the updater's Helm parameters, and regsecret in the Argo CD namespace
 * through a role that reads the registry credentials only.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { OWNED_KV_SECRET_TYPE, clearStrings, kubernetesKind, ofType, one, recorded } from "../support/mocks";
import { runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";
import { crdSkipReason, validateCustomResource } from "../support/crds";
import { parsePolicy } from "../support/hcl";
import { parseStackConfig } from "../../stacks/config";
import { installationObjects } from "../../stacks/clusterPreflight";
import { stackCapabilities } from "../../stacks/vaultPreflight";

const P = "gitops-platform:";
const GITLAB_TOKEN = "glpat-image-updater-test-0123";
const MIRROR_PASSWORD = "mirror-pass-4567";
const REGISTRY_PATH = "gitops-poc-dzha/platform/stacks/dev/registry";
const EXTRA = {
    [`${P}gitlabToken`]: GITLAB_TOKEN,
    [`${P}environments`]: { dev: {}, staging: {}, prod: { imageConstraint: ">=1.0.0 <2.0.0" } },
    [`${P}services`]: [{ name: "api-gateway" }, { name: "web-http" }, { name: "health-demo" }],
    [`${P}registry`]: { mirror: { server: "mirror.example.com", username: "mirror-user", password: MIRROR_PASSWORD } },
    [`${P}imageUpdater`]: {
        enabled: true,
        images: [
            { service: "api-gateway", image: "registry.gitlab.com/gitops-poc-dzha/api-gateway" },
            { service: "web-http", image: "acme/web-http" },
        ],
    },
};
const SECRET_KEYS = [`${P}gitlabToken`, `${P}registry`];

before(async () => {
    await runProgram("dev", stackConfig("dev", EXTRA), SECRET_KEYS);
});

test("the argocd-image-updater chart 1.2.4 from argo-helm in the Argo CD namespace, CRDs kept, registries configured", () => {
    const release = one("kubernetes:helm.sh/v3:Release", "image-updater-release");
    assert.deepEqual(
        [release.inputs.name, release.inputs.chart, release.inputs.version, release.inputs.repositoryOpts.repo, release.inputs.namespace],
        ["argocd-image-updater", "argocd-image-updater", "1.2.4", "https://argoproj.github.io/argo-helm", "argocd"],
    );
    assert.equal(release.inputs.atomic, true);
    assert.deepEqual(release.inputs.values.crds, { install: true, keep: true });
    const creds = { credentials: "pullsecret:argocd/regsecret", credsexpire: "5m" };
    assert.deepEqual(release.inputs.values.config.registries, [
        // No Docker Hub login in regsecret: anonymous, but the default registry with the seed's settings.
        { name: "Docker Hub", api_url: "https://registry-1.docker.io", prefix: "docker.io", ping: true, defaultns: "library", default: true },
        { name: "GitLab", api_url: "https://registry.gitlab.com", prefix: "registry.gitlab.com", ...creds },
        { name: "mirror.example.com", api_url: "https://mirror.example.com", prefix: "mirror.example.com", ...creds },
    ]);
    // It waits for Argo CD (its namespace, the Application CRD).
    const argocd = one("kubernetes:helm.sh/v3:Release", "argocd-release");
    assert.ok(release.dependencies.includes(argocd.urn));
});

test("one ImageUpdater per image, <project>-<service>, selecting <service>-<env> with each environment's constraint", () => {
    const crs = kubernetesKind("ImageUpdater");
    assert.deepEqual(crs.map((c) => c.inputs.metadata.name).sort(), ["poc-api-gateway", "poc-web-http"]);
    const api = crs.find((c) => c.inputs.metadata.name === "poc-api-gateway")!;
    assert.equal(api.inputs.apiVersion, "argocd-image-updater.argoproj.io/v1alpha1");
    assert.equal(api.inputs.metadata.namespace, "argocd");
    assert.equal(api.inputs.metadata.labels["gitops-platform/stack"], "dev");
    const image = (constraint: string) => [
        {
            alias: "api-gateway",
            imageName: `registry.gitlab.com/gitops-poc-dzha/api-gateway:${constraint}`,
            commonUpdateSettings: { updateStrategy: "semver" },
            manifestTargets: { helm: { name: "image.repository", tag: "image.tag" } },
        },
    ];
    assert.deepEqual(api.inputs.spec, {
        writeBackConfig: { method: "argocd" },
        applicationRefs: [
            // The seed's defaults: pre-releases for dev only; an explicit constraint wins.
            { namePattern: "api-gateway-dev", images: image("~0-0") },
            { namePattern: "api-gateway-staging", images: image("~0") },
            { namePattern: "api-gateway-prod", images: image(">=1.0.0 <2.0.0") },
        ],
    });
    const web = crs.find((c) => c.inputs.metadata.name === "poc-web-http")!;
    assert.deepEqual(
        web.inputs.spec.applicationRefs.map((r: any) => [r.namePattern, r.images[0].imageName]),
        [
            ["web-http-dev", "acme/web-http:~0-0"],
            ["web-http-staging", "acme/web-http:~0"],
            ["web-http-prod", "acme/web-http:>=1.0.0 <2.0.0"],
        ],
    );
    const release = one("kubernetes:helm.sh/v3:Release", "image-updater-release");
    for (const cr of crs) assert.ok(cr.dependencies.includes(release.urn), "the CRD comes with the chart");
});

test("the Applications it selects exist: the ApplicationSet generates <service>-<env>, and keeps their Helm parameters", () => {
    const [appset] = kubernetesKind("ApplicationSet");
    assert.equal(appset.inputs.spec.template.metadata.name, "{{.service}}-{{.env}}");
    const generated = appset.inputs.spec.generators[0].list.elements.map((e: any) => `${e.service}-${e.env}`);
    const selected = kubernetesKind("ImageUpdater").flatMap((c) => c.inputs.spec.applicationRefs.map((r: any) => r.namePattern));
    for (const name of selected) assert.ok(generated.includes(name), `${name} is generated`);
    // The write-back (Helm parameters of the chart source, sources[0]) is not reverted by the ApplicationSet.
    assert.equal(appset.inputs.spec.template.spec.sources[0].chart, "app");
    assert.deepEqual(
        appset.inputs.spec.ignoreApplicationDifferences,
        selected.map((name) => ({ name, jqPathExpressions: [".spec.sources[0].helm.parameters"] })),
    );
    assert.ok(!selected.some((n) => n.startsWith("health-demo")), "a service without image is not touched");
});

test("regsecret in the Argo CD namespace: own ServiceAccount, VaultAuth and role that reads the registry credentials only", async () => {
    const role = one("vault:kubernetes/authBackendRole:AuthBackendRole", "image-updater-regsecret-role");
    assert.equal(role.inputs.roleName, "argocd-regsecret");
    assert.deepEqual(role.inputs.boundServiceAccountNames, ["gitops-platform-regsecret"]);
    assert.deepEqual(role.inputs.boundServiceAccountNamespaces, ["argocd"]);
    assert.equal(role.inputs.audience, "vault");
    assert.deepEqual(role.inputs.tokenPolicies, ["registry-read-dev"]);
    const policy = one("vault:index/policy:Policy", "vault-registry-read");
    assert.deepEqual(await parsePolicy(policy.inputs.policy), [{ path: `secret/data/${REGISTRY_PATH}`, capabilities: ["read"] }]);

    const sa = one("kubernetes:core/v1:ServiceAccount", "image-updater-regsecret-sa");
    assert.deepEqual([sa.inputs.metadata.namespace, sa.inputs.metadata.name, sa.inputs.automountServiceAccountToken], ["argocd", "gitops-platform-regsecret", false]);
    const auth = kubernetesKind("VaultAuth").find((a) => a.inputs.metadata.namespace === "argocd")!;
    assert.equal(auth.inputs.metadata.name, "gitops-platform-regsecret");
    assert.deepEqual(auth.inputs.spec, {
        method: "kubernetes",
        mount: "kubernetes",
        kubernetes: { role: "argocd-regsecret", serviceAccount: "gitops-platform-regsecret", audiences: ["vault"] },
    });
    const vss = kubernetesKind("VaultStaticSecret").filter((s) => s.inputs.metadata.namespace === "argocd");
    assert.equal(vss.length, 1);
    const envVss = kubernetesKind("VaultStaticSecret").find((s) => s.inputs.metadata.namespace === "poc-dev")!;
    assert.equal(vss[0].inputs.metadata.name, "regsecret");
    assert.equal(vss[0].inputs.spec.vaultAuthRef, "gitops-platform-regsecret");
    // The same secret, rendered the same way as every environment's.
    assert.deepEqual({ ...vss[0].inputs.spec, vaultAuthRef: undefined }, { ...envVss.inputs.spec, vaultAuthRef: undefined });
    assert.equal(vss[0].inputs.spec.path, REGISTRY_PATH);
    assert.deepEqual(vss[0].inputs.spec.destination.annotations, { "gitops-platform/registry-kv-version": "3" });
    // It waits for VSO's and Argo CD's releases (CRDs, the namespace).
    for (const r of [auth, vss[0], sa]) {
        assert.ok(r.dependencies.includes(one("kubernetes:helm.sh/v3:Release", "vso-release").urn));
        assert.ok(r.dependencies.includes(one("kubernetes:helm.sh/v3:Release", "argocd-release").urn));
    }
    const wait = ofType("pulumi-nodejs:dynamic/kubernetes:RegistrySecretSync").find((w) => w.inputs.namespace === "argocd")!;
    assert.deepEqual(
        [wait.inputs.secretName, wait.inputs.annotation, wait.inputs.version, wait.inputs.type],
        ["regsecret", "gitops-platform/registry-kv-version", "3", "kubernetes.io/dockerconfigjson"],
    );
});

test("the mirror is one more login in the same .dockerconfigjson, its password never in clear", () => {
    const [secret] = ofType(OWNED_KV_SECRET_TYPE);
    const auths = JSON.parse(secret.inputs.data[".dockerconfigjson"]).auths;
    assert.deepEqual(Object.keys(auths).sort(), ["mirror.example.com", "registry.gitlab.com"]);
    assert.deepEqual(auths["mirror.example.com"], {
        username: "mirror-user",
        password: MIRROR_PASSWORD,
        auth: Buffer.from(`mirror-user:${MIRROR_PASSWORD}`).toString("base64"),
    });
    const leaks = recorded.flatMap((r) =>
        clearStrings(r.wire)
            .filter((s) => [MIRROR_PASSWORD, GITLAB_TOKEN, Buffer.from(`mirror-user:${MIRROR_PASSWORD}`).toString("base64")].some((x) => s.value.includes(x)))
            .map((s) => `${r.type} ${r.name} ${s.path}`),
    );
    assert.deepEqual(leaks, []);
});

test("the ImageUpdaters, the ApplicationSet and the Argo CD namespace's VaultAuth / VaultStaticSecret match their upstream CRDs", (t) => {
    if (crdSkipReason()) {
        t.skip(crdSkipReason());
        return;
    }
    const crs = [...kubernetesKind("ImageUpdater"), ...kubernetesKind("ApplicationSet"), ...kubernetesKind("VaultAuth"), ...kubernetesKind("VaultStaticSecret")];
    assert.ok(crs.length >= 6);
    for (const cr of crs) assert.deepEqual(validateCustomResource(cr.inputs as any), [], `${cr.inputs.kind} ${cr.name}`);
    // The validator does reject what the API server would prune or refuse.
    const [iu] = kubernetesKind("ImageUpdater");
    assert.notDeepEqual(validateCustomResource({ ...iu.inputs, spec: { ...iu.inputs.spec, namespace: "argocd" } } as any), []);
    assert.notDeepEqual(validateCustomResource({ ...iu.inputs, spec: { ...iu.inputs.spec, applicationRefs: [] } } as any), []);
    assert.notDeepEqual(
        validateCustomResource({ ...iu.inputs, spec: { ...iu.inputs.spec, writeBackConfig: { method: "argocd-params" } } } as any),
        [],
        "unknown write-back method",
    );
});

test("the preflights know the new objects: ownership of the Argo CD namespace's objects, and the Vault role to write", () => {
    const cfg = parseStackConfig(stackConfig("dev", EXTRA), new Set(SECRET_KEYS), "dev");
    const planned = installationObjects(cfg)
        .filter((o) => ["VaultAuth", "VaultStaticSecret", "ImageUpdater"].includes(o.kind))
        .map((o) => `${o.kind} ${o.namespace}/${o.name}`)
        .sort();
    const registered = recorded
        .filter((r) => ["VaultAuth", "VaultStaticSecret", "ImageUpdater"].includes(r.inputs.kind) && r.inputs.metadata.namespace === "argocd")
        .map((r) => `${r.inputs.kind} argocd/${r.inputs.metadata.name}`)
        .sort();
    assert.deepEqual(planned, [
        "ImageUpdater argocd/poc-api-gateway",
        "ImageUpdater argocd/poc-web-http",
        "VaultAuth argocd/gitops-platform-regsecret",
        "VaultStaticSecret argocd/regsecret",
    ]);
    assert.deepEqual(registered, planned);
    const caps = stackCapabilities(cfg, { registryPolicyName: "registry-read-dev", registrySecretPath: REGISTRY_PATH });
    assert.deepEqual(caps["auth/kubernetes/role/argocd-regsecret"], ["create", "read", "update", "delete"]);
});
