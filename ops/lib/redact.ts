/**
 * Belt and braces for everything the ops commands print or write: every secret value of the
 * stack's config (decrypted in memory by the Automation API) is replaced by `[secret]` in any
 * text that leaves the process (error messages of providers, diagnostics).
 */

/** Minimal shape of the Automation API's config map. */
export type ConfigMapLike = Record<string, { value: string; secret?: boolean }>;

/** A function that masks the secret config values of a stack (and their JSON leaves) in text. */
export type Redactor = (text: string) => string;

function leaves(v: unknown, out: string[]): void {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach((x) => leaves(x, out));
    else if (v && typeof v === "object") Object.values(v).forEach((x) => leaves(x, out));
}

/** Builds the redactor from the config: the secret values and, for JSON objects, their string leaves. */
export function redactorFor(config: ConfigMapLike): Redactor {
    const secrets = new Set<string>();
    for (const entry of Object.values(config)) {
        if (!entry.secret || typeof entry.value !== "string") continue;
        secrets.add(entry.value);
        try {
            const parsed: unknown = JSON.parse(entry.value);
            const found: string[] = [];
            leaves(parsed, found);
            found.forEach((s) => secrets.add(s));
        } catch {
            // not JSON: the value itself is enough
        }
        // a kubeconfig or PEM given as content: mask each long line too
        for (const line of entry.value.split("\n")) if (line.trim().length >= 16) secrets.add(line.trim());
    }
    const list = [...secrets].filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
    return (text) => list.reduce((t, s) => t.split(s).join("[secret]"), text);
}
