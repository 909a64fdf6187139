/**
 * Specs of the Argo CD custom resources gitops-platform manages (AppProject, bootstrap
 * ApplicationSet). Pure functions: the component wraps them, tests check them against the CRDs.
 */

/** In-cluster API server address Argo CD deploys to. */
export const IN_CLUSTER = "https://kubernetes.default.svc";

/** A service deployed into every environment. */
export interface ServiceSpec {
    /** Service name; the Application is `<name>-<env>`. */
    name: string;
    /** Git URL of the service repository (holds `.cicd/default.yaml` and `.cicd/<env>.yaml`). */
    repoURL: string;
    /** Argo CD sync wave of the service's Applications. */
    syncWave: number;
}

/** An environment namespace Applications deploy into. */
export interface EnvironmentSpec {
    /** Environment name, e.g. `dev`. */
    name: string;
    /** Namespace, e.g. `poc-dev`. */
    namespace: string;
}

/** The Helm chart every service is rendered with (the seed's k8app `app` chart). */
export interface AppChartSpec {
    /** Helm repository URL. */
    repoURL: string;
    /** Chart name. */
    chart: string;
    /** Pinned chart version. */
    version: string;
}

/** AppProject limited to the group's repositories, the service chart and the stack's namespaces. */
export function appProjectSpec(a: { description: string; repoPrefix: string; appChart: AppChartSpec; namespaces: string[] }) {
    return {
        description: a.description,
        sourceRepos: [`${a.repoPrefix}/*`, a.appChart.repoURL],
        destinations: a.namespaces.map((namespace) => ({ server: IN_CLUSTER, namespace })),
        // Services deploy namespaced objects only; namespaces themselves are Pulumi's.
        clusterResourceWhitelist: [],
        namespaceResourceWhitelist: [{ group: "*", kind: "*" }],
    };
}

/**
 * Helm parameters of the chart source of a generated Application, as jq path: where Argo CD Image
 * Updater's `argocd` write-back puts the new image tag.
 */
export const HELM_PARAMETERS_PATH = ".spec.sources[0].helm.parameters";

/**
 * Bootstrap ApplicationSet: one Application `<service>-<env>` per service × environment, in that
 * environment's namespace, rendered from the service chart with the service repo's
 * `.cicd/default.yaml` and `.cicd/<env>.yaml` as values (multi-source `$values` ref).
 * `imageUpdatedApplications` (Applications whose image Argo CD Image Updater moves) keep their
 * chart source's Helm parameters: the ApplicationSet controller would otherwise put its template
 * back over the updater's write-back on every reconcile.
 */
export function applicationSetSpec(a: {
    project: string;
    services: ServiceSpec[];
    environments: EnvironmentSpec[];
    appChart: AppChartSpec;
    targetRevision: string;
    imageUpdatedApplications?: string[];
}) {
    const elements = a.services.flatMap((s) =>
        a.environments.map((e) => ({
            service: s.name,
            env: e.name,
            namespace: e.namespace,
            repoURL: s.repoURL,
            syncWave: syncWaveLabelValue(s.syncWave),
        })),
    );
    const strategy = rolloutStrategy(a.services.map((s) => s.syncWave));
    return {
        goTemplate: true,
        goTemplateOptions: ["missingkey=error"],
        generators: [{ list: { elements } }],
        // Deleting the ApplicationSet must not cascade into every running service.
        syncPolicy: { preserveResourcesOnDeletion: true },
        ...(strategy ? { strategy } : {}),
        ...(a.imageUpdatedApplications && a.imageUpdatedApplications.length > 0
            ? { ignoreApplicationDifferences: a.imageUpdatedApplications.map((name) => ({ name, jqPathExpressions: [HELM_PARAMETERS_PATH] })) }
            : {}),
        template: {
            metadata: {
                name: "{{.service}}-{{.env}}",
                labels: {
                    "app.kubernetes.io/managed-by": "gitops-platform",
                    "gitops-platform/service": "{{.service}}",
                    "gitops-platform/environment": "{{.env}}",
                    [SYNC_WAVE_LABEL]: "{{.syncWave}}",
                },
            },
            spec: {
                project: a.project,
                sources: serviceSources({
                    appChart: a.appChart,
                    releaseName: "{{.service}}",
                    valuesFile: ".cicd/{{.env}}.yaml",
                    repoURL: "{{.repoURL}}",
                    revision: a.targetRevision,
                }),
                destination: { server: IN_CLUSTER, namespace: "{{.namespace}}" },
                syncPolicy: {
                    automated: { prune: true, selfHeal: true },
                    syncOptions: ["ServerSideApply=true"],
                },
            },
        },
    };
}

/**
 * The two sources of a service's Application: the service chart with `.cicd/default.yaml` then
 * `valuesFile` of the service repo at `revision` (multi-source `$values` ref), and that repo.
 */
export function serviceSources(a: {
    appChart: AppChartSpec;
    releaseName: string;
    valuesFile: string;
    repoURL: string;
    revision: string;
    parameters?: { name: string; value: string }[];
}) {
    return [
        {
            repoURL: a.appChart.repoURL,
            chart: a.appChart.chart,
            targetRevision: a.appChart.version,
            helm: {
                releaseName: a.releaseName,
                valueFiles: ["$values/.cicd/default.yaml", `$values/${a.valuesFile}`],
                ...(a.parameters ? { parameters: a.parameters } : {}),
            },
        },
        { repoURL: a.repoURL, targetRevision: a.revision, ref: "values" },
    ];
}

/** Label on every generated Application carrying its service's `syncWave`; the RollingSync steps select on it. */
export const SYNC_WAVE_LABEL = "gitops-platform/sync-wave";

/** A sync wave as a label value (label values cannot start with '-'): 2 → "2", -1 → "m1". */
export function syncWaveLabelValue(wave: number): string {
    return wave < 0 ? `m${-wave}` : String(wave);
}

/**
 * The ApplicationSet's progressive sync: one RollingSync step per distinct `syncWave`, lowest
 * first, each selecting the Applications of that wave by label; a step starts when the previous
 * one's Applications are synced and healthy. Undefined when every service has the same wave
 * (nothing to order). With it, the ApplicationSet controller drives the syncs step by step and
 * the generated Applications carry no `syncPolicy.automated` (seen with Argo CD v3.2.6): changes
 * roll out wave by wave instead of by each Application's own automated sync (README).
 */
export function rolloutStrategy(waves: number[]) {
    const distinct = [...new Set(waves)].sort((a, b) => a - b);
    if (distinct.length < 2) return undefined;
    return {
        type: "RollingSync",
        rollingSync: {
            steps: distinct.map((w) => ({
                matchExpressions: [{ key: SYNC_WAVE_LABEL, operator: "In", values: [syncWaveLabelValue(w)] }],
            })),
        },
    };
}
