import * as pulumi from "@pulumi/pulumi";
import { projectHookProvider } from "./projectHookProvider";

/** Arguments of {@link ProjectHook}. */
export interface ProjectHookArgs {
    /** GitLab host or API base URL, e.g. `gitlab.com`. */
    host: pulumi.Input<string>;
    /** Project full path, e.g. `gitops-poc-dzha/gitops-config`. */
    project: pulumi.Input<string>;
    /** URL GitLab calls, e.g. `https://argocd.example.com/api/webhook`. */
    url: pulumi.Input<string>;
    /** Secret token GitLab sends (X-Gitlab-Token); kept secret. */
    token: pulumi.Input<string>;
    /** GitLab verifies the TLS certificate of `url`. @default true */
    enableSslVerification?: pulumi.Input<boolean>;
    /** GitLab API token (api scope); kept secret. */
    apiToken: pulumi.Input<string>;
}

/**
 * A GitLab project push webhook (`pulumi-nodejs:dynamic/gitlab:ProjectHook`): created, or adopted
 * when the project has a hook with the same URL; updated in place; deleted with the resource.
 * `token` and `apiToken` are secret outputs.
 */
export class ProjectHook extends pulumi.dynamic.Resource {
    /** GitLab's hook id. */
    declare readonly hookId: pulumi.Output<number>;
    /** The URL GitLab calls. */
    declare readonly url: pulumi.Output<string>;

    constructor(name: string, args: ProjectHookArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            host: args.host,
            project: args.project,
            url: args.url,
            token: pulumi.secret(args.token),
            pushEvents: true,
            enableSslVerification: args.enableSslVerification ?? true,
            apiToken: pulumi.secret(args.apiToken),
            hookId: undefined,
        };
        super(projectHookProvider, name, props, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["token", "apiToken"] }), "gitlab", "ProjectHook");
    }
}
