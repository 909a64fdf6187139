// The Pulumi dynamic provider behind GroupVariable: one GitLab group CI/CD variable over REST v4
// (GET/POST/PUT/DELETE /groups/:id/variables[/:key]), e.g. the seed's CI_PUSH_TOKEN.
//
// Closure-serialized like deployTokenProvider.ts: only global `fetch` (through ./client), node's
// crypto (required at run time) and the helpers here; nothing secret is captured. The value and the
// API token arrive as (secret) inputs; the state keeps them as secret outputs, plus `valueSha256`
// (secret too), the sha256 of the value GitLab last held, so a refresh shows drift when someone
// changed the variable in GitLab, and the next `up` writes it back. Messages never hold the value
// or the API token (client.ts redacts both).
//
// With `readTokenExpiry` the value is a GitLab personal access token: after each write and on
// refresh the provider asks GitLab `GET /personal_access_tokens/self` with it and keeps its expiry in
// `tokenExpiresAt` (ISO 8601, null when it never expires). A token GitLab rejects is an error naming
// `valueConfigKey`, the stack config key the value comes from.

import type * as pulumi from "@pulumi/pulumi";
import * as gitlab from "./client";
import { providerCodeChanged } from "../dynamic/providerCode";
import { configValue } from "../dynamic/providerConfig";
import { differs, isUnknown } from "../dynamic/inputValues";
import { apiTokenSession } from "./apiTokenSession";

export interface GroupVariableInputs {
    /** GitLab host or API base URL. */
    host: string;
    /** Group full path or numeric id. */
    group: string;
    /** Variable key, e.g. CI_PUSH_TOKEN. */
    key: string;
    /** The value. Secret. */
    value: string;
    masked: boolean;
    protected: boolean;
    /** true: not expanded (`$` taken literally). */
    raw: boolean;
    /** GitLab API token (api scope, group Owner). Secret. */
    apiToken: string;
    /** The value is a personal access token: read its expiry through GET /personal_access_tokens/self. */
    readTokenExpiry?: boolean;
    /** The stack config key the value comes from, named in messages (e.g. gitops-platform:ciPushToken). */
    valueConfigKey?: string;
}

export interface GroupVariableOutputs extends GroupVariableInputs {
    /** sha256 (hex) of the value GitLab holds. Secret. */
    valueSha256: string;
    /** Expiry of the token in `value` (ISO 8601) or null (never expires / not read). */
    tokenExpiresAt: string | null;
}

export interface GroupVariableProviderSettings {
    timeoutMs?: number;
    retry?: gitlab.RetryOptions;
    /** Stack config key of the API token to retry with on 401 (default gitops-platform:gitlabToken). */
    apiTokenConfigKey?: string;
}

/** sha256 (hex) of a variable value. */
export function valueSha256(value: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require("node:crypto") as typeof import("node:crypto");
    return crypto.createHash("sha256").update(String(value ?? ""), "utf8").digest("hex");
}

/** GitLab's masking rule (doc/ci/variables: at least 8 characters, one line, a limited alphabet). */
export function maskableProblem(value: string): string | undefined {
    if (value.length < 8) return "it has fewer than 8 characters";
    if (!/^[A-Za-z0-9@:.~\-_+/=]+$/.test(value)) return "it holds characters GitLab cannot mask (spaces, line breaks or others outside the Base64 alphabet and @:.~-_+/=)";
    return undefined;
}

function configKeyOf(p: Partial<GroupVariableInputs>): string {
    return p.valueConfigKey || "the variable's value";
}

function checkFailures(news: Partial<GroupVariableInputs>): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const str = (p: keyof GroupVariableInputs, hint: string) => {
        const v = news[p];
        if (isUnknown(v)) return;
        if (typeof v !== "string" || v.trim() === "") failures.push({ property: p, reason: `${p} must be a non-empty string (${hint})` });
    };
    str("host", `${gitlab.GITLAB_CONFIG_KEYS.host}, e.g. "gitlab.com"`);
    str("group", `${gitlab.GITLAB_CONFIG_KEYS.group}, e.g. "my-org/platform"`);
    str("apiToken", `pulumi config set --secret ${gitlab.GITLAB_CONFIG_KEYS.apiToken} <token>`);
    if (!isUnknown(news.key) && !(typeof news.key === "string" && /^[A-Za-z0-9_]{1,255}$/.test(news.key))) {
        failures.push({ property: "key", reason: `key must be 1 to 255 letters, digits or _ (GitLab's rule for variable keys)` });
    }
    const v = news.value;
    if (!isUnknown(v)) {
        if (typeof v !== "string" || v === "") {
            failures.push({ property: "value", reason: `the value is empty: pulumi config set --secret ${configKeyOf(news)} <value>` });
        } else if (news.masked === true) {
            const problem = maskableProblem(v);
            // The reason names the config key, never the value.
            if (problem) failures.push({ property: "value", reason: `the value of ${configKeyOf(news)} cannot be masked: ${problem}` });
        }
    }
    return failures;
}

/** ISO 8601 of GitLab's `expires_at` (`YYYY-MM-DD`, midnight UTC), or null. */
function isoOrNull(v: string | null | undefined): string | null {
    if (!v) return null;
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : new Date(t).toISOString();
}

export function makeGroupVariableProvider(settings: GroupVariableProviderSettings = {}): pulumi.dynamic.ResourceProvider {
    const session = apiTokenSession(settings);
    const { configured } = session;
    // The variable's value is kept out of every error message.
    const valueSecrets = (p: { value?: string }): string[] => (p.value ? [p.value] : []);
    const clientFor = (p: GroupVariableInputs) => session.clientFor(p, valueSecrets(p));
    const withApiToken = <T>(p: GroupVariableInputs, fn: (c: gitlab.GitLabClient) => Promise<T>): Promise<T> =>
        session.withApiToken(p, fn, valueSecrets(p));
    /** The token's expiry through GET /personal_access_tokens/self authenticated with it. */
    const tokenExpiry = async (p: GroupVariableInputs): Promise<string | null> => {
        if (!p.readTokenExpiry) return null;
        try {
            const self = await new gitlab.GitLabClient({
                host: p.host,
                token: p.value,
                timeoutMs: settings.timeoutMs,
                retry: settings.retry,
                secrets: [p.apiToken],
            }).getPersonalAccessTokenSelf();
            if (self.active === false || self.revoked === true) {
                throw new Error(`GitLab reports the token in ${configKeyOf(p)} as ${self.revoked ? "revoked" : "inactive (expired)"}`);
            }
            return isoOrNull(self.expires_at);
        } catch (e) {
            const status = e instanceof gitlab.GitLabApiError ? e.status : undefined;
            if (status === 401 || status === 403 || !(e instanceof gitlab.GitLabApiError)) {
                const why = e instanceof gitlab.GitLabApiError ? `GitLab rejected it (HTTP ${status}): invalid, expired or revoked` : gitlab.redact((e as Error).message, [p.value, p.apiToken]);
                throw new Error(
                    `The token in ${configKeyOf(p)} (group CI/CD variable ${p.key}) does not work: ${why}. ` +
                        `Create a new personal access token (write_repository) and set it with: ` +
                        `pulumi config set --secret ${configKeyOf(p)} <token>, then run pulumi up.`,
                );
            }
            throw new Error(`Could not read the expiry of the token in ${configKeyOf(p)}: ${gitlab.redact((e as Error).message, [p.value, p.apiToken])}`);
        }
    };
    const write = async (p: GroupVariableInputs): Promise<gitlab.GroupVariable> => {
        const req = { value: p.value, masked: p.masked, protected: p.protected, raw: p.raw };
        // Adopts a variable set by hand (the seed's way): update when it exists, create otherwise.
        return withApiToken(p, async (c) => (await c.updateGroupVariable(p.group, p.key, req)) ?? c.createGroupVariable(p.group, p.key, req));
    };
    const outsOf = (p: GroupVariableInputs, live: gitlab.GroupVariable, expiresAt: string | null): GroupVariableOutputs => ({
        ...p,
        masked: live.masked,
        protected: live.protected,
        raw: live.raw,
        valueSha256: valueSha256(live.value),
        tokenExpiresAt: expiresAt,
    });

    return {
        async configure(req: pulumi.dynamic.ConfigureRequest) {
            configured.apiToken = configValue(req, settings.apiTokenConfigKey ?? gitlab.GITLAB_CONFIG_KEYS.apiToken);
        },

        async check(_olds: Partial<GroupVariableInputs>, news: Partial<GroupVariableInputs>) {
            return { inputs: news, failures: checkFailures(news) };
        },

        async diff(_id: string, olds: GroupVariableOutputs, news: GroupVariableInputs) {
            const replaces: string[] = [];
            if (differs(news.host, olds.host)) replaces.push("host");
            if (differs(String(news.group ?? ""), String(olds.group ?? ""))) replaces.push("group");
            if (differs(news.key, olds.key)) replaces.push("key");
            const valueChanged = isUnknown(news.value) || valueSha256(news.value) !== olds.valueSha256;
            const changes =
                replaces.length > 0 ||
                valueChanged ||
                differs(news.masked, olds.masked) ||
                differs(news.protected, olds.protected) ||
                differs(news.raw, olds.raw) ||
                differs(news.apiToken, olds.apiToken) ||
                differs(Boolean(news.readTokenExpiry), Boolean(olds.readTokenExpiry)) ||
                providerCodeChanged(olds, news);
            return { changes, replaces, deleteBeforeReplace: false };
        },

        async create(inputs: GroupVariableInputs) {
            const expiresAt = await tokenExpiry(inputs); // a rejected token stops before GitLab is changed
            const live = await write(inputs);
            return { id: `${inputs.group}:${inputs.key}`, outs: outsOf(inputs, live, expiresAt) };
        },

        async read(id: string, props: GroupVariableOutputs) {
            const live = await withApiToken(props, (c) => c.getGroupVariable(props.group, props.key));
            // Gone: the engine drops it from the state on refresh; the next `up` creates it again.
            if (!live) return { id: "", props: {} };
            const expiresAt = props.readTokenExpiry ? await tokenExpiry(props) : props.tokenExpiresAt ?? null;
            return { id, props: outsOf(props, live, expiresAt) };
        },

        async update(_id: string, _olds: GroupVariableOutputs, news: GroupVariableInputs) {
            const expiresAt = await tokenExpiry(news);
            const live = await write(news);
            return { outs: outsOf(news, live, expiresAt) };
        },

        async delete(_id: string, props: GroupVariableOutputs) {
            // Already gone is success.
            await withApiToken(props, (c) => c.deleteGroupVariable(props.group, props.key));
        },
    };
}

export const groupVariableProvider: pulumi.dynamic.ResourceProvider = makeGroupVariableProvider();
