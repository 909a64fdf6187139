// The Pulumi dynamic provider behind GroupAccessToken: a GitLab group access token over REST v4
// (doc/api/group_access_tokens.md: POST/GET/DELETE /groups/:id/access_tokens[/:token_id]), e.g. the
// CI push token (write_repository) CI pushes `.cicd/*.yaml` back with.
//
// Same rules as deployTokenProvider.ts (closure-serialized, only ./client and global fetch, nothing
// secret captured, the API token an input kept as a secret output, 401 → retry with the stack's
// current gitops-platform:gitlabToken):
// - `check` turns `expiresInDays` into a fixed `expiresAt` (midnight UTC) and keeps it on later
//   runs; it moves it only when the token is within `rotateBeforeDays` of expiring (clock:
//   GITOPS_PLATFORM_CLOCK when set, else the real clock) or something that needs a new token
//   changed; `diff` then asks for a replacement, create-before-delete: the new token exists and the
//   group variable holds it before the old one is revoked.
// - Rotation is create-then-revoke, not GitLab's `POST .../rotate`: that endpoint revokes the old
//   token at once, and GitLab's automatic reuse detection revokes the new token too when a CI job
//   still holding the old one uses it; a separate token (its own bot user) has neither problem.
// - refresh (`read`) drops a token that is gone, revoked, inactive or expired (real clock) from the
//   state; the next `up` makes a new one.

import type * as pulumi from "@pulumi/pulumi";
import * as gitlab from "./client";
import { differs, isUnknown, sameScopes } from "../dynamic/inputValues";
import { clockNow, computeExpiresAt, replacesWithExpiry, withExpiresAt } from "../dynamic/tokenExpiry";
import { providerCodeChanged } from "../dynamic/providerCode";
import { configValue } from "../dynamic/providerConfig";
import { apiTokenSession } from "./apiTokenSession";

/** GitLab access levels by role name (doc/api/group_access_tokens.md). */
export const ACCESS_LEVEL: Record<string, number> = { guest: 10, planner: 15, reporter: 20, developer: 30, maintainer: 40, owner: 50 };

/** Inputs of the dynamic resource (after `check`). */
export interface GroupAccessTokenInputs {
    /** GitLab host or API base URL. */
    host: string;
    /** Group full path or numeric id. */
    group: string;
    /** Token name shown in GitLab. */
    name: string;
    /** e.g. ["write_repository"]. */
    scopes: string[];
    /** Role of the token's bot user: guest, planner, reporter, developer, maintainer, owner. */
    accessLevel: string;
    /** Lifetime of a new token in days (GitLab allows at most 365). */
    expiresInDays: number;
    /** Replace the token when it expires within this many days. */
    rotateBeforeDays: number;
    /** GitLab API token (api scope, group Owner). Secret. */
    apiToken: string;
    /** Computed by `check`: ISO date-time (midnight UTC) the current token expires at. */
    expiresAt?: string;
}

/** State of the dynamic resource; `id` is GitLab's token id. */
export interface GroupAccessTokenOutputs extends GroupAccessTokenInputs {
    expiresAt: string;
    tokenId: number;
    /** The token's bot user id. */
    userId: number | null;
    /** The token value; only known from the create answer. Secret. */
    token: string;
}

/** Knobs for tests; the provider GroupAccessToken uses takes the defaults. Plain data. */
export interface GroupAccessTokenProviderSettings {
    timeoutMs?: number;
    retry?: gitlab.RetryOptions;
    /** Clock for everything (default: GITOPS_PLATFORM_CLOCK / the real clock). */
    now?: () => number;
}

const KEY = "gitops-platform:gitlab.ciPushToken";

/** Input changes that need a new token (GitLab cannot edit an access token). */
export function accessTokenReplacementKeys(olds: Partial<GroupAccessTokenOutputs>, news: Partial<GroupAccessTokenInputs>): string[] {
    const keys: string[] = [];
    if (differs(news.host, olds.host)) keys.push("host");
    if (differs(String(news.group ?? ""), String(olds.group ?? ""))) keys.push("group");
    if (differs(news.name, olds.name)) keys.push("name");
    if (!sameScopes(news.scopes, olds.scopes)) keys.push("scopes");
    if (differs(news.accessLevel, olds.accessLevel)) keys.push("accessLevel");
    if (differs(news.expiresInDays, olds.expiresInDays)) keys.push("expiresInDays");
    return keys;
}

function checkFailures(news: Partial<GroupAccessTokenInputs>): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const str = (p: keyof GroupAccessTokenInputs, hint: string) => {
        const v = news[p];
        if (!isUnknown(v) && (typeof v !== "string" || v.trim() === "")) failures.push({ property: p, reason: `${p} must be a non-empty string (${hint})` });
    };
    str("host", `${gitlab.GITLAB_CONFIG_KEYS.host}, e.g. "gitlab.com"`);
    str("name", `${KEY}.name, e.g. "gitops-platform-ci-push"`);
    str("apiToken", `pulumi config set --secret ${gitlab.GITLAB_CONFIG_KEYS.apiToken} <token>`);
    if (!isUnknown(news.group) && (news.group === undefined || String(news.group).trim() === "")) {
        failures.push({ property: "group", reason: `group must be the group's full path or id (${gitlab.GITLAB_CONFIG_KEYS.group})` });
    }
    if (!isUnknown(news.scopes) && (!Array.isArray(news.scopes) || news.scopes.length === 0)) {
        failures.push({ property: "scopes", reason: `scopes must list at least one scope, e.g. ["write_repository"] (${KEY}.scopes)` });
    }
    if (!isUnknown(news.accessLevel) && !(String(news.accessLevel) in ACCESS_LEVEL)) {
        failures.push({ property: "accessLevel", reason: `accessLevel must be one of ${Object.keys(ACCESS_LEVEL).join(", ")} (${KEY}.accessLevel)` });
    }
    const days = news.expiresInDays;
    const before = news.rotateBeforeDays;
    if (!isUnknown(days) && !(Number.isInteger(days) && (days as number) > 0 && (days as number) <= 365)) {
        failures.push({ property: "expiresInDays", reason: `expiresInDays must be a whole number of days from 1 to 365 (${KEY}.expiresInDays, e.g. 90)` });
    }
    if (!isUnknown(before) && !(Number.isInteger(before) && (before as number) >= 0)) {
        failures.push({ property: "rotateBeforeDays", reason: `rotateBeforeDays must be a whole number of days >= 0 (${KEY}.rotateBeforeDays, e.g. 14)` });
    }
    if (Number.isInteger(days) && Number.isInteger(before) && (before as number) >= (days as number)) {
        failures.push({ property: "rotateBeforeDays", reason: `rotateBeforeDays (${before}) must be smaller than expiresInDays (${days}) (${KEY})` });
    }
    return failures;
}

/** Builds the provider. `settings` must stay plain data (it is serialized with the provider). */
export function makeGroupAccessTokenProvider(settings: GroupAccessTokenProviderSettings = {}): pulumi.dynamic.ResourceProvider {
    const now = (): number => (settings.now ? settings.now() : clockNow());
    const realNow = (): number => (settings.now ? settings.now() : Date.now());
    // Clients per call; on 401 once more with the stack's current API token (filled by configure).
    const { configured, clientFor, withApiToken } = apiTokenSession(settings);

    return {
        async configure(req: pulumi.dynamic.ConfigureRequest) {
            configured.apiToken = configValue(req, gitlab.GITLAB_CONFIG_KEYS.apiToken);
        },

        async check(olds: Partial<GroupAccessTokenInputs>, news: Partial<GroupAccessTokenInputs>) {
            const t = now(); // an invalid GITOPS_PLATFORM_CLOCK fails here
            const failures = checkFailures(news);
            const replacing = accessTokenReplacementKeys(olds as Partial<GroupAccessTokenOutputs>, news).length > 0;
            return { inputs: withExpiresAt(olds, news, replacing, failures, t), failures };
        },

        async diff(_id: string, olds: GroupAccessTokenOutputs, news: GroupAccessTokenInputs) {
            const replaces = replacesWithExpiry(accessTokenReplacementKeys(olds, news), news, olds);
            const changes =
                replaces.length > 0 ||
                differs(news.apiToken, olds.apiToken) ||
                differs(news.rotateBeforeDays, olds.rotateBeforeDays) ||
                providerCodeChanged(olds, news);
            return { changes, replaces, deleteBeforeReplace: false };
        },

        async create(inputs: GroupAccessTokenInputs) {
            const expiresAt = inputs.expiresAt ?? computeExpiresAt(now(), inputs.expiresInDays);
            const created = await clientFor(inputs).createGroupAccessToken(inputs.group, {
                name: inputs.name,
                scopes: inputs.scopes,
                accessLevel: ACCESS_LEVEL[inputs.accessLevel] ?? ACCESS_LEVEL.developer,
                expiresAt: expiresAt.slice(0, 10),
            });
            const outs: GroupAccessTokenOutputs = { ...inputs, expiresAt, tokenId: created.id, userId: created.user_id ?? null, token: created.token };
            return { id: String(created.id), outs };
        },

        async read(id: string, props: GroupAccessTokenOutputs) {
            const current = await withApiToken(props, (c) => c.getGroupAccessToken(props.group, id));
            const expired = !!current?.expires_at && Date.parse(`${current.expires_at.slice(0, 10)}T00:00:00Z`) <= realNow();
            // Gone, revoked or expired: an empty id drops it from the state; the next up makes a new one.
            if (!current || current.revoked || current.active === false || expired) return { id: "", props: {} };
            const level = Object.entries(ACCESS_LEVEL).find(([, v]) => v === current.access_level)?.[0];
            const outs: GroupAccessTokenOutputs = {
                ...props,
                name: current.name,
                scopes: current.scopes,
                accessLevel: level ?? props.accessLevel,
                tokenId: current.id,
                userId: current.user_id ?? props.userId,
                expiresAt: current.expires_at ? new Date(`${current.expires_at.slice(0, 10)}T00:00:00Z`).toISOString() : props.expiresAt,
            };
            return { id, props: outs };
        },

        async update(_id: string, olds: GroupAccessTokenOutputs, news: GroupAccessTokenInputs) {
            // Only settings that keep the token get here (the API token, rotateBeforeDays).
            return { outs: { ...olds, apiToken: news.apiToken, rotateBeforeDays: news.rotateBeforeDays } };
        },

        async delete(id: string, props: GroupAccessTokenOutputs) {
            // Revokes the token; already gone or revoked is success.
            await withApiToken(props, (c) => c.revokeGroupAccessToken(props.group, id));
        },
    };
}

/** The provider GroupAccessToken uses. */
export const groupAccessTokenProvider: pulumi.dynamic.ResourceProvider = makeGroupAccessTokenProvider();
