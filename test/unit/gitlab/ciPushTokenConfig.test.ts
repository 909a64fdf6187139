/**
 * Config contract of gitlab.ciPushToken (issue 13.2 part c): defaults, the two modes and their rules
 * against the secret ciPushToken and gitlabToken, examples in the errors, and the drift check's view of
 * the CI push token (window and who replaces it) per mode.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ConfigError, parseStackConfig } from "../../../stacks/config";
import { ciPushModeOf, rotateWindowsOf, tokenFindings } from "../../../ops/lib/tokenExpiry";

const P = "gitops-platform:";
const SECRET_KEYS = new Set([`${P}gitlabToken`, `${P}registry`, `${P}ciPushToken`, `${P}argocdRepoToken`]);
const PUSH = "glpat-PERSONAL-push-token-never-echoed";

function values(gitlab: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, string> {
    const v: Record<string, unknown> = {
        environments: { dev: {} },
        gitlab: { group: "gitops-poc-dzha", ...gitlab },
        registry: { server: "registry.example.com", username: "puller", password: "hunter2-registry" },
        argocd: { repoUsername: "argocd-reader" },
        argocdRepoToken: "glpat-argocd-secret",
        gitlabToken: "glpat-api",
        ...extra,
    };
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [P + k, typeof x === "string" ? x : JSON.stringify(x)]));
}
function problems(raw: Record<string, string>): ConfigError {
    try {
        parseStackConfig(raw, SECRET_KEYS, "dev");
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        assert.ok(!e.message.includes(PUSH), "the personal token is never echoed");
        return e;
    }
    assert.fail("accepted");
}

test("defaults of mode groupAccessToken: gitops-platform-ci-push, write_repository, developer, 90/14 days", () => {
    const c = parseStackConfig(values({ ciPushToken: {} }), SECRET_KEYS, "dev");
    assert.deepEqual(c.gitlab.ciPushToken, {
        mode: "groupAccessToken",
        name: "gitops-platform-ci-push",
        expiresInDays: 90,
        rotateBeforeDays: 14,
        scopes: ["write_repository"],
        accessLevel: "developer",
    });
    assert.equal(parseStackConfig(values({}), SECRET_KEYS, "dev").gitlab.ciPushToken, undefined, "unset: no group access token");
});

test("groupAccessToken with the secret ciPushToken also set: an error naming both ways out, with an example", () => {
    const e = problems(values({ ciPushToken: { mode: "groupAccessToken" } }, { ciPushToken: PUSH }));
    const p = e.problems.find((x) => x.key === `${P}ciPushToken`)!;
    assert.match(p.message, /pulumi config rm gitops-platform:ciPushToken/);
    assert.match(p.message, /mode: personalAccessToken/);
    assert.match(p.example!, /mode: groupAccessToken/);
});

test("groupAccessToken needs gitlabToken; personalAccessToken needs the secret ciPushToken", () => {
    const a = problems(values({ ciPushToken: {} }, { gitlabToken: undefined }));
    assert.ok(a.problems.some((x) => x.key === `${P}gitlabToken` && /groupAccessToken/.test(x.message)));
    const b = problems(values({ ciPushToken: { mode: "personalAccessToken" } }));
    assert.ok(b.problems.some((x) => x.key === `${P}ciPushToken` && /personalAccessToken/.test(x.message)));
    const ok = parseStackConfig(values({ ciPushToken: { mode: "personalAccessToken", rotateBeforeDays: 21 } }, { ciPushToken: PUSH }), SECRET_KEYS, "dev");
    assert.deepEqual([ok.gitlab.ciPushToken?.mode, ok.gitlab.ciPushToken?.rotateBeforeDays], ["personalAccessToken", 21]);
});

test("personalAccessToken refuses the group-access-token fields; bad values name their key with an example", () => {
    const e = problems(values({ ciPushToken: { mode: "personalAccessToken", name: "x", scopes: ["api"] } }, { ciPushToken: PUSH }));
    for (const k of ["name", "scopes"]) {
        const p = e.problems.find((x) => x.key === `${P}gitlab.ciPushToken.${k}`);
        assert.ok(p && /only to mode groupAccessToken/.test(p.message), k);
    }
    const bad = problems(values({ ciPushToken: { mode: "deployToken", expiresInDays: 400, scopes: ["write_everything"], accessLevel: "admin", rotateBeforeDays: 3 } }));
    const keys = bad.problems.map((p) => p.key);
    for (const k of ["mode", "expiresInDays", "scopes[0]", "accessLevel"]) assert.ok(keys.includes(`${P}gitlab.ciPushToken.${k}`), `${k}: ${keys.join(", ")}`);
    assert.match(bad.problems.find((p) => p.key.endsWith("expiresInDays"))!.message, /at most 365/);
    assert.match(bad.problems.find((p) => p.key.endsWith("accessLevel"))!.example!, /accessLevel: developer/);
    const window = problems(values({ ciPushToken: { expiresInDays: 30, rotateBeforeDays: 30 } }));
    assert.ok(window.problems.some((p) => p.key === `${P}gitlab.ciPushToken.rotateBeforeDays` && /smaller than expiresInDays \(30\)/.test(p.message)));
});

test("drift check: a group access token's finding names the rotate job and its own window; a personal token a person", () => {
    const cfg = (gitlab: unknown) => ({ "gitops-platform:gitlab": { value: JSON.stringify(gitlab) } });
    const gat = cfg({ group: "g", deployToken: { rotateBeforeDays: 3 }, ciPushToken: { rotateBeforeDays: 10 } });
    assert.equal(ciPushModeOf(gat), "groupAccessToken");
    assert.equal(rotateWindowsOf(gat).ciPushTokenExpiresAt, 10);
    const exp = "2027-03-01T00:00:00.000Z";
    const f = tokenFindings("dev", { ciPushTokenExpiresAt: exp }, rotateWindowsOf(gat), Date.parse(exp) - 5 * 86_400_000, ciPushModeOf(gat));
    assert.equal(f.length, 1);
    assert.match(f[0].purpose, /CI push group access token/);
    assert.match(f[0].rotatedBy, /npm run rotate -- --stack dev/);
    const personal = cfg({ group: "g", deployToken: { rotateBeforeDays: 3 } });
    assert.equal(ciPushModeOf(personal), "personalAccessToken");
    assert.equal(rotateWindowsOf(personal).ciPushTokenExpiresAt, 3, "no gitlab.ciPushToken: the deploy tokens' window, as before");
    const pf = tokenFindings("dev", { ciPushTokenExpiresAt: exp }, rotateWindowsOf(personal), Date.parse(exp) - 2 * 86_400_000, ciPushModeOf(personal));
    assert.match(pf[0].rotatedBy, /a person/);
    const explicit = cfg({ group: "g", ciPushToken: { mode: "personalAccessToken", rotateBeforeDays: 20 } });
    assert.deepEqual([ciPushModeOf(explicit), rotateWindowsOf(explicit).ciPushTokenExpiresAt], ["personalAccessToken", 20]);
});
