/** The CI push token (ciPushTokenExpiresAt) in the drift check's token expiry findings. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ROTATE_BEFORE_KEYS, rotateWindowsOf, TOKEN_OUTPUTS, tokenFindings } from "../../../ops/lib/tokenExpiry";

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

describe("rotation window per token output", () => {
    const cfg = (gitlab?: unknown, argocd?: unknown) => ({
        ...(gitlab === undefined ? {} : { "gitops-platform:gitlab": { value: JSON.stringify(gitlab) } }),
        ...(argocd === undefined ? {} : { "gitops-platform:argocd": { value: JSON.stringify(argocd) } }),
        "gitops-platform:gitlabToken": { value: "[secret]" },
    });

    it("argocdCiTokenExpiresAt is judged by argocd.ciAccount.rotateBeforeDays, not gitlab.deployToken.rotateBeforeDays", () => {
        const w = rotateWindowsOf(cfg({ group: "g", deployToken: { rotateBeforeDays: 3 } }, { ciAccount: { tokenExpiresInDays: 30, rotateBeforeDays: 10 } }));
        assert.equal(w.argocdCiTokenExpiresAt, 10);
        assert.equal(w.registryTokenExpiresAt, 3);
        assert.equal(w.repoTokenExpiresAt, 3);
        const outputs = { argocdCiTokenExpiresAt: EXPIRES, registryTokenExpiresAt: EXPIRES };
        // 5 days left: inside the Argo CD window (10), outside the deploy tokens' (3).
        const f = tokenFindings("dev", outputs, w, T - 5 * DAY);
        assert.deepEqual(f.map((x) => [x.output, x.rotateBeforeDays, x.daysLeft]), [["argocdCiTokenExpiresAt", 10, 5]]);
        // 2 days left: both.
        assert.deepEqual(tokenFindings("dev", outputs, w, T - 2 * DAY).map((x) => x.output).sort(), ["argocdCiTokenExpiresAt", "registryTokenExpiresAt"]);
    });

    it("defaults: argocd.ciAccount.rotateBeforeDays 14 (also without any argocd key); a deployToken without rotateBeforeDays 14; no deployToken 0", () => {
        assert.equal(rotateWindowsOf(cfg({ group: "g" })).argocdCiTokenExpiresAt, 14);
        assert.equal(rotateWindowsOf(cfg({ group: "g" }, { ciAccount: { name: "ci" } })).argocdCiTokenExpiresAt, 14);
        assert.equal(rotateWindowsOf(cfg({ group: "g", deployToken: { name: "x" } })).registryTokenExpiresAt, 14);
        assert.equal(rotateWindowsOf(cfg({ group: "g" })).registryTokenExpiresAt, 0);
        assert.equal(rotateWindowsOf({}).argocdCiTokenExpiresAt, 14);
        for (const [output, k] of Object.entries(ROTATE_BEFORE_KEYS)) assert.ok(output in TOKEN_OUTPUTS && k.configKey.startsWith("gitops-platform:"), output);
    });

    it("the Argo CD token's window is the configured one even when the deploy tokens' is larger", () => {
        const w = rotateWindowsOf(cfg({ group: "g", deployToken: { rotateBeforeDays: 30 } }, { ciAccount: { rotateBeforeDays: 2 } }));
        assert.deepEqual(tokenFindings("dev", { argocdCiTokenExpiresAt: EXPIRES }, w, T - 20 * DAY), [], "20 days left, window 2: not due");
    });
});
