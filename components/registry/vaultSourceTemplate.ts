/**
 * The `.dockerconfigjson` of `regsecret` rendered by the Vault Secrets Operator from registry
 * credentials that already live in Vault (the seed's `container-register` secret), replacing the
 * seed's Vault Agent Job: a VSO transformation template (Go text/template with VSO's allow-listed
 * sprig functions) on the VaultStaticSecret. Pure: tests read the exact text; the e2e renders it
 * with the real operator.
 */
import { createHash } from "node:crypto";
import { DOCKER_HUB_KEYS, authKeysFor } from "./dockerConfig";

/** Fields of the Vault secret the template reads. */
export const VAULT_SOURCE_FIELDS = {
    url: "REGISTRY_URL",
    username: "REGISTRY_USERNAME",
    password: "REGISTRY_PASSWORD",
    mirrorUsername: "MIRROR_USERNAME",
    mirrorPassword: "MIRROR_PASSWORD",
} as const;

/** Spellings of Docker Hub in REGISTRY_URL (scheme and trailing slashes removed, lowercased) that get both of its keys. */
const DOCKER_HUB_SPELLINGS = ["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "index.docker.io/v1"];

/** A Go template string literal (JSON string syntax is a subset Go accepts for these values). */
function lit(s: string): string {
    return JSON.stringify(s);
}

/**
 * Template text of `.dockerconfigjson`: `{"auths":{<REGISTRY_URL>: {auth, password, username}}}`
 * with `auth` = base64(`user:password`) (Argo CD Image Updater reads only `auth`, kubelet any of
 * them), the key being REGISTRY_URL without trailing `/` (Docker Hub, in any spelling, as its two
 * keys, like dockerConfig.ts). With `mirrorServer`, one more login under the mirror's key(s) from
 * MIRROR_USERNAME / MIRROR_PASSWORD of the same secret. A missing or empty field, or a mirror on
 * the registry's own key, fails the sync with a message that names the fields (never a value).
 */
export function registryDockerConfigTemplate(mirrorServer?: string): string {
    const f = VAULT_SOURCE_FIELDS;
    const lines = [
        `{{- /* gitops-platform: regsecret from ${f.url}, ${f.username}, ${f.password}${mirrorServer ? ` and the mirror ${mirrorServer}` : ""} */ -}}`,
        `{{- $url := get .Secrets ${lit(f.url)} | toString | trim -}}`,
        `{{- $user := get .Secrets ${lit(f.username)} | toString -}}`,
        `{{- $pass := get .Secrets ${lit(f.password)} | toString -}}`,
        `{{- if or (eq $url "") (eq $user "") (eq $pass "") -}}`,
        `{{- fail ${lit(`gitops-platform: the registry secret needs non-empty ${f.url}, ${f.username} and ${f.password}`)} -}}`,
        `{{- end -}}`,
        `{{- $auths := dict -}}`,
        `{{- $login := dict "username" $user "password" $pass "auth" (printf "%s:%s" $user $pass | b64enc) -}}`,
        `{{- $host := regexReplaceAll "/+$" (regexReplaceAll "^https?://" (lower $url) "") "" -}}`,
        `{{- if has $host (list ${DOCKER_HUB_SPELLINGS.map(lit).join(" ")}) -}}`,
        ...DOCKER_HUB_KEYS.map((k) => `{{- $_ := set $auths ${lit(k)} $login -}}`),
        `{{- else -}}`,
        `{{- $_ := set $auths (regexReplaceAll "/+$" $url "") $login -}}`,
        `{{- end -}}`,
    ];
    if (mirrorServer !== undefined) {
        lines.push(
            `{{- $mirrorUser := get .Secrets ${lit(f.mirrorUsername)} | toString -}}`,
            `{{- $mirrorPass := get .Secrets ${lit(f.mirrorPassword)} | toString -}}`,
            `{{- if or (eq $mirrorUser "") (eq $mirrorPass "") -}}`,
            `{{- fail ${lit(`gitops-platform: the registry secret needs non-empty ${f.mirrorUsername} and ${f.mirrorPassword} for the mirror ${mirrorServer}`)} -}}`,
            `{{- end -}}`,
            `{{- $mirror := dict "username" $mirrorUser "password" $mirrorPass "auth" (printf "%s:%s" $mirrorUser $mirrorPass | b64enc) -}}`,
        );
        for (const key of authKeysFor(mirrorServer)) {
            lines.push(
                `{{- if hasKey $auths ${lit(key)} -}}`,
                `{{- fail ${lit(`gitops-platform: ${f.url} names the mirror ${key}; the mirror needs a host of its own`)} -}}`,
                `{{- end -}}`,
                `{{- $_ := set $auths ${lit(key)} $mirror -}}`,
            );
        }
    }
    lines.push(`{{- dict "auths" $auths | toRawJson -}}`);
    return lines.join("\n") + "\n";
}

/**
 * A short fingerprint of what `regsecret` is rendered from (mount, path, template text): the
 * value of `gitops-platform/registry-source` on the synced Secret, which the sync wait compares,
 * since the program never learns the KV version of a secret it does not write.
 */
export function registrySourceFingerprint(mount: string, path: string, template: string): string {
    return createHash("sha256").update(JSON.stringify([mount, path, template]), "utf8").digest("hex").slice(0, 16);
}
