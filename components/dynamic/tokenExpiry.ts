// The expiry and rotation rules every token provider shares (GitLab deploy tokens, GitLab group
// access tokens, Argo CD account tokens): the clock, a fixed expiry date, the rotation window, and
// what `check` and `diff` do with them. Closure-serialized with those providers: no module state.
//
// `check` turns `expiresInDays` into a fixed `expiresAt` (midnight UTC) and keeps the previous one
// on later runs, so repeated previews never churn; it moves `expiresAt` forward only when a new
// token is needed anyway or the token is within `rotateBeforeDays` of expiring, and `diff` then
// reports a replacement on `expiresAt` (create-before-delete in every provider).
import { isUnknown } from "./inputValues";

/** Env var that moves the providers' clock for tests and rehearsals (never in production), e.g. `2026-12-28T00:00:00Z`. */
export const CLOCK_ENV = "GITOPS_PLATFORM_CLOCK";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * "Now" in ms since the epoch for the rotation window and new expiry dates: the ISO 8601 instant in
 * GITOPS_PLATFORM_CLOCK when set (read at each call), else Date.now(). Set but not an ISO 8601
 * instant: throws, naming the variable and a valid example. Same rule as the ops commands' clock.
 */
export function clockNow(env: Record<string, string | undefined> = process.env): number {
    const name = CLOCK_ENV;
    const v = env[name];
    if (v === undefined || v.trim() === "") return Date.now();
    const t = Date.parse(v.trim());
    if (!/^\d{4}-\d{2}-\d{2}T/.test(v.trim()) || Number.isNaN(t)) {
        throw new Error(
            `${name}=${JSON.stringify(v)} is not an ISO 8601 instant, e.g. ${name}=2026-12-28T00:00:00Z ` +
                `(it moves the deploy tokens' clock for tests and rehearsals; unset it to use the real clock)`,
        );
    }
    return t;
}

/** Midnight UTC, `days` days after the current UTC date, as ISO 8601. */
export function computeExpiresAt(nowMs: number, days: number): string {
    const d = new Date(nowMs);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + days)).toISOString();
}

/** True when `now` is within `rotateBeforeDays` of `expiresAt` (or past it). */
export function rotationDue(expiresAt: string | null | undefined, rotateBeforeDays: number, nowMs: number): boolean {
    if (!expiresAt || isUnknown(expiresAt)) return false;
    const t = Date.parse(expiresAt);
    if (Number.isNaN(t)) return true;
    return nowMs >= t - Math.max(0, Number(rotateBeforeDays) || 0) * DAY_MS;
}

/** Same UTC calendar day: the server may reformat the timestamp it stores. */
export function sameDay(a: unknown, b: unknown): boolean {
    if (isUnknown(a) || isUnknown(b)) return false;
    if (!a || !b) return !a && !b;
    const ta = Date.parse(String(a));
    const tb = Date.parse(String(b));
    if (Number.isNaN(ta) || Number.isNaN(tb)) return a === b;
    return new Date(ta).toISOString().slice(0, 10) === new Date(tb).toISOString().slice(0, 10);
}

/** The inputs of a token that expires and rotates. */
export interface ExpiringTokenInputs {
    /** Lifetime of a new token in days. */
    expiresInDays: number;
    /** A new token is made this many days before the current one expires. */
    rotateBeforeDays: number;
    /** Fixed by `check` (never set by the user). */
    expiresAt?: string;
}

/**
 * `check`'s inputs: `news` with `expiresAt` kept from `olds`, or a new date when the token must be
 * replaced anyway (`replacing`) or is due for rotation at `nowMs`. Left out while the inputs are
 * invalid (`failures`) or the lifetime is not known yet.
 */
export function withExpiresAt<T extends ExpiringTokenInputs>(
    olds: Partial<T>,
    news: Partial<T>,
    replacing: boolean,
    failures: readonly unknown[],
    nowMs: number,
): Partial<T> {
    const inputs: Partial<T> = { ...news };
    delete inputs.expiresAt;
    if (failures.length === 0 && !isUnknown(news.expiresInDays)) {
        const keep =
            typeof olds.expiresAt === "string" &&
            olds.expiresAt !== "" &&
            !replacing &&
            !rotationDue(olds.expiresAt, news.rotateBeforeDays as number, nowMs);
        inputs.expiresAt = keep ? olds.expiresAt : computeExpiresAt(nowMs, news.expiresInDays as number);
    }
    return inputs;
}

/** `diff`'s replacement keys: the provider's own, plus `expiresAt` when `check` moved it forward (rotation). */
export function replacesWithExpiry(replaceKeys: string[], news: Partial<ExpiringTokenInputs>, olds: Partial<ExpiringTokenInputs>): string[] {
    return sameDay(news.expiresAt, olds.expiresAt) ? replaceKeys : [...replaceKeys, "expiresAt"];
}
