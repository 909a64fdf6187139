// Drives the AccountToken dynamic provider (check/diff/create/read/update/delete) against the Argo CD
// API double, as the Pulumi engine calls it: token made with an expiry, rotation window, refresh
// after an out-of-band delete, a rejected login, no secret in any message.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { makeAccountTokenProvider, type AccountTokenInputs, type AccountTokenOutputs } from "../../../components/argocd/accountTokenProvider";
import { startArgoCdDouble, type ArgoCdDouble } from "../../support/argocd-double/server";

const PASSWORD = "argocd-ADMIN-password-do-not-print-77";
const DAY = 86_400_000;
let double: ArgoCdDouble;
let nowMs = Date.parse("2026-12-01T10:00:00Z");

before(async () => {
    double = await startArgoCdDouble({ adminPassword: PASSWORD, accounts: { "ci-readonly": ["apiKey"], "no-api": ["login"] } });
    double.clock = () => nowMs;
});
after(async () => {
    await double.close();
});

type Provider = Required<pulumi.dynamic.ResourceProvider>;
const provider = () => makeAccountTokenProvider({ timeoutMs: 2000, now: () => nowMs }) as Provider;
function inputs(over: Partial<AccountTokenInputs> = {}): AccountTokenInputs {
    return { apiUrl: double.url, account: "ci-readonly", username: "admin", password: PASSWORD, expiresInDays: 90, rotateBeforeDays: 14, passwordConfigKey: "gitops-platform:argocdAdminPassword", ...over };
}
function assertNoSecret(text: string) {
    for (const s of [PASSWORD, ...double.issued.map((t) => t.value)]) assert.ok(!text.includes(s), `no secret in: ${text}`);
}
async function fails(p: Promise<unknown>): Promise<Error> {
    try {
        await p;
    } catch (e) {
        assertNoSecret(String((e as Error).message) + String((e as Error).stack ?? ""));
        return e as Error;
    }
    assert.fail("expected an error");
}
async function createOne(over: Partial<AccountTokenInputs> = {}): Promise<{ id: string; outs: AccountTokenOutputs }> {
    const p = provider();
    const checked = await p.check({}, inputs(over));
    assert.deepEqual(checked.failures, []);
    const r = await p.create(checked.inputs);
    return { id: r.id, outs: r.outs as AccountTokenOutputs };
}

describe("AccountToken provider against the Argo CD API double", () => {
    it("check fixes expiresAt at midnight UTC, expiresInDays ahead, and keeps it on later runs", async () => {
        const p = provider();
        const first = await p.check({}, inputs());
        assert.equal(first.inputs.expiresAt, "2027-03-01T00:00:00.000Z");
        nowMs += DAY;
        const second = await p.check(first.inputs, inputs());
        assert.equal(second.inputs.expiresAt, "2027-03-01T00:00:00.000Z");
        nowMs -= DAY;
    });

    it("check refuses a rotation window as long as the lifetime, naming the config key", async () => {
        const r = await provider().check({}, inputs({ rotateBeforeDays: 90 }));
        assert.match((r.failures ?? []).map((f) => f.reason).join("\n"), /gitops-platform:argocd\.ciAccount/);
    });

    it("create makes a token for the account through the API with the expiry in seconds; the token logs in", async () => {
        const { id, outs } = await createOne();
        assert.match(id, /^ci-readonly:gitops-platform-/);
        const live = double.tokens("ci-readonly").find((t) => t.id === outs.tokenId);
        assert.ok(live, "Argo CD lists the token");
        assert.equal(live!.expiresAt * 1000, Date.parse(outs.expiresAt), "Argo CD's expiry is the state's expiresAt");
        assert.equal(outs.token, live!.value);
        const res = await fetch(`${double.url}/api/v1/applications`, { headers: { Authorization: `Bearer ${outs.token}` } });
        assert.equal(res.status, 200);
    });

    it("read keeps a live token and drops one deleted in Argo CD (refresh → next up makes a new one)", async () => {
        const p = provider();
        const { id, outs } = await createOne();
        const kept = await p.read(id, outs);
        assert.equal(kept.id, id);
        double.deleteToken("ci-readonly", outs.tokenId);
        const gone = await p.read(id, outs);
        assert.equal(gone.id, "");
    });

    it("read drops an expired token (real clock)", async () => {
        const { id, outs } = await createOne();
        const saved = nowMs;
        nowMs = Date.parse(outs.expiresAt) + 1000;
        const p = provider();
        const gone = await p.read(id, outs);
        nowMs = saved;
        assert.equal(gone.id, "");
    });

    it("inside rotateBeforeDays: check moves expiresAt, diff replaces create-before-delete; delete removes only the old token", async () => {
        const p = provider();
        const { id, outs } = await createOne();
        const saved = nowMs;
        nowMs = Date.parse(outs.expiresAt) - 10 * DAY;
        const checked = await p.check(outs, inputs());
        assert.notEqual(checked.inputs.expiresAt, outs.expiresAt);
        const d = await p.diff(id, outs, checked.inputs as AccountTokenInputs);
        assert.deepEqual(d.replaces, ["expiresAt"]);
        assert.equal(d.deleteBeforeReplace, false);
        const next = await p.create(checked.inputs);
        await p.delete(id, outs);
        const ids = double.tokens("ci-readonly").map((t) => t.id);
        assert.ok(ids.includes((next.outs as AccountTokenOutputs).tokenId), "the new token exists");
        assert.ok(!ids.includes(outs.tokenId), "the old token is deleted");
        nowMs = saved;
    });

    it("no change, no diff; a new password is an in-place update", async () => {
        const p = provider();
        const { id, outs } = await createOne();
        const same = await p.check(outs, inputs());
        assert.equal((await p.diff(id, outs, same.inputs as AccountTokenInputs)).changes, false);
        const d = await p.diff(id, outs, { ...(same.inputs as AccountTokenInputs), password: "another-password" });
        assert.equal(d.changes, true);
        assert.deepEqual(d.replaces, []);
    });

    it("delete of a token already gone succeeds", async () => {
        const p = provider();
        const { id, outs } = await createOne();
        double.deleteToken("ci-readonly", outs.tokenId);
        await p.delete(id, outs);
    });

    it("a wrong admin password is an error naming argocdAdminPassword, without the password", async () => {
        const e = await fails(createOne({ password: "wrong-password-not-printed" }));
        assert.match(e.message, /gitops-platform:argocdAdminPassword/);
        assert.ok(!e.message.includes("wrong-password-not-printed"));
    });

    it("on a rejected login, read and delete retry with the stack's current argocdAdminPassword", async () => {
        const { id, outs } = await createOne();
        const p = provider();
        await p.configure({ config: { get: (k: string) => (k === "gitops-platform:argocdAdminPassword" ? PASSWORD : undefined) } } as any);
        const r = await p.read(id, { ...outs, password: "rotated-away-password" });
        assert.equal(r.id, id);
    });

    it("an account without apiKey: the error says to set accounts.<name>: apiKey", async () => {
        const e = await fails(createOne({ account: "no-api" }));
        assert.match(e.message, /accounts\.no-api: apiKey/);
    });

    it("an unreachable API names gitops-platform:argocd.apiUrl", async () => {
        const e = await fails(createOne({ apiUrl: "http://127.0.0.1:1" }));
        assert.match(e.message, /gitops-platform:argocd\.apiUrl/);
    });
});

describe("refresh", () => {
    it("a live token reads back exactly as created: no output changes (a changed issuedAt was drift in the e2e)", async () => {
        // Argo CD keeps whole seconds: a clock with milliseconds, as in real life.
        const saved = nowMs;
        nowMs = Date.parse("2026-12-01T10:00:00.437Z");
        try {
            const { id, outs } = await createOne();
            const read = await provider().read(id, outs);
            assert.equal(read.id, id);
            assert.deepEqual(read.props, outs);
        } finally {
            nowMs = saved;
        }
    });
});

describe("closure serialization", () => {
    it("errors of the serialized provider are Errors with their message (the engine printed '[object Object]: undefined' before)", async () => {
        // Pulumi's serializer turns `class ArgoCdApiError extends Error` into a plain function; without the
        // explicit message and prototype the engine got an object without a message (seen with the real
        // argocd-server in the e2e: "Unknown Error" on a failed token delete).
        const fresh = makeAccountTokenProvider({ timeoutMs: 2000 });
        const sf = await pulumi.runtime.serializeFunction(() => fresh, { allowSecrets: false });
        assert.ok(!sf.text.includes(PASSWORD), "no password captured");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const revived = require("require-from-string")(sf.text).handler() as Provider;
        const state = { ...inputs({ password: "wrong-password-for-the-test" }), expiresAt: "2030-01-01T00:00:00.000Z", tokenId: "gitops-platform-x", token: "t", issuedAt: "" };
        const caught = await revived.delete("ci-readonly:gitops-platform-x", state).then(
            () => assert.fail("a rejected login must fail"),
            (e: unknown) => e,
        );
        assert.ok(caught instanceof Error, `expected an Error, got ${Object.prototype.toString.call(caught)}`);
        const e = caught as Error & { status?: number };
        assert.equal(e.status, 401);
        assert.match(e.message, /rejected the login of admin \(HTTP 401\).*gitops-platform:argocdAdminPassword/);
        assert.match(String(e), /^ArgoCdApiError: Argo CD at /);
        assert.equal(typeof e.stack, "string");
        assertNoSecret(e.message);
    });
});
