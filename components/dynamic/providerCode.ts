// Dynamic providers run the code serialized into the state at the last create or update: `read`
// (refresh) and `delete` (destroy) of a resource nobody changed would keep running old code, so
// a fix would never reach them. Reporting an in-place update when the serialized code differs lets
// one `pulumi up` store the current code, without replacing the resource. Self-contained: captured
// by value with the providers that use it.

/** Property under which Pulumi keeps a dynamic resource's serialized provider. */
export const PROVIDER_PROPERTY = "__provider";

/** True when the provider code in the state (`olds`) is not the code the program sends (`news`). */
export function providerCodeChanged(olds: unknown, news: unknown): boolean {
    const o = olds && typeof olds === "object" ? (olds as Record<string, unknown>)[PROVIDER_PROPERTY] : undefined;
    const n = news && typeof news === "object" ? (news as Record<string, unknown>)[PROVIDER_PROPERTY] : undefined;
    return typeof o === "string" && typeof n === "string" && o !== n;
}
