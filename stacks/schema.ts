/**
 * The stack config contract of gitops-platform (see README "Config reference"), as a zod schema.
 * Defaults live here and nowhere else; unknown keys are rejected at every level so that a typo
 * is an error instead of a silently ignored setting.
 */
import { z } from "zod";
import { CLOUDFLARED_NAMESPACE_SUFFIX, cloudflaredNamespace, cloudflareSchema } from "./cloudflareConfig";
import { authKeysFor } from "../components/registry/dockerConfig";
import { gitlabRegistryHost } from "../components/registry/gitlabRegistryHost";

/** Kubernetes namespace / RFC 1123 label: lowercase alphanumerics and '-', at most 63 characters. */
export const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A Vault path segment list without leading or trailing slash and without empty segments. */
const VAULT_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
/** Durations as Vault and VSO accept them: `90s`, `30m`, `1h`, `1h30m`. */
const DURATION = /^([0-9]+h)?([0-9]+m)?([0-9]+s)?$/;
/** A DNS host name, optionally with a port (`gitlab.example.com`, `registry.local:5000`). */
const HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:[0-9]{1,5})?$/;
/** A GitLab group path, possibly nested (`group/subgroup`). */
const GROUP_PATH = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*$/;
/**
 * A Masterminds semver constraint as Argo CD Image Updater reads it after `<image>:`, e.g. `~0`,
 * `~0-0` (with pre-releases), `1.x`, `>=1.2.0 <2.0.0`: no `:` or `@`, which would end the image
 * reference.
 */
const SEMVER_CONSTRAINT = /^[0-9A-Za-z.*~^<>=!|, +-]+$/;
/** One path component of an image repository (Docker distribution grammar, lowercase). */
const IMAGE_COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
/** The registry part of an image repository: a host with a dot or a port, or `localhost`. */
const IMAGE_REGISTRY = /^([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)+|localhost)(:[0-9]{1,5})?$|^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?:[0-9]{1,5}$/;
/** Semantic version as Helm charts use it. */
const SEMVER = /^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

const label = (what: string) =>
    z
        .string({ error: `must be a string (${what})` })
        .max(63, { error: `must be at most 63 characters (${what})` })
        .regex(RFC1123_LABEL, {
            error: `must be an RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit (${what})`,
        });

const vaultPath = (what: string) =>
    z.string().regex(VAULT_PATH, {
        error: `must be a Vault path without leading or trailing '/' and without empty segments (${what})`,
    });

const duration = z
    .string()
    .regex(DURATION, { error: "must be a duration like 30m, 1h or 1h30m" })
    .refine((s) => s.length > 0, { error: "must not be empty (use a duration like 1h)" });

const url = (what: string) =>
    z.string().regex(/^(https?|oci):\/\/[^\s/]+(\/[^\s]*)?$/, {
        error: `must be an http(s):// or oci:// URL (${what})`,
    });

/** True for hosts where plain http never leaves the machine: 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
    const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
    return h === "localhost" || h === "::1" || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(h);
}

/** True for an `http://` URL whose host is not loopback: whatever it carries crosses the network in clear. */
export function isInsecureHttp(u: string): boolean {
    if (!/^http:\/\//i.test(u)) {
        return false;
    }
    try {
        return !isLoopbackHost(new URL(u).hostname);
    } catch {
        return true;
    }
}

/** Loopback hosts on which plain http is accepted, for error messages. */
const LOOPBACK = "127.0.0.0/8, ::1 or localhost";

/**
 * An `https://` URL of an API that receives credentials; plain `http://` only to a loopback host,
 * unless `insecureHttp` is undefined (the caller checks its own opt-in key).
 */
const apiUrl = (what: string, insecureHttp?: string) => {
    const base = z.string().regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, {
        error: `must be an https:// URL (${what})`,
    });
    return insecureHttp === undefined ? base : base.refine((u) => !isInsecureHttp(u), { error: insecureHttp });
};

const chartVersion = z.string().regex(SEMVER, { error: "must be a pinned chart version like 1.4.1 (no ranges)" });

/** One environment (namespace) on this stack's cluster. */
const environment = z.strictObject({
    namespace: label("namespace name").optional(),
    serviceAccounts: z
        .array(label("ServiceAccount name"))
        .default([])
        .refine((a) => new Set(a).size === a.length, { error: "must not list a ServiceAccount twice" }),
    /**
     * Semver constraint Argo CD Image Updater applies to the environment's images (`<image>:<constraint>`);
     * default: {@link defaultImageConstraint}.
     */
    imageConstraint: z
        .string({ error: "must be a semver constraint as text, e.g. ~0 (stable 0.x) or ~0-0 (0.x with pre-releases)" })
        .trim()
        .min(1, { error: "must not be empty (e.g. ~0)" })
        .regex(SEMVER_CONSTRAINT, {
            error: "must be a semver constraint like ~0, ~0-0, 1.x or >=1.2.0 <2.0.0 (no ':' or '@': it follows the image name)",
        })
        .optional(),
    /**
     * Per-service least privilege: each service gets its own ServiceAccount, Vault role, policy
     * (its own secrets only) and VaultAuth; the environment role keeps only the registry secret.
     */
    perService: z
        .boolean({ error: "must be true or false, e.g. gitops-platform:environments.dev.perService: true" })
        .default(false),
});

/** One service deployed by the bootstrap ApplicationSet into every environment. */
const service = z.strictObject({
    name: label("service name"),
    repo: z
        .string()
        .regex(/^[A-Za-z0-9_.][A-Za-z0-9_./-]*$/, { error: "must be a repository path inside the GitLab group, e.g. api-gateway" })
        .optional(),
    syncWave: z.number().int({ error: "must be an integer sync wave" }).default(0),
});

const deployToken = z.strictObject({
    name: z.string().min(1).max(255).default("gitops-platform-registry"),
    expiresInDays: z.number().int().min(1).max(365).default(90),
    rotateBeforeDays: z.number().int().min(0).default(14),
});

/** Scopes a group access token may carry (doc/user/group/settings/group_access_tokens.md). */
export const GROUP_ACCESS_TOKEN_SCOPES = [
    "api",
    "read_api",
    "read_repository",
    "write_repository",
    "read_registry",
    "write_registry",
    "read_virtual_registry",
    "write_virtual_registry",
    "create_runner",
    "manage_runner",
    "ai_features",
    "k8s_proxy",
    "self_rotate",
] as const;

/** GitLab roles a group access token may have (doc/api/group_access_tokens.md; levels in the provider's ACCESS_LEVEL). */
const ACCESS_ROLES = ["guest", "planner", "reporter", "developer", "maintainer", "owner"] as const;

/**
 * How the CI push token (group variable gitlab.ciPushTokenVariable) is made: a group access token the
 * stack creates and rotates (`groupAccessToken`, where the tier allows it), or the personal access
 * token in the secret `ciPushToken` (`personalAccessToken`, the seed's way).
 */
const ciPushTokenMode = z.enum(["groupAccessToken", "personalAccessToken"], {
    error: "must be groupAccessToken (the stack creates and rotates a group access token) or personalAccessToken (the secret gitops-platform:ciPushToken)",
});
const ciPushToken = z
    .strictObject({
        mode: ciPushTokenMode.default("groupAccessToken"),
        /** Token name shown in GitLab (its bot user is named after it). */
        name: z.string().min(1).max(255).optional(),
        expiresInDays: z.number().int({ error: "must be a whole number of days" }).min(1).max(365, { error: "must be at most 365: GitLab caps an access token's lifetime at one year" }).optional(),
        rotateBeforeDays: z.number().int({ error: "must be a whole number of days" }).min(0).default(14),
        scopes: z
            .array(z.enum(GROUP_ACCESS_TOKEN_SCOPES, { error: `must be a group access token scope: ${GROUP_ACCESS_TOKEN_SCOPES.join(", ")}` }))
            .min(1, { error: "must list at least one scope, e.g. [write_repository]" })
            .optional(),
        accessLevel: z
            .enum(ACCESS_ROLES, { error: `must be a GitLab role: ${ACCESS_ROLES.join(", ")}` })
            .optional(),
    })
    .superRefine((t, ctx) => {
        if (t.mode === "personalAccessToken") {
            for (const k of ["name", "expiresInDays", "scopes", "accessLevel"] as const) {
                if (t[k] !== undefined) {
                    ctx.addIssue({
                        code: "custom",
                        path: [k],
                        message: "applies only to mode groupAccessToken: the personal access token in gitops-platform:ciPushToken is made by a person (only rotateBeforeDays applies)",
                    });
                }
            }
        }
        const days = t.expiresInDays ?? 90;
        if (t.mode === "groupAccessToken" && t.rotateBeforeDays >= days) {
            ctx.addIssue({
                code: "custom",
                path: ["rotateBeforeDays"],
                message: `must be smaller than expiresInDays (${days}), otherwise every run would rotate the token`,
            });
        }
    })
    .transform((t) => ({
        mode: t.mode,
        rotateBeforeDays: t.rotateBeforeDays,
        name: t.name ?? "gitops-platform-ci-push",
        expiresInDays: t.expiresInDays ?? 90,
        scopes: t.scopes ?? ["write_repository"],
        accessLevel: t.accessLevel ?? ("developer" as (typeof ACCESS_ROLES)[number]),
    }));

const gitlab = z.strictObject({
    host: z.string().regex(HOSTNAME, { error: "must be a host name without scheme, e.g. gitlab.com" }).default("gitlab.com"),
    group: z.string({ error: "is required: the GitLab group that holds the service repositories" }).regex(GROUP_PATH, {
        error: "must be a GitLab group path like my-group or my-group/sub-group",
    }),
    registryHost: z.string().regex(HOSTNAME, { error: "must be a host name without scheme" }).optional(),
    apiUrl: apiUrl(
        "base URL of the GitLab instance for API calls",
        `uses plain http:// to a host that is not loopback: the GitLab API token (gitlabToken) and the deploy tokens would travel in clear; use https:// (plain http is accepted only for ${LOOPBACK})`,
    ).optional(),
    deployToken: deployToken.optional(),
    /** Key of the group CI/CD variable that holds `ciPushToken` (masked, not protected, not expanded). */
    ciPushTokenVariable: z
        .string()
        .regex(/^[A-Za-z0-9_]{1,255}$/, { error: "must be a CI/CD variable key: letters, digits and _, e.g. CI_PUSH_TOKEN" })
        .default("CI_PUSH_TOKEN"),
    /** How the CI push token is made: a group access token the stack rotates, or the personal token in `ciPushToken`. */
    ciPushToken: ciPushToken.optional(),
    /** Path of the gitops-config repository in the group; gets an Argo CD push hook when argocd.url is set. */
    configRepo: z
        .string()
        .regex(/^[A-Za-z0-9_.][A-Za-z0-9_./-]*$/, { error: "must be a repository path inside the GitLab group, e.g. gitops-config" })
        .default("gitops-config"),
    /**
     * The gitops-config project and each service's project exist under the group: created when
     * missing, adopted when present, never deleted (not by destroy, not when a service is removed).
     */
    manageProjects: z.boolean({ error: "must be true or false, e.g. gitops-platform:gitlab.manageProjects: true" }).default(false),
});

/** Registry credentials that already live in Vault (fields REGISTRY_URL, REGISTRY_USERNAME, REGISTRY_PASSWORD). */
const registryVault = z.strictObject({
    /** KV v2 path of the secret, without the mount and `data/`, e.g. `infra/container-registry`. */
    path: vaultPath("KV v2 path of the registry secret, without the mount and data/"),
    /** KV v2 mount of the secret; default `vault.kvMount`. */
    mount: vaultPath("KV v2 mount of the registry secret").optional(),
});

/** A registry mirror (e.g. a Docker Hub pull-through cache): one more login in `regsecret`. */
const registryMirror = z.strictObject({
    server: z.string().regex(HOSTNAME, { error: "must be a registry host name without scheme, e.g. mirror.example.com" }),
    username: z.string().min(1, { error: "must not be empty" }).optional(),
    password: z.string().min(1, { error: "must not be empty" }).optional(),
});

/**
 * Registry credentials besides (or instead of) the managed deploy token: static (`server`,
 * `username`, `password`), or an existing Vault secret (`vault`); plus an optional `mirror`.
 */
const registry = z.strictObject({
    server: z.string().regex(HOSTNAME, { error: "must be a registry host name without scheme, e.g. registry.example.com" }).optional(),
    username: z.string().min(1, { error: "must not be empty" }).optional(),
    password: z.string().min(1, { error: "must not be empty" }).optional(),
    vault: registryVault.optional(),
    mirror: registryMirror.optional(),
});

/** True when one of two Vault paths (segment lists) is the other or lies under it. */
export function pathsOverlap(a: string, b: string): boolean {
    const x = a.split("/");
    const y = b.split("/");
    const n = Math.min(x.length, y.length);
    return x.slice(0, n).join("/") === y.slice(0, n).join("/");
}

/**
 * A Kubernetes→Vault sync operator allowed to write under one prefix of the KV mount (the seed's
 * vault-sync-operator and its setup-vault.sh): a Kubernetes auth role bound to its ServiceAccount,
 * a policy limited to the prefix. The defaults are the seed's names.
 */
const vaultWriter = z.strictObject({
    name: label("writer name, part of its Vault role and policy names").default("vault-sync-operator"),
    namespace: label("namespace of the writer's ServiceAccount").default("vault-sync-operator-system"),
    serviceAccount: label("the writer's ServiceAccount").default("vault-sync-operator-controller-manager"),
    prefix: vaultPath("prefix under the KV mount the writer may write, e.g. k8s-sync/dev").refine(
        (p) => !p.split("/").some((seg) => seg === "." || seg === ".."),
        { error: "must not contain '.' or '..' segments" },
    ),
    /** Also read back what it wrote (the seed's setup-vault.sh grants it; the operator's client only writes and deletes). */
    read: z.boolean({ error: "must be true or false, e.g. read: false" }).default(false),
});

const vault = z.strictObject({
    kvMount: vaultPath("KV v2 mount path").default("secret"),
    manageKvMount: z.boolean().default(true),
    pathPrefix: vaultPath("prefix under the KV mount").optional(),
    kubernetesAuthMount: vaultPath("auth mount path").default("kubernetes"),
    kubernetesHost: apiUrl(
        "Kubernetes API address as Vault reaches it",
        `uses plain http:// to a host that is not loopback: Vault would send the token reviewer's and every logging-in ServiceAccount's token in clear; use https:// (the API server serves TLS; plain http is accepted only for ${LOOPBACK})`,
    ).default("https://kubernetes.default.svc"),
    kubernetesCaCert: z.string().includes("BEGIN CERTIFICATE", { error: "must be a PEM certificate" }).optional(),
    tokenReviewerNamespace: label("namespace of the token reviewer ServiceAccount").default("kube-system"),
    audience: z.string().min(1).default("vault"),
    tokenTtl: duration.default("1h"),
    /** Placeholder secrets at `<kvMount>/<prefix>/<service>/<env>/config`, created only where absent, never overwritten or deleted. */
    servicePlaceholders: z
        .boolean({ error: "must be true or false, e.g. gitops-platform:vault.servicePlaceholders: false" })
        .default(true),
    /** Other operators that write into Vault (off: none). */
    writers: z.array(vaultWriter).default([]),
});

/** Argo CD's local account for CI (`accounts.<name>: apiKey`) and its API token. */
const argocdCiAccount = z.strictObject({
    enabled: z.boolean({ error: "must be true or false, e.g. gitops-platform:argocd.ciAccount.enabled: false" }).default(true),
    name: label("Argo CD local account name").default("ci-readonly"),
    tokenExpiresInDays: z.number().int({ error: "must be a whole number of days" }).min(1).max(365).default(90),
    rotateBeforeDays: z.number().int({ error: "must be a whole number of days" }).min(0).default(14),
});

/** GitLab push hooks that tell Argo CD about new commits (instead of polling). */
const argocdWebhook = z.strictObject({
    enabled: z.boolean({ error: "must be true or false, e.g. gitops-platform:argocd.webhook.enabled: false" }).default(true),
    /** GitLab verifies the TLS certificate of argocd.url when it calls the hook. */
    sslVerification: z.boolean().default(true),
});

const argocd = z.strictObject({
    enabled: z.boolean().default(true),
    chartVersion: chartVersion.default("10.1.1"),
    chartRepo: url("Helm repository of the argo-cd chart").default("https://argoproj.github.io/argo-helm"),
    namespace: label("Argo CD namespace").default("argocd"),
    project: label("AppProject name").optional(),
    appChart: z
        .strictObject({
            repoURL: url("Helm repository of the service chart").default("https://d7561985.github.io/k8app"),
            chart: z.string().min(1).default("app"),
            version: chartVersion.default("3.4.0"),
        })
        .prefault({}),
    targetRevision: z.string().min(1).default("HEAD"),
    repoUsername: z.string().min(1).optional(),
    /** The CI account (`ci-readonly`): read-only in the AppProject, login by API token only. */
    ciAccount: argocdCiAccount.prefault({}),
    /** Where `pulumi up` reaches Argo CD's API (the token is made there); unset: no token is made. */
    apiUrl: apiUrl(
        "Argo CD API address as pulumi up reaches it",
        `uses plain http:// to a host that is not loopback: the admin password and the CI token would travel in clear; use https:// (plain http is accepted only for ${LOOPBACK})`,
    ).optional(),
    /** Local user the token is made with (its password: argocdAdminPassword). */
    apiUsername: z.string().min(1).default("admin"),
    /** Public Argo CD URL (GitLab's webhooks and CI reach it there). */
    url: apiUrl(
        "public Argo CD URL, as GitLab and CI reach it",
        `uses plain http:// to a host that is not loopback: the webhook secret and the CI token would travel in clear; use https:// (plain http is accepted only for ${LOOPBACK})`,
    ).optional(),
    webhook: argocdWebhook.prefault({}),
});

const vso = z
    .strictObject({
        enabled: z.boolean().default(true),
        chartVersion: chartVersion.default("1.5.0"),
        chartRepo: url("Helm repository of the vault-secrets-operator chart").default("https://helm.releases.hashicorp.com"),
        namespace: label("operator namespace").default("vault-secrets-operator-system"),
        vaultAddress: apiUrl("Vault address as the operator reaches it").default("https://vault.vault.svc:8200"),
        /** Opt-in for a Vault served over plain http on a non-loopback host (the seed's in-cluster dev Vault). */
        allowInsecureHttp: z.boolean().default(false),
        refreshAfter: duration.default("1h"),
        /** `up` waits until the operator has synced each regsecret (a rotated token is revoked only after). */
        waitForSync: z.boolean().default(true),
        syncTimeout: duration.default("3m"),
    })
    .superRefine((v, ctx) => {
        if (isInsecureHttp(v.vaultAddress) && !v.allowInsecureHttp) {
            ctx.addIssue({
                code: "custom",
                path: ["vaultAddress"],
                message:
                    "uses plain http:// to a host that is not loopback: the operator's Vault tokens and the registry credentials it reads would travel in clear; " +
                    "use https://, or, for a Vault without TLS (e.g. an in-cluster dev Vault), accept it explicitly with gitops-platform:vso.allowInsecureHttp: true",
            });
        }
    });

/** An image repository without tag or digest, e.g. `registry.gitlab.com/group/api-gateway` or `library/nginx`. */
const imageRepository = z
    .string({ error: "must be an image repository as text, e.g. registry.gitlab.com/my-group/api-gateway" })
    .refine((s) => !s.includes("@") && !(s.split("/").pop() ?? "").includes(":"), {
        error: "must not carry a tag or digest: the version comes from environments.<env>.imageConstraint",
    })
    .refine(
        (s) => {
            const parts = s.split("/");
            const first = parts.length > 1 && IMAGE_REGISTRY.test(parts[0]) ? parts.slice(1) : parts;
            return first.length > 0 && first.every((p) => IMAGE_COMPONENT.test(p));
        },
        { error: "must be an image repository like registry.gitlab.com/my-group/api-gateway or docker.io/library/nginx (lowercase path)" },
    );

const imageUpdater = z.strictObject({
    enabled: z.boolean({ error: "must be true or false, e.g. gitops-platform:imageUpdater.enabled: true" }).default(false),
    /** Install the chart with Helm; false: the updater runs already (its ImageUpdaters and regsecret are still managed). */
    install: z.boolean({ error: "must be true or false, e.g. gitops-platform:imageUpdater.install: false" }).default(true),
    /** A 1.x chart: v1 works only through ImageUpdater resources (0.x read annotations on Applications). */
    chartVersion: chartVersion
        .refine((v) => /^v?1\./.test(v), {
            error: "must be a 1.x chart (Image Updater v1, configured by ImageUpdater resources; 0.x read Application annotations), e.g. 1.2.4",
        })
        .default("1.2.4"),
    chartRepo: url("Helm repository of the argocd-image-updater chart").default("https://argoproj.github.io/argo-helm"),
    images: z.array(z.strictObject({ service: label("service name"), image: imageRepository })).default([]),
});

/**
 * The semver constraint of an environment without `imageConstraint`, as the seed sets them:
 * `~0-0` (every 0.x version, pre-releases included) for development environments, `~0` (stable 0.x
 * releases only) for every other. An environment is a development one when its name is `dev`,
 * `develop` or `development`, alone or as a part between `-`, `_` or `.` and optionally followed by
 * digits (`dev`, `dev2`, `team-dev`, `dev-eu`); anything else (`staging`, `qa`, `prod`, `live`, …)
 * gets only stable releases, so an unknown name never receives a pre-release by default.
 */
export function defaultImageConstraint(environment: string): string {
    return /(^|[-_.])dev(elop(ment)?)?[0-9]*($|[-_.])/.test(environment) ? "~0-0" : "~0";
}


/** A Helm parameter name as `helm --set` takes it, e.g. `image.tag`. */
const HELM_PARAMETER = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** A host name pattern with `{service}` / `{number}` placeholders, e.g. `{service}-mr-{number}.preview.example.com`. */
const HOST_PATTERN = /^([a-z0-9{}-]+)(\.[a-z0-9{}-]+)+$/;

const previews = z.strictObject({
    enabled: z.boolean().default(false),
    /** Services that get previews (names from `services`); default: every service. */
    services: z.array(label("service name")).optional(),
    /** Merge request label that asks for a preview. */
    label: z
        .string()
        .min(1)
        .max(255)
        .regex(/^[^,]+$/, { error: "must be one GitLab label (no comma), e.g. preview" })
        .default("preview"),
    /** The one namespace every preview deploys into; default `<namespacePrefix>-preview`. */
    namespace: label("namespace name").optional(),
    /** Values file of previews in the service repo, applied after `.cicd/default.yaml`. */
    valuesFile: z
        .string()
        .regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]*\.ya?ml$/, { error: "must be a YAML file path inside the service repo, e.g. .cicd/preview.yaml" })
        .refine((f) => !f.split("/").includes(".."), { error: "must stay inside the service repo (no '..')" })
        .default(".cicd/preview.yaml"),
    /** Helm parameter that receives the preview image tag `mr-<iid>-<short sha>`. */
    imageTagParameter: z.string().regex(HELM_PARAMETER, { error: "must be a Helm parameter name like image.tag" }).default("image.tag"),
    /** Host name of each preview and the Helm parameter that receives it. */
    host: z
        .strictObject({
            pattern: z.string().regex(HOST_PATTERN, {
                error: "must be a host name pattern with {service} and {number} placeholders, e.g. {service}-mr-{number}.preview.example.com",
            }),
            parameter: z.string().regex(HELM_PARAMETER, { error: "must be a Helm parameter name like ingress.host" }),
        })
        .optional(),
    /** How often the ApplicationSet controller lists the merge requests (seconds). */
    requeueAfterSeconds: z.number().int().min(30, { error: "must be at least 30 (seconds)" }).max(86400).default(180),
    /** Cap on concurrent previews per service: a ResourceQuota on Deployments in the preview namespace. */
    maxPreviews: z.number().int().min(1).max(100).default(10),
});

/** The whole `gitops-platform:*` namespace of a stack config, before cross-field checks. */
export const configSchema = z
    .strictObject({
        namespacePrefix: label("namespace prefix").default("poc"),
        environments: z
            .record(label("environment name"), environment)
            .refine((e) => Object.keys(e).length > 0, { error: "must define at least one environment" }),
        services: z.array(service).default([]),
        gitlab: gitlab,
        gitlabToken: z.string().min(1).optional(),
        /** Personal access token (write_repository) CI pushes with; managed as the group variable gitlab.ciPushTokenVariable. */
        ciPushToken: z.string().min(1).optional(),
        registry: registry.optional(),
        vault: vault.prefault({}),
        argocd: argocd.prefault({}),
        argocdRepoToken: z.string().min(1).optional(),
        /** Password of argocd.apiUsername, with which the CI account's token is made through argocd.apiUrl. */
        argocdAdminPassword: z.string().min(1).optional(),
        vso: vso.prefault({}),
        imageUpdater: imageUpdater.prefault({}),
        cloudflare: cloudflareSchema.prefault({}),
        previews: previews.prefault({}),
        /** GitLab token (read_api) the preview ApplicationSet's pull-request generator lists merge requests with. */
        previewsGitlabToken: z.string().min(1).optional(),
        protect: z.boolean().optional(),
    })
    .superRefine((c, ctx) => {
        for (const [env, e] of Object.entries(c.environments)) {
            const ns = e.namespace ?? `${c.namespacePrefix}-${env}`;
            if (ns.length > 63) {
                ctx.addIssue({
                    code: "custom",
                    path: ["environments", env, "namespace"],
                    message: `namespace "${ns}" (namespacePrefix + '-' + environment) is ${ns.length} characters; at most 63 are allowed`,
                    params: { redacted: "namespace (namespacePrefix + '-' + environment) is longer than 63 characters; at most 63 are allowed" },
                });
            }
        }
        const nsSeen = new Map<string, string>();
        for (const [env, e] of Object.entries(c.environments)) {
            const ns = e.namespace ?? `${c.namespacePrefix}-${env}`;
            const other = nsSeen.get(ns);
            if (other !== undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["environments", env, "namespace"],
                    message: `namespace "${ns}" is already used by environment "${other}"`,
                    params: { redacted: `namespace is already used by environment "${other}"` },
                });
            }
            nsSeen.set(ns, env);
        }
        const names = new Set<string>();
        c.services.forEach((s, i) => {
            if (names.has(s.name)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["services", i, "name"],
                    message: `service "${s.name}" is listed twice`,
                    params: { redacted: "service is listed twice" },
                });
            }
            names.add(s.name);
        });
        const pathPrefix = c.vault.pathPrefix ?? c.gitlab.group;
        const writerNames = new Set<string>();
        c.vault.writers.forEach((w, i) => {
            if (writerNames.has(w.name)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["vault", "writers", i, "name"],
                    message: `writer "${w.name}" is listed twice; give each writer its own name`,
                    params: { redacted: "writer is listed twice; give each writer its own name" },
                });
            }
            writerNames.add(w.name);
            const rv = c.registry?.vault;
            if (rv && (rv.mount ?? c.vault.kvMount) === c.vault.kvMount && pathsOverlap(w.prefix, rv.path)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["vault", "writers", i, "prefix"],
                    message:
                        `"${w.prefix}" overlaps registry.vault.path "${rv.path}": the writer could overwrite the registry credentials ` +
                        `every environment pulls with; use a prefix outside it, e.g. k8s-sync/dev`,
                    params: { redacted: "overlaps registry.vault.path (the registry credentials); use a prefix outside it, e.g. k8s-sync/dev" },
                });
            }
            if (pathsOverlap(w.prefix, pathPrefix)) {
                const from = c.vault.pathPrefix === undefined ? "vault.pathPrefix (default: gitlab.group)" : "vault.pathPrefix";
                ctx.addIssue({
                    code: "custom",
                    path: ["vault", "writers", i, "prefix"],
                    message:
                        `"${w.prefix}" overlaps the platform's own paths under ${from} "${pathPrefix}" (service secrets ` +
                        `${pathPrefix}/<service>/<env>/…, every stack's registry credentials ${pathPrefix}/platform/stacks/<stack>/registry): ` +
                        `a writer there could overwrite them or plant secrets the services read; use a prefix outside it, e.g. k8s-sync/dev`,
                    params: {
                        redacted:
                            "overlaps the platform's own paths under vault.pathPrefix (service secrets, every stack's registry credentials); use a prefix outside it, e.g. k8s-sync/dev",
                    },
                });
            }
        });
        for (const [env, e] of Object.entries(c.environments)) {
            if (!e.perService) {
                continue;
            }
            c.services.forEach((s, i) => {
                if (s.name === "default") {
                    ctx.addIssue({
                        code: "custom",
                        path: ["services", i, "name"],
                        message:
                            `"default" cannot get a ServiceAccount of its own with environments.${env}.perService: it is every namespace's ` +
                            `ServiceAccount, which keeps only the registry secret there; rename the service`,
                        params: { redacted: "cannot be \"default\" with environments.<env>.perService; rename the service" },
                    });
                }
            });
            e.serviceAccounts.forEach((sa, j) => {
                if (sa !== "default" && names.has(sa)) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["environments", env, "serviceAccounts", j],
                        message:
                            `"${sa}" is a service: with perService the platform creates and owns ServiceAccount "${sa}" in this ` +
                            `namespace (regsecret included); remove it from serviceAccounts`,
                        params: { redacted: "names a service, whose ServiceAccount perService creates and owns; remove it from serviceAccounts" },
                    });
                }
            });
        }
        const dt = c.gitlab.deployToken;
        if (dt && dt.rotateBeforeDays >= dt.expiresInDays) {
            ctx.addIssue({
                code: "custom",
                path: ["gitlab", "deployToken", "rotateBeforeDays"],
                message: `must be smaller than expiresInDays (${dt.expiresInDays}), otherwise every run would rotate the token`,
            });
        }
        if (dt && c.gitlabToken === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["gitlabToken"],
                message: "is required when gitlab.deployToken is set: an API token that may manage the group's deploy tokens",
            });
        }
        if (c.ciPushToken !== undefined && c.gitlabToken === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["gitlabToken"],
                message: "is required when ciPushToken is set: an API token that may manage the group's CI/CD variables",
            });
        }
        if (c.gitlab.manageProjects && c.gitlabToken === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["gitlabToken"],
                message: "is required when gitlab.manageProjects is true: an API token (api scope) that may create projects in the group",
            });
        }
        const push = c.gitlab.ciPushToken;
        if (push?.mode === "groupAccessToken") {
            if (c.ciPushToken !== undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["ciPushToken"],
                    message:
                        "is set, but gitlab.ciPushToken.mode is groupAccessToken (the stack creates the token itself): remove the secret " +
                        "(pulumi config rm gitops-platform:ciPushToken), or keep it with gitlab.ciPushToken.mode: personalAccessToken",
                });
            }
            if (c.gitlabToken === undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["gitlabToken"],
                    message: "is required when gitlab.ciPushToken.mode is groupAccessToken: an API token of a group Owner (api scope) that may create the group's access tokens and CI/CD variables",
                });
            }
        }
        if (push?.mode === "personalAccessToken" && c.ciPushToken === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["ciPushToken"],
                message: "is required when gitlab.ciPushToken.mode is personalAccessToken: the personal access token (write_repository) CI pushes with",
            });
        }
        const reg = c.registry;
        const staticGiven = reg !== undefined && (reg.server !== undefined || reg.username !== undefined || reg.password !== undefined);
        if (staticGiven && reg.vault !== undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["registry", "vault"],
                message:
                    "set either registry.vault (credentials that already live in Vault) or registry.server/username/password (static credentials), not both",
            });
        } else if (staticGiven) {
            for (const k of ["server", "username", "password"] as const) {
                if (reg[k] === undefined) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["registry", k],
                        message: "is required: static registry credentials need registry.server, registry.username and registry.password",
                    });
                }
            }
        }
        if (!dt && !staticGiven && reg?.vault === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["registry"],
                message:
                    "no registry credentials: set gitlab.deployToken (managed GitLab deploy token), registry.server/username/password " +
                    "(static credentials) or registry.vault (credentials already in Vault)",
            });
        }
        const mirror = reg?.mirror;
        if (mirror !== undefined) {
            if (reg?.vault !== undefined) {
                for (const k of ["username", "password"] as const) {
                    if (mirror[k] !== undefined) {
                        ctx.addIssue({
                            code: "custom",
                            path: ["registry", "mirror", k],
                            message:
                                "must not be set with registry.vault: the mirror's credentials come from the fields MIRROR_USERNAME and " +
                                "MIRROR_PASSWORD of the Vault secret at registry.vault.path (VSO renders regsecret from that one secret)",
                        });
                    }
                }
            } else {
                for (const k of ["username", "password"] as const) {
                    if (mirror[k] === undefined) {
                        ctx.addIssue({ code: "custom", path: ["registry", "mirror", k], message: "is required: the mirror's login goes into regsecret" });
                    }
                }
            }
            const taken = [
                ...(dt && reg?.vault === undefined ? authKeysFor(gitlabRegistryHost(c.gitlab.host, c.gitlab.registryHost)) : []),
                ...(staticGiven && reg.server !== undefined ? authKeysFor(reg.server) : []),
            ];
            if (authKeysFor(mirror.server).some((k) => taken.includes(k))) {
                ctx.addIssue({
                    code: "custom",
                    path: ["registry", "mirror", "server"],
                    message: `"${mirror.server}" already has credentials in regsecret (registry.server or the GitLab registry); a mirror needs a host of its own`,
                    params: { redacted: "already has credentials in regsecret (registry.server or the GitLab registry); a mirror needs a host of its own" },
                });
            }
        }
        // Argo CD's repo-creds come from a managed read_repository deploy token, or from config.
        if (!dt && c.argocdRepoToken === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["argocdRepoToken"],
                message: "is required for Argo CD's repository credentials when gitlab.deployToken is not set",
            });
        }
        if (!dt && c.argocd.repoUsername === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["argocd", "repoUsername"],
                message: "is required when gitlab.deployToken is not set (the user name Argo CD sends with argocdRepoToken)",
            });
        }
        const ci = c.argocd.ciAccount;
        if (ci.rotateBeforeDays >= ci.tokenExpiresInDays) {
            ctx.addIssue({
                code: "custom",
                path: ["argocd", "ciAccount", "rotateBeforeDays"],
                message: `must be smaller than tokenExpiresInDays (${ci.tokenExpiresInDays}), otherwise every run would rotate the token`,
            });
        }
        if (c.argocd.apiUrl !== undefined && ci.enabled) {
            if (c.argocdAdminPassword === undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["argocdAdminPassword"],
                    message: `is required when argocd.apiUrl is set: the password of argocd.apiUsername, with which the ${ci.name} token is made`,
                });
            }
            if (c.gitlabToken === undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["gitlabToken"],
                    message: "is required when argocd.apiUrl is set: the CI token goes to the group CI/CD variables ARGOCD_SERVER and ARGOCD_AUTH_TOKEN",
                });
            }
        }
        if (c.argocd.url !== undefined && c.argocd.webhook.enabled && c.gitlabToken === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["gitlabToken"],
                message: "is required when argocd.url is set (argocd.webhook.enabled): an API token that may manage the repositories' webhooks",
            });
        }
        const imaged = new Set<string>();
        c.imageUpdater.images.forEach((img, i) => {
            if (!names.has(img.service)) {
                const known = [...names].join(", ");
                ctx.addIssue({
                    code: "custom",
                    path: ["imageUpdater", "images", i, "service"],
                    message: `"${img.service}" is not one of the configured services (${known === "" ? "services is empty" : `services: ${known}`})`,
                    params: { redacted: "is not one of the configured services" },
                });
            } else if (imaged.has(img.service)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["imageUpdater", "images", i, "service"],
                    message: `"${img.service}" already has an image: one image per service (the chart's image.repository / image.tag)`,
                    params: { redacted: "already has an image: one image per service" },
                });
            }
            imaged.add(img.service);
        });
        if (c.cloudflare.enabled) {
            // The connector's namespace is its own: never an environment's, the previews', Argo CD's or the operator's.
            const cfNamespace = cloudflaredNamespace(c.namespacePrefix, c.cloudflare);
            const users = [
                ...Object.entries(c.environments).map(([env, e]) => [e.namespace ?? `${c.namespacePrefix}-${env}`, `environment "${env}"`]),
                [c.argocd.namespace, "argocd.namespace"],
                [c.vso.namespace, "vso.namespace"],
                ...(c.previews.enabled ? [[previewNamespace(c), "previews.namespace"]] : []),
            ];
            const clash = users.find(([ns]) => ns === cfNamespace);
            if (cfNamespace.length > 63) {
                ctx.addIssue({
                    code: "custom",
                    path: ["cloudflare", "namespace"],
                    message: `namespace "${cfNamespace}" (namespacePrefix + '-${CLOUDFLARED_NAMESPACE_SUFFIX}') is ${cfNamespace.length} characters; at most 63 are allowed`,
                });
            } else if (clash) {
                ctx.addIssue({
                    code: "custom",
                    path: ["cloudflare", "namespace"],
                    message: `namespace "${cfNamespace}" is already used by ${clash[1]}; the cloudflared connector needs a namespace of its own`,
                });
            }
        }
        previewProblems(c, names, ctx);
    });

/** The contract after defaults, before secrets are wrapped (see `PlatformConfig`). */
export type RawPlatformConfig = z.output<typeof configSchema>;

/** Top-level keys of the contract and how a stack file stores them (Pulumi keeps objects as JSON text). */
export const TOP_LEVEL_KEYS: Record<keyof z.input<typeof configSchema>, "string" | "boolean" | "json"> = {
    namespacePrefix: "string",
    environments: "json",
    services: "json",
    gitlab: "json",
    gitlabToken: "string",
    ciPushToken: "string",
    registry: "json",
    vault: "json",
    argocd: "json",
    argocdRepoToken: "string",
    argocdAdminPassword: "string",
    vso: "json",
    imageUpdater: "json",
    cloudflare: "json",
    previews: "json",
    previewsGitlabToken: "string",
    protect: "boolean",
};

/**
 * Config keys whose values are credentials: never echoed, always wrapped as Pulumi secrets. No
 * value under them, or above them (`registry` given as a list holds the password), is echoed.
 */
export const SECRET_PATHS = [
    "gitlabToken",
    "argocdRepoToken",
    "ciPushToken",
    "argocdAdminPassword",
    "previewsGitlabToken",
    "registry.password",
    "registry.mirror.password",
] as const;

/** The preview namespace of a stack: `previews.namespace`, else `<namespacePrefix>-preview`. */
export function previewNamespace(c: { namespacePrefix: string; previews: { namespace?: string } }): string {
    return c.previews.namespace ?? `${c.namespacePrefix}-preview`;
}

/** Cross-field checks of `previews` (only when enabled). */
function previewProblems(
    c: {
        namespacePrefix: string;
        environments: Record<string, { namespace?: string }>;
        services: { name: string }[];
        previews: z.output<typeof previews>;
        previewsGitlabToken?: string;
    },
    serviceNames: Set<string>,
    ctx: z.RefinementCtx,
): void {
    const p = c.previews;
    if (!p.enabled) return;
    if (c.previewsGitlabToken === undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["previewsGitlabToken"],
            message:
                "is required when previews.enabled is true: a GitLab token with the read_api scope (a group access token, Reporter) " +
                "with which the preview ApplicationSet lists merge requests; it is kept in Vault and synced into the Argo CD namespace",
        });
    }
    const selected = p.services ?? c.services.map((s) => s.name);
    if (selected.length === 0) {
        ctx.addIssue({ code: "custom", path: ["previews", "services"], message: "no service to preview: add services, or set previews.enabled to false" });
    }
    (p.services ?? []).forEach((s, i) => {
        if (!serviceNames.has(s)) {
            ctx.addIssue({ code: "custom", path: ["previews", "services", i], message: `"${s}" is not one of the configured services` });
        }
    });
    const ns = previewNamespace(c);
    if (ns.length > 63) {
        ctx.addIssue({ code: "custom", path: ["previews", "namespace"], message: `namespace "${ns}" is ${ns.length} characters; at most 63 are allowed` });
    }
    if ("preview" in c.environments) {
        ctx.addIssue({
            code: "custom",
            path: ["environments", "preview"],
            message: "the environment name preview is taken by previews (its Vault paths <prefix>/<service>/preview/...); rename the environment or turn previews off",
        });
    }
    for (const [env, e] of Object.entries(c.environments)) {
        if ((e.namespace ?? `${c.namespacePrefix}-${env}`) === ns) {
            ctx.addIssue({ code: "custom", path: ["previews", "namespace"], message: `namespace "${ns}" is already used by environment "${env}"` });
        }
        if (/^mr-[0-9]+$/.test(env)) {
            ctx.addIssue({
                code: "custom",
                path: ["environments", env],
                message: `with previews on, "${env}" would give Applications <service>-${env}, the name of a merge request's preview; rename the environment`,
            });
        }
    }
    if (p.host) {
        if (!p.host.pattern.includes("{number}")) {
            ctx.addIssue({ code: "custom", path: ["previews", "host", "pattern"], message: "must contain {number}: two merge requests would get one host name" });
        }
        if (selected.length > 1 && !p.host.pattern.includes("{service}")) {
            ctx.addIssue({ code: "custom", path: ["previews", "host", "pattern"], message: "must contain {service} when several services have previews: they would share one host name" });
        }
    }
}
