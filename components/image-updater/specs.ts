/**
 * Specs of Argo CD Image Updater v1 (CRD `ImageUpdater`, chart `argocd-image-updater` 1.x) as
 * gitops-platform configures it. Pure functions: the component wraps them, tests check them
 * against the upstream CRD.
 */
import { DOCKER_HUB_KEYS, isDockerHub } from "../registry/dockerConfig";
import { REGISTRY_SECRET_NAME } from "../kubernetes/registrySecretSpec";
import type { AppliedObjectRef } from "../argocd/ArgoCd";
import { HELM_PARAMETERS_PATH } from "../argocd/specs";

/** API version of the ImageUpdater custom resource. */
export const IMAGE_UPDATER_API_VERSION = "argocd-image-updater.argoproj.io/v1alpha1";
/** Helm value the image repository is written to (the seed's k8app chart: `image.repository`). */
export const HELM_IMAGE_NAME = "image.repository";
/** Helm value the image tag is written to (k8app: `image.tag`). */
export const HELM_IMAGE_TAG = "image.tag";
/**
 * Write-back method: `argocd`, i.e. Helm parameters on the Application (`spec.sources[0].helm.parameters`,
 * the chart source), which the ApplicationSet leaves alone (`ignoreApplicationDifferences`, argocd/specs.ts).
 */
export const WRITE_BACK_METHOD = "argocd";
/** JSON path (jq) on the Application that the argocd write-back owns; the ApplicationSet ignores it. */
export const WRITE_BACK_PATH = HELM_PARAMETERS_PATH;
/**
 * How long Image Updater caches registry credentials it read from `regsecret` (`credsexpire`):
 * a rotated deploy token is picked up within this time (the old one is revoked right after every
 * `regsecret` holds the new one).
 */
export const CREDENTIALS_EXPIRE = "5m";
/** ServiceAccount (and VaultAuth) in the Argo CD namespace that syncs `regsecret` for Image Updater. */
export const REGSECRET_SYNC_NAME = "gitops-platform-regsecret";

/** Vault Kubernetes auth role that syncs `regsecret` into the Argo CD namespace: `<namespace>-regsecret`. */
export function regsecretRoleName(argocdNamespace: string): string {
    return `${argocdNamespace}-regsecret`;
}

/** Name of the ImageUpdater resource of one service: `<project>-<service>` (like the ApplicationSet `<project>-services`). */
export function imageUpdaterName(project: string, service: string): string {
    return `${project}-${service}`;
}

/** An environment with the semver constraint its Applications follow. */
export interface ConstrainedEnvironment {
    /** Environment name, e.g. `dev`; the Application is `<service>-<env>`. */
    name: string;
    /** Semver constraint, e.g. `~0-0` or `~0`. */
    constraint: string;
}

/**
 * spec of the ImageUpdater of one service: one applicationRef per environment selecting the
 * Application `<service>-<env>` (the ApplicationSet's name; a glob without wildcards), tracking
 * `<image>:<constraint>` with the semver strategy, written to the chart's image.repository /
 * image.tag with the `argocd` method.
 */
export function imageUpdaterSpec(a: { service: string; image: string; environments: ConstrainedEnvironment[] }) {
    return {
        writeBackConfig: { method: WRITE_BACK_METHOD },
        applicationRefs: a.environments.map((e) => ({
            namePattern: `${a.service}-${e.name}`,
            images: [
                {
                    alias: a.service,
                    imageName: `${a.image}:${e.constraint}`,
                    commonUpdateSettings: { updateStrategy: "semver" },
                    manifestTargets: { helm: { name: HELM_IMAGE_NAME, tag: HELM_IMAGE_TAG } },
                },
            ],
        })),
    };
}

/** One entry of Image Updater's `registries.conf` (chart value `config.registries`). */
export interface RegistryConfEntry {
    name: string;
    api_url: string;
    prefix: string;
    ping?: boolean;
    defaultns?: string;
    default?: boolean;
    credentials?: string;
    credsexpire?: string;
}

/** Registry host of an image repository (`docker.io` when the first component is not a host). */
export function imageRegistryHost(image: string): string {
    const parts = image.split("/");
    return parts.length > 1 && (parts[0].includes(".") || parts[0].includes(":") || parts[0] === "localhost") ? parts[0] : "docker.io";
}

/**
 * `config.registries`: Docker Hub (the default registry, API at registry-1.docker.io) and the
 * GitLab registry always, plus every other host `regsecret` holds a login for; each host in
 * `authenticated` reads its credentials from `pullsecret:<namespace>/regsecret` (re-read every
 * CREDENTIALS_EXPIRE), the others are anonymous.
 */
export function registriesConf(a: { namespace: string; gitlabRegistry: string; authenticated: string[] }): RegistryConfEntry[] {
    const creds = { credentials: `pullsecret:${a.namespace}/${REGISTRY_SECRET_NAME}`, credsexpire: CREDENTIALS_EXPIRE };
    const has = (host: string) => a.authenticated.some((h) => h === host || (isDockerHub(h) && isDockerHub(host)));
    const out: RegistryConfEntry[] = [
        {
            name: "Docker Hub",
            api_url: DOCKER_HUB_KEYS[1],
            prefix: "docker.io",
            ping: true,
            defaultns: "library",
            default: true,
            ...(has("docker.io") ? creds : {}),
        },
    ];
    const hosts = [a.gitlabRegistry, ...a.authenticated].filter((h, i, all) => !isDockerHub(h) && all.indexOf(h) === i);
    for (const host of hosts) {
        out.push({ name: host === a.gitlabRegistry ? "GitLab" : host, api_url: `https://${host}`, prefix: host, ...(has(host) ? creds : {}) });
    }
    return out;
}

/** The objects the Image Updater part applies into the Argo CD namespace (for the cluster ownership preflight). */
export function imageUpdaterAppliedObjects(namespace: string, project: string, services: string[]): AppliedObjectRef[] {
    return [
        { apiVersion: "secrets.hashicorp.com/v1beta1", kind: "VaultAuth", plural: "vaultauths", namespace, name: REGSECRET_SYNC_NAME },
        { apiVersion: "secrets.hashicorp.com/v1beta1", kind: "VaultStaticSecret", plural: "vaultstaticsecrets", namespace, name: REGISTRY_SECRET_NAME },
        ...services.map((s) => ({
            apiVersion: IMAGE_UPDATER_API_VERSION,
            kind: "ImageUpdater",
            plural: "imageupdaters",
            namespace,
            name: imageUpdaterName(project, s),
        })),
    ];
}
