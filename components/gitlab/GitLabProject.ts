import * as pulumi from "@pulumi/pulumi";
import { projectProvider } from "./projectProvider";

/** Arguments of {@link GitLabProject}. */
export interface GitLabProjectArgs {
    /** GitLab host or API base URL. */
    host: pulumi.Input<string>;
    /** Full path of the project, e.g. `gitops-poc-dzha/api-gateway`. */
    path: pulumi.Input<string>;
    /** GitLab API token (api scope, may create projects in the group). Kept secret. */
    apiToken: pulumi.Input<string>;
    /** Stack config key that names this project, for messages. */
    configKey?: pulumi.Input<string>;
}

/**
 * A GitLab project that must exist (`pulumi-nodejs:dynamic/gitlab:Project`): created when missing,
 * adopted when present, never deleted (retainOnDelete, and the provider's delete does nothing), so
 * neither `destroy` nor removing a service touches a repository. See projectProvider.ts.
 */
export class GitLabProject extends pulumi.dynamic.Resource {
    /** GitLab's project id. */
    declare readonly projectId: pulumi.Output<number>;
    /** True when the project existed before (adopted); false when this stack created it. */
    declare readonly adopted: pulumi.Output<boolean>;
    /** The project's current full path in GitLab. */
    declare readonly pathWithNamespace: pulumi.Output<string>;

    constructor(name: string, args: GitLabProjectArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            host: args.host,
            path: args.path,
            apiToken: pulumi.secret(args.apiToken),
            configKey: args.configKey,
            projectId: undefined,
            adopted: undefined,
            pathWithNamespace: undefined,
            webUrl: undefined,
        };
        super(projectProvider, name, props, pulumi.mergeOptions(opts, { retainOnDelete: true, additionalSecretOutputs: ["apiToken"] }), "gitlab", "Project");
    }
}
