// The Pulumi dynamic provider behind GroupDeployToken: GitLab group deploy tokens over REST v4.
//
// This object is closure-serialized into the stack state (`__provider`) and run later by the
// dynamic-provider host, possibly by another Pulumi version. So:
// - CRUD is self-contained: it uses only global `fetch` (through ./client, which has no imports and
//   is captured by value), the small helpers in this file and ../dynamic (input comparisons, the
//   expiry rules shared with the other token providers); no SDK client, no module state.
// - Nothing secret is captured: the API token arrives as an input (`apiToken`) on every call and is
//   kept in the resource's state as a secret output, so `read` (refresh) and `delete` can use it.
//   If that stored token was rotated away (401), they retry with the stack's current
//   `gitops-platform:gitlabToken`, which the engine hands to `configure` (the whole stack config, secrets decrypted).
// - Messages never contain the API token or a deploy token value (see client.ts).
//
// Expiry stability: `check` turns `expiresInDays` into a fixed `expiresAt` date (midnight UTC) and
// keeps the previous one on later runs, so repeated previews never churn. It moves `expiresAt`
// forward only when a new token is needed anyway, or when the token is within `rotateBeforeDays` of
// expiring; `diff` then reports a replacement on `expiresAt`. Replacement is create-before-delete
// (`deleteBeforeReplace: false`): the new token exists, and dependents (the Vault secret) are
// updated with it, before the old token is revoked.
//
// Clock: "now" for the rotation window and for a new `expiresAt` is the instant in the env var
// GITOPS_PLATFORM_CLOCK when it is set (tests and rehearsals only: the e2e moves the clock into the
// rotation window), else the real clock. It is read from `process.env` inside `clockNow` at every
// call, in the provider host, so nothing about it is captured in the serialized provider. Refresh
// keeps the real clock: a rehearsal clock never drops a token GitLab still accepts from the state.

import type * as pulumi from "@pulumi/pulumi";
import * as gitlab from "./client";
import { providerCodeChanged } from "../dynamic/providerCode";
import { configValue } from "../dynamic/providerConfig";
import { differs, isUnknown, sameScopes } from "../dynamic/inputValues";
import { clockNow, computeExpiresAt, replacesWithExpiry, withExpiresAt } from "../dynamic/tokenExpiry";
import { apiTokenSession } from "./apiTokenSession";

/** Inputs of the dynamic resource (after `check`). */
export interface GroupDeployTokenInputs {
    /** GitLab host: `gitlab.com`, `gitlab.example.com` or a URL. */
    host: string;
    /** Group full path (`my-org/platform`) or numeric id. */
    group: string;
    /** Token name shown in GitLab. */
    name: string;
    /** Fixed username; GitLab's default is `gitlab+deploy-token-<id>`. */
    username?: string;
    /** e.g. ["read_registry"] or ["read_repository"]. */
    scopes: string[];
    /** Lifetime of a new token in days. */
    expiresInDays: number;
    /** Replace the token when it expires within this many days. */
    rotateBeforeDays: number;
    /** GitLab API token (api scope, group Owner). Secret. */
    apiToken: string;
    /** Computed by `check`: ISO date-time (midnight UTC) the current token expires at. */
    expiresAt?: string;
}

/** State of the dynamic resource. `id` is the GitLab token id as a string. */
export interface GroupDeployTokenOutputs extends GroupDeployTokenInputs {
    expiresAt: string;
    /** GitLab's numeric token id. */
    tokenId: number;
    /** The username to authenticate with (GitLab's answer). */
    username: string;
    /** The token value; only known from the create answer. Secret. */
    token: string;
}

/** Knobs for tests; the provider GroupDeployToken uses takes the defaults. */
export interface DeployTokenProviderSettings {
    /** Per-request timeout in ms (default 30000). */
    timeoutMs?: number;
    /** Retry policy for 5xx, timeouts and network errors (default 4 attempts, 500 ms doubling). */
    retry?: gitlab.RetryOptions;
    /** Clock in ms since the epoch, for everything (default: {@link clockNow}, and Date.now on refresh). */
    now?: () => number;
    /**
     * Stack config key read in `configure` (default `gitops-platform:gitlabToken`). When the API
     * token kept in the state is rejected (401: expired or rotated), refresh and delete retry once
     * with the token currently in this config key.
     */
    apiTokenConfigKey?: string;
}

/** Input changes that need a new token (GitLab cannot edit a deploy token). */
export function replacementKeys(olds: Partial<GroupDeployTokenOutputs>, news: Partial<GroupDeployTokenInputs>): string[] {
    const keys: string[] = [];
    if (differs(news.host, olds.host)) keys.push("host");
    if (differs(String(news.group ?? ""), String(olds.group ?? ""))) keys.push("group");
    if (differs(news.name, olds.name)) keys.push("name");
    // Without a requested username GitLab picks one; only an explicit, different one forces a new token.
    if (news.username !== undefined && news.username !== "" && differs(news.username, olds.username)) keys.push("username");
    if (!sameScopes(news.scopes, olds.scopes)) keys.push("scopes");
    if (differs(news.expiresInDays, olds.expiresInDays)) keys.push("expiresInDays");
    return keys;
}

function checkFailures(news: Partial<GroupDeployTokenInputs>): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const key = gitlab.GITLAB_CONFIG_KEYS;
    const str = (p: keyof GroupDeployTokenInputs, hint: string) => {
        const v = news[p];
        if (isUnknown(v)) return;
        if (typeof v !== "string" || v.trim() === "") failures.push({ property: p, reason: `${p} must be a non-empty string (${hint})` });
    };
    str("host", `${key.host}, e.g. "gitlab.com"`);
    str("name", `${key.deployToken}.name, e.g. "gitops-platform-registry"`);
    str("apiToken", `pulumi config set --secret ${key.apiToken} <token>`);
    if (!isUnknown(news.group) && (news.group === undefined || String(news.group).trim() === "")) {
        failures.push({ property: "group", reason: `group must be the group's full path or id (${key.group}, e.g. "my-org/platform")` });
    }
    if (!isUnknown(news.scopes)) {
        if (!Array.isArray(news.scopes) || news.scopes.length === 0) {
            failures.push({ property: "scopes", reason: `scopes must list at least one scope, e.g. ["read_registry"]` });
        }
    }
    const days = news.expiresInDays;
    const before = news.rotateBeforeDays;
    if (!isUnknown(days) && !(Number.isInteger(days) && (days as number) > 0)) {
        failures.push({ property: "expiresInDays", reason: `expiresInDays must be a positive whole number of days (${key.deployToken}.expiresInDays, e.g. 90)` });
    }
    if (!isUnknown(before) && !(Number.isInteger(before) && (before as number) >= 0)) {
        failures.push({ property: "rotateBeforeDays", reason: `rotateBeforeDays must be a whole number of days >= 0 (${key.deployToken}.rotateBeforeDays, e.g. 14)` });
    }
    if (Number.isInteger(days) && Number.isInteger(before) && (before as number) >= (days as number)) {
        failures.push({
            property: "rotateBeforeDays",
            reason: `rotateBeforeDays (${before}) must be smaller than expiresInDays (${days}), otherwise every run would rotate the token (${key.deployToken})`,
        });
    }
    return failures;
}

/** Builds the provider. `settings` must stay plain data (it is serialized with the provider). */
export function makeDeployTokenProvider(settings: DeployTokenProviderSettings = {}): pulumi.dynamic.ResourceProvider {
    // The rotation window and new expiry dates follow GITOPS_PLATFORM_CLOCK; refresh's "expired?"
    // follows the real clock (and GitLab's own `expired` flag).
    const now = (): number => (settings.now ? settings.now() : clockNow());
    const realNow = (): number => (settings.now ? settings.now() : Date.now());
    // Clients per call; on 401 once more with the stack's current API token (filled by configure).
    const { configured, clientFor, withApiToken } = apiTokenSession(settings);

    return {
        async configure(req: pulumi.dynamic.ConfigureRequest) {
            configured.apiToken = configValue(req, settings.apiTokenConfigKey ?? gitlab.GITLAB_CONFIG_KEYS.apiToken);
        },

        async check(olds: Partial<GroupDeployTokenInputs>, news: Partial<GroupDeployTokenInputs>) {
            const t = now(); // an invalid GITOPS_PLATFORM_CLOCK fails here, on every preview and up
            const failures = checkFailures(news);
            const replacing = replacementKeys(olds as Partial<GroupDeployTokenOutputs>, news).length > 0;
            return { inputs: withExpiresAt(olds, news, replacing, failures, t), failures };
        },

        async diff(_id: string, olds: GroupDeployTokenOutputs, news: GroupDeployTokenInputs) {
            // With expiresAt when check() moved it forward: the token is within rotateBeforeDays of expiring.
            const replaces = replacesWithExpiry(replacementKeys(olds, news), news, olds);
            // A new serialized provider (a fix of read/delete) is an in-place update, never a new token.
            const changes =
                replaces.length > 0 ||
                differs(news.apiToken, olds.apiToken) ||
                differs(news.rotateBeforeDays, olds.rotateBeforeDays) ||
                providerCodeChanged(olds, news);
            return { changes, replaces, deleteBeforeReplace: false };
        },

        async create(inputs: GroupDeployTokenInputs) {
            const expiresAt = inputs.expiresAt ?? computeExpiresAt(now(), inputs.expiresInDays);
            const created = await clientFor(inputs).createGroupDeployToken(inputs.group, {
                name: inputs.name,
                scopes: inputs.scopes,
                expiresAt,
                username: inputs.username || undefined,
            });
            const outs: GroupDeployTokenOutputs = {
                ...inputs,
                expiresAt,
                tokenId: created.id,
                username: created.username,
                token: created.token,
            };
            return { id: String(created.id), outs };
        },

        async read(id: string, props: GroupDeployTokenOutputs) {
            const current = await withApiToken(props, (c) => c.getGroupDeployToken(props.group, id));
            const gone =
                !current ||
                current.revoked ||
                current.expired ||
                (current.expires_at !== null && Date.parse(current.expires_at) <= realNow());
            if (gone) {
                // An empty id tells the engine the resource no longer exists: `pulumi refresh` drops it
                // from the state (visible drift), and the next `pulumi up` creates a new token.
                return { id: "", props: {} };
            }
            const props2: GroupDeployTokenOutputs = {
                ...props,
                name: current.name,
                username: current.username,
                scopes: current.scopes,
                tokenId: current.id,
                expiresAt: current.expires_at ? new Date(current.expires_at).toISOString() : props.expiresAt,
            };
            return { id, props: props2 };
        },

        async update(_id: string, olds: GroupDeployTokenOutputs, news: GroupDeployTokenInputs) {
            // Only settings that do not need a new token get here (the API token, rotateBeforeDays).
            const outs: GroupDeployTokenOutputs = { ...olds, apiToken: news.apiToken, rotateBeforeDays: news.rotateBeforeDays };
            return { outs };
        },

        async delete(id: string, props: GroupDeployTokenOutputs) {
            // Revokes the token. Already gone (deleted, or the id is unknown to GitLab) is success.
            await withApiToken(props, (c) => c.deleteGroupDeployToken(props.group, id));
        },
    };
}

/** The provider GroupDeployToken uses (default timeouts and retries). */
export const deployTokenProvider: pulumi.dynamic.ResourceProvider = makeDeployTokenProvider();
