// The Pulumi dynamic provider behind AccountToken: an API token of an Argo CD local account (the CI
// account `ci-readonly`), made through Argo CD's REST API and rotated before it expires.
//
// Like deployTokenProvider.ts (same rules, same clock):
// - `check` turns `expiresInDays` into a fixed `expiresAt` (midnight UTC) and keeps it on later runs;
//   it moves it only when the token is within `rotateBeforeDays` of expiring (or something that
//   needs a new token changed); `diff` then asks for a replacement, create-before-delete: the new
//   token exists and the dependents (the Vault secret, the GitLab variable ARGOCD_AUTH_TOKEN) are
//   updated with it before the old token is deleted in Argo CD.
// - "now" for the rotation window is GITOPS_PLATFORM_CLOCK when set (tests, rehearsals), else the
//   real clock; the token's lifetime sent to Argo CD (`expiresIn`, seconds) is counted from the real
//   clock, so Argo CD's expiry is the `expiresAt` in the state.
// - refresh (`read`) logs in and lists the account's tokens: a token deleted in Argo CD, or expired
//   (real clock), drops the resource from the state; the next `up` makes a new one.
// - Nothing secret is captured: the admin password arrives as a secret input and stays in the state
//   as a secret output (read and delete need it); on a rejected login they retry once with the
//   stack's current `gitops-platform:argocdAdminPassword` (given to `configure`). The token is a
//   secret output. Messages never hold either (apiClient.ts redacts them).

import type * as pulumi from "@pulumi/pulumi";
import * as argocd from "./apiClient";
import { differs, isUnknown } from "../dynamic/inputValues";
import { clockNow, computeExpiresAt, replacesWithExpiry, withExpiresAt } from "../dynamic/tokenExpiry";
import { providerCodeChanged } from "../dynamic/providerCode";
import { configValue } from "../dynamic/providerConfig";

/** Inputs of the dynamic resource (after `check`). */
export interface AccountTokenInputs {
    /** Argo CD API base URL as `pulumi up` reaches it. */
    apiUrl: string;
    /** Local account the token is for, e.g. `ci-readonly`. */
    account: string;
    /** User that makes the token (password login), e.g. `admin`. */
    username: string;
    /** That user's password. Secret. */
    password: string;
    /** Lifetime of a new token in days. */
    expiresInDays: number;
    /** Make a new token when the current one expires within this many days. */
    rotateBeforeDays: number;
    /** Stack config key of the password, named in messages. */
    passwordConfigKey?: string;
    /** Computed by `check`: when the current token expires (ISO 8601, midnight UTC). */
    expiresAt?: string;
}

/** State of the dynamic resource; `id` is `<account>:<tokenId>`. */
export interface AccountTokenOutputs extends AccountTokenInputs {
    expiresAt: string;
    /** Argo CD's token id (`--id`), `gitops-platform-<random>`. */
    tokenId: string;
    /** The token (a JWT). Secret. */
    token: string;
    /** When Argo CD issued it (ISO 8601). */
    issuedAt: string;
}

/** Knobs for tests; AccountToken takes the defaults. Plain data (serialized with the provider). */
export interface AccountTokenProviderSettings {
    /** Per-request timeout in ms. */
    timeoutMs?: number;
    /** Clock for everything (default: GITOPS_PLATFORM_CLOCK / the real clock). */
    now?: () => number;
}

const PASSWORD_KEY = "gitops-platform:argocdAdminPassword";

/** Input changes that need a new token. */
export function tokenReplacementKeys(olds: Partial<AccountTokenOutputs>, news: Partial<AccountTokenInputs>): string[] {
    const keys: string[] = [];
    if (differs(news.apiUrl, olds.apiUrl)) keys.push("apiUrl");
    if (differs(news.account, olds.account)) keys.push("account");
    if (differs(news.expiresInDays, olds.expiresInDays)) keys.push("expiresInDays");
    return keys;
}

function checkFailures(news: Partial<AccountTokenInputs>): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const str = (p: keyof AccountTokenInputs, hint: string) => {
        const v = news[p];
        if (!isUnknown(v) && (typeof v !== "string" || v.trim() === "")) failures.push({ property: p, reason: `${p} must be a non-empty string (${hint})` });
    };
    str("apiUrl", "gitops-platform:argocd.apiUrl, e.g. https://argocd.example.com");
    str("account", "gitops-platform:argocd.ciAccount.name, e.g. ci-readonly");
    str("username", "gitops-platform:argocd.apiUsername, e.g. admin");
    str("password", `pulumi config set --secret ${news.passwordConfigKey || PASSWORD_KEY} <password>`);
    const days = news.expiresInDays;
    const before = news.rotateBeforeDays;
    if (!isUnknown(days) && !(Number.isInteger(days) && (days as number) > 0)) {
        failures.push({ property: "expiresInDays", reason: "expiresInDays must be a positive whole number of days (gitops-platform:argocd.ciAccount.tokenExpiresInDays, e.g. 90)" });
    }
    if (!isUnknown(before) && !(Number.isInteger(before) && (before as number) >= 0)) {
        failures.push({ property: "rotateBeforeDays", reason: "rotateBeforeDays must be a whole number of days >= 0 (gitops-platform:argocd.ciAccount.rotateBeforeDays, e.g. 14)" });
    }
    if (Number.isInteger(days) && Number.isInteger(before) && (before as number) >= (days as number)) {
        failures.push({ property: "rotateBeforeDays", reason: `rotateBeforeDays (${before}) must be smaller than tokenExpiresInDays (${days}) (gitops-platform:argocd.ciAccount)` });
    }
    return failures;
}

/** Builds the provider. `settings` must stay plain data. */
export function makeAccountTokenProvider(settings: AccountTokenProviderSettings = {}): pulumi.dynamic.ResourceProvider {
    const now = (): number => (settings.now ? settings.now() : clockNow());
    const realNow = (): number => (settings.now ? settings.now() : Date.now());
    const configured: { password?: string } = {};
    /** A logged-in client; on a rejected login once more with the stack's current password. */
    const session = async (p: AccountTokenInputs, extraSecrets: string[] = []): Promise<argocd.ArgoCdApi> => {
        const key = p.passwordConfigKey || PASSWORD_KEY;
        const secrets = [p.password, configured.password ?? "", ...extraSecrets];
        const api = new argocd.ArgoCdApi({ apiUrl: p.apiUrl, timeoutMs: settings.timeoutMs, secrets });
        try {
            await api.login(p.username, p.password, key);
            return api;
        } catch (e) {
            const fresh = configured.password;
            if (e instanceof argocd.ArgoCdApiError && (e.status === 401 || e.status === 403) && fresh && fresh !== p.password) {
                const again = new argocd.ArgoCdApi({ apiUrl: p.apiUrl, timeoutMs: settings.timeoutMs, secrets });
                await again.login(p.username, fresh, key);
                return again;
            }
            throw e;
        }
    };

    return {
        async configure(req: pulumi.dynamic.ConfigureRequest) {
            configured.password = configValue(req, PASSWORD_KEY);
        },

        async check(olds: Partial<AccountTokenInputs>, news: Partial<AccountTokenInputs>) {
            const t = now(); // an invalid GITOPS_PLATFORM_CLOCK fails here
            const failures = checkFailures(news);
            const replacing = tokenReplacementKeys(olds as Partial<AccountTokenOutputs>, news).length > 0;
            return { inputs: withExpiresAt(olds, news, replacing, failures, t), failures };
        },

        async diff(_id: string, olds: AccountTokenOutputs, news: AccountTokenInputs) {
            const replaces = replacesWithExpiry(tokenReplacementKeys(olds, news), news, olds);
            const changes =
                replaces.length > 0 ||
                differs(news.username, olds.username) ||
                differs(news.password, olds.password) ||
                differs(news.rotateBeforeDays, olds.rotateBeforeDays) ||
                differs(news.passwordConfigKey, olds.passwordConfigKey) ||
                providerCodeChanged(olds, news);
            return { changes, replaces, deleteBeforeReplace: false };
        },

        async create(inputs: AccountTokenInputs) {
            const expiresAt = inputs.expiresAt ?? computeExpiresAt(now(), inputs.expiresInDays);
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const crypto = require("node:crypto") as typeof import("node:crypto");
            const tokenId = `gitops-platform-${crypto.randomUUID()}`;
            const api = await session(inputs);
            const seconds = Math.max(60, Math.round((Date.parse(expiresAt) - realNow()) / 1000));
            const token = await api.createToken(inputs.account, tokenId, seconds);
            const outs: AccountTokenOutputs = { ...inputs, expiresAt, tokenId, token, issuedAt: new Date(realNow()).toISOString() };
            return { id: `${inputs.account}:${tokenId}`, outs };
        },

        async read(id: string, props: AccountTokenOutputs) {
            const api = await session(props, [props.token]);
            const tokens = await api.accountTokens(props.account);
            const current = tokens?.find((t) => t.id === props.tokenId);
            // Deleted in Argo CD (or the account is gone), or expired: gone from the state on refresh.
            if (!current || (current.expiresAt > 0 && current.expiresAt <= realNow())) return { id: "", props: {} };
            // issuedAt stays what create recorded: Argo CD's (whole seconds, its own clock) always differs
            // by a fraction, and a refresh that changes an output marks the token as drifted (e2e: the
            // rotation in the drift check showed as drift, and rotate called it "deleted in Argo CD").
            const issuedAt = props.issuedAt || (current.issuedAt > 0 ? new Date(current.issuedAt).toISOString() : "");
            return { id, props: { ...props, issuedAt } };
        },

        async update(_id: string, olds: AccountTokenOutputs, news: AccountTokenInputs) {
            // Only settings that keep the token get here (the login, rotateBeforeDays).
            return {
                outs: { ...olds, username: news.username, password: news.password, rotateBeforeDays: news.rotateBeforeDays, passwordConfigKey: news.passwordConfigKey },
            };
        },

        async delete(_id: string, props: AccountTokenOutputs) {
            // Already gone (token or account) is success.
            const api = await session(props, [props.token]);
            await api.deleteToken(props.account, props.tokenId);
        },
    };
}

/** The provider AccountToken uses. */
export const accountTokenProvider: pulumi.dynamic.ResourceProvider = makeAccountTokenProvider();
