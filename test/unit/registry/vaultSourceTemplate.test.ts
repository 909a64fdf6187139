/**
 * The VSO template that renders regsecret from registry credentials already in Vault: exact text
 * (what VSO executes; test/e2e/registry-source.sh renders it with the real operator) and the
 * fingerprint the sync wait compares.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { VAULT_SOURCE_FIELDS, registryDockerConfigTemplate, registrySourceFingerprint } from "../../../components/registry/vaultSourceTemplate";

test("the template reads REGISTRY_URL / REGISTRY_USERNAME / REGISTRY_PASSWORD and fails the sync, naming them, when one is empty", () => {
    const t = registryDockerConfigTemplate();
    assert.deepEqual(VAULT_SOURCE_FIELDS, {
        url: "REGISTRY_URL",
        username: "REGISTRY_USERNAME",
        password: "REGISTRY_PASSWORD",
        mirrorUsername: "MIRROR_USERNAME",
        mirrorPassword: "MIRROR_PASSWORD",
    });
    assert.equal(
        t,
        [
            `{{- /* gitops-platform: regsecret from REGISTRY_URL, REGISTRY_USERNAME, REGISTRY_PASSWORD */ -}}`,
            `{{- $url := get .Secrets "REGISTRY_URL" | toString | trim -}}`,
            `{{- $user := get .Secrets "REGISTRY_USERNAME" | toString -}}`,
            `{{- $pass := get .Secrets "REGISTRY_PASSWORD" | toString -}}`,
            `{{- if or (eq $url "") (eq $user "") (eq $pass "") -}}`,
            `{{- fail "gitops-platform: the registry secret needs non-empty REGISTRY_URL, REGISTRY_USERNAME and REGISTRY_PASSWORD" -}}`,
            `{{- end -}}`,
            `{{- $auths := dict -}}`,
            `{{- $login := dict "username" $user "password" $pass "auth" (printf "%s:%s" $user $pass | b64enc) -}}`,
            `{{- $host := regexReplaceAll "/+$" (regexReplaceAll "^https?://" (lower $url) "") "" -}}`,
            `{{- if has $host (list "docker.io" "index.docker.io" "registry-1.docker.io" "registry.hub.docker.com" "index.docker.io/v1") -}}`,
            `{{- $_ := set $auths "https://index.docker.io/v1/" $login -}}`,
            `{{- $_ := set $auths "https://registry-1.docker.io" $login -}}`,
            `{{- else -}}`,
            `{{- $_ := set $auths (regexReplaceAll "/+$" $url "") $login -}}`,
            `{{- end -}}`,
            `{{- dict "auths" $auths | toRawJson -}}`,
            ``,
        ].join("\n"),
    );
});

test("with a mirror: one more login from MIRROR_USERNAME / MIRROR_PASSWORD under the mirror's key, never over the registry's", () => {
    const t = registryDockerConfigTemplate("registry.krisalee.dev.joona.fr");
    const mirrorPart = t.slice(t.indexOf("{{- $mirrorUser"), t.indexOf(`{{- dict "auths"`));
    assert.equal(
        mirrorPart,
        [
            `{{- $mirrorUser := get .Secrets "MIRROR_USERNAME" | toString -}}`,
            `{{- $mirrorPass := get .Secrets "MIRROR_PASSWORD" | toString -}}`,
            `{{- if or (eq $mirrorUser "") (eq $mirrorPass "") -}}`,
            `{{- fail "gitops-platform: the registry secret needs non-empty MIRROR_USERNAME and MIRROR_PASSWORD for the mirror registry.krisalee.dev.joona.fr" -}}`,
            `{{- end -}}`,
            `{{- $mirror := dict "username" $mirrorUser "password" $mirrorPass "auth" (printf "%s:%s" $mirrorUser $mirrorPass | b64enc) -}}`,
            `{{- if hasKey $auths "registry.krisalee.dev.joona.fr" -}}`,
            `{{- fail "gitops-platform: REGISTRY_URL names the mirror registry.krisalee.dev.joona.fr; the mirror needs a host of its own" -}}`,
            `{{- end -}}`,
            `{{- $_ := set $auths "registry.krisalee.dev.joona.fr" $mirror -}}`,
            ``,
        ].join("\n"),
    );
    assert.ok(t.endsWith(`{{- dict "auths" $auths | toRawJson -}}\n`));
    assert.ok(!registryDockerConfigTemplate().includes("MIRROR_"), "no mirror: the mirror fields are not read");
});

test("a Docker Hub mirror spelling gets both Docker Hub keys (kubelet's and Image Updater's)", () => {
    const t = registryDockerConfigTemplate("docker.io");
    assert.ok(t.includes(`{{- $_ := set $auths "https://index.docker.io/v1/" $mirror -}}`));
    assert.ok(t.includes(`{{- $_ := set $auths "https://registry-1.docker.io" $mirror -}}`));
});

test("only functions VSO allows (sprig's hermetic set minus crypto) and Go template built-ins are used", () => {
    // VSO v1.x internal/template/funcs.go allowedSprigFuncs (the ones used here) and text/template built-ins.
    const allowed = new Set(["get", "toString", "trim", "fail", "dict", "b64enc", "regexReplaceAll", "lower", "has", "list", "set", "hasKey", "toRawJson"]);
    const builtins = new Set(["if", "else", "end", "or", "eq", "printf"]);
    const t = registryDockerConfigTemplate("mirror.example.com");
    const words = [...t.matchAll(/(?:\{\{-?\s*|\(|\|\s*)([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]);
    const unknown = words.filter((w) => !allowed.has(w) && !builtins.has(w));
    assert.deepEqual(unknown, []);
});

test("the fingerprint changes with the mount, the path and the template; same inputs, same value", () => {
    const t = registryDockerConfigTemplate();
    const f = registrySourceFingerprint("kv", "container-register", t);
    assert.match(f, /^[0-9a-f]{16}$/);
    assert.equal(registrySourceFingerprint("kv", "container-register", t), f);
    assert.notEqual(registrySourceFingerprint("secret", "container-register", t), f);
    assert.notEqual(registrySourceFingerprint("kv", "other", t), f);
    assert.notEqual(registrySourceFingerprint("kv", "container-register", registryDockerConfigTemplate("m.example.com")), f);
});
