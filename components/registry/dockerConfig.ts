// `.dockerconfigjson` (kubernetes.io/dockerconfigjson) content for image pull secrets.

/** One registry login. */
export interface RegistryAuth {
    /** Registry host as written in image references, e.g. `registry.gitlab.com`, `docker.io`. */
    server: string;
    username: string;
    password: string;
}

/** The two keys Docker Hub needs: kubelet matches the first, Argo CD Image Updater the second. */
export const DOCKER_HUB_KEYS = ["https://index.docker.io/v1/", "https://registry-1.docker.io"] as const;

const DOCKER_HUB_ALIASES = new Set([
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
    "index.docker.io/v1",
]);

/** True for any spelling of Docker Hub (`docker.io`, `https://index.docker.io/v1/`, …). */
export function isDockerHub(server: string): boolean {
    const s = server.trim().toLowerCase().replace(/^https?:\/\//, "").replace(/\/+$/, "");
    return DOCKER_HUB_ALIASES.has(s);
}

/** The `auths` keys written for a server: Docker Hub gets both of DOCKER_HUB_KEYS. */
export function authKeysFor(server: string): string[] {
    if (isDockerHub(server)) return [...DOCKER_HUB_KEYS];
    const s = server.trim().replace(/\/+$/, "");
    if (s === "") throw new Error("A registry server is empty: set e.g. gitops-platform:registry.server to registry.example.com");
    return [s];
}

/**
 * `{"auths":{"<server>":{"username","password","auth": base64("user:pass")}}}` for every login.
 * Image pullers differ in what they read: kubelet uses username/password or `auth`, Argo CD Image
 * Updater only `auth` — so all three are written. Two logins for the same key are an error.
 */
export function buildDockerConfigJson(auths: readonly RegistryAuth[]): string {
    if (auths.length === 0) throw new Error("buildDockerConfigJson: no registry credentials given");
    const out: Record<string, { username: string; password: string; auth: string }> = {};
    for (const a of auths) {
        const entry = {
            username: a.username,
            password: a.password,
            auth: Buffer.from(`${a.username}:${a.password}`, "utf8").toString("base64"),
        };
        for (const key of authKeysFor(a.server)) {
            if (out[key]) throw new Error(`Registry "${key}" has credentials twice (check gitops-platform:registry and gitops-platform:gitlab.registryHost)`);
            out[key] = entry;
        }
    }
    return JSON.stringify({ auths: out });
}
