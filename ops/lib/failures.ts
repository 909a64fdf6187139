/**
 * Why a preview failed, in the words a platform engineer needs: which system (Vault, the cluster,
 * GitLab, the Pulumi backend) and what to fix. The program's own errors already name the config
 * key; this adds the category and a hint for provider and CLI errors, from the error diagnostics
 * and the CLI's stderr. Run every text through the stack's redactor before printing.
 */

/** The system a failure points at. */
export type FailureKind = "vault" | "vault-credentials" | "cluster" | "cluster-credentials" | "gitlab" | "backend" | "config" | "other";

/** One explained failure. */
export interface Failure {
    kind: FailureKind;
    /** What to fix, one line. */
    fix: string;
}

const RULES: { kind: FailureKind; test: RegExp; fix: string }[] = [
    {
        kind: "vault-credentials",
        test: /token lacks capabilities/i,
        fix: "the Vault token lacks capabilities the stack needs: apply the policy the error prints (README 'Before you start') to the token's role",
    },
    {
        kind: "vault",
        test: /cannot reach Vault|Vault is sealed|vault.*(connection refused|no such host|timeout|sealed|not initiali[sz]ed)|vault:address/i,
        fix: "Vault is unreachable, not initialised or sealed: check vault:address (e.g. https://vault.example.com:8200) and the network from this runner; init or unseal it as the error says (README 'Before you start')",
    },
    {
        kind: "vault-credentials",
        test: /Vault at \S+ refused|vault.*(permission denied|\(40[13]\)|invalid token|missing client token)|VAULT_TOKEN/i,
        fix: "the Vault token is missing, expired or lacks a capability: set vault:token (pulumi config set --secret vault:token …) or VAULT_TOKEN, see README 'Before you start'",
    },
    {
        kind: "cluster-credentials",
        test: /\b(Unauthorized|You must be logged in to the server|forbidden: User)\b|Kubernetes API server \S+ \(kubeconfig context [^)]*\) answered 40[13]/,
        fix: "the cluster refused the credentials: check kubernetes:kubeconfig (or KUBECONFIG) and that its token or certificate is still valid",
    },
    {
        kind: "cluster",
        test: /(kubernetes|cluster|kubeconfig|k8s).*(unreachable|connection refused|no such host|i\/o timeout|dial tcp)|unreachable cluster|configured Kubernetes cluster is unreachable|cannot reach the Kubernetes API server/i,
        fix: "the Kubernetes API server is unreachable: check kubernetes:kubeconfig (server URL, context) and the network from this runner",
    },
    {
        kind: "gitlab",
        test: /GitLab|gitlabToken|gitlab\.apiUrl/i,
        fix: "GitLab refused or could not be reached: check gitops-platform:gitlabToken (group Owner, api scope, not expired) and gitlab.host / gitlab.apiUrl",
    },
    {
        kind: "backend",
        test: /PULUMI_BACKEND_URL|no stack named|passphrase|failed to decrypt|secrets provider|could not (read|load) (the )?(checkpoint|stack)/i,
        fix: "the Pulumi backend or secrets provider: check PULUMI_BACKEND_URL, the stack name, and PULUMI_CONFIG_PASSPHRASE (or VAULT_SERVER_URL/VAULT_SERVER_TOKEN for hashivault://)",
    },
    {
        kind: "config",
        test: /gitops-platform:[a-zA-Z]|invalid stack configuration|Missing required configuration/i,
        fix: "fix the stack configuration as the message says (pulumi config set …)",
    },
];

/** Explains one error text; `other` when no rule matches. */
export function explain(text: string): Failure {
    const rule = RULES.find((r) => r.test.test(text));
    return rule ? { kind: rule.kind, fix: rule.fix } : { kind: "other", fix: "see the message above and the job log" };
}

/** The error texts worth showing: deduplicated, without JavaScript stack frames, the engine's generic "preview failed" lines dropped. */
export function meaningfulErrors(messages: string[]): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const m of messages) {
        const t = m
            .split("\n")
            .filter((l) => !/^\s+at \S/.test(l))
            .join("\n")
            .trim();
        if (!t || /^(preview|update|refresh) failed$/i.test(t) || seen.has(t)) continue;
        seen.add(t);
        out.push(t);
    }
    return out;
}
