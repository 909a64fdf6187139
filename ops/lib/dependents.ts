/**
 * The dependency graph of a stack's state: which resources depend on which (through
 * `dependencies` and `propertyDependencies`), to find everything a rotation of the deploy tokens
 * touches.
 */

/** A resource of the exported state, as far as the graph needs it. */
export interface StateResourceLike {
    urn: string;
    type: string;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
}

/** `roots` and every resource that depends on one of them, directly or transitively. */
export function withDependents(resources: StateResourceLike[], roots: string[]): Set<string> {
    const dependents = new Map<string, Set<string>>();
    for (const r of resources) {
        const deps = new Set([...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat()]);
        for (const d of deps) {
            if (!dependents.has(d)) dependents.set(d, new Set());
            dependents.get(d)!.add(r.urn);
        }
    }
    const seen = new Set(roots);
    const queue = [...roots];
    while (queue.length) {
        for (const next of dependents.get(queue.pop()!) ?? []) {
            if (!seen.has(next)) {
                seen.add(next);
                queue.push(next);
            }
        }
    }
    return seen;
}
