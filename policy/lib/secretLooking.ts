/**
 * What "secret-looking" means for the pack: a value that is a credential by its shape (GitLab,
 * Vault and JSON Web tokens, PEM private keys, registry auths), or a non-empty value under a key
 * named like a credential (`password`, `apiToken`, `tls.key`, ...). Reasons never contain the value.
 */

/** A credential recognised by its shape, wherever it appears. */
interface ValuePattern {
    /** What it is, for the violation message. */
    what: string;
    /** Matches the credential inside a value. */
    re: RegExp;
}

/**
 * Credential shapes. GitLab token prefixes are those GitLab documents ("Token prefixes");
 * Vault's are `hvs.`/`hvb.`/`hvr.` and the legacy `s.` + 24 characters (OpenBao's form).
 */
export const VALUE_PATTERNS: readonly ValuePattern[] = [
    {
        what: "a GitLab token (glpat-, gldt-, ...)",
        re: /(?<![A-Za-z0-9])gl(?:pat|dt|oas|rt|ptt|cbt|ft|imt|agent|soat|ffct)-[A-Za-z0-9_.-]{8,}/,
    },
    { what: "a Vault token (hvs./hvb./hvr.)", re: /(?<![A-Za-z0-9])hv[sbr]\.[A-Za-z0-9_-]{20,}/ },
    { what: "a Vault token (s.)", re: /^\s*s\.[A-Za-z0-9]{24}\s*$/ },
    { what: "a PEM private key", re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/ },
    { what: "a JSON Web Token", re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
];

/** Last words of a key name that say its value is a credential. */
const SECRET_KEY_WORDS = new Set([
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "token",
    "secret",
    "key",
    "apikey",
    "privatekey",
    "credential",
    "credentials",
]);

/** Words of a key: `clientSecret`, `client_secret`, `client-secret`, `tls.key` → `["client", "secret"]` ... */
function words(key: string): string[] {
    return key
        .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter((w) => w.length > 0);
}

/**
 * True when a key's name says it holds a credential: its last word is password, token, secret,
 * key (but not `publicKey`), credentials, ... (`gitlabToken`, `db-password`, `tls.key`). Names that
 * only mention one (`registrySecretPath`, `tokenTtl`, `registryTokenExpiresAt`) do not.
 */
export function isSecretKeyName(key: string): boolean {
    const w = words(key);
    const last = w[w.length - 1];
    if (last === undefined || !SECRET_KEY_WORDS.has(last)) {
        return false;
    }
    return !(last === "key" && w[w.length - 2] === "public");
}

/** True for a Docker config (`.dockerconfigjson` or the legacy `.dockercfg`) with a non-empty credential. */
function hasRegistryCredentials(value: string): boolean {
    if (!value.includes("{")) {
        return false;
    }
    let doc: unknown;
    try {
        doc = JSON.parse(value);
    } catch {
        return false;
    }
    if (doc === null || typeof doc !== "object") {
        return false;
    }
    const auths = "auths" in doc ? (doc as { auths: unknown }).auths : doc;
    if (auths === null || typeof auths !== "object") {
        return false;
    }
    return Object.values(auths as Record<string, unknown>).some(
        (entry) =>
            entry !== null &&
            typeof entry === "object" &&
            ["auth", "password", "identitytoken", "registrytoken"].some((k) => {
                const v = (entry as Record<string, unknown>)[k];
                return typeof v === "string" && v.trim().length > 0;
            }),
    );
}

/**
 * Why `value` (found under `key`) looks like a secret, e.g. `"a GitLab token (glpat-, gldt-, ...)"`;
 * `undefined` when it does not. Only strings are considered. The reason never quotes the value.
 */
export function secretLooking(key: string | undefined, value: unknown): string | undefined {
    if (typeof value !== "string") {
        return undefined;
    }
    for (const p of VALUE_PATTERNS) {
        if (p.re.test(value)) {
            return p.what;
        }
    }
    if (hasRegistryCredentials(value)) {
        return "a Docker config with registry credentials (auths.*.auth)";
    }
    if (key !== undefined && isSecretKeyName(key) && value.trim().length > 0) {
        return `a non-empty value under a key named like a credential ("${key}")`;
    }
    return undefined;
}
