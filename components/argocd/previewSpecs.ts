/**
 * Spec of the preview ApplicationSet (one Application per labelled open merge request of a service
 * repo, the GitLab pull-request generator). Pure functions: the component wraps them, tests check
 * them against the upstream CRD and the e2e against the real ApplicationSet controller.
 */
import { AppChartSpec, IN_CLUSTER, serviceSources } from "./specs";

/** Argo CD's finalizer: deleting the Application first prunes what it deployed. */
export const RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io";

/** Label the ApplicationSet controller requires on a `tokenRef` Secret (strict token-ref mode). */
export const SCM_CREDS_LABEL = { "argocd.argoproj.io/secret-type": "scm-creds" } as const;

/** Key of the generator's GitLab token in its Secret. */
export const PREVIEW_TOKEN_KEY = "token";

/**
 * Image tag a preview deploys, as a Go template of the generator's parameters:
 * `mr-<merge request iid>-<first 8 characters of the head commit>`. A service's `.gitlab-ci.yml`
 * pushes it in merge request pipelines as `mr-$CI_MERGE_REQUEST_IID-$CI_COMMIT_SHORT_SHA`.
 */
export const PREVIEW_IMAGE_TAG_TEMPLATE = "mr-{{.number}}-{{.head_short_sha}}";

/** `<service>-mr-<iid>`: name of a preview Application (and of its Helm release). */
export function previewApplicationName(service: string, iid: number | string): string {
    return `${service}-mr-${iid}`;
}

/** `<project>-previews`: name of the preview ApplicationSet of AppProject `project`. */
export function previewApplicationSetName(project: string): string {
    return `${project}-previews`;
}

/** A service that gets previews. */
export interface PreviewServiceSpec {
    /** Service name. */
    name: string;
    /** GitLab project path, `<group>/<repo>`, whose merge requests are listed. */
    gitlabProject: string;
    /** Git URL of the repository (its `.cicd/` values at the merge request's head commit). */
    repoURL: string;
}

/** Arguments of {@link previewApplicationSetSpec}. */
export interface PreviewApplicationSetArgs {
    /** AppProject of the Applications. */
    project: string;
    /** Services with previews, one generator each. */
    services: PreviewServiceSpec[];
    /** Namespace every preview deploys into, e.g. `poc-preview`. */
    namespace: string;
    /** Chart the services are rendered with. */
    appChart: AppChartSpec;
    /** GitLab root URL the generator calls (`<api>/api/v4/...`), e.g. `https://gitlab.com`. */
    gitlabApi: string;
    /** Secret (Argo CD namespace) holding the generator's GitLab token under {@link PREVIEW_TOKEN_KEY}. */
    tokenSecretName: string;
    /** Merge request label that asks for a preview, e.g. `preview`. */
    label: string;
    /** Values file of previews in the service repo, after `.cicd/default.yaml`, e.g. `.cicd/preview.yaml`. */
    valuesFile: string;
    /** Helm parameter that receives the image tag, e.g. `image.tag`. */
    imageTagParameter: string;
    /** Host name of a preview, with `{service}` and `{number}` placeholders, and the Helm parameter that receives it. @default none */
    host?: { pattern: string; parameter: string };
    /** How often the controller lists the merge requests, in seconds. */
    requeueAfterSeconds: number;
}

/** `{service}`/`{number}` placeholders of a host pattern as Go template expressions. */
export function previewHostTemplate(pattern: string): string {
    return pattern.replaceAll("{service}", "{{.values.service}}").replaceAll("{number}", "{{.number}}");
}

/**
 * Preview ApplicationSet: per service, a `pullRequest` generator listing the service repo's open
 * merge requests that carry `label`; each yields an Application `<service>-mr-<iid>` in the preview
 * namespace, rendered from the service chart with `.cicd/default.yaml` + the preview values file
 * of the merge request's head commit and the image tag {@link PREVIEW_IMAGE_TAG_TEMPLATE}. The
 * Application carries Argo CD's resources finalizer, so when the merge request is closed, merged
 * or loses the label the controller deletes it and Argo CD prunes what it deployed.
 */
export function previewApplicationSetSpec(a: PreviewApplicationSetArgs) {
    const parameters = [{ name: a.imageTagParameter, value: PREVIEW_IMAGE_TAG_TEMPLATE }];
    if (a.host) parameters.push({ name: a.host.parameter, value: previewHostTemplate(a.host.pattern) });
    const name = "{{.values.service}}-mr-{{.number}}";
    return {
        goTemplate: true,
        goTemplateOptions: ["missingkey=error"],
        generators: a.services.map((s) => ({
            pullRequest: {
                gitlab: {
                    project: s.gitlabProject,
                    api: a.gitlabApi,
                    tokenRef: { secretName: a.tokenSecretName, key: PREVIEW_TOKEN_KEY },
                    labels: [a.label],
                    pullRequestState: "opened",
                },
                requeueAfterSeconds: a.requeueAfterSeconds,
                values: { service: s.name, repoURL: s.repoURL },
            },
        })),
        // Previews are throw-away: the ApplicationSet's deletion (previews turned off) removes them.
        syncPolicy: { preserveResourcesOnDeletion: false },
        template: {
            metadata: {
                name,
                labels: {
                    "app.kubernetes.io/managed-by": "gitops-platform",
                    "gitops-platform/service": "{{.values.service}}",
                    "gitops-platform/environment": "preview",
                    "gitops-platform/merge-request": "{{.number}}",
                },
                finalizers: [RESOURCES_FINALIZER],
            },
            spec: {
                project: a.project,
                sources: serviceSources({
                    appChart: a.appChart,
                    releaseName: name,
                    valuesFile: a.valuesFile,
                    repoURL: "{{.values.repoURL}}",
                    revision: "{{.head_sha}}",
                    parameters,
                }),
                destination: { server: IN_CLUSTER, namespace: a.namespace },
                syncPolicy: {
                    automated: { prune: true, selfHeal: true },
                    syncOptions: ["ServerSideApply=true"],
                },
            },
        },
    };
}
