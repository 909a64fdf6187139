// The expiry rules the three token providers share (components/dynamic/tokenExpiry.ts): what
// `check` keeps or moves, and when `diff` asks for a new token because of the date.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { UNKNOWN } from "../../../components/dynamic/inputValues";
import { computeExpiresAt, replacesWithExpiry, rotationDue, withExpiresAt, type ExpiringTokenInputs } from "../../../components/dynamic/tokenExpiry";

const NOW = Date.parse("2026-12-02T10:00:00Z");
const KEPT = "2027-02-01T00:00:00.000Z";

describe("token expiry rules", () => {
    it("computeExpiresAt is midnight UTC, days after today", () => {
        assert.equal(computeExpiresAt(NOW, 90), "2027-03-02T00:00:00.000Z");
    });

    it("rotationDue: inside rotateBeforeDays or past expiry, never for an unknown or missing date", () => {
        assert.equal(rotationDue("2026-12-10T00:00:00Z", 14, NOW), true);
        assert.equal(rotationDue("2026-12-30T00:00:00Z", 14, NOW), false);
        assert.equal(rotationDue("2026-11-01T00:00:00Z", 0, NOW), true);
        assert.equal(rotationDue(UNKNOWN, 14, NOW), false);
        assert.equal(rotationDue(undefined, 14, NOW), false);
        assert.equal(rotationDue("not a date", 14, NOW), true);
    });

    it("withExpiresAt keeps the previous date outside the window and without a replacement", () => {
        const olds = { expiresInDays: 90, rotateBeforeDays: 14, expiresAt: KEPT };
        const news = { expiresInDays: 90, rotateBeforeDays: 14, expiresAt: "2099-01-01T00:00:00Z" };
        assert.equal(withExpiresAt(olds, news, false, [], NOW).expiresAt, KEPT);
    });

    it("withExpiresAt moves the date when rotation is due or the token is replaced anyway", () => {
        const news: ExpiringTokenInputs = { expiresInDays: 90, rotateBeforeDays: 14 };
        const due = { ...news, expiresAt: "2026-12-10T00:00:00.000Z" };
        assert.equal(withExpiresAt(due, news, false, [], NOW).expiresAt, "2027-03-02T00:00:00.000Z");
        assert.equal(withExpiresAt({ ...news, expiresAt: KEPT }, news, true, [], NOW).expiresAt, "2027-03-02T00:00:00.000Z");
        assert.equal(withExpiresAt({}, news, false, [], NOW).expiresAt, "2027-03-02T00:00:00.000Z");
    });

    it("withExpiresAt sets no date while the inputs are invalid or the lifetime is unknown", () => {
        const olds = { expiresInDays: 90, rotateBeforeDays: 14, expiresAt: KEPT };
        assert.equal("expiresAt" in withExpiresAt(olds, { expiresInDays: 90, rotateBeforeDays: 14 }, false, [{ property: "x" }], NOW), false);
        assert.equal("expiresAt" in withExpiresAt(olds, { expiresInDays: UNKNOWN as unknown as number, rotateBeforeDays: 14 }, false, [], NOW), false);
    });

    it("replacesWithExpiry adds expiresAt only when the day changed", () => {
        assert.deepEqual(replacesWithExpiry([], { expiresAt: "2027-02-01T00:00:00Z" }, { expiresAt: KEPT }), []);
        assert.deepEqual(replacesWithExpiry(["name"], { expiresAt: "2027-03-02T00:00:00Z" }, { expiresAt: KEPT }), ["name", "expiresAt"]);
        assert.deepEqual(replacesWithExpiry([], { expiresAt: UNKNOWN }, { expiresAt: KEPT }), ["expiresAt"]);
    });
});
