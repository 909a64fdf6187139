import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { FORCE_APPLY_ANNOTATIONS } from "../kubernetes/forceApply";
import { pinnedRelease } from "../kubernetes/pinnedRelease";
import { requireProvider } from "../requireProvider";
import { ConstrainedEnvironment, IMAGE_UPDATER_API_VERSION, RegistryConfEntry, imageUpdaterName, imageUpdaterSpec } from "./specs";

/** Arguments of {@link ImageUpdater}. */
export interface ImageUpdaterArgs {
    /** Argo CD namespace: the updater runs there and its ImageUpdater resources select the Applications there, e.g. `argocd`. */
    namespace: string;
    /** Install the chart with Helm: true, or false when the updater (and its CRD) is installed already. */
    install: boolean;
    /** Pinned `argocd-image-updater` chart version (1.x: CRD-based), e.g. `1.2.4`. */
    chartVersion: string;
    /** Helm repository of the chart, e.g. `https://argoproj.github.io/argo-helm`. */
    chartRepo: string;
    /** `registries.conf` entries (chart value `config.registries`), see specs.ts `registriesConf`. */
    registries: RegistryConfEntry[];
    /** AppProject name, the prefix of the ImageUpdater names (`<project>-<service>`), e.g. `poc`. */
    project: string;
    /** One ImageUpdater per image: the service (Applications `<service>-<env>`) and its repository without tag. */
    images: { service: string; image: string }[];
    /** Environments with their semver constraints, e.g. `[{ name: "dev", constraint: "~0-0" }]`. */
    environments: ConstrainedEnvironment[];
    /** Labels on the ImageUpdater resources, e.g. the owning stack. @default {} */
    labels?: Record<string, string>;
    /** Resources the release waits for (e.g. Argo CD, whose namespace and Application CRD it needs). @default [] */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Argo CD Image Updater v1: its Helm release (when `install`) in the Argo CD namespace (CRDs kept on uninstall,
 * registries configured) and one `ImageUpdater` per image that moves the Applications
 * `<service>-<env>` to the newest tag matching the environment's semver constraint, written back
 * as Helm parameters on the Application (method `argocd`; the ApplicationSet ignores them, see
 * argocd/specs.ts). The pull secret it reads (`regsecret` in the same namespace) is synced by a
 * RegistryPullSecret. Needs an explicit `kubernetes` provider in its resource options.
 */
export class ImageUpdater extends pulumi.ComponentResource {
    /** Names of the ImageUpdater resources. */
    public readonly imageUpdaterNames: string[];

    constructor(name: string, args: ImageUpdaterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:image-updater:ImageUpdater", name, {}, opts);
        requireProvider(this, "kubernetes");

        let release: k8s.helm.v3.Release | undefined;
        if (args.install) {
            release = pinnedRelease(
                `${name}-release`,
                {
                    releaseName: "argocd-image-updater",
                    chart: "argocd-image-updater",
                    version: args.chartVersion,
                    repo: args.chartRepo,
                    namespace: args.namespace,
                    values: {
                        // The CRD stays when the release goes: removing it would delete every ImageUpdater.
                        crds: { install: true, keep: true },
                        config: { registries: args.registries },
                    },
                },
                { parent: this, dependsOn: args.dependsOn },
            );
        } else {
            pulumi.log.warn(
                `Argo CD Image Updater is installed outside this stack (gitops-platform:imageUpdater.install false): set its ` +
                    `registries (chart value config.registries, ConfigMap argocd-image-updater-config registries.conf) to ` +
                    JSON.stringify(args.registries),
                this,
            );
        }

        this.imageUpdaterNames = [];
        for (const img of args.images) {
            const crName = imageUpdaterName(args.project, img.service);
            new k8s.apiextensions.CustomResource(
                `${name}-${img.service}`,
                {
                    apiVersion: IMAGE_UPDATER_API_VERSION,
                    kind: "ImageUpdater",
                    metadata: {
                        name: crName,
                        namespace: args.namespace,
                        ...(args.labels ? { labels: args.labels } : {}),
                        annotations: { ...FORCE_APPLY_ANNOTATIONS },
                    },
                    spec: imageUpdaterSpec({ service: img.service, image: img.image, environments: args.environments }),
                },
                { parent: this, dependsOn: release ? [release] : args.dependsOn },
            );
            this.imageUpdaterNames.push(crName);
        }
        this.registerOutputs({ imageUpdaterNames: this.imageUpdaterNames });
    }
}
