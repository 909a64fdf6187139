/**
 * Token expiry as part of the drift check: the stack outputs `registryTokenExpiresAt`,
 * `repoTokenExpiresAt`, `ciPushTokenExpiresAt` and `argocdCiTokenExpiresAt` (ISO 8601), each
 * against its own rotation window from the stack config (ROTATE_BEFORE_KEYS). A token inside its
 * window (or already expired) is a finding that names who replaces it: the scheduled `rotate` job
 * (`npm run rotate -- --stack <stack>`) for the GitLab deploy tokens, the CI push group access
 * token and the Argo CD CI token (the next `pulumi up` replaces them too), a person for the personal
 * access token in `gitops-platform:ciPushToken` (config set, then deploy).
 */

const DAY_MS = 86_400_000;

/** The stack outputs that carry a managed token's expiry, and what the token is for. */
export const TOKEN_OUTPUTS = {
    registryTokenExpiresAt: "registry pull deploy token (read_registry)",
    repoTokenExpiresAt: "Argo CD repository deploy token (read_repository)",
    ciPushTokenExpiresAt: "CI push token (write_repository, group variable gitlab.ciPushTokenVariable, default CI_PUSH_TOKEN)",
    argocdCiTokenExpiresAt: "Argo CD CI account token (argocd.ciAccount, group variable ARGOCD_AUTH_TOKEN)",
} as const;

/** A token output's name. */
export type TokenOutput = keyof typeof TOKEN_OUTPUTS;

/**
 * Where each output's rotation window lives: the top-level stack config key (a JSON value), the
 * path inside it, and the window when the path is absent. `defaultDays` is the schema default
 * (stacks/schema.ts) when the object holding the key is present, else `absentDays`.
 */
export const ROTATE_BEFORE_KEYS: Record<TokenOutput, { configKey: string; path: string[]; defaultDays: number; absentDays: number; fallback?: TokenOutput }> = {
    registryTokenExpiresAt: { configKey: "gitops-platform:gitlab", path: ["deployToken", "rotateBeforeDays"], defaultDays: 14, absentDays: 0 },
    repoTokenExpiresAt: { configKey: "gitops-platform:gitlab", path: ["deployToken", "rotateBeforeDays"], defaultDays: 14, absentDays: 0 },
    // gitlab.ciPushToken.rotateBeforeDays; without gitlab.ciPushToken (a personal token in
    // ciPushToken alone) the deploy tokens' window, as before (0 without gitlab.deployToken).
    ciPushTokenExpiresAt: { configKey: "gitops-platform:gitlab", path: ["ciPushToken", "rotateBeforeDays"], defaultDays: 14, absentDays: 0, fallback: "registryTokenExpiresAt" },
    // argocd.ciAccount has a default ({} when unset), so its window is always 14 unless set.
    argocdCiTokenExpiresAt: { configKey: "gitops-platform:argocd", path: ["ciAccount", "rotateBeforeDays"], defaultDays: 14, absentDays: 14 },
};

/** How the CI push token is made, from the stack config: gitlab.ciPushToken.mode (default groupAccessToken), else the personal token in ciPushToken. */
export function ciPushModeOf(config: Record<string, { value?: string } | undefined>): "groupAccessToken" | "personalAccessToken" {
    const gitlab = parseJson(config["gitops-platform:gitlab"]?.value) as { ciPushToken?: { mode?: unknown } } | undefined;
    const push = gitlab?.ciPushToken;
    if (push && typeof push === "object") return push.mode === "personalAccessToken" ? "personalAccessToken" : "groupAccessToken";
    return "personalAccessToken";
}

/** Outputs of tokens a person replaces (no job can create a personal access token), unless the CI push token is a group access token. */
const PERSONAL_TOKENS: ReadonlySet<string> = new Set(["ciPushTokenExpiresAt"]);

/** One token inside its rotation window or expired. */
export interface TokenFinding {
    output: TokenOutput;
    purpose: string;
    expiresAt: string;
    /** Whole days left (negative once expired). */
    daysLeft: number;
    rotateBeforeDays: number;
    status: "rotation-due" | "expired";
    /** Which job rotates it. */
    rotatedBy: string;
}

/** Rotation window per token output, in days. */
export type RotateWindows = Partial<Record<TokenOutput, number>>;

function parseJson(text: string | undefined): unknown {
    if (!text) return undefined;
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

/**
 * Each token output's rotation window from the stack config (`pulumi config --json`-like: key →
 * `{ value }`, structured values as JSON text), per ROTATE_BEFORE_KEYS.
 */
export function rotateWindowsOf(config: Record<string, { value?: string } | undefined>): Required<RotateWindows> {
    const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";
    const at = (v: unknown, path: string[]): unknown => path.reduce<unknown>((cur, seg) => (isObject(cur) ? cur[seg] : undefined), v);
    const out = {} as Required<RotateWindows>;
    const entries = Object.entries(ROTATE_BEFORE_KEYS) as [TokenOutput, (typeof ROTATE_BEFORE_KEYS)[TokenOutput]][];
    for (const [output, k] of entries) {
        const parent = at(parseJson(config[k.configKey]?.value), k.path.slice(0, -1));
        const leaf = isObject(parent) ? parent[k.path[k.path.length - 1]] : undefined;
        out[output] = typeof leaf === "number" ? leaf : isObject(parent) ? k.defaultDays : k.absentDays;
    }
    for (const [output, k] of entries) {
        const parent = at(parseJson(config[k.configKey]?.value), k.path.slice(0, -1));
        if (k.fallback && !isObject(parent)) out[output] = out[k.fallback];
    }
    return out;
}

/**
 * The findings for a stack's outputs at `now` (ms); tokens outside their window are not findings.
 * `rotateBeforeDays` is one window for every token, or a window per output (rotateWindowsOf).
 */
export function tokenFindings(
    stackName: string,
    outputs: Record<string, unknown>,
    rotateBeforeDays: number | undefined | RotateWindows,
    now: number,
    ciPushMode: "groupAccessToken" | "personalAccessToken" = "personalAccessToken",
): TokenFinding[] {
    const found: TokenFinding[] = [];
    for (const [output, purpose] of Object.entries(TOKEN_OUTPUTS) as [TokenOutput, string][]) {
        const v = outputs[output];
        if (typeof v !== "string") continue;
        const t = Date.parse(v);
        if (Number.isNaN(t)) continue;
        const before = (typeof rotateBeforeDays === "object" ? rotateBeforeDays[output] : rotateBeforeDays) ?? 0;
        if (now < t - before * DAY_MS) continue;
        const personal = PERSONAL_TOKENS.has(output) && ciPushMode === "personalAccessToken";
        found.push({
            output,
            purpose:
                output === "ciPushTokenExpiresAt"
                    ? purpose.replace("CI push token", ciPushMode === "groupAccessToken" ? "CI push group access token (gitlab.ciPushToken)" : "CI push personal access token (ciPushToken)")
                    : purpose,
            expiresAt: v,
            daysLeft: Math.floor((t - now) / DAY_MS),
            rotateBeforeDays: before,
            status: now >= t ? "expired" : "rotation-due",
            rotatedBy: personal
                ? `a person: it is a personal access token the rotate job cannot replace; create a new one (write_repository), ` +
                  `then pulumi config set --secret gitops-platform:ciPushToken <token> --stack ${stackName} and deploy (pulumi up)`
                : `the scheduled rotate job (SCHEDULED_TASK=rotate): npm run rotate -- --stack ${stackName}` +
                  (output === "argocdCiTokenExpiresAt" ? ` (or the next deploy: pulumi up --stack ${stackName} replaces it too)` : ""),
        });
    }
    return found;
}
