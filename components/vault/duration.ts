/** Converts a duration such as `1h`, `30m`, `1h30m` or `90s` into whole seconds. */
export function durationToSeconds(d: string): number {
    const m = /^(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$/.exec(d);
    if (!m || d.length === 0) {
        throw new Error(`invalid duration "${d}": use a form like 1h, 30m or 1h30m`);
    }
    return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}
