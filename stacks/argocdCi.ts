/**
 * Which parts of Argo CD for CI (issue 13.3) a stack config turns on. One place for the rule, so the
 * program (what it registers) and the Vault readiness check (which KV paths the token must write)
 * agree.
 */
import type { PlatformConfig } from "./config";

/**
 * `argocd.apiUrl` when the stack makes the CI account's token there (`argocd.ciAccount.enabled` and
 * `argocd.apiUrl` set; the schema then requires `argocdAdminPassword`), else undefined.
 */
export function ciTokenApiUrl(cfg: PlatformConfig): string | undefined {
    return cfg.argocd.ciAccount.enabled && cfg.argocdAdminPassword !== undefined ? cfg.argocd.apiUrl : undefined;
}

/** `argocd.url` when the stack makes the GitLab webhook secret and the push hooks (`argocd.webhook.enabled`), else undefined. */
export function webhookUrl(cfg: PlatformConfig): string | undefined {
    return cfg.argocd.webhook.enabled ? cfg.argocd.url : undefined;
}
