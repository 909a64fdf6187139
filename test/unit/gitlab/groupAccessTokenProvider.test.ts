// Drives the GroupAccessToken dynamic provider (check/diff/create/read/update/delete) against the
// GitLab double's group access token endpoints, as the Pulumi engine calls it: create with the
// right scopes, role and expiry; rotation inside rotateBeforeDays (GITOPS_PLATFORM_CLOCK) as a
// create-before-delete replacement whose old token is then revoked (401 from then on); refresh
// dropping a revoked or expired token; a lost create answer leaving no orphan; errors without secrets.
import { after, before, beforeEach, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import {
    ACCESS_LEVEL,
    makeGroupAccessTokenProvider,
    type GroupAccessTokenInputs,
    type GroupAccessTokenOutputs,
} from "../../../components/gitlab/groupAccessTokenProvider";
import { storedAccessTokens } from "../../support/gitlab-double/accessTokens";
import type { GitLabDouble } from "../../support/gitlab-double/server";
import { API_TOKENS, GROUP, allSecrets, startFixture } from "../../support/gitlab-double/fixture";
import { configSchema } from "../../../stacks/schema";

const FAST = { timeoutMs: 1500, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } };
const DAY = 86_400_000;
let double: GitLabDouble;
let clock = Date.parse("2026-12-01T09:30:00Z");

before(async () => {
    double = await startFixture();
    double.clock = () => clock;
});
after(async () => double.close());
beforeEach(() => {
    double.clearFaults();
    clock = Date.parse("2026-12-01T09:30:00Z");
});

type Provider = Required<pulumi.dynamic.ResourceProvider>;
const provider = () => makeGroupAccessTokenProvider({ ...FAST, now: () => clock }) as Provider;
function inputs(over: Partial<GroupAccessTokenInputs> = {}): GroupAccessTokenInputs {
    return {
        host: double.url,
        group: GROUP,
        name: "gitops-platform-ci-push",
        scopes: ["write_repository"],
        accessLevel: "developer",
        expiresInDays: 90,
        rotateBeforeDays: 14,
        apiToken: API_TOKENS.owner,
        ...over,
    };
}
async function created(p: Provider, over: Partial<GroupAccessTokenInputs> = {}) {
    const checked = (await p.check({}, inputs(over))).inputs as GroupAccessTokenInputs;
    const r = await p.create(checked);
    return { id: r.id, outs: r.outs as GroupAccessTokenOutputs };
}
function assertNoSecret(text: string) {
    for (const s of allSecrets(double)) assert.ok(!text.includes(s), `no secret in: ${text}`);
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
/** What GitLab's API says about `token` (the bot authenticates until revoked). */
async function whoami(token: string): Promise<number> {
    return (await fetch(`${double.url}/api/v4/personal_access_tokens/self`, { headers: { "PRIVATE-TOKEN": token } })).status;
}
const active = (name = "gitops-platform-ci-push") => storedAccessTokens(double.users, GROUP).filter((t) => t.name === name && !t.revoked);

describe("GroupAccessToken provider", () => {
    it("create: POST /groups/:id/access_tokens with write_repository, Developer (30), expires_at the day 90 days ahead; the value once", async () => {
        const p = provider();
        const { id, outs } = await created(p);
        const post = double.requests.filter((r) => r.method === "POST" && r.path === `/api/v4/groups/${GROUP}/access_tokens`).pop()!;
        assert.deepEqual(post.body, { name: "gitops-platform-ci-push", scopes: ["write_repository"], access_level: 30, expires_at: "2027-03-01" });
        assert.equal(outs.expiresAt, "2027-03-01T00:00:00.000Z");
        const stored = storedAccessTokens(double.users, GROUP).find((t) => String(t.id) === id)!;
        assert.equal(outs.token, stored.token);
        assert.deepEqual([stored.access_level, stored.scopes, stored.expires_at], [30, ["write_repository"], "2027-03-01"]);
        assert.equal(await whoami(outs.token), 200, "the new token authenticates");
        await p.delete(id, outs);
    });

    it("the schema's roles and the provider's access levels are the same list", () => {
        const r = configSchema.safeParse({ environments: { dev: {} }, gitlab: { group: "g", ciPushToken: { accessLevel: "nobody" } } });
        assert.ok(!r.success);
        const msg = r.error.issues.find((i) => i.path.join(".") === "gitlab.ciPushToken.accessLevel")!.message;
        assert.equal(msg, `must be a GitLab role: ${Object.keys(ACCESS_LEVEL).join(", ")}`);
    });

    it("a second preview keeps expiresAt (no churn); inside rotateBeforeDays it moves and diff replaces create-before-delete", async () => {
        const p = provider();
        const { id, outs } = await created(p);
        const again = (await p.check(outs, inputs())).inputs as GroupAccessTokenInputs;
        assert.equal(again.expiresAt, outs.expiresAt);
        assert.deepEqual(await p.diff(id, outs, again), { changes: false, replaces: [], deleteBeforeReplace: false });
        clock = Date.parse(outs.expiresAt) - 13 * DAY; // inside the 14-day window
        const due = (await p.check(outs, inputs())).inputs as GroupAccessTokenInputs;
        assert.equal(due.expiresAt, new Date(Date.parse("2027-02-16T00:00:00Z") + 90 * DAY).toISOString());
        const d = await p.diff(id, outs, due);
        assert.deepEqual([d.changes, d.replaces, d.deleteBeforeReplace], [true, ["expiresAt"], false]);
        // The engine: create the new one, (update the variable), then delete the old one.
        const fresh = await p.create(due);
        const freshOuts = fresh.outs as GroupAccessTokenOutputs;
        assert.notEqual(fresh.id, id);
        assert.equal(active().length, 2, "both exist between create and delete");
        assert.equal(await whoami(outs.token), 200, "the old token still works until the delete");
        await p.delete(id, outs);
        assert.deepEqual(active().map((t) => String(t.id)), [fresh.id]);
        assert.equal(await whoami(outs.token), 401, "the old token is revoked");
        assert.equal(await whoami(freshOuts.token), 200);
        assert.equal(freshOuts.expiresAt.slice(0, 10), storedAccessTokens(double.users, GROUP).find((t) => String(t.id) === fresh.id)!.expires_at);
        await p.delete(fresh.id, freshOuts);
    });

    it("name, scopes, accessLevel or expiresInDays changed: a new token; apiToken or rotateBeforeDays: an update", async () => {
        const p = provider();
        const { id, outs } = await created(p);
        for (const [over, key] of [
            [{ name: "other" }, "name"],
            [{ scopes: ["write_repository", "read_api"] }, "scopes"],
            [{ accessLevel: "maintainer" }, "accessLevel"],
            [{ expiresInDays: 30 }, "expiresInDays"],
        ] as [Partial<GroupAccessTokenInputs>, string][]) {
            const news = (await p.check(outs, inputs(over))).inputs as GroupAccessTokenInputs;
            assert.ok((await p.diff(id, outs, news)).replaces!.includes(key), key);
        }
        const upd = (await p.check(outs, inputs({ rotateBeforeDays: 7, apiToken: API_TOKENS.maintainer }))).inputs as GroupAccessTokenInputs;
        const d = await p.diff(id, outs, upd);
        assert.deepEqual([d.changes, d.replaces], [true, []]);
        const u = (await p.update(id, outs, upd)).outs as GroupAccessTokenOutputs;
        assert.equal(u.token, outs.token);
        assert.equal(u.rotateBeforeDays, 7);
        await p.delete(id, outs);
    });

    it("refresh: a live token is kept; revoked or expired in GitLab, it leaves the state", async () => {
        const p = provider();
        const a = await created(p);
        const kept = await p.read(a.id, a.outs);
        assert.equal(kept.id, a.id);
        assert.equal((kept.props as GroupAccessTokenOutputs).accessLevel, "developer");
        // Revoked by an Owner in GitLab (through the API).
        await fetch(`${double.url}/api/v4/groups/${encodeURIComponent(GROUP)}/access_tokens/${a.id}`, { method: "DELETE", headers: { "PRIVATE-TOKEN": API_TOKENS.owner } });
        assert.deepEqual(await p.read(a.id, a.outs), { id: "", props: {} });
        await p.delete(a.id, a.outs); // already revoked (GitLab answers 400 "Token was not revoked"): success
        const b = await created(p);
        clock = Date.parse(b.outs.expiresAt) + 1000;
        assert.deepEqual(await p.read(b.id, b.outs), { id: "", props: {} });
    });

    it("a lost create answer (GitLab made it, the answer was a 502): the orphan is revoked, the error says to run again", async () => {
        const p = provider();
        const before = storedAccessTokens(double.users, GROUP).length;
        double.inject({ method: "POST", path: /access_tokens$/, status: 502, commit: true });
        const e = await fails(created(p, { name: "lost-answer" }));
        assert.match(e.message, /502/);
        const made = storedAccessTokens(double.users, GROUP).slice(before);
        assert.equal(made.length, 1, "GitLab made one token");
        assert.ok(made.every((t) => t.revoked), "and the client revoked it");
        assert.equal(double.requests.filter((r) => r.method === "POST" && /access_tokens$/.test(r.path)).length >= 1, true);
    });

    it("errors name the config keys and what to check, never a token: a Maintainer, a rejected expiry, a missing group", async () => {
        const p = provider();
        const forbidden = await fails(created(p, { apiToken: API_TOKENS.maintainer }));
        assert.match(forbidden.message, /Owner role/);
        assert.match(forbidden.message, /Premium or Ultimate/);
        assert.match(forbidden.message, /gitlab\.ciPushToken\.mode personalAccessToken/);
        const missing = await fails(created(p, { group: "acme/nope" }));
        assert.match(missing.message, /gitops-platform:gitlab\.group/);
        const failures = (await p.check({}, inputs({ expiresInDays: 400, rotateBeforeDays: 400 }))).failures ?? [];
        assert.ok(failures.some((f) => /1 to 365/.test(f.reason)), JSON.stringify(failures));
        const role = (await p.check({}, inputs({ accessLevel: "admin" }))).failures ?? [];
        assert.ok(role.some((f) => f.property === "accessLevel"));
    });
});

describe("closure serialization (GroupAccessToken)", () => {
    it("the serialized provider captures no secret, works against GitLab, and its errors keep their message", async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const pulumiRt = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
        const fresh = makeGroupAccessTokenProvider({ ...FAST });
        const sf = await pulumiRt.runtime.serializeFunction(() => fresh, { allowSecrets: false });
        for (const s of allSecrets(double)) assert.ok(!sf.text.includes(s));
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const revived = require("require-from-string")(sf.text).handler() as Provider;
        const checked = (await revived.check({}, inputs({ name: "serialized" }))).inputs as GroupAccessTokenInputs;
        const r = await revived.create(checked);
        assert.equal(storedAccessTokens(double.users, GROUP).find((t) => String(t.id) === r.id)!.token, (r.outs as GroupAccessTokenOutputs).token);
        await revived.delete(r.id, r.outs);
        const caught = await revived.create({ ...checked, apiToken: API_TOKENS.unknown }).then(
            () => assert.fail("an unknown API token must fail"),
            (e: unknown) => e,
        );
        assert.ok(caught instanceof Error);
        assert.match((caught as Error).message, /401 Unauthorized.*gitops-platform:gitlabToken/);
    });
});
