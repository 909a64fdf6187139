// The Pulumi dynamic provider behind OwnedKvSecret: one KV v2 secret that exactly one stack owns.
//
// Why not vault.kv.SecretV2: terraform-provider-vault never reads a KV v2 secret's data back, so an
// overwrite (`vault kv put`) or a deleted latest version passed every drift check, and its delete
// soft-deleted whatever another stack had written at the same path. This provider:
// - claims the path: custom_metadata `gitops-platform-owner` names the owning stack
//   (`<org>/<project>/<stack>`); create, update and delete refuse, or leave alone, a path another
//   stack owns, with an error that names both stacks;
// - reads the data back on refresh and records its sha256: an overwrite changes the state (the
//   drift check sees it) and the next `up` writes the stack's value again; a deleted latest version
//   drops the resource from the state (the drift check sees it) and the next `up` writes it again;
// - writes with check-and-set, so a concurrent writer is an error, not a lost update;
// - writes a new version only when the data differ from what Vault holds: an update for another
//   reason (new provider code, address, a re-claim) leaves the KV version, so VSO does not resync.
//
// Closure-serialized into the state like every dynamic provider: it uses only ./kvClient (global
// fetch), ../dynamic/providerCode and node's crypto. The Vault token is never an input or output:
// it comes from the stack config `vault:token` (handed to `configure`) or VAULT_TOKEN.

import type * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import * as kv from "./kvClient";
import { providerCodeChanged } from "../dynamic/providerCode";
import { configValue } from "../dynamic/providerConfig";
import { UNKNOWN } from "../dynamic/inputValues";

/** custom_metadata key naming the owning stack. */
export const OWNER_KEY = "gitops-platform-owner";

/** Inputs of the dynamic resource. */
export interface OwnedKvSecretInputs {
    /** Vault address; empty: `vault:address`, then VAULT_ADDR. */
    address: string;
    /** Vault namespace; empty for none. */
    namespace: string;
    /** KV v2 mount path. */
    mount: string;
    /** Path under the mount. */
    path: string;
    /** Owning stack, `<org>/<project>/<stack>`. */
    owner: string;
    /** The key/value pairs (strings). Secret. */
    data: Record<string, string>;
}

/** State of the dynamic resource; `id` is `<mount>/<path>`. */
export interface OwnedKvSecretOutputs extends OwnedKvSecretInputs {
    /**
     * The owner custom_metadata names, as last written or read back ("" when unclaimed). Kept apart
     * from `owner` (this stack, always): a refresh that finds another stack's claim must not make
     * the state say that stack is this one, or a destroy would delete the other stack's secret.
     */
    claimedBy?: string;
    /** KV version last written or read back. */
    version: number;
    /** sha256 (hex) of the data last written or read back; secret (a hash of credentials). */
    sha256: string;
}

/** Knobs for tests; OwnedKvSecret takes the defaults. Plain data (serialized with the provider). */
export interface OwnedKvSecretProviderSettings {
    /** Per-request timeout in ms. Default 30000. */
    timeoutMs?: number;
}

/** sha256 (hex) of the data with keys sorted, so equal maps hash equally. */
export function dataSha256(data: Record<string, unknown>): string {
    const sorted = Object.keys(data ?? {})
        .sort()
        .map((k) => [k, data[k]]);
    return crypto.createHash("sha256").update(JSON.stringify(sorted)).digest("hex");
}

/** The error a stack gets for a path another stack owns. */
export function ownedByAnotherStack(where: string, owner: string, me: string): Error {
    return new Error(
        `Vault secret ${where} belongs to stack "${owner}" (custom_metadata ${OWNER_KEY}); this stack ` +
            `"${me}" will not write or delete it: two stacks must never share one Vault path. Give this stack ` +
            `its own path (a different gitops-platform:vault.pathPrefix, e.g. "my-group-prod"), or, if "${owner}" ` +
            `no longer exists, remove its claim: vault kv metadata patch -custom-metadata=${OWNER_KEY}= ${where}`,
    );
}

function isUnknown(v: unknown): boolean {
    return v === UNKNOWN || (typeof v === "object" && v !== null && Object.values(v).some((x) => x === UNKNOWN));
}

function checkFailures(news: Partial<OwnedKvSecretInputs>): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    for (const p of ["mount", "path", "owner"] as const) {
        const v = news[p];
        if (v !== UNKNOWN && (typeof v !== "string" || v.trim() === "" || v.startsWith("/") || v.endsWith("/"))) {
            failures.push({ property: p, reason: `${p} must be a non-empty path without leading or trailing '/'` });
        }
    }
    const d = news.data;
    if (d !== (UNKNOWN as unknown) && (typeof d !== "object" || d === null || Array.isArray(d) || Object.keys(d).length === 0)) {
        failures.push({ property: "data", reason: "data must be a non-empty map of strings" });
    }
    return failures;
}

/** Builds the provider. `settings` must stay plain data. */
export function makeOwnedKvSecretProvider(settings: OwnedKvSecretProviderSettings = {}): pulumi.dynamic.ResourceProvider {
    // Filled by configure() in the provider host; an object so the serialized functions share it.
    const configured: kv.KvProviderConfig = {};

    const target = (p: OwnedKvSecretInputs): kv.VaultKvTarget => kv.kvTarget(p, configured, "the registry secret", settings.timeoutMs);
    const where = (p: { mount: string; path: string }) => `${p.mount}/${p.path}`;

    /**
     * Claims the path for `p.owner` and writes `p.data`; refuses a path another stack owns. Data
     * Vault already holds (same sha256) are not written again: a new KV version would bump the
     * version every VaultStaticSecret reports and make VSO resync every namespace for nothing.
     */
    const write = async (p: OwnedKvSecretInputs): Promise<OwnedKvSecretOutputs> => {
        const t = target(p);
        const meta = await kv.readMetadata(t);
        const owner = meta?.customMetadata[OWNER_KEY] ?? "";
        if (owner !== "" && owner !== p.owner) throw ownedByAnotherStack(where(p), owner, p.owner);
        const sha256 = dataSha256(p.data);
        const live = meta && !meta.latestDeleted ? await kv.readData(t) : undefined;
        await kv.writeCustomMetadata(t, { ...(meta?.customMetadata ?? {}), [OWNER_KEY]: p.owner });
        const version =
            live && dataSha256(live.data) === sha256 ? live.version : await kv.writeData(t, p.data, meta?.currentVersion ?? 0);
        return { ...p, claimedBy: p.owner, version, sha256 };
    };

    return {
        async configure(req: pulumi.dynamic.ConfigureRequest) {
            configured.address = configValue(req, "vault:address");
            configured.token = configValue(req, "vault:token");
            configured.namespace = configValue(req, "vault:namespace");
        },

        async check(_olds: Partial<OwnedKvSecretInputs>, news: Partial<OwnedKvSecretInputs>) {
            return { inputs: { ...news, address: news.address ?? "", namespace: news.namespace ?? "" }, failures: checkFailures(news) };
        },

        async diff(_id: string, olds: OwnedKvSecretOutputs, news: OwnedKvSecretInputs) {
            const replaces = (["mount", "path"] as const).filter((k) => olds[k] !== news[k]);
            const changes =
                replaces.length > 0 ||
                isUnknown(news.data) ||
                olds.sha256 !== dataSha256(news.data) ||
                olds.owner !== news.owner ||
                (olds.claimedBy ?? olds.owner) !== news.owner ||
                (olds.address ?? "") !== (news.address ?? "") ||
                (olds.namespace ?? "") !== (news.namespace ?? "") ||
                providerCodeChanged(olds, news);
            // create-before-delete: the new path is written before the old one is deleted.
            return { changes, replaces, deleteBeforeReplace: false };
        },

        async create(inputs: OwnedKvSecretInputs) {
            const outs = await write(inputs);
            return { id: where(inputs), outs };
        },

        async read(id: string, props: OwnedKvSecretOutputs) {
            const t = target(props);
            const live = await kv.readData(t);
            if (!live) {
                // Deleted latest version (or the whole secret): refresh drops the resource, `up` writes it again.
                return { id: "", props: {} };
            }
            const meta = await kv.readMetadata(t);
            const outs: OwnedKvSecretOutputs = {
                ...props,
                claimedBy: meta?.customMetadata[OWNER_KEY] ?? "",
                version: live.version,
                sha256: dataSha256(live.data),
            };
            return { id, props: outs };
        },

        async update(_id: string, _olds: OwnedKvSecretOutputs, news: OwnedKvSecretInputs) {
            return { outs: await write(news) };
        },

        async delete(_id: string, props: OwnedKvSecretOutputs) {
            const t = target(props);
            const meta = await kv.readMetadata(t);
            if (!meta) return;
            const owner = meta.customMetadata[OWNER_KEY] ?? "";
            // Another stack claimed the path since: it is theirs now, leave it.
            if (owner !== "" && owner !== props.owner) return;
            await kv.deleteAll(t);
        },
    };
}

/** The provider OwnedKvSecret uses (default timeout). */
export const ownedKvSecretProvider: pulumi.dynamic.ResourceProvider = makeOwnedKvSecretProvider();
