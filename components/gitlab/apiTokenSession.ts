// How the GitLab dynamic providers call the API: a client per call, with the API token kept in the
// resource's state; when GitLab answers 401 (that token expired or was rotated away), once more
// with the stack's current `gitlabToken`, which the engine hands to `configure`. Closure-serialized
// with the providers: plain functions and one object filled by `configure`, no module state.
import * as gitlab from "./client";

/** What a provider needs to build its clients (plain data: serialized with the provider). */
export interface ApiTokenSessionSettings {
    /** Per-request timeout in ms (the client's default when unset). */
    timeoutMs?: number;
    /** Retry policy for 5xx, timeouts and network errors (the client's default when unset). */
    retry?: gitlab.RetryOptions;
}

/** The API target of one call: host and the API token from the resource's inputs or state. */
export interface ApiTarget {
    host: string;
    apiToken: string;
}

/** A provider's GitLab clients and the stack token `configure` stored for the 401 retry. */
export interface ApiTokenSession {
    /** Set by the provider's `configure` from the stack config. */
    configured: { apiToken?: string };
    /** A client for `p`; `secrets` are values the client keeps out of its error messages. */
    clientFor(p: ApiTarget, secrets?: string[]): gitlab.GitLabClient;
    /** Runs `fn` with the state's API token; on 401 once more with the stack's current one. */
    withApiToken<T>(p: ApiTarget, fn: (c: gitlab.GitLabClient) => Promise<T>, secrets?: string[]): Promise<T>;
}

/** Builds a provider's session. */
export function apiTokenSession(settings: ApiTokenSessionSettings): ApiTokenSession {
    const configured: { apiToken?: string } = {};
    const clientFor = (p: ApiTarget, secrets: string[] = []) =>
        new gitlab.GitLabClient({ host: p.host, token: p.apiToken, timeoutMs: settings.timeoutMs, retry: settings.retry, secrets });
    const withApiToken = async <T>(p: ApiTarget, fn: (c: gitlab.GitLabClient) => Promise<T>, secrets: string[] = []): Promise<T> => {
        try {
            return await fn(clientFor(p, secrets));
        } catch (e) {
            const fresh = configured.apiToken;
            if (e instanceof gitlab.GitLabApiError && e.kind === "unauthorized" && fresh && fresh !== p.apiToken) {
                return fn(clientFor({ host: p.host, apiToken: fresh }, secrets));
            }
            throw e;
        }
    };
    return { configured, clientFor, withApiToken };
}
