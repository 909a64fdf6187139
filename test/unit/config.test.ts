/** Stack config validation: defaults, derived names, and bad input stopped with the key named. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ConfigError, parseStackConfig } from "../../stacks/config";
import { stackConfig } from "../support/stackConfig";
import { isSecretOutput } from "../support/mocks";

const P = "gitops-platform:";
const SECRET_KEYS = new Set([`${P}gitlabToken`, `${P}argocdRepoToken`, `${P}registry`]);

/** A minimal valid config (static registry credentials, no GitLab API), as raw engine values. */
function base(): Record<string, unknown> {
    return {
        environments: { dev: {} },
        gitlab: { group: "gitops-poc-dzha" },
        registry: { server: "registry.example.com", username: "puller", password: "hunter2-registry" },
        argocd: { repoUsername: "argocd-reader" },
        argocdRepoToken: "glpat-argocd-secret",
    };
}

function raw(values: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(
        Object.entries(values)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [P + k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
}

function problems(values: Record<string, unknown>, secretKeys: ReadonlySet<string> = SECRET_KEYS) {
    try {
        parseStackConfig(raw(values), secretKeys, "dev");
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
        return e;
    }
    assert.fail("config was accepted");
}

test("defaults follow the seed's conventions", () => {
    const c = parseStackConfig(raw(base()), SECRET_KEYS, "dev");
    assert.equal(c.namespacePrefix, "poc");
    assert.deepEqual(
        c.environments.map((e) => [e.namespace, e.policyName, e.roleName, e.serviceAccounts]),
        [["poc-dev", "poc-dev-read", "poc-dev-default", ["default"]]],
    );
    assert.equal(c.pathPrefix, "gitops-poc-dzha", "pathPrefix defaults to the GitLab group");
    assert.equal(c.gitlab.host, "gitlab.com");
    assert.deepEqual(
        [c.vault.kvMount, c.vault.manageKvMount, c.vault.kubernetesAuthMount, c.vault.kubernetesHost, c.vault.audience, c.vault.tokenTtl],
        ["secret", true, "kubernetes", "https://kubernetes.default.svc", "vault", "1h"],
    );
    assert.deepEqual([c.argocd.enabled, c.argocd.namespace, c.argocd.chartVersion], [true, "argocd", "10.1.1"]);
    assert.deepEqual([c.vso.enabled, c.vso.chartVersion], [true, "1.5.0"]);
    assert.equal(c.imageUpdater.enabled, false);
    assert.equal(c.cloudflare.enabled, false);
    assert.equal(c.protect, false);
});

test("the schema supplies every default the components receive (they have none of their own)", () => {
    const c = parseStackConfig(raw(base()), SECRET_KEYS, "dev");
    assert.deepEqual(c.services, []);
    assert.equal(c.vault.tokenReviewerNamespace, "kube-system");
    assert.deepEqual(
        [c.argocd.chartVersion, c.argocd.chartRepo, c.argocd.namespace, c.argocd.targetRevision, c.argocd.appChart],
        ["10.1.1", "https://argoproj.github.io/argo-helm", "argocd", "HEAD", { repoURL: "https://d7561985.github.io/k8app", chart: "app", version: "3.4.0" }],
    );
    assert.deepEqual(
        [c.vso.enabled, c.vso.chartVersion, c.vso.chartRepo, c.vso.namespace, c.vso.vaultAddress, c.vso.refreshAfter, c.vso.waitForSync, c.vso.syncTimeout],
        [true, "1.5.0", "https://helm.releases.hashicorp.com", "vault-secrets-operator-system", "https://vault.vault.svc:8200", "1h", true, "3m"],
    );
});

test("protect defaults to true on a prod stack and can be overridden", () => {
    assert.equal(parseStackConfig(raw(base()), SECRET_KEYS, "prod").protect, true);
    assert.equal(parseStackConfig(raw(base()), SECRET_KEYS, "eu-prod").protect, true);
    assert.equal(parseStackConfig(raw(base()), SECRET_KEYS, "product-dev").protect, false);
    assert.equal(parseStackConfig(raw({ ...base(), protect: "false" }), SECRET_KEYS, "prod").protect, false);
});

test("environment overrides: namespace, extra service accounts (default first, no duplicates)", () => {
    const c = parseStackConfig(
        raw({ ...base(), environments: { dev: { namespace: "team-dev", serviceAccounts: ["deployer", "default"] } } }),
        SECRET_KEYS,
        "dev",
    );
    assert.deepEqual(c.environments[0], {
        name: "dev",
        namespace: "team-dev",
        serviceAccounts: ["default", "deployer"],
        policyName: "team-dev-read",
        roleName: "team-dev-default",
        imageConstraint: "~0-0",
        perService: false,
        services: [],
    });
});

test("secret config values are wrapped as Pulumi secrets", async () => {
    const c = parseStackConfig(raw(base()), SECRET_KEYS, "dev");
    assert.equal(await isSecretOutput(c.argocdRepoToken!), true);
    assert.equal(await isSecretOutput(c.registry!.password), true);
});

test("the committed stack files are valid", () => {
    const dev = parseStackConfig(stackConfig("dev", { "gitops-platform:gitlabToken": "t" }), new Set([`${P}gitlabToken`]), "dev");
    assert.deepEqual(dev.environments.map((e) => e.namespace), ["poc-dev", "poc-staging"]);
    assert.deepEqual(dev.services.map((s) => s.name), ["api-gateway", "auth-adapter", "web-grpc", "web-http", "health-demo"]);
    const prod = parseStackConfig(stackConfig("prod", { "gitops-platform:gitlabToken": "t" }), new Set([`${P}gitlabToken`]), "prod");
    assert.deepEqual(prod.environments.map((e) => e.namespace), ["poc-prod"]);
    assert.equal(prod.protect, true);
    assert.equal(prod.vault.manageKvMount, false);
    assert.notEqual(prod.vault.kubernetesAuthMount, dev.vault.kubernetesAuthMount);
});

/** [case, config change, key the error must name, text the message must contain] */
const BAD: [string, (c: Record<string, any>) => void, string, string][] = [
    ["missing environments", (c) => delete c.environments, "environments", "required"],
    ["empty environments", (c) => (c.environments = {}), "environments", "at least one"],
    ["environment name not a label", (c) => (c.environments = { Dev_1: {} }), "environments.Dev_1", "RFC 1123"],
    ["namespace override not a label", (c) => (c.environments = { dev: { namespace: "Poc_Dev" } }), "environments.dev.namespace", "RFC 1123"],
    ["prefix + env longer than 63", (c) => (c.environments = { ["e".repeat(60)]: {} }), `environments.${"e".repeat(60)}.namespace`, "at most 63"],
    ["two environments in one namespace", (c) => (c.environments = { dev: {}, dev2: { namespace: "poc-dev" } }), "environments.dev2.namespace", "already used"],
    ["unknown key inside an environment", (c) => (c.environments = { dev: { namspace: "x" } }), "environments.dev.namspace", "unknown key"],
    ["service account not a label", (c) => (c.environments = { dev: { serviceAccounts: ["Bad SA"] } }), "environments.dev.serviceAccounts[0]", "RFC 1123"],
    ["namespacePrefix not a label", (c) => (c.namespacePrefix = "-poc"), "namespacePrefix", "RFC 1123"],
    ["unknown top-level key", (c) => (c.namspacePrefix = "poc"), "namspacePrefix", "unknown key"],
    ["duplicate service", (c) => (c.services = [{ name: "api" }, { name: "api" }]), "services[1].name", "listed twice"],
    ["previews without their GitLab token", (c) => ((c.services = [{ name: "api" }]), (c.previews = { enabled: true })), "previewsGitlabToken", "read_api"],
    ["previews of an unknown service", (c) => ((c.services = [{ name: "api" }]), (c.previewsGitlabToken = "t"), (c.previews = { enabled: true, services: ["web"] })), "previews.services[0]", "not one of the configured services"],
    ["previews without any service", (c) => ((c.previewsGitlabToken = "t"), (c.previews = { enabled: true })), "previews.services", "no service to preview"],
    ["previews next to an environment named preview", (c) => ((c.services = [{ name: "api" }]), (c.previewsGitlabToken = "t"), (c.environments = { preview: {} }), (c.previews = { enabled: true })), "environments.preview", "taken by previews"],
    ["preview namespace of an environment", (c) => ((c.services = [{ name: "api" }]), (c.previewsGitlabToken = "t"), (c.previews = { enabled: true, namespace: "poc-dev" })), "previews.namespace", "already used by environment"],
    ["an environment named like a preview", (c) => ((c.services = [{ name: "api" }]), (c.previewsGitlabToken = "t"), (c.environments = { "mr-1": {} }), (c.previews = { enabled: true })), "environments.mr-1", "merge request's preview"],
    ["preview host pattern without {number}", (c) => ((c.services = [{ name: "api" }]), (c.previewsGitlabToken = "t"), (c.previews = { enabled: true, host: { pattern: "{service}.preview.example.com", parameter: "ingress.host" } })), "previews.host.pattern", "must contain {number}"],
    ["preview host pattern not a host", (c) => (c.previews = { host: { pattern: "https://x/{number}", parameter: "ingress.host" } }), "previews.host.pattern", "host name pattern"],
    ["preview requeue too often", (c) => (c.previews = { requeueAfterSeconds: 5 }), "previews.requeueAfterSeconds", "at least 30"],
    ["preview values file outside the repo", (c) => (c.previews = { valuesFile: ".cicd/../../x.yaml" }), "previews.valuesFile", "inside the service repo"],
    ["preview label with a comma", (c) => (c.previews = { label: "a,b" }), "previews.label", "one GitLab label"],
    ["service sync wave not an integer", (c) => (c.services = [{ name: "api", syncWave: "first" }]), "services[0].syncWave", "number"],
    ["service name not a label", (c) => (c.services = [{ name: "API" }]), "services[0].name", "RFC 1123"],
    ["gitlab group missing", (c) => (c.gitlab = {}), "gitlab.group", "required"],
    ["gitlab apiUrl without scheme", (c) => (c.gitlab = { group: "g", apiUrl: "gitlab.example.com/gitlab" }), "gitlab.apiUrl", "URL"],
    ["gitlab host with scheme", (c) => (c.gitlab = { group: "g", host: "https://gitlab.com" }), "gitlab.host", "without scheme"],
    ["deploy token expiry out of range", (c) => (c.gitlab = { group: "g", deployToken: { expiresInDays: 0 } }), "gitlab.deployToken.expiresInDays", ">=1"],
    [
        "rotation window not shorter than expiry",
        (c) => ((c.gitlab = { group: "g", deployToken: { expiresInDays: 30, rotateBeforeDays: 30 } }), (c.gitlabToken = "t")),
        "gitlab.deployToken.rotateBeforeDays",
        "smaller than expiresInDays",
    ],
    ["deploy token without API token", (c) => (c.gitlab = { group: "g", deployToken: {} }), "gitlabToken", "required"],
    ["no registry credentials at all", (c) => delete c.registry, "registry", "no registry credentials"],
    ["registry without password", (c) => (c.registry = { server: "r.example.com", username: "u" }), "registry.password", "required"],
    ["vault path prefix with leading slash", (c) => (c.vault = { pathPrefix: "/gitops" }), "vault.pathPrefix", "leading or trailing"],
    ["vault kv mount with trailing slash", (c) => (c.vault = { kvMount: "secret/" }), "vault.kvMount", "leading or trailing"],
    ["vault token TTL not a duration", (c) => (c.vault = { tokenTtl: "1 hour" }), "vault.tokenTtl", "duration"],
    ["vault kubernetesHost not a URL", (c) => (c.vault = { kubernetesHost: "kubernetes.default.svc" }), "vault.kubernetesHost", "URL"],
    ["manageKvMount not a boolean", (c) => (c.vault = { manageKvMount: "yes" }), "vault.manageKvMount", "boolean"],
    ["chart version range", (c) => (c.argocd = { repoUsername: "x", chartVersion: "^10" }), "argocd.chartVersion", "pinned"],
    ["argocd without repo username", (c) => (c.argocd = {}), "argocd.repoUsername", "required"],
    ["argocd repo token missing", (c) => delete c.argocdRepoToken, "argocdRepoToken", "required"],
    ["vso address not a URL", (c) => (c.vso = { vaultAddress: "vault:8200" }), "vso.vaultAddress", "URL"],
    ["protect not a boolean", (c) => (c.protect = "yes"), "protect", "true or false"],
    ["environments given as plain text", (c) => (c.environments = "dev,staging"), "environments", "structured value"],
    ["image updater enabled not a boolean", (c) => (c.imageUpdater = { enabled: "yes" }), "imageUpdater.enabled", "true or false"],
    [
        "image updater image for unknown service",
        (c) => ((c.services = [{ name: "api" }]), (c.imageUpdater = { enabled: true, images: [{ service: "nope", image: "r.example.com/x" }] })),
        "imageUpdater.images[0].service",
        '"nope" is not one of the configured services (services: api)',
    ],
    [
        "two images for one service",
        (c) => (
            (c.services = [{ name: "api" }]),
            (c.imageUpdater = { images: [{ service: "api", image: "r.example.com/a" }, { service: "api", image: "r.example.com/b" }] })
        ),
        "imageUpdater.images[1].service",
        "already has an image",
    ],
    [
        "image with a tag",
        (c) => ((c.services = [{ name: "api" }]), (c.imageUpdater = { images: [{ service: "api", image: "registry.gitlab.com/g/api:1.0.0" }] })),
        "imageUpdater.images[0].image",
        "must not carry a tag or digest",
    ],
    [
        "image with a digest",
        (c) => ((c.services = [{ name: "api" }]), (c.imageUpdater = { images: [{ service: "api", image: "g/api@sha256:abc" }] })),
        "imageUpdater.images[0].image",
        "must not carry a tag or digest",
    ],
    [
        "image with an uppercase path",
        (c) => ((c.services = [{ name: "api" }]), (c.imageUpdater = { images: [{ service: "api", image: "registry.gitlab.com/Group/API" }] })),
        "imageUpdater.images[0].image",
        "lowercase path",
    ],
    ["image updater chart version range", (c) => (c.imageUpdater = { chartVersion: "1.x" }), "imageUpdater.chartVersion", "pinned"],
    ["image updater chart 0.x (annotations)", (c) => (c.imageUpdater = { chartVersion: "0.12.3" }), "imageUpdater.chartVersion", "must be a 1.x chart"],
    ["imageConstraint with ':'", (c) => (c.environments = { prod: { imageConstraint: "1.2:3" } }), "environments.prod.imageConstraint", "semver constraint like ~0"],
    ["imageConstraint not text", (c) => (c.environments = { prod: { imageConstraint: 1 } }), "environments.prod.imageConstraint", "as text"],
    ["imageConstraint empty", (c) => (c.environments = { prod: { imageConstraint: " " } }), "environments.prod.imageConstraint", "must not be empty"],
    [
        "registry.vault together with static credentials",
        (c) => (c.registry = { server: "r.example.com", username: "u", password: "p", vault: { path: "infra/registry" } }),
        "registry.vault",
        "not both",
    ],
    ["registry.vault path with a leading slash", (c) => (c.registry = { vault: { path: "/kv/data/x" } }), "registry.vault.path", "leading or trailing"],
    ["registry.vault without path", (c) => (c.registry = { vault: { mount: "kv" } }), "registry.vault.path", "required"],
    ["static registry without server", (c) => (c.registry = { username: "u", password: "p" }), "registry.server", "required"],
    [
        "mirror without password",
        (c) => (c.registry = { ...c.registry, mirror: { server: "mirror.example.com", username: "m" } }),
        "registry.mirror.password",
        "required",
    ],
    [
        "mirror credentials given with registry.vault",
        (c) => (c.registry = { vault: { path: "infra/registry" }, mirror: { server: "mirror.example.com", username: "m" } }),
        "registry.mirror.username",
        "MIRROR_USERNAME and MIRROR_PASSWORD",
    ],
    [
        "mirror on the static registry's host",
        (c) => (c.registry = { ...c.registry, mirror: { server: "registry.example.com", username: "m", password: "p" } }),
        "registry.mirror.server",
        "already has credentials",
    ],
    ["mirror host with scheme", (c) => (c.registry = { vault: { path: "x" }, mirror: { server: "https://m.example.com" } }), "registry.mirror.server", "without scheme"],
    ["cloudflare enabled without account", (c) => (c.cloudflare = { enabled: true }), "cloudflare.accountId", "required"],
    ["gitlab apiUrl over plain http to a remote host", (c) => (c.gitlab = { group: "g", apiUrl: "http://gitlab.example.com/gitlab" }), "gitlab.apiUrl", "would travel in clear"],
    ["vault kubernetesHost over plain http to a remote host", (c) => (c.vault = { kubernetesHost: "http://10.0.0.1:6443" }), "vault.kubernetesHost", "in clear"],
    ["vso address over plain http without the opt-in", (c) => (c.vso = { vaultAddress: "http://vault.vault.svc:8200" }), "vso.vaultAddress", "allowInsecureHttp: true"],
    ["vso http opt-in not a boolean", (c) => (c.vso = { allowInsecureHttp: "yes" }), "vso.allowInsecureHttp", "boolean"],
    ["API token given as a YAML list", (c) => (c.argocdRepoToken = ["glpat-a", "glpat-b"]), "argocdRepoToken", "not a structured value"],
];

for (const [name, change, key, text] of BAD) {
    test(`bad config: ${name} → error names gitops-platform:${key}`, () => {
        const c = base();
        change(c);
        const err = problems(c);
        const p = err.problems.find((x) => x.key === P + key);
        assert.ok(p, `no problem for ${P}${key}; got:\n${err.message}`);
        assert.match(p.message, new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i"));
        assert.ok(err.message.includes(`${P}${key}: `), "the message names the full key");
        if (p.key !== `${P}namspacePrefix`) {
            assert.ok(p.example, `a valid example is shown for ${key}`);
            assert.ok(err.message.includes("valid example:"));
        }
    });
}

test("several problems are reported together", () => {
    const c = base();
    c.namespacePrefix = "POC";
    c.vault = { tokenTtl: "forever", kvMount: "/secret" };
    c.typo = true;
    const err = problems(c);
    const keys = err.problems.map((p) => p.key).sort();
    assert.deepEqual(keys, [`${P}namespacePrefix`, `${P}typo`, `${P}vault.kvMount`, `${P}vault.tokenTtl`]);
    assert.match(err.message, /invalid \(4 problems\); nothing was created/);
});

test("secrets stored in clear text are refused, and never echoed", () => {
    const err = problems(base(), new Set());
    const keys = err.problems.map((p) => p.key).sort();
    assert.deepEqual(keys, [`${P}argocdRepoToken`, `${P}registry.password`]);
    assert.ok(!err.message.includes("hunter2-registry"));
    assert.ok(!err.message.includes("glpat-argocd-secret"));
    assert.match(err.message, /pulumi config set --secret/);
});

test("invalid secret values are not echoed in errors", () => {
    const c = base();
    c.registry = { server: "r.example.com", username: "u", password: 12345678 };
    const err = problems(c);
    assert.ok(err.problems.some((p) => p.key === `${P}registry.password`));
    assert.ok(!err.message.includes("12345678"));
});

test("imageConstraint: the seed's defaults (pre-releases for development environments only), an explicit value wins", () => {
    const envs: Record<string, unknown> = {};
    for (const e of ["dev", "dev2", "team-dev", "dev-eu", "develop", "development", "devops", "staging", "qa", "prod", "eu-prod", "live", "preview"]) envs[e] = {};
    envs.explicit = { imageConstraint: " >=1.2.0 <2.0.0-0 " };
    const c = parseStackConfig(raw({ ...base(), environments: envs }), SECRET_KEYS, "dev");
    assert.deepEqual(Object.fromEntries(c.environments.map((e) => [e.name, e.imageConstraint])), {
        dev: "~0-0",
        dev2: "~0-0",
        "team-dev": "~0-0",
        "dev-eu": "~0-0",
        develop: "~0-0",
        development: "~0-0",
        devops: "~0",
        staging: "~0",
        qa: "~0",
        prod: "~0",
        "eu-prod": "~0",
        live: "~0",
        preview: "~0",
        explicit: ">=1.2.0 <2.0.0-0",
    });
});

test("registry.vault: credentials already in Vault, no static ones; the mount defaults to vault.kvMount", () => {
    const c = parseStackConfig(raw({ ...base(), registry: { vault: { path: "infra/container-register" } } }), SECRET_KEYS, "dev");
    assert.deepEqual(c.registryVault, { mount: "secret", path: "infra/container-register" });
    assert.equal(c.registry, undefined);
    const k = parseStackConfig(raw({ ...base(), registry: { vault: { mount: "kv", path: "container-register" }, mirror: { server: "mirror.example.com" } } }), SECRET_KEYS, "dev");
    assert.deepEqual(k.registryVault, { mount: "kv", path: "container-register" });
    assert.deepEqual(k.registryMirror, { server: "mirror.example.com", username: undefined, password: undefined });
});

test("registry.mirror with static credentials: the password is a Pulumi secret, refused in clear, never echoed", async () => {
    const values = { ...base(), registry: { ...(base().registry as object), mirror: { server: "mirror.example.com", username: "m", password: "mirror-pass-987" } } };
    const c = parseStackConfig(raw(values), SECRET_KEYS, "dev");
    assert.equal(c.registryMirror?.server, "mirror.example.com");
    assert.equal(await isSecretOutput(c.registryMirror!.password!), true);
    const err = problems(values, new Set([`${P}argocdRepoToken`]));
    assert.ok(err.problems.some((p) => p.key === `${P}registry.mirror.password`), err.message);
    assert.ok(!err.message.includes("mirror-pass-987"));
});

test("plain http to a remote Vault: the error names the opt-in key, says why and shows both valid forms", () => {
    const err = problems({ ...base(), vso: { vaultAddress: "http://vault.vault.svc:8200" } });
    const p = err.problems.find((x) => x.key === `${P}vso.vaultAddress`);
    assert.ok(p, err.message);
    assert.match(p.message, /gitops-platform:vso\.allowInsecureHttp: true/);
    assert.match(p.message, /travel in clear/);
    assert.match(p.example!, /vaultAddress: https:\/\//);
    assert.match(p.example!, /vaultAddress: http:\/\/vault\.vault\.svc:8200\n {2}allowInsecureHttp: true/);
});

test("plain http is accepted on loopback hosts, and for VSO's Vault with the explicit opt-in", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "[::1]"]) {
        const c = parseStackConfig(
            raw({
                ...base(),
                gitlab: { group: "g", apiUrl: `http://${host}:8080/gitlab` },
                vault: { kubernetesHost: `http://${host}:6443` },
                vso: { vaultAddress: `http://${host}:8200` },
            }),
            SECRET_KEYS,
            "dev",
        );
        assert.equal(c.gitlab.apiUrl, `http://${host}:8080/gitlab`);
        assert.equal(c.vault.kubernetesHost, `http://${host}:6443`);
    }
    const c = parseStackConfig(raw({ ...base(), vso: { vaultAddress: "http://vault.vault.svc:8200", allowInsecureHttp: true } }), SECRET_KEYS, "dev");
    assert.equal(c.vso.vaultAddress, "http://vault.vault.svc:8200");
    assert.equal(parseStackConfig(raw(base()), SECRET_KEYS, "dev").vso.vaultAddress, "https://vault.vault.svc:8200", "the default is https");
});

test("hosts that only look like loopback get no plain-http exemption", () => {
    for (const url of ["http://127.0.0.1.example.com", "http://localhost.example.com:8080", "http://128.0.0.1", "http://[::2]:8080"]) {
        const err = problems({ ...base(), gitlab: { group: "g", apiUrl: url } });
        assert.ok(err.problems.some((p) => p.key === `${P}gitlab.apiUrl` && /in clear/.test(p.message)), `${url} refused:\n${err.message}`);
    }
});

test("no value under a secret key is echoed, whatever its shape (list, number, nested object)", () => {
    const cases: [string, Record<string, unknown>, ReadonlySet<string>][] = [
        ["registry as a list", { registry: [{ server: "r.example.com", username: "u", password: "pw-in-a-list" }] }, SECRET_KEYS],
        ["registry as a list, stored in clear", { registry: [{ server: "r.example.com", password: "pw-in-a-clear-list" }] }, new Set()],
        ["registry as a number", { registry: 987654321 }, SECRET_KEYS],
        ["registry.password as a number", { registry: { server: "r.example.com", username: "u", password: 12345678 } }, SECRET_KEYS],
        [
            "registry with nested objects",
            { registry: { server: { host: "pw-nested-server" }, username: ["pw-nested-user"], password: { deep: { x: "pw-nested-deep" } } } },
            SECRET_KEYS,
        ],
        ["API token as a list", { argocdRepoToken: ["glpat-listed-token"] }, SECRET_KEYS],
        ["API token as a nested object", { argocdRepoToken: { token: { value: "glpat-nested-token" } } }, SECRET_KEYS],
    ];
    for (const [name, change, secretKeys] of cases) {
        const err = problems({ ...base(), ...change }, secretKeys);
        for (const leaf of JSON.stringify(change).match(/pw-[a-z-]+|glpat-[a-z-]+|987654321|12345678/g) ?? []) {
            assert.ok(!err.message.includes(leaf), `${name}: ${leaf} is not echoed:\n${err.message}`);
        }
    }
});

test("no value of a top-level key the stack stores encrypted is echoed, whatever the key", () => {
    const values = { ...base(), namespacePrefix: "Bad_Prefix_Value", protect: "maybe-value", services: [{ name: "api" }, { name: "api" }] };
    // control: stored in clear, the bad values are quoted back to help the user
    const clear = problems(values);
    assert.match(clear.message, /Bad_Prefix_Value/);
    assert.match(clear.message, /maybe-value/);
    assert.match(clear.message, /service "api" is listed twice/);
    const stored = new Set([...SECRET_KEYS, `${P}namespacePrefix`, `${P}protect`, `${P}services`]);
    const err = problems(values, stored);
    assert.deepEqual(err.problems.map((p) => p.key).sort(), [`${P}namespacePrefix`, `${P}protect`, `${P}services[1].name`]);
    for (const leaf of ["Bad_Prefix_Value", "maybe-value", '"api"']) {
        assert.ok(!err.message.includes(leaf), `${leaf} is not echoed:\n${err.message}`);
    }
    assert.match(err.message, /service is listed twice/);
});
