/**
 * GitLab deploy token expiry as part of the drift check: the stack outputs `registryTokenExpiresAt`
 * and `repoTokenExpiresAt` (ISO 8601) against the stack's `gitlab.deployToken.rotateBeforeDays`.
 * A token inside that window (or already expired) is a finding; the scheduled `rotate` job
 * (`npm run rotate -- --stack <stack>`) replaces it. `ciPushTokenExpiresAt` is the personal access
 * token in `gitops-platform:ciPushToken`: a person replaces it (config set, then deploy).
 * `argocdCiTokenExpiresAt` is the Argo CD CI account token: the next `pulumi up` replaces it.
 */

const DAY_MS = 86_400_000;

/** The stack outputs that carry a managed deploy token's expiry, and what the token is for. */
export const TOKEN_OUTPUTS = {
    registryTokenExpiresAt: "registry pull deploy token (read_registry)",
    repoTokenExpiresAt: "Argo CD repository deploy token (read_repository)",
    ciPushTokenExpiresAt: "CI push personal access token (write_repository, group variable CI_PUSH_TOKEN)",
    argocdCiTokenExpiresAt: "Argo CD CI account token (argocd.ciAccount, group variable ARGOCD_AUTH_TOKEN)",
} as const;

/** Outputs of tokens a person replaces (no job can create a personal access token). */
const PERSONAL_TOKENS: ReadonlySet<string> = new Set(["ciPushTokenExpiresAt"]);

/** One token inside its rotation window or expired. */
export interface TokenFinding {
    output: keyof typeof TOKEN_OUTPUTS;
    purpose: string;
    expiresAt: string;
    /** Whole days left (negative once expired). */
    daysLeft: number;
    rotateBeforeDays: number;
    status: "rotation-due" | "expired";
    /** Which job rotates it. */
    rotatedBy: string;
}

/** `gitlab.deployToken.rotateBeforeDays` from the stack's `gitops-platform:gitlab` config value (JSON), if any. */
export function rotateBeforeDaysOf(gitlabConfigJson: string | undefined): number | undefined {
    if (!gitlabConfigJson) return undefined;
    try {
        const v = (JSON.parse(gitlabConfigJson) as { deployToken?: { rotateBeforeDays?: unknown } }).deployToken?.rotateBeforeDays;
        return typeof v === "number" ? v : undefined;
    } catch {
        return undefined;
    }
}

/** The findings for a stack's outputs at `now` (ms); tokens outside their window are not findings. */
export function tokenFindings(
    stackName: string,
    outputs: Record<string, unknown>,
    rotateBeforeDays: number | undefined,
    now: number,
): TokenFinding[] {
    const found: TokenFinding[] = [];
    for (const [output, purpose] of Object.entries(TOKEN_OUTPUTS) as [keyof typeof TOKEN_OUTPUTS, string][]) {
        const v = outputs[output];
        if (typeof v !== "string") continue;
        const t = Date.parse(v);
        if (Number.isNaN(t)) continue;
        const before = rotateBeforeDays ?? 0;
        if (now < t - before * DAY_MS) continue;
        found.push({
            output,
            purpose,
            expiresAt: v,
            daysLeft: Math.floor((t - now) / DAY_MS),
            rotateBeforeDays: before,
            status: now >= t ? "expired" : "rotation-due",
            rotatedBy: output === "argocdCiTokenExpiresAt"
                ? `the next deploy (pulumi up --stack ${stackName}): it replaces the token inside argocd.ciAccount.rotateBeforeDays (the rotate job covers only the deploy tokens)`
                : PERSONAL_TOKENS.has(output)
                ? `a person: it is a personal access token the rotate job cannot replace; create a new one (write_repository), ` +
                  `then pulumi config set --secret gitops-platform:ciPushToken <token> --stack ${stackName} and deploy (pulumi up)`
                : `the scheduled rotate job (SCHEDULED_TASK=rotate): npm run rotate -- --stack ${stackName}`,
        });
    }
    return found;
}
