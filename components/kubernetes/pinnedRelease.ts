import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** A Helm chart pinned to one version in one repository. */
export interface PinnedChart {
    /** Helm release name. */
    releaseName: string;
    /** Chart name in the repository. */
    chart: string;
    /** Exact chart version (never a range). */
    version: string;
    /** Helm repository URL. */
    repo: string;
    /** Namespace of the release (created when missing). */
    namespace: string;
    /** Chart values. */
    values: Record<string, unknown>;
}

/**
 * The Helm release of an operator chart, with the platform's defaults: exact version, namespace
 * created on demand, and `atomic` so a failed install or upgrade rolls back instead of leaving a
 * half-installed operator.
 */
export function pinnedRelease(name: string, c: PinnedChart, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    return new k8s.helm.v3.Release(
        name,
        {
            name: c.releaseName,
            chart: c.chart,
            version: c.version,
            repositoryOpts: { repo: c.repo },
            namespace: c.namespace,
            createNamespace: true,
            atomic: true,
            values: c.values,
        },
        opts,
    );
}
