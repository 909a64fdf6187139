/**
 * "Now" for the ops commands: the real clock, or the instant in `GITOPS_PLATFORM_CLOCK` (ISO 8601)
 * for tests and rehearsals (the e2e moves the clock into a deploy token's rotation window; the
 * GitLab deploy token provider reads the same variable). Never set it in production.
 */

/** The env var that overrides the clock. */
export const CLOCK_ENV = "GITOPS_PLATFORM_CLOCK";

/** Current time in ms since the epoch, honouring GITOPS_PLATFORM_CLOCK; throws on an invalid value. */
export function nowMs(env: NodeJS.ProcessEnv = process.env): number {
    const v = env[CLOCK_ENV];
    if (v === undefined || v.trim() === "") return Date.now();
    const t = Date.parse(v);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(v.trim()) || Number.isNaN(t)) {
        throw new Error(`${CLOCK_ENV}="${v}" is not an ISO 8601 instant (e.g. ${CLOCK_ENV}=2026-12-28T00:00:00Z); unset it to use the real clock`);
    }
    return t;
}
