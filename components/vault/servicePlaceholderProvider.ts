// The Pulumi dynamic provider behind ServiceSecretPlaceholder: a placeholder KV v2 secret at
// `<mount>/<prefix>/<service>/<env>/config`, created only where the path does not exist, so each
// service's VaultStaticSecret syncs from its first deploy (the seed's bootstrap Job did the same).
//
// The data at the path belong to the service team, never to this stack:
// - create writes with check-and-set 0: Vault refuses the write when the path already has a version
//   ("check-and-set parameter did not match"), and the provider then leaves the path alone;
// - nothing ever reads the data: the state records only the path and whether this stack created
//   the placeholder (`created`), never a value, a version or a hash of the data;
// - read (refresh) asks only whether the path still has metadata, so a team writing its values is
//   not drift; a path deleted entirely drops out of the state and the next `up` creates it again;
// - update never writes, delete never calls Vault (the program also sets retainOnDelete).
//
// Closure-serialized into the state like every dynamic provider: it uses only ./kvClient (global
// fetch) and ../dynamic/*. The Vault token is never an input or output: it comes from the stack
// config `vault:token` (handed to `configure`) or VAULT_TOKEN.

import type * as pulumi from "@pulumi/pulumi";
import * as kv from "./kvClient";
import { providerCodeChanged } from "../dynamic/providerCode";
import { configValue } from "../dynamic/providerConfig";
import { UNKNOWN } from "../dynamic/inputValues";

/** The placeholder's content: one key telling whoever reads it what to do. */
export const PLACEHOLDER_DATA: Readonly<Record<string, string>> = Object.freeze({
    _placeholder: "created by gitops-platform; replace with the service's settings",
});

/** Inputs of the dynamic resource. */
export interface ServicePlaceholderInputs {
    /** Vault address; empty: `vault:address`, then VAULT_ADDR. */
    address: string;
    /** Vault namespace; empty for none. */
    namespace: string;
    /** KV v2 mount path. */
    mount: string;
    /** Path under the mount, `<prefix>/<service>/<env>/config`. */
    path: string;
}

/** State of the dynamic resource; `id` is `<mount>/<path>`. No data, version or hash, ever. */
export interface ServicePlaceholderOutputs extends ServicePlaceholderInputs {
    /** True when this stack wrote the placeholder; false when the path already existed. */
    created: boolean;
}

/** Knobs for tests; ServiceSecretPlaceholder takes the defaults. Plain data (serialized with the provider). */
export interface ServicePlaceholderProviderSettings {
    /** Per-request timeout in ms. Default 30000. */
    timeoutMs?: number;
}

/** Vault's answer to a check-and-set write on a path that already has a version. */
const CAS_MISMATCH = /check-and-set parameter did not match/i;

/** True when `e` is Vault refusing a cas=0 write because the path already exists. */
export function isCasMismatch(e: unknown): boolean {
    return e instanceof Error && / HTTP 400/.test(e.message) && CAS_MISMATCH.test(e.message);
}

/** Builds the provider. `settings` must stay plain data. */
export function makeServicePlaceholderProvider(settings: ServicePlaceholderProviderSettings = {}): pulumi.dynamic.ResourceProvider {
    // Filled by configure() in the provider host; an object so the serialized functions share it.
    const configured: kv.KvProviderConfig = {};

    const target = (p: ServicePlaceholderInputs): kv.VaultKvTarget => kv.kvTarget(p, configured, "the service secret placeholders", settings.timeoutMs);
    const where = (p: { mount: string; path: string }) => `${p.mount}/${p.path}`;
    const plain = (p: ServicePlaceholderInputs): ServicePlaceholderInputs => ({
        address: p.address ?? "",
        namespace: p.namespace ?? "",
        mount: p.mount,
        path: p.path,
    });

    return {
        async configure(req: pulumi.dynamic.ConfigureRequest) {
            configured.address = configValue(req, "vault:address");
            configured.token = configValue(req, "vault:token");
            configured.namespace = configValue(req, "vault:namespace");
        },

        async check(_olds: Partial<ServicePlaceholderInputs>, news: Partial<ServicePlaceholderInputs>) {
            const failures: pulumi.dynamic.CheckFailure[] = [];
            for (const p of ["mount", "path"] as const) {
                const v = news[p];
                if (v !== UNKNOWN && (typeof v !== "string" || v.trim() === "" || v.startsWith("/") || v.endsWith("/"))) {
                    failures.push({ property: p, reason: `${p} must be a non-empty path without leading or trailing '/'` });
                }
            }
            return { inputs: { ...news, address: news.address ?? "", namespace: news.namespace ?? "" }, failures };
        },

        async diff(_id: string, olds: ServicePlaceholderOutputs, news: ServicePlaceholderInputs) {
            // A new path is a new placeholder (created only if absent); the old one is left to its team.
            const replaces = (["mount", "path"] as const).filter((k) => olds[k] !== news[k]);
            const changes =
                replaces.length > 0 ||
                (olds.address ?? "") !== (news.address ?? "") ||
                (olds.namespace ?? "") !== (news.namespace ?? "") ||
                providerCodeChanged(olds, news);
            return { changes, replaces, deleteBeforeReplace: false };
        },

        async create(inputs: ServicePlaceholderInputs) {
            let created = true;
            try {
                await kv.writeData(target(inputs), { ...PLACEHOLDER_DATA }, 0);
            } catch (e) {
                if (!isCasMismatch(e)) throw e;
                created = false; // the path exists: its data belong to the service team, leave them
            }
            return { id: where(inputs), outs: { ...plain(inputs), created } };
        },

        async read(id: string, props: ServicePlaceholderOutputs) {
            // Metadata only, never the data: the team's values are not this stack's business.
            const meta = await kv.readMetadata(target(props));
            if (!meta) return { id: "", props: {} };
            return { id, props: { ...plain(props), created: props.created === true } };
        },

        async update(_id: string, olds: ServicePlaceholderOutputs, news: ServicePlaceholderInputs) {
            // Address, namespace or provider code only: nothing to write.
            return { outs: { ...plain(news), created: olds.created === true } };
        },

        async delete() {
            // Deliberately a no-op: the secret belongs to the service team and outlives this stack
            // (destroy, or a service or environment removed from the config). Vault is not called.
        },
    };
}

/** The provider ServiceSecretPlaceholder uses (default timeout). */
export const servicePlaceholderProvider: pulumi.dynamic.ResourceProvider = makeServicePlaceholderProvider();
