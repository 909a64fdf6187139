// The Argo CD settings of the CI account (issue 13.3): a local account that may only log in with
// API tokens, and an RBAC role that may only read this platform's AppProject. Pure functions: the
// Helm values ArgoCd sets and the unit tests assert.

/** The CI account and the AppProject it may read. */
export interface CiAccountSpec {
    /** Local account name, e.g. `ci-readonly`. */
    name: string;
    /** AppProject whose Applications it may read, e.g. `poc`. */
    project: string;
}

/** `argocd-cm` key that declares the local account: `accounts.<name>`. */
export function accountConfigKey(name: string): string {
    return `accounts.${name}`;
}

/** Value of `accounts.<name>`: API tokens only, no UI/CLI password login. */
export const ACCOUNT_CAPABILITIES = "apiKey";

/** RBAC role the account gets: `role:<name>`. */
export function ciRoleName(name: string): string {
    return `role:${name}`;
}

/**
 * `argocd-rbac-cm` `policy.csv` lines of the CI account: read (get) the Applications of
 * `<project>/*` and the AppProject itself, nothing else (no sync, no write, no other project).
 * Argo CD has no separate `list` action: a list answers the Applications `get` allows.
 */
export function ciPolicyLines(spec: CiAccountSpec): string[] {
    const role = ciRoleName(spec.name);
    return [
        `p, ${role}, applications, get, ${spec.project}/*, allow`,
        `p, ${role}, projects, get, ${spec.project}, allow`,
        `g, ${spec.name}, ${role}`,
    ];
}

/** The `configs.cm` and `configs.rbac` chart values (argo-cd chart 10.x) of the CI account. */
export function ciAccountValues(spec: CiAccountSpec): { cm: Record<string, string>; rbac: Record<string, string> } {
    return {
        cm: { [accountConfigKey(spec.name)]: ACCOUNT_CAPABILITIES },
        rbac: { "policy.csv": ciPolicyLines(spec).join("\n") + "\n" },
    };
}

/** `argocd-secret` key Argo CD checks GitLab's `X-Gitlab-Token` against; chart value `configs.secret.gitlabSecret`. */
export const GITLAB_WEBHOOK_SECRET_KEY = "webhook.gitlab.secret";

/**
 * The one command that makes the CI token and stores it in Vault, for stacks without
 * `argocd.apiUrl` (README "Argo CD for CI").
 */
export function manualTokenCommand(account: string, expiresInDays: number, kvMount: string, path: string): string {
    return (
        `argocd account generate-token --account ${account} --expires-in ${expiresInDays * 24}h --id gitops-platform-manual ` +
        `| vault kv put -mount=${kvMount} ${path} token=- server="$ARGOCD_SERVER"`
    );
}
