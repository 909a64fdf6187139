/**
 * Pulumi mocks that record every registered resource with what users rely on: type, name, inputs
 * as the engine would receive them (secret markers kept), parent, provider, protect,
 * dependencies and additionalSecretOutputs. Call `installMocks()` before importing code that
 * creates resources; each test file runs in its own process.
 */
import * as pulumi from "@pulumi/pulumi";

/** Marker the Pulumi wire format uses for secret values. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** One registered resource as the engine saw it. */
export interface Recorded {
    type: string;
    name: string;
    urn: string;
    parent: string;
    provider: string;
    custom: boolean;
    protect: boolean;
    retainOnDelete: boolean;
    dependencies: string[];
    additionalSecretOutputs: string[];
    /** Aliases sent with the registration (what the engine uses to find the resource's old URN). */
    aliases: RecordedAlias[];
    /** Inputs with secrets unwrapped. */
    inputs: Record<string, any>;
    /** Inputs in wire format: secrets are `{4dabf…: 1b47…, value}` objects. */
    wire: Record<string, any>;
}

/**
 * One alias of a registration: an old URN as such, or a spec whose empty fields mean "the
 * resource's own" (name, type, stack, project) and whose parent is `parentUrn`, or none at all
 * when `noParent` (e.g. `aliases: [{ parent: pulumi.rootStackResource }]`).
 */
export interface RecordedAlias {
    /** A full old URN, when the alias was given as one. */
    urn?: string;
    /** Old name; "" = the resource's name. */
    name?: string;
    /** Old type; "" = the resource's type. */
    type?: string;
    /** Old stack; "" = this stack. */
    stack?: string;
    /** Old project; "" = this project. */
    project?: string;
    /** URN of the old parent. */
    parentUrn?: string;
    /** The old resource had no parent (it was a child of the stack itself). */
    noParent?: boolean;
}

/** Aliases of a RegisterResourceRequest: structured (`aliases`, what SDK 3.270 sends to a monitor that supports alias specs, as the mocks do) or plain URNs (`aliasURNs`). */
function aliasesOf(req: any): RecordedAlias[] {
    const specs: RecordedAlias[] = (req.getAliasesList?.() ?? []).map((a: any) => {
        if (a.hasUrn()) return { urn: a.getUrn() };
        const spec = a.getSpec();
        const out: RecordedAlias = { name: spec.getName(), type: spec.getType(), stack: spec.getStack(), project: spec.getProject() };
        if (spec.hasParenturn()) out.parentUrn = spec.getParenturn();
        if (spec.hasNoparent()) out.noParent = spec.getNoparent();
        return out;
    });
    const urns: RecordedAlias[] = (req.getAliasurnsList?.() ?? []).map((urn: string) => ({ urn }));
    return [...specs, ...urns];
}

/** Everything registered so far, in registration order. */
export const recorded: Recorded[] = [];

/** Type of the GitLab group deploy token dynamic resource. */
export const GITLAB_DEPLOY_TOKEN_TYPE = "pulumi-nodejs:dynamic/gitlab:GroupDeployToken";
/** Type of the GitLab group CI/CD variable dynamic resource. */
export const GITLAB_GROUP_VARIABLE_TYPE = "pulumi-nodejs:dynamic/gitlab:GroupVariable";
/** Type of the GitLab group access token dynamic resource (the CI push token, gitlab.ciPushToken). */
export const GITLAB_GROUP_ACCESS_TOKEN_TYPE = "pulumi-nodejs:dynamic/gitlab:GroupAccessToken";
/** Type of the per-stack Vault KV secret dynamic resource. */
export const OWNED_KV_SECRET_TYPE = "pulumi-nodejs:dynamic/vault:OwnedKvSecret";
/** KV version the mocks report for every OwnedKvSecret. */
export const MOCK_KV_VERSION = 3;
/**
 * Organization the mocks run under. `pulumi.getOrganization()` throws under `setMocks` without
 * one; the DIY backend (local or S3 state) reports `organization`, so do the mocks.
 */
export const MOCK_ORGANIZATION = "organization";

/** Token of the invoke that returns a Cloudflare tunnel's connector token. */
export const CLOUDFLARE_TUNNEL_TOKEN_INVOKE = "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken";
/** Token of the invoke that lists Cloudflare API token permission groups. */
export const CLOUDFLARE_PERMISSION_GROUPS_INVOKE = "cloudflare:index/getApiTokenPermissionGroupsList:getApiTokenPermissionGroupsList";
/** Type of the Cloudflare API token resource. */
export const CLOUDFLARE_API_TOKEN_TYPE = "cloudflare:index/apiToken:ApiToken";
/** The connector token the mocks return for a tunnel id (a JWT-like value, as Cloudflare's starts with `eyJ`). */
export function mockTunnelToken(tunnelId: string): string {
    return `eyJhIjoibW9jay1hY2NvdW50In0.mock-connector-token-${tunnelId}`;
}
/** The value the mocks give every Cloudflare API token they create. */
export const MOCK_CLOUDFLARE_API_TOKEN_VALUE = "mock-cloudflare-dns01-api-token-value";
/**
 * Permission groups the mocks list: the two zone groups the DNS-01 token needs, a look-alike at
 * another scope and an unrelated one, so that picking by name alone would be caught.
 */
export const MOCK_PERMISSION_GROUPS = [
    { id: "account-dns-write-id", name: "DNS Write", scopes: ["com.cloudflare.api.account"], category: "dns_and_zones", isSelectable: true },
    { id: "4755a26eedb94da69e1066d98aa820be", name: "DNS Write", scopes: ["com.cloudflare.api.account.zone"], category: "dns_and_zones", isSelectable: true },
    { id: "c8fed203ed3043cba015a93ad1616f1f", name: "Zone Read", scopes: ["com.cloudflare.api.account.zone"], category: "dns_and_zones", isSelectable: true },
    { id: "82e64a83756745bbbb1c9c2701bf816b", name: "DNS Read", scopes: ["com.cloudflare.api.account.zone"], category: "dns_and_zones", isSelectable: true },
];

/** One invoke (data source call) as the mocks saw it. */
export interface RecordedCall {
    /** Function token, e.g. {@link CLOUDFLARE_TUNNEL_TOKEN_INVOKE}. */
    token: string;
    /** Arguments. */
    inputs: Record<string, any>;
    /** Provider reference the invoke was sent with (`<urn>::<id>`), if any. */
    provider?: string;
}

/** Every invoke so far, in order. */
export const calls: RecordedCall[] = [];

/** What the mocks answer an invoke: the Cloudflare data sources the program reads, else its arguments. */
function callResult(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    calls.push({ token: args.token, inputs: args.inputs, provider: args.provider });
    if (args.token === CLOUDFLARE_TUNNEL_TOKEN_INVOKE) {
        return { ...args.inputs, token: mockTunnelToken(String(args.inputs.tunnelId)) };
    }
    if (args.token === CLOUDFLARE_PERMISSION_GROUPS_INVOKE) {
        return { results: MOCK_PERMISSION_GROUPS };
    }
    return { ...args.inputs };
}

/** Default states the mocks return for resources whose outputs the program reads. */
function stateFor(args: pulumi.runtime.MockResourceArgs): Record<string, any> {
    const state: Record<string, any> = { ...args.inputs };
    if (args.type === "kubernetes:core/v1:Secret" && args.inputs.type === "kubernetes.io/service-account-token") {
        state.data = {
            token: Buffer.from("mock-reviewer-jwt").toString("base64"),
            "ca.crt": Buffer.from("-----BEGIN CERTIFICATE-----\nmock\n-----END CERTIFICATE-----\n").toString("base64"),
        };
    }
    if (args.type === GITLAB_DEPLOY_TOKEN_TYPE) {
        state.token = `mock-deploy-token-${args.name}`;
        state.username = `gitlab+deploy-token-${args.name}`;
        state.tokenId = 42;
        state.expiresAt = "2027-01-01";
    }
    if (args.type === GITLAB_GROUP_ACCESS_TOKEN_TYPE) {
        // What the provider's create returns (the value only then).
        state.token = `glpat-mock-group-access-token-${args.name}`;
        state.tokenId = 77;
        state.userId = 9001;
        state.expiresAt = "2027-03-01T00:00:00.000Z";
    }
    if (args.type === GITLAB_GROUP_VARIABLE_TYPE) {
        // What the provider's create returns when the value is a personal token expiring then.
        state.valueSha256 = "0".repeat(64);
        state.tokenExpiresAt = "2027-02-01T00:00:00.000Z";
    }
    if (args.type === OWNED_KV_SECRET_TYPE) {
        // What the provider's create returns: the KV version written and the data's sha256.
        state.version = MOCK_KV_VERSION;
        state.sha256 = "0".repeat(64);
    }
    if (args.type === CLOUDFLARE_API_TOKEN_TYPE) {
        state.value = MOCK_CLOUDFLARE_API_TOKEN_VALUE;
    }
    if (args.type === "vault:index/authBackend:AuthBackend" || args.type === "vault:index/mount:Mount") {
        state.path = args.inputs.path;
    }
    return state;
}

/** Installs recording mocks for project `gitops-platform`, the given stack and {@link MOCK_ORGANIZATION}. */
export async function installMocks(stack = "dev", preview = false): Promise<void> {
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => ({ id: `${args.name}-id`, state: stateFor(args) }),
            call: callResult,
        },
        "gitops-platform",
        stack,
        preview,
        MOCK_ORGANIZATION,
    );
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const settings = require("@pulumi/pulumi/runtime/settings");
    const monitor = settings.getMonitor();
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        original(req, (err: any, resp: any) => {
            if (!err) {
                const wire = req.getObject()?.toJavaScript() ?? {};
                recorded.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: resp.getUrn(),
                    parent: req.getParent(),
                    provider: req.getProvider(),
                    custom: req.getCustom(),
                    protect: req.getProtect(),
                    retainOnDelete: req.getRetainondelete() ?? false,
                    dependencies: req.getDependenciesList(),
                    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                    aliases: aliasesOf(req),
                    inputs: unwrapSecrets(wire),
                    wire,
                });
            }
            callback(err, resp);
        });
    };
}

/** Every resource constructed since `trackConstruction()`, recorded synchronously in its constructor (before any await). */
export const constructed: { type: string; name: string }[] = [];

let tracking = false;

/**
 * Records every resource at construction time, synchronously, in `constructed`: unlike
 * `recorded`, which fills only once the asynchronous registration reaches the mock monitor,
 * it cannot miss a resource created just before the program throws.
 */
export function trackConstruction(): void {
    if (tracking) {
        return;
    }
    tracking = true;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtimeResource = require("@pulumi/pulumi/runtime/resource");
    for (const fn of ["registerResource", "readResource"] as const) {
        const original = runtimeResource[fn];
        runtimeResource[fn] = (res: unknown, parent: unknown, type: string, name: string, ...rest: unknown[]) => {
            constructed.push({ type, name });
            return original(res, parent, type, name, ...rest);
        };
    }
}

/** Removes the wire-format secret markers, keeping the values. */
export function unwrapSecrets(v: any): any {
    if (Array.isArray(v)) {
        return v.map(unwrapSecrets);
    }
    if (v && typeof v === "object") {
        if (v[SIG_KEY] === SECRET_SIG) {
            return unwrapSecrets(v.value);
        }
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

/** Every string found outside secret markers, with its property path. */
export function clearStrings(v: any, path = ""): { path: string; value: string }[] {
    if (typeof v === "string") {
        return [{ path, value: v }];
    }
    if (Array.isArray(v)) {
        return v.flatMap((x, i) => clearStrings(x, `${path}[${i}]`));
    }
    if (v && typeof v === "object") {
        if (v[SIG_KEY] === SECRET_SIG) {
            return [];
        }
        return Object.entries(v).flatMap(([k, x]) => clearStrings(x, path ? `${path}.${k}` : k));
    }
    return [];
}

/** True when the wire value at `path` (dot-separated) is a secret. */
export function isSecretAt(wire: any, path: string): boolean {
    let cur = wire;
    for (const seg of path.split(".")) {
        if (cur && cur[SIG_KEY] === SECRET_SIG) {
            return true;
        }
        cur = cur?.[seg];
    }
    return !!cur && cur[SIG_KEY] === SECRET_SIG;
}

/** Waits until every pending registration has reached the mocks. */
export async function settle(): Promise<void> {
    let last = -1;
    while (last !== recorded.length) {
        last = recorded.length;
        await new Promise((r) => setTimeout(r, 50));
    }
}

/** Resources of one type. */
export function ofType(type: string): Recorded[] {
    return recorded.filter((r) => r.type === type);
}

/** The one resource with this type and name; throws if absent. */
export function one(type: string, name: string): Recorded {
    const r = recorded.find((x) => x.type === type && x.name === name);
    if (!r) {
        throw new Error(`no ${type} named ${name}; have: ${recorded.map((x) => `${x.type}/${x.name}`).join(", ")}`);
    }
    return r;
}

/** Custom resources of a Kubernetes kind (e.g. `VaultAuth`). */
export function kubernetesKind(kind: string): Recorded[] {
    return recorded.filter((r) => r.type.startsWith("kubernetes:") && r.type.endsWith(`:${kind}`));
}

/** Whether an Output is marked secret (an internal Promise the SDK keeps on every Output). */
export function isSecretOutput(o: pulumi.Output<unknown>): Promise<boolean> {
    return (o as unknown as { isSecret: Promise<boolean> }).isSecret;
}

/** The resolved value of an Output (under mocks every value is known). */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** How a registration names an explicit provider (`<provider URN>::<provider id>`), as `Recorded.provider` holds it. */
export async function providerRef(p: pulumi.ProviderResource): Promise<string> {
    return `${await valueOf(p.urn)}::${await valueOf(p.id)}`;
}
