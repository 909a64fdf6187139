/**
 * The container registry host of a GitLab instance: `gitlab.com` → `registry.gitlab.com`,
 * self-managed `gitlab.example.com` → `registry.gitlab.example.com` (GitLab's separate-domain
 * registry convention). `override` wins when set (e.g. `gitlab.example.com:5050` for a registry
 * on the GitLab domain, or any other host). Scheme, path and port of `gitlabHost` are dropped.
 */
export function gitlabRegistryHost(gitlabHost: string, override?: string): string {
    if (override !== undefined && override.trim() !== "") {
        return override.trim().replace(/^https?:\/\//i, "").replace(/\/+$/, "");
    }
    const raw = String(gitlabHost ?? "").trim();
    if (raw === "") {
        throw new Error(`GitLab host is empty: set gitops-platform:gitlab.host (e.g. "gitlab.com").`);
    }
    const hostname = new URL(/^https?:\/\//i.test(raw) ? raw : `https://${raw}`).hostname.toLowerCase();
    return `registry.${hostname}`;
}
