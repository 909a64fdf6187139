/** The CI push token (ciPushTokenExpiresAt) in the drift check's token expiry findings. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { TOKEN_OUTPUTS, tokenFindings } from "../../../ops/lib/tokenExpiry";

const DAY = 86_400_000;
const EXPIRES = "2026-12-31T00:00:00.000Z";
const T = Date.parse(EXPIRES);

describe("ciPushTokenExpiresAt", () => {
    it("is one of the token outputs", () => {
        assert.ok("ciPushTokenExpiresAt" in TOKEN_OUTPUTS);
        assert.match(TOKEN_OUTPUTS.ciPushTokenExpiresAt, /CI_PUSH_TOKEN/);
    });
    it("inside rotateBeforeDays: a finding a person acts on (config set --secret, then deploy), not the rotate job", () => {
        const outputs = { ciPushTokenExpiresAt: EXPIRES, registryTokenExpiresAt: "2027-06-01T00:00:00.000Z" };
        assert.deepEqual(tokenFindings("dev", outputs, 14, T - 14 * DAY - 1000), []);
        const f = tokenFindings("dev", outputs, 14, T - 3 * DAY);
        assert.equal(f.length, 1);
        assert.deepEqual([f[0].output, f[0].status, f[0].daysLeft], ["ciPushTokenExpiresAt", "rotation-due", 3]);
        assert.match(f[0].rotatedBy, /personal access token/);
        assert.match(f[0].rotatedBy, /pulumi config set --secret gitops-platform:ciPushToken <token> --stack dev/);
        assert.match(f[0].rotatedBy, /pulumi up/);
        assert.doesNotMatch(f[0].rotatedBy, /npm run rotate/);
    });
    it("expired is a finding; absent (no ciPushToken, or a token that never expires) is not", () => {
        assert.equal(tokenFindings("prod", { ciPushTokenExpiresAt: EXPIRES }, 0, T + DAY)[0].status, "expired");
        assert.deepEqual(tokenFindings("prod", {}, 14, T), []);
    });
    it("the deploy tokens still name the rotate job", () => {
        const f = tokenFindings("dev", { repoTokenExpiresAt: EXPIRES }, 14, T);
        assert.match(f[0].rotatedBy, /npm run rotate -- --stack dev/);
    });
});
