// Comparisons of dynamic-provider inputs that may still be unknown (a preview before an output
// exists). Plain functions without imports: the providers that use them are closure-serialized
// into the state, and these are captured by value with them.

/** Pulumi's marker for a value not known during a preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a value is Pulumi's unknown marker. */
export function isUnknown(v: unknown): boolean {
    return v === UNKNOWN;
}

/** Whether an input changed: different, or not known yet (an unknown counts as a change). */
export function differs(a: unknown, b: unknown): boolean {
    return isUnknown(a) || isUnknown(b) || a !== b;
}

/** Same set of scopes in any order; false when either side is not a known list. */
export function sameScopes(a: unknown, b: unknown): boolean {
    if (!Array.isArray(a) || !Array.isArray(b) || a.some(isUnknown) || b.some(isUnknown)) return false;
    const sa = [...a].map(String).sort();
    const sb = [...b].map(String).sort();
    return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
}
