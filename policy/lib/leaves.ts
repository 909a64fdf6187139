/** Walks resource properties as a policy receives them: Pulumi secrets marked, unknowns possible. */
import { UnknownValueError } from "@pulumi/policy";
import { isPulumiSecret } from "./pulumiSecrets";

/** One scalar in a property tree. */
export interface Leaf {
    /** Property names and array indexes from the root, e.g. `["vaultAccess", "dev", "policy"]`. */
    path: (string | number)[];
    /** The scalar (string, number, boolean or null). */
    value: unknown;
    /** True when the value is, or is inside, a Pulumi secret. */
    secret: boolean;
}

/**
 * Reads `obj[key]`; `undefined` for a value not known yet (a preview before the resource it
 * comes from exists: @pulumi/policy throws UnknownValueError on reading it). Such a value is
 * checked by the next preview or by `up`, where it is known.
 */
export function known(obj: unknown, key: string | number): unknown {
    try {
        return (obj as Record<string | number, unknown>)[key];
    } catch (e) {
        if (e instanceof UnknownValueError) {
            return undefined;
        }
        throw e;
    }
}

/** Every known scalar under `v`, depth first, with its path and whether it is a Pulumi secret. */
export function leaves(v: unknown, path: (string | number)[] = [], secret = false): Leaf[] {
    if (isPulumiSecret(v)) {
        return leaves(known(v, "value"), path, true);
    }
    if (Array.isArray(v)) {
        return Array.from({ length: v.length }, (_, i) => leaves(known(v, i), [...path, i], secret)).flat();
    }
    if (v !== null && typeof v === "object") {
        return Object.keys(v).flatMap((k) => leaves(known(v, k), [...path, k], secret));
    }
    return v === undefined ? [] : [{ path, value: v, secret }];
}

/** `a.b[0].c` for a leaf path. */
export function formatPath(path: (string | number)[]): string {
    return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}
