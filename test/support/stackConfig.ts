/**
 * Turns a committed `Pulumi.<stack>.yaml` (plus Pulumi.yaml's declared defaults) into the raw
 * config map the Pulumi engine hands a program: scalars as text, objects as JSON.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** Repository root. */
export const ROOT = path.resolve(__dirname, "..", "..");

/** Raw engine config of a committed stack, with extra keys (e.g. test secrets) merged in. */
export function stackConfig(stack: string, extra: Record<string, unknown> = {}): Record<string, string> {
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
    const file = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
    const values: Record<string, unknown> = {};
    for (const [k, decl] of Object.entries<any>(project.config ?? {})) {
        if (decl && typeof decl === "object" && "default" in decl) {
            values[k] = decl.default;
        }
    }
    Object.assign(values, file.config ?? {}, extra);
    return Object.fromEntries(
        Object.entries(values).map(([k, v]) => [k, typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)]),
    );
}
