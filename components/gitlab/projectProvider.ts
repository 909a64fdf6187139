// The Pulumi dynamic provider behind GitLabProject: a GitLab project that must exist under the group
// (gitlab.manageProjects: the gitops-config repository and each service's), created when missing,
// adopted when present, never deleted.
//
// - create: GET /projects/:url-encoded-path; found → adopted as it is (`adopted: true`, nothing
//   written); not found → GET /groups/:namespace for its id, then POST /projects with `name`, `path`
//   and `namespace_id` (`adopted: false`). A missing namespace (a subgroup of services[].repo) is an
//   error naming it: this stack creates projects, not groups.
// - read (refresh): GET /projects/:id; a project deleted in GitLab leaves the state (the next `up`
//   creates it again); a moved or renamed one shows its new path.
// - delete does nothing: the repository and its history belong to the service team. The program
//   also sets retainOnDelete, so `destroy` or a service leaving the config only drops the resource
//   from the state.
// Closure-serialized like the other GitLab providers: only ./client (global fetch); the API token
// is an input kept as a secret output, with the 401 retry on the stack's current gitlabToken.

import type * as pulumi from "@pulumi/pulumi";
import * as gitlab from "./client";
import { providerCodeChanged } from "../dynamic/providerCode";
import { configValue } from "../dynamic/providerConfig";
import { apiTokenSession } from "./apiTokenSession";
import { UNKNOWN } from "../dynamic/inputValues";

/** Inputs of the dynamic resource. */
export interface ProjectInputs {
    /** GitLab host or API base URL. */
    host: string;
    /** Full path of the project, e.g. `gitops-poc-dzha/api-gateway` or `gitops-poc-dzha/backend/api-gateway`. */
    path: string;
    /** GitLab API token (api scope). Secret. */
    apiToken: string;
    /** Stack config key that names this project, for messages (e.g. gitops-platform:services). */
    configKey?: string;
}

/** State of the dynamic resource; `id` is GitLab's project id. */
export interface ProjectOutputs extends ProjectInputs {
    projectId: number;
    /** True when the project existed before this stack (adopted), false when this stack created it. */
    adopted: boolean;
    /** Where GitLab has it now (after a move or rename, differs from `path`). */
    pathWithNamespace: string;
    webUrl: string;
}

/** Knobs for tests. */
export interface ProjectProviderSettings {
    timeoutMs?: number;
    retry?: gitlab.RetryOptions;
}

/** `group/sub/name` → namespace `group/sub` and project path `name`. */
export function splitProjectPath(full: string): { namespace: string; path: string } {
    const clean = String(full ?? "").replace(/^\/+|\/+$/g, "");
    const i = clean.lastIndexOf("/");
    return i < 0 ? { namespace: "", path: clean } : { namespace: clean.slice(0, i), path: clean.slice(i + 1) };
}

/** Builds the provider. `settings` must stay plain data. */
export function makeProjectProvider(settings: ProjectProviderSettings = {}): pulumi.dynamic.ResourceProvider {
    // Clients per call; on 401 once more with the stack's current API token (filled by configure).
    const { configured, clientFor, withApiToken } = apiTokenSession(settings);
    const outsOf = (inputs: ProjectInputs, p: gitlab.Project, adopted: boolean): ProjectOutputs => ({
        ...inputs,
        projectId: p.id,
        adopted,
        pathWithNamespace: p.path_with_namespace,
        webUrl: p.web_url ?? "",
    });

    return {
        async configure(req: pulumi.dynamic.ConfigureRequest) {
            configured.apiToken = configValue(req, gitlab.GITLAB_CONFIG_KEYS.apiToken);
        },

        async check(_olds: Partial<ProjectInputs>, news: Partial<ProjectInputs>) {
            const failures: pulumi.dynamic.CheckFailure[] = [];
            const p = news.path;
            if (p !== UNKNOWN && (typeof p !== "string" || splitProjectPath(p).namespace === "" || splitProjectPath(p).path === "")) {
                failures.push({ property: "path", reason: `path must be a project's full path inside the group, e.g. my-group/api-gateway (${news.configKey ?? "gitops-platform:services"})` });
            }
            if (news.apiToken !== UNKNOWN && (typeof news.apiToken !== "string" || news.apiToken === "")) {
                failures.push({ property: "apiToken", reason: `pulumi config set --secret ${gitlab.GITLAB_CONFIG_KEYS.apiToken} <token>` });
            }
            return { inputs: news, failures };
        },

        async diff(_id: string, olds: ProjectOutputs, news: ProjectInputs) {
            // Another path is another project (the old one is kept: retainOnDelete, and delete does nothing).
            const replaces = news.path === UNKNOWN || news.path !== olds.path || news.host !== olds.host ? ["path"] : [];
            const changes = replaces.length > 0 || news.apiToken !== olds.apiToken || news.configKey !== olds.configKey || providerCodeChanged(olds, news);
            return { changes, replaces, deleteBeforeReplace: false };
        },

        async create(inputs: ProjectInputs) {
            return withApiToken(inputs, async (c) => {
                const existing = await c.getProject(inputs.path);
                if (existing) return { id: String(existing.id), outs: outsOf(inputs, existing, true) };
                const { namespace, path } = splitProjectPath(inputs.path);
                const group = await c.getGroup(namespace);
                if (!group) {
                    throw new Error(
                        `GitLab has no group "${namespace}" for project "${inputs.path}" (${inputs.configKey ?? "gitops-platform:services"}): this stack ` +
                            `creates projects, not groups. Create the group in GitLab, or change the repository path.`,
                    );
                }
                const created = await c.createProject({ name: path, path, namespaceId: group.id, group: namespace });
                return { id: String(created.id), outs: outsOf(inputs, created, false) };
            });
        },

        async read(id: string, props: ProjectOutputs) {
            const p = await withApiToken(props, (c) => c.getProject(id));
            // Deleted in GitLab: gone from the state; the next up creates it again.
            if (!p) return { id: "", props: {} };
            return { id, props: { ...props, projectId: p.id, pathWithNamespace: p.path_with_namespace, webUrl: p.web_url ?? props.webUrl } };
        },

        async update(_id: string, olds: ProjectOutputs, news: ProjectInputs) {
            return { outs: { ...olds, apiToken: news.apiToken, configKey: news.configKey } };
        },

        async delete() {
            // Never: the project and its history belong to the service team (README "Service repositories").
        },
    };
}

/** The provider GitLabProject uses. */
export const projectProvider: pulumi.dynamic.ResourceProvider = makeProjectProvider();
