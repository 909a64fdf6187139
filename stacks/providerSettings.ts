/**
 * The provider settings a stack may set under `kubernetes:*`, `vault:*` and `cloudflare:*`: every
 * argument of the installed SDKs' `ProviderArgs`, how it is stored in the stack file and whether it
 * may hold a credential. An explicit provider ignores those keys unless they are passed on, so
 * `providers.ts` forwards every one of them, and `config.ts` rejects any other key in these
 * namespaces (a typo would otherwise be silently dropped). Pure: no Pulumi engine needed here.
 */
import type { ProviderArgs as KubernetesProviderArgs } from "@pulumi/kubernetes/provider";
import type { ProviderArgs as VaultProviderArgs } from "@pulumi/vault/provider";
import type { ProviderArgs as CloudflareProviderArgs } from "@pulumi/cloudflare/provider";
import type { ConfigProblem } from "./config";

/** How a setting is written in the stack file: plain text, `true`/`false`, a whole number, a YAML map or a YAML list. */
export type SettingKind = "string" | "boolean" | "integer" | "map" | "list";

/** One provider setting. */
export interface ProviderSetting {
    /** How the value is stored and read. */
    kind: SettingKind;
    /** May hold a credential: always read as a Pulumi secret (state, diffs) and never echoed in errors. */
    secret?: boolean;
    /** Body of a valid YAML example for maps and lists (fields indented by two spaces). */
    example?: string;
}

/** Every `kubernetes:*` key: the arguments of `@pulumi/kubernetes` `ProviderArgs` (the type forces the list to stay complete). */
export const KUBERNETES_SETTINGS: { [K in keyof Required<KubernetesProviderArgs>]: ProviderSetting } = {
    alwaysRender: { kind: "boolean" },
    cluster: { kind: "string" },
    clusterIdentifier: { kind: "string" },
    context: { kind: "string" },
    deleteUnreachable: { kind: "boolean" },
    enableConfigMapMutable: { kind: "boolean" },
    enablePatchForce: { kind: "boolean" },
    enableSecretMutable: { kind: "boolean" },
    enableServerSideApply: { kind: "boolean" },
    helmReleaseSettings: { kind: "map", example: "  driver: secret" },
    kubeClientSettings: { kind: "map", example: "  qps: 50\n  burst: 100\n  timeout: 60" },
    // a path, or the kubeconfig itself with its bearer tokens / client keys
    kubeconfig: { kind: "string", secret: true },
    namespace: { kind: "string" },
    renderYamlToDirectory: { kind: "string" },
    skipUpdateUnreachable: { kind: "boolean" },
    suppressDeprecationWarnings: { kind: "boolean" },
    suppressHelmHookWarnings: { kind: "boolean" },
    upsertExistingObjects: { kind: "boolean" },
};

/**
 * Every `vault:*` key: the arguments of `@pulumi/vault` `ProviderArgs`. The auth-login blocks,
 * client auth and headers carry passwords, JWTs, secret ids or auth headers: secret as a whole.
 */
export const VAULT_SETTINGS: { [K in keyof Required<VaultProviderArgs>]: ProviderSetting } = {
    addAddressToEnv: { kind: "string" },
    address: { kind: "string" },
    authLogin: { kind: "map", secret: true, example: "  path: auth/approle/login\n  parameters:\n    role_id: <role id>" },
    authLoginAws: { kind: "map", secret: true },
    authLoginAzure: { kind: "map", secret: true },
    authLoginCert: { kind: "map", secret: true, example: "  certFile: /etc/vault/client.pem\n  keyFile: /etc/vault/client-key.pem" },
    authLoginGcp: { kind: "map", secret: true },
    authLoginJwt: { kind: "map", secret: true, example: "  mount: jwt\n  role: ci" },
    authLoginKerberos: { kind: "map", secret: true },
    authLoginOci: { kind: "map", secret: true },
    authLoginOidc: { kind: "map", secret: true },
    authLoginRadius: { kind: "map", secret: true },
    authLoginTokenFile: { kind: "map", secret: true },
    authLoginUserpass: { kind: "map", secret: true, example: "  username: deployer" },
    caCertDir: { kind: "string" },
    caCertFile: { kind: "string" },
    clientAuth: { kind: "map", secret: true, example: "  certFile: /etc/vault/client.pem\n  keyFile: /etc/vault/client-key.pem" },
    headers: { kind: "list", secret: true, example: "  - name: X-Request-Source\n    value: gitops-platform" },
    maxLeaseTtlSeconds: { kind: "integer" },
    maxRetries: { kind: "integer" },
    maxRetriesCcc: { kind: "integer" },
    namespace: { kind: "string" },
    setNamespaceFromToken: { kind: "boolean" },
    skipChildToken: { kind: "boolean" },
    skipGetVaultVersion: { kind: "boolean" },
    skipTlsVerify: { kind: "boolean" },
    tlsServerName: { kind: "string" },
    token: { kind: "string", secret: true },
    tokenName: { kind: "string", secret: true },
    vaultVersionOverride: { kind: "string" },
};

/**
 * Every `cloudflare:*` key: the arguments of `@pulumi/cloudflare` `ProviderArgs`. The provider is
 * created only when `gitops-platform:cloudflare.enabled` is true; its credentials must be stored
 * encrypted (see {@link CLEAR_TEXT_REFUSED}).
 */
export const CLOUDFLARE_SETTINGS: { [K in keyof Required<CloudflareProviderArgs>]: ProviderSetting } = {
    apiKey: { kind: "string", secret: true },
    apiToken: { kind: "string", secret: true },
    apiUserServiceKey: { kind: "string", secret: true },
    baseUrl: { kind: "string" },
    email: { kind: "string" },
    userAgentOperatorSuffix: { kind: "string" },
};

/** Provider config namespaces this program reads. */
export type ProviderNamespace = "kubernetes" | "vault" | "cloudflare";

/** Provider config namespace → its settings. */
export const PROVIDER_SETTINGS: Record<ProviderNamespace, Record<string, ProviderSetting>> = {
    kubernetes: KUBERNETES_SETTINGS,
    vault: VAULT_SETTINGS,
    cloudflare: CLOUDFLARE_SETTINGS,
};

/**
 * Namespaces whose credential settings must be stored encrypted (`pulumi config set --secret`): a
 * Cloudflare API token in clear text in the stack file is refused. (`kubernetes:*` and `vault:*`
 * credentials are read as secrets either way; a kubeconfig may be a path.)
 */
export const CLEAR_TEXT_REFUSED: ReadonlySet<ProviderNamespace> = new Set(["cloudflare"]);

const SAMPLE: Record<SettingKind, string> = {
    string: " <value>",
    boolean: " true",
    integer: " 3",
    map: "\n  <field>: <value>",
    list: "\n  - name: <name>\n    value: <value>",
};

const DEFAULT_EXAMPLE: Record<ProviderNamespace, string> = {
    kubernetes: "kubernetes:context: minikube",
    vault: "vault:address: https://vault.example.com",
    cloudflare: "pulumi config set --secret cloudflare:apiToken <cloudflare-api-token>",
};

function exampleOf(ns: string, key: string, s: ProviderSetting): string {
    const full = `${ns}:${key}`;
    if (s.secret && s.kind === "string") {
        return `pulumi config set --secret ${full} <value>`;
    }
    const yaml = `${full}:${s.example ? "\n" + s.example : SAMPLE[s.kind]}`;
    return s.secret && s.kind === "map" ? `${yaml}\n# credentials (password, jwt, secret_id, …) as secrets:\npulumi config set --secret --path '${full}.<field>' <value>` : yaml;
}

function distance(a: string, b: string): number {
    const d = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let prev = d[0];
        d[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const cur = d[j];
            d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = cur;
        }
    }
    return d[b.length];
}

function closest(key: string, known: string[]): string | undefined {
    const lower = key.toLowerCase();
    const hit = known.find((k) => k.toLowerCase() === lower);
    if (hit) {
        return hit;
    }
    const scored = known.map((k) => [k, distance(lower, k.toLowerCase())] as const).sort((x, y) => x[1] - y[1]);
    return scored.length > 0 && scored[0][1] <= 2 ? scored[0][0] : undefined;
}

function typeProblem(text: string, kind: SettingKind): string | undefined {
    switch (kind) {
        case "string":
            return undefined;
        case "boolean":
            return text === "true" || text === "false" ? undefined : "must be true or false";
        case "integer":
            return /^-?[0-9]+$/.test(text) ? undefined : "must be a whole number";
        case "map":
        case "list": {
            let v: unknown;
            try {
                v = JSON.parse(text);
            } catch {
                v = undefined;
            }
            if (kind === "map") {
                return v !== null && typeof v === "object" && !Array.isArray(v)
                    ? undefined
                    : "must be a structured value (a YAML map in the stack file), not plain text or a list";
            }
            return Array.isArray(v) && v.every((x) => x !== null && typeof x === "object" && !Array.isArray(x))
                ? undefined
                : "must be a YAML list of maps ({ name, value }) in the stack file";
        }
    }
}

/**
 * Problems with the stack's `kubernetes:*`, `vault:*` and `cloudflare:*` keys: unknown keys (named,
 * with the accepted ones listed), values of the wrong shape and Cloudflare credentials stored in
 * clear text. `secretKeys` holds the full keys the stack stores encrypted; their values, and those
 * of credential settings, are never echoed.
 */
export function providerConfigProblems(raw: Record<string, string>, secretKeys: ReadonlySet<string>): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const [fullKey, text] of Object.entries(raw)) {
        const colon = fullKey.indexOf(":");
        const ns = fullKey.slice(0, colon);
        if (ns !== "kubernetes" && ns !== "vault" && ns !== "cloudflare") {
            continue;
        }
        const key = fullKey.slice(colon + 1);
        const table = PROVIDER_SETTINGS[ns];
        const known = Object.keys(table);
        const setting = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
        if (setting === undefined) {
            const guess = closest(key, known);
            problems.push({
                key: fullKey,
                message:
                    `unknown ${ns} provider setting ` +
                    (guess ? `(did you mean ${ns}:${guess}?)` : "(a typo?)") +
                    `; the ${ns} provider (ProviderArgs of @pulumi/${ns}) accepts: ${known.map((k) => `${ns}:${k}`).join(", ")}`,
                example: guess ? exampleOf(ns, guess, table[guess]) : DEFAULT_EXAMPLE[ns],
            });
            continue;
        }
        if (setting.secret && CLEAR_TEXT_REFUSED.has(ns) && !secretKeys.has(fullKey)) {
            problems.push({
                key: fullKey,
                message: "is stored in clear text in the stack file; store it encrypted",
                example: exampleOf(ns, key, setting),
            });
            continue;
        }
        const wrong = typeProblem(text, setting.kind);
        if (wrong !== undefined) {
            const echo = !setting.secret && !secretKeys.has(fullKey) && text.length <= 80 ? ` (got ${JSON.stringify(text)})` : "";
            problems.push({ key: fullKey, message: wrong + echo, example: exampleOf(ns, key, setting) });
        }
    }
    return problems;
}
