/**
 * The VaultStaticSecret spec that keeps Secret `regsecret` (kubernetes.io/dockerconfigjson) in sync
 * with Vault, shared by every namespace that gets it (the environments, and the Argo CD namespace
 * for Image Updater), so all of them are rendered the same way.
 */
import * as pulumi from "@pulumi/pulumi";

/** Name of the registry pull secret VSO creates. */
export const REGISTRY_SECRET_NAME = "regsecret";
/** Annotation on `regsecret` holding the KV version it was synced from (credentials this program writes). */
export const REGISTRY_VERSION_ANNOTATION = "gitops-platform/registry-kv-version";
/** Annotation on `regsecret` holding the fingerprint of its source and template (credentials that already live in Vault). */
export const REGISTRY_SOURCE_ANNOTATION = "gitops-platform/registry-source";

/** Where `regsecret` comes from. */
export interface RegistrySecretSource {
    /** KV v2 mount, e.g. `secret` or `kv`. */
    mount: pulumi.Input<string>;
    /** KV path (no mount, no `data/`), e.g. `gitops-poc-dzha/platform/stacks/dev/registry`. */
    path: pulumi.Input<string>;
    /**
     * KV version of the credentials this program wrote (key `.dockerconfigjson`), copied into the
     * Secret's annotation `gitops-platform/registry-kv-version`; undefined: none. Ignored with `template`.
     */
    version?: pulumi.Input<string | undefined>;
    /**
     * The secret is not written by this program but holds REGISTRY_URL / REGISTRY_USERNAME /
     * REGISTRY_PASSWORD: `.dockerconfigjson` is rendered by this VSO template (see
     * registry/vaultSourceTemplate.ts) and `fingerprint` goes into `gitops-platform/registry-source`.
     */
    template?: { text: string; fingerprint: string };
}

/** The annotation the sync wait watches and the value it must reach (empty: any). */
export function registrySyncMarker(source: RegistrySecretSource): { annotation: string; value: pulumi.Output<string | undefined> } {
    return source.template
        ? { annotation: REGISTRY_SOURCE_ANNOTATION, value: pulumi.output(source.template.fingerprint) }
        : { annotation: REGISTRY_VERSION_ANNOTATION, value: pulumi.output(source.version) };
}

/**
 * spec of the VaultStaticSecret `regsecret`: creates (or adopts, `overwrite`) the Secret with type
 * kubernetes.io/dockerconfigjson and the sync marker annotation, holding only `.dockerconfigjson`:
 * the KV key of that name, or the template's rendering with every raw field excluded.
 */
export function registryStaticSecretSpec(a: { vaultAuthRef: pulumi.Input<string>; source: RegistrySecretSource; refreshAfter: string }) {
    const marker = registrySyncMarker(a.source);
    const template = a.source.template;
    return {
        vaultAuthRef: a.vaultAuthRef,
        type: "kv-v2",
        mount: a.source.mount,
        path: a.source.path,
        refreshAfter: a.refreshAfter,
        destination: {
            name: REGISTRY_SECRET_NAME,
            create: true,
            // Adopt a regsecret left behind by the old shell scripts.
            overwrite: true,
            type: "kubernetes.io/dockerconfigjson",
            annotations: marker.value.apply((v) => (v === undefined ? undefined : { [marker.annotation]: v })),
            transformation: template
                ? {
                      // Only the rendered `.dockerconfigjson`: no REGISTRY_* field, no `_raw` copy of the KV entry.
                      excludes: [".*"],
                      excludeRaw: true,
                      templates: { ".dockerconfigjson": { text: template.text } },
                  }
                : // Only `.dockerconfigjson`, no `_raw` copy of the whole KV entry.
                  { excludeRaw: true },
        },
    };
}
