/**
 * Differences that are not drift: fields a provider computes or a controller writes, which a
 * preview can show as changed although `pulumi up` would not change anything anyone relies on.
 * A change whose every path is listed here is left out of the reports (changes.ts). Anything the
 * program sets stays reported. Fields under `ignoreChanges` never reach the reports: the engine
 * leaves them out of the diff itself.
 *
 * Each entry: a Pulumi type token (or a package prefix such as `kubernetes:*`) and the path
 * prefixes of that type that are noise, with why.
 */
interface NoiseRule {
    type: string;
    prefixes: string[];
    why: string;
}

/** The noise table (documented in docs/drift.md). */
export const NOISE: readonly NoiseRule[] = [
    {
        type: "kubernetes:helm.sh/v3:Release",
        prefixes: ["status", "resourceNames", "manifest"],
        why: "written by Helm after install (release status, rendered manifest): pulumi/pulumi-kubernetes#2660",
    },
    {
        type: "kubernetes:*",
        prefixes: ["metadata.managedFields", "metadata.resourceVersion", "metadata.generation", "metadata.uid", "metadata.creationTimestamp", "status"],
        why: "written by the Kubernetes API server or a controller, never by the program",
    },
];

function under(path: string, prefix: string): boolean {
    return path === prefix || path.startsWith(prefix + ".") || path.startsWith(prefix + "[");
}

function typeMatches(pattern: string, type: string): boolean {
    return pattern.endsWith(":*") ? type.startsWith(pattern.slice(0, -1)) : pattern === type;
}

/** Whether `path` of a resource of type `type` is noise. */
export function isNoise(type: string, path: string): boolean {
    return NOISE.some((r) => typeMatches(r.type, type) && r.prefixes.some((p) => under(path, p)));
}
