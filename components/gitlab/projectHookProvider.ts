// The Pulumi dynamic provider behind ProjectHook: one GitLab project webhook over REST v4
// (GET/POST/PUT/DELETE /projects/:id/hooks[/:hook_id]), e.g. the push hook that tells Argo CD about
// new commits (`<argocd.url>/api/webhook`, secret token = Argo CD's webhook.gitlab.secret).
//
// A hook with the same URL that already exists (made by hand, or by an earlier run whose state was
// lost) is adopted and updated instead of creating a second one. Refresh reads the hook back: gone
// (deleted in GitLab) drops it from the state, a changed URL or event flag shows as drift; GitLab
// never returns the secret token, so a token changed in GitLab cannot be seen. Closure-serialized
// like groupVariableProvider.ts: global fetch and the helpers here and in ./client (pure functions);
// the secret token and the API token arrive as secret inputs and never appear in a message.

import type * as pulumi from "@pulumi/pulumi";
import { gitlabApiBaseUrl, redact } from "./client";
import { providerCodeChanged } from "../dynamic/providerCode";
import { configValue } from "../dynamic/providerConfig";
import { differs, isUnknown } from "../dynamic/inputValues";

/** Inputs of the dynamic resource. */
export interface ProjectHookInputs {
    /** GitLab host or API base URL. */
    host: string;
    /** Project full path (`group/repo`) or numeric id. */
    project: string;
    /** URL GitLab calls, e.g. `https://argocd.example.com/api/webhook`. */
    url: string;
    /** Secret token GitLab sends as X-Gitlab-Token. Secret. */
    token: string;
    /** Push events (the only events this hook is for). */
    pushEvents: boolean;
    /** GitLab verifies the TLS certificate of `url`. */
    enableSslVerification: boolean;
    /** GitLab API token (api scope, Maintainer of the project). Secret. */
    apiToken: string;
}

/** State; `id` is `<project>:<hook id>`. */
export interface ProjectHookOutputs extends ProjectHookInputs {
    /** GitLab's numeric hook id. */
    hookId: number;
}

/** Knobs for tests. Plain data. */
export interface ProjectHookProviderSettings {
    /** Per-request timeout in ms (default 30000). */
    timeoutMs?: number;
}

/** GitLab's view of a project hook (the fields this provider reads). */
interface LiveHook {
    id: number;
    url: string;
    push_events: boolean;
    enable_ssl_verification: boolean;
}

/** `:id` of the project endpoints: a numeric id as is, a full path URL-encoded. */
export function encodeProjectId(project: string): string {
    const p = String(project ?? "").trim().replace(/^\/+|\/+$/g, "");
    if (p === "") throw new Error("GitLab project is empty (gitops-platform:gitlab.configRepo or services[].repo)");
    return /^\d+$/.test(p) ? p : encodeURIComponent(p);
}

/** Builds the provider. */
export function makeProjectHookProvider(settings: ProjectHookProviderSettings = {}): pulumi.dynamic.ResourceProvider {
    const configured: { apiToken?: string } = {};
    type Res = { status: number; body: any };
    const call = async (p: ProjectHookInputs, method: string, path: string, body?: unknown, token?: string): Promise<Res> => {
        const url = `${gitlabApiBaseUrl(p.host)}/projects/${encodeProjectId(p.project)}/hooks${path}`;
        const secrets = [p.token, p.apiToken, configured.apiToken];
        const attempts = method === "POST" ? 1 : 3;
        let lastError = "";
        for (let i = 1; i <= attempts; i++) {
            const controller = new AbortController();
            const timer = setTimeout(() => controller.abort(), settings.timeoutMs ?? 30000);
            try {
                const headers: Record<string, string> = { "PRIVATE-TOKEN": token ?? p.apiToken, Accept: "application/json" };
                if (body !== undefined) headers["Content-Type"] = "application/json";
                const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: controller.signal });
                const text = await r.text();
                let parsed: unknown = text;
                try {
                    parsed = text === "" ? undefined : JSON.parse(text);
                } catch {
                    /* not JSON */
                }
                if ((r.status >= 500 || r.status === 429) && i < attempts) {
                    lastError = `HTTP ${r.status}`;
                } else {
                    return { status: r.status, body: parsed };
                }
            } catch (e) {
                const cause = (e as { cause?: { code?: string; message?: string } }).cause;
                lastError = controller.signal.aborted ? "no answer in time" : String(cause?.code ?? cause?.message ?? (e as Error).message);
            } finally {
                clearTimeout(timer);
            }
            if (i < attempts) await new Promise((res) => setTimeout(res, 300 * i));
        }
        throw new Error(redact(`Could not reach GitLab for ${method} ${url} (${lastError}): check gitops-platform:gitlab.host / gitlab.apiUrl`, secrets));
    };
    /** Calls with the state's API token; on 401 once more with the stack's current gitlabToken. */
    const callAuth = async (p: ProjectHookInputs, method: string, path: string, body?: unknown): Promise<Res> => {
        const r = await call(p, method, path, body);
        if (r.status === 401 && configured.apiToken && configured.apiToken !== p.apiToken) return call(p, method, path, body, configured.apiToken);
        return r;
    };
    const fail = (p: ProjectHookInputs, r: Res, what: string): never => {
        const m = r.body && typeof r.body === "object" ? r.body.message ?? r.body.error : r.body;
        const said = m ? ` GitLab said: "${redact(typeof m === "string" ? m : JSON.stringify(m), [p.token, p.apiToken])}".` : "";
        const hint =
            r.status === 401 ? " The API token is invalid, expired or revoked: pulumi config set --secret gitops-platform:gitlabToken <token>." :
            r.status === 403 ? " Managing webhooks needs the Maintainer role on the project and an API token with the api scope." :
            r.status === 404 ? ` No project "${p.project}" visible to the API token: check gitops-platform:gitlab.group, gitlab.configRepo and services[].repo.` : "";
        throw new Error(`GitLab could not ${what} (HTTP ${r.status}).${hint}${said}`);
    };
    const request = (p: ProjectHookInputs) => ({
        url: p.url,
        token: p.token,
        push_events: p.pushEvents,
        enable_ssl_verification: p.enableSslVerification,
        merge_requests_events: false,
        tag_push_events: false,
        issues_events: false,
        note_events: false,
        pipeline_events: false,
    });
    const listHooks = async (p: ProjectHookInputs): Promise<LiveHook[]> => {
        const all: LiveHook[] = [];
        for (let page = 1; page <= 20; page++) {
            const r = await callAuth(p, "GET", `?per_page=100&page=${page}`);
            if (r.status !== 200) fail(p, r, `list the webhooks of project ${p.project}`);
            const list = Array.isArray(r.body) ? (r.body as LiveHook[]) : [];
            all.push(...list);
            if (list.length < 100) break;
        }
        return all;
    };
    const write = async (p: ProjectHookInputs, hookId?: number): Promise<LiveHook> => {
        if (hookId !== undefined) {
            const r = await callAuth(p, "PUT", `/${hookId}`, request(p));
            if (r.status === 200) return r.body as LiveHook;
            if (r.status !== 404) fail(p, r, `update webhook ${hookId} of project ${p.project}`);
        }
        // Adopt a hook with the same URL rather than adding a second one.
        const same = (await listHooks(p)).find((h) => h.url === p.url);
        if (same) {
            const r = await callAuth(p, "PUT", `/${same.id}`, request(p));
            if (r.status !== 200) fail(p, r, `update webhook ${same.id} of project ${p.project}`);
            return r.body as LiveHook;
        }
        const r = await callAuth(p, "POST", "", request(p));
        if (r.status !== 201 && r.status !== 200) fail(p, r, `add a webhook to project ${p.project}`);
        return r.body as LiveHook;
    };
    const outsOf = (p: ProjectHookInputs, live: LiveHook): ProjectHookOutputs => ({
        ...p,
        url: live.url,
        pushEvents: live.push_events,
        enableSslVerification: live.enable_ssl_verification,
        hookId: live.id,
    });

    return {
        async configure(req: pulumi.dynamic.ConfigureRequest) {
            configured.apiToken = configValue(req, "gitops-platform:gitlabToken");
        },
        async check(_olds: Partial<ProjectHookInputs>, news: Partial<ProjectHookInputs>) {
            const failures: pulumi.dynamic.CheckFailure[] = [];
            for (const [k, hint] of [
                ["host", "gitops-platform:gitlab.host"],
                ["project", "gitops-platform:gitlab.configRepo or services[].repo"],
                ["url", "gitops-platform:argocd.url, e.g. https://argocd.example.com"],
                ["token", "the webhook secret"],
                ["apiToken", "pulumi config set --secret gitops-platform:gitlabToken <token>"],
            ] as const) {
                const v = news[k];
                if (!isUnknown(v) && (typeof v !== "string" || v.trim() === "")) failures.push({ property: k, reason: `${k} must be a non-empty string (${hint})` });
            }
            return { inputs: news, failures };
        },
        async diff(_id: string, olds: ProjectHookOutputs, news: ProjectHookInputs) {
            const replaces: string[] = [];
            if (differs(news.host, olds.host)) replaces.push("host");
            if (differs(news.project, olds.project)) replaces.push("project");
            const changes =
                replaces.length > 0 ||
                differs(news.url, olds.url) ||
                differs(news.token, olds.token) ||
                differs(news.pushEvents, olds.pushEvents) ||
                differs(news.enableSslVerification, olds.enableSslVerification) ||
                differs(news.apiToken, olds.apiToken) ||
                providerCodeChanged(olds, news);
            return { changes, replaces, deleteBeforeReplace: false };
        },
        async create(inputs: ProjectHookInputs) {
            const live = await write(inputs);
            return { id: `${inputs.project}:${live.id}`, outs: outsOf(inputs, live) };
        },
        async read(id: string, props: ProjectHookOutputs) {
            const r = await callAuth(props, "GET", `/${props.hookId}`);
            if (r.status === 404) return { id: "", props: {} };
            if (r.status !== 200) fail(props, r, `read webhook ${props.hookId} of project ${props.project}`);
            return { id, props: outsOf(props, r.body as LiveHook) };
        },
        async update(_id: string, olds: ProjectHookOutputs, news: ProjectHookInputs) {
            const live = await write(news, olds.hookId);
            return { outs: outsOf(news, live) };
        },
        async delete(_id: string, props: ProjectHookOutputs) {
            const r = await callAuth(props, "DELETE", `/${props.hookId}`);
            if (r.status !== 204 && r.status !== 200 && r.status !== 404) fail(props, r, `delete webhook ${props.hookId} of project ${props.project}`);
        },
    };
}

/** The provider ProjectHook uses. */
export const projectHookProvider: pulumi.dynamic.ResourceProvider = makeProjectHookProvider();
