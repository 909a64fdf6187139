/** Config contract of Argo CD for CI and webhooks: defaults, cross-field rules, secrets refused in clear, examples. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ConfigError, parseStackConfig } from "../../../stacks/config";

const P = "gitops-platform:";
const SECRET_KEYS = new Set([`${P}gitlabToken`, `${P}argocdRepoToken`, `${P}registry`, `${P}argocdAdminPassword`]);
const PASSWORD = "argocd-admin-PASSWORD-do-not-echo";

function base(): Record<string, unknown> {
    return {
        environments: { dev: {} },
        gitlab: { group: "gitops-poc-dzha" },
        registry: { server: "registry.example.com", username: "puller", password: "hunter2-registry" },
        argocd: { repoUsername: "argocd-reader" },
        argocdRepoToken: "glpat-argocd-secret",
        gitlabToken: "glpat-api",
    };
}
function raw(values: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined).map(([k, v]) => [P + k, typeof v === "string" ? v : JSON.stringify(v)]));
}
function problems(values: Record<string, unknown>, secretKeys: ReadonlySet<string> = SECRET_KEYS): ConfigError {
    try {
        parseStackConfig(raw(values), secretKeys, "dev");
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
        assert.ok(!e.message.includes(PASSWORD), "the password is never echoed");
        return e;
    }
    assert.fail("config was accepted");
}

test("defaults: ciAccount on, ci-readonly, 90/14 days; no apiUrl/url; webhook on; apiUsername admin; configRepo gitops-config", () => {
    const c = parseStackConfig(raw(base()), SECRET_KEYS, "dev");
    assert.deepEqual(c.argocd.ciAccount, { enabled: true, name: "ci-readonly", tokenExpiresInDays: 90, rotateBeforeDays: 14 });
    assert.equal(c.argocd.apiUrl, undefined);
    assert.equal(c.argocd.url, undefined);
    assert.deepEqual(c.argocd.webhook, { enabled: true, sslVerification: true });
    assert.equal(c.argocd.apiUsername, "admin");
    assert.equal(c.gitlab.configRepo, "gitops-config");
});

test("argocd.apiUrl without argocdAdminPassword: the key is named, with the config set --secret example", () => {
    const e = problems({ ...base(), argocd: { repoUsername: "r", apiUrl: "https://argocd.example.com" } });
    const p = e.problems.find((x) => x.key === `${P}argocdAdminPassword`);
    assert.ok(p, e.message);
    assert.match(p!.example ?? "", /pulumi config set --secret gitops-platform:argocdAdminPassword/);
});

test("argocd.apiUrl without gitlabToken: required for ARGOCD_SERVER / ARGOCD_AUTH_TOKEN", () => {
    const { gitlabToken: _g, ...rest } = base();
    const e = problems({ ...rest, argocdAdminPassword: PASSWORD, argocd: { repoUsername: "r", apiUrl: "https://argocd.example.com" } });
    assert.ok(e.problems.some((x) => x.key === `${P}gitlabToken` && /ARGOCD_AUTH_TOKEN/.test(x.message)), e.message);
});

test("argocd.url without gitlabToken: required for the webhooks (unless argocd.webhook.enabled is false)", () => {
    const { gitlabToken: _g, ...rest } = base();
    const e = problems({ ...rest, argocd: { repoUsername: "r", url: "https://argocd.example.com" } });
    assert.ok(e.problems.some((x) => x.key === `${P}gitlabToken` && /webhooks/.test(x.message)), e.message);
    parseStackConfig(raw({ ...rest, argocd: { repoUsername: "r", url: "https://argocd.example.com", webhook: { enabled: false } } }), SECRET_KEYS, "dev");
});

test("argocdAdminPassword in clear text is refused, never echoed", () => {
    const secretKeys = new Set([...SECRET_KEYS].filter((k) => k !== `${P}argocdAdminPassword`));
    const e = problems({ ...base(), argocdAdminPassword: PASSWORD, argocd: { repoUsername: "r", apiUrl: "https://argocd.example.com" } }, secretKeys);
    assert.ok(e.problems.some((x) => x.key === `${P}argocdAdminPassword` && /clear text/.test(x.message)), e.message);
});

test("rotateBeforeDays >= tokenExpiresInDays, a bad account name, plain http to a remote API: each named with an example", () => {
    const e = problems({
        ...base(),
        argocdAdminPassword: PASSWORD,
        argocd: { repoUsername: "r", apiUrl: "http://argocd.example.com", url: "ftp://x", ciAccount: { name: "CI_Readonly", tokenExpiresInDays: 10, rotateBeforeDays: 10 } },
    });
    const keys = e.problems.map((p) => p.key);
    for (const k of ["argocd.apiUrl", "argocd.url", "argocd.ciAccount.name", "argocd.ciAccount.rotateBeforeDays"]) {
        assert.ok(keys.includes(P + k), `${k} in ${keys.join(", ")}`);
        assert.ok(e.problems.find((p) => p.key === P + k)?.example, `${k} has an example`);
    }
});

test("plain http to a loopback Argo CD API is accepted (kubectl port-forward)", () => {
    const c = parseStackConfig(raw({ ...base(), argocdAdminPassword: PASSWORD, argocd: { repoUsername: "r", apiUrl: "http://127.0.0.1:8080" } }), SECRET_KEYS, "dev");
    assert.equal(c.argocd.apiUrl, "http://127.0.0.1:8080");
});

test("a typo under argocd.ciAccount or argocd.webhook is an unknown key", () => {
    const e = problems({ ...base(), argocd: { repoUsername: "r", ciAccount: { nmae: "x" }, webhook: { enable: true } } });
    const keys = e.problems.map((p) => p.key);
    assert.ok(keys.includes(`${P}argocd.ciAccount.nmae`) && keys.includes(`${P}argocd.webhook.enable`), keys.join(", "));
});

test("the drift check's token findings cover argocdCiTokenExpiresAt, rotated by the rotate job (or the next deploy)", async () => {
    const { TOKEN_OUTPUTS, tokenFindings } = await import("../../../ops/lib/tokenExpiry");
    assert.match(TOKEN_OUTPUTS.argocdCiTokenExpiresAt, /ARGOCD_AUTH_TOKEN/);
    const f = tokenFindings("dev", { argocdCiTokenExpiresAt: "2027-01-10T00:00:00.000Z" }, 14, Date.parse("2027-01-01T00:00:00Z"));
    assert.equal(f.length, 1);
    assert.equal(f[0].status, "rotation-due");
    assert.match(f[0].rotatedBy, /npm run rotate -- --stack dev/);
    assert.match(f[0].rotatedBy, /pulumi up --stack dev/);
});
