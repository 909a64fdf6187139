// Drives the GroupDeployToken dynamic provider's check/diff/create/read/update/delete against the
// local GitLab double, the way the Pulumi engine calls them (check, then diff, then create/update,
// read on refresh, delete for replaced or removed resources).
import { after, before, beforeEach, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    makeDeployTokenProvider,
    type GroupDeployTokenInputs,
    type GroupDeployTokenOutputs,
} from "../../../components/gitlab/deployTokenProvider";
import { CLOCK_ENV, clockNow, computeExpiresAt } from "../../../components/dynamic/tokenExpiry";
import { GitLabApiError } from "../../../components/gitlab/client";
import type { GitLabDouble } from "../../support/gitlab-double/server";
import { API_TOKENS, GROUP, NESTED_GROUP, allSecrets, startFixture } from "../../support/gitlab-double/fixture";

const DAY = 86400000;
const FAST = { timeoutMs: 1500, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } };

let double: GitLabDouble;
before(async () => {
    // The real clock unless a test sets GITOPS_PLATFORM_CLOCK (a rehearsal shell may have it set).
    delete process.env[CLOCK_ENV];
    double = await startFixture();
});
after(async () => {
    await double.close();
});
beforeEach(() => {
    double.clearFaults();
    double.linkHeaderOnly = false;
    double.clock = () => Date.now();
});

function inputs(over: Partial<GroupDeployTokenInputs> = {}): GroupDeployTokenInputs {
    return {
        host: double.url,
        group: GROUP,
        name: "gitops-platform-registry",
        scopes: ["read_registry"],
        expiresInDays: 90,
        rotateBeforeDays: 14,
        apiToken: API_TOKENS.owner,
        ...over,
    };
}

type Provider = Required<pulumi.dynamic.ResourceProvider>;
function provider(now?: () => number): Provider {
    if (now) double.clock = now; // GitLab and Pulumi share the fake clock
    return makeDeployTokenProvider({ ...FAST, now }) as Provider;
}

/** check + create, as `pulumi up` does for a new resource. */
async function createVia(p: Provider, news: GroupDeployTokenInputs) {
    const checked = await p.check({}, news);
    assert.deepEqual(checked.failures, []);
    const res = await p.create(checked.inputs);
    return { id: res.id, inputs: checked.inputs as GroupDeployTokenInputs, outs: res.outs as GroupDeployTokenOutputs };
}

/** check + diff against an existing resource, as `pulumi preview` does. */
async function planVia(p: Provider, state: { id: string; inputs: GroupDeployTokenInputs; outs: GroupDeployTokenOutputs }, news: GroupDeployTokenInputs) {
    const checked = await p.check(state.inputs, news);
    assert.deepEqual(checked.failures, []);
    const diff = await p.diff(state.id, state.outs, checked.inputs);
    return { inputs: checked.inputs as GroupDeployTokenInputs, diff };
}

function assertNoSecrets(text: string) {
    for (const s of allSecrets(double)) {
        assert.ok(!text.includes(s), `message leaks a secret: ${text}`);
    }
}

async function rejectsWith(promise: Promise<unknown>, check: (e: GitLabApiError) => void): Promise<GitLabApiError> {
    let caught: unknown;
    try {
        await promise;
    } catch (e) {
        caught = e;
    }
    assert.ok(caught instanceof GitLabApiError, `expected a GitLabApiError, got ${String(caught)}`);
    const e = caught as GitLabApiError;
    assertNoSecrets(e.message);
    assertNoSecrets(String(e.stack));
    assertNoSecrets(JSON.stringify({ ...e, message: e.message }));
    check(e);
    return e;
}

describe("create", () => {
    it("creates a token with a fixed expiry and returns its value, id and username", async () => {
        const now = Date.UTC(2026, 0, 10, 15, 30);
        const { id, outs } = await createVia(provider(() => now), inputs({ name: "create-basic" }));
        const stored = double.token(GROUP, Number(id));
        assert.ok(stored, "token exists in GitLab");
        assert.equal(outs.tokenId, Number(id));
        assert.equal(outs.token, stored.token);
        assert.match(outs.token, /^gldt-/);
        assert.equal(outs.username, `gitlab+deploy-token-${id}`);
        assert.equal(outs.expiresAt, "2026-04-10T00:00:00.000Z");
        assert.equal(stored.expires_at, "2026-04-10T00:00:00.000Z");
        assert.deepEqual(stored.scopes, ["read_registry"]);
        assert.equal(outs.apiToken, API_TOKENS.owner, "kept for refresh/delete (marked secret by the resource)");
        const post = double.requests.filter((r) => r.method === "POST").slice(-1)[0];
        assert.equal(post.rawUrl, "/api/v4/groups/acme%2Fplatform/deploy_tokens");
        assert.deepEqual(post.body, {
            name: "create-basic",
            scopes: ["read_registry"],
            expires_at: "2026-04-10T00:00:00.000Z",
        });
    });

    it("uses a requested username and the read_repository scope (Argo CD token)", async () => {
        const { outs } = await createVia(
            provider(),
            inputs({ name: "argocd-repo", username: "argocd-reader", scopes: ["read_repository"] }),
        );
        assert.equal(outs.username, "argocd-reader");
        assert.deepEqual(double.token(GROUP, outs.tokenId)!.scopes, ["read_repository"]);
    });

    it("addresses nested groups by URL-encoded full path, and groups by numeric id", async () => {
        const nested = await createVia(provider(), inputs({ group: NESTED_GROUP, name: "nested" }));
        assert.ok(double.token(NESTED_GROUP, nested.outs.tokenId));
        assert.ok(
            double.requests.some((r) => r.method === "POST" && r.rawUrl === "/api/v4/groups/acme%2Fplatform%2Fteam-a/deploy_tokens"),
        );
        const byId = await createVia(provider(), inputs({ group: String(double.groupId(GROUP)), name: "by-id" }));
        assert.ok(double.token(GROUP, byId.outs.tokenId));
    });

    it("accepts gitlab host forms (scheme, trailing slash, /api/v4)", async () => {
        const { outs } = await createVia(provider(), inputs({ host: `${double.url}/api/v4/`, name: "host-form" }));
        assert.ok(double.token(GROUP, outs.tokenId));
    });

    it("check rejects rotateBeforeDays >= expiresInDays and empty scopes", async () => {
        const p = provider();
        const r = await p.check({}, inputs({ expiresInDays: 7, rotateBeforeDays: 7, scopes: [] }));
        const props = r.failures!.map((f) => f.property).sort();
        assert.deepEqual(props, ["rotateBeforeDays", "scopes"]);
        assert.match(r.failures!.find((f) => f.property === "rotateBeforeDays")!.reason, /smaller than expiresInDays/);
    });
});

describe("preview stability and diff", () => {
    it("keeps expiresAt between runs: no diff days later", async () => {
        let now = Date.UTC(2026, 0, 10);
        const p = provider(() => now);
        const state = await createVia(p, inputs({ name: "stable" }));
        for (const later of [1, 30, 75]) {
            now = Date.UTC(2026, 0, 10) + later * DAY;
            const { inputs: checked, diff } = await planVia(p, state, inputs({ name: "stable" }));
            assert.equal(checked.expiresAt, state.outs.expiresAt, `day +${later}`);
            assert.equal(diff.changes, false, `day +${later}`);
            assert.deepEqual(diff.replaces, []);
        }
    });

    it("replaces (create-before-delete) on name, scopes, username and expiresInDays changes", async () => {
        const p = provider();
        const state = await createVia(p, inputs({ name: "diff-base" }));
        const cases: [Partial<GroupDeployTokenInputs>, string][] = [
            [{ name: "diff-renamed" }, "name"],
            [{ scopes: ["read_registry", "read_repository"] }, "scopes"],
            [{ username: "someone-else" }, "username"],
            [{ expiresInDays: 30 }, "expiresInDays"],
            [{ group: NESTED_GROUP }, "group"],
        ];
        for (const [change, key] of cases) {
            const { diff } = await planVia(p, state, inputs({ name: "diff-base", ...change }));
            assert.equal(diff.changes, true, key);
            assert.ok(diff.replaces!.includes(key), `${key} in ${diff.replaces}`);
            assert.equal(diff.deleteBeforeReplace, false, key);
        }
        // Same scopes in another order, or no username requested: no change.
        const same = await planVia(p, state, inputs({ name: "diff-base", scopes: ["read_registry"] }));
        assert.equal(same.diff.changes, false);
    });

    it("a new API token is an in-place update that keeps the deploy token", async () => {
        const p = provider();
        const state = await createVia(p, inputs({ name: "api-token-change" }));
        double.users["glpat-rotated-api-token-abcdef"] = { scopes: ["api"], groups: { [GROUP]: "owner" } };
        const news = inputs({ name: "api-token-change", apiToken: "glpat-rotated-api-token-abcdef" });
        const { inputs: checked, diff } = await planVia(p, state, news);
        assert.equal(diff.changes, true);
        assert.deepEqual(diff.replaces, []);
        const { outs } = await p.update(state.id, state.outs, checked);
        assert.equal(outs!.apiToken, "glpat-rotated-api-token-abcdef");
        assert.equal(outs!.token, state.outs.token);
        // Refresh and delete now use the new API token.
        const read = await p.read(state.id, outs);
        assert.equal(read.id, state.id);
        assert.equal(double.requests.slice(-1)[0]!.privateToken, "glpat-rotated-api-token-abcdef");
    });
});

describe("new provider code in the state", () => {
    // The engine hands diff and update the state's `__provider` in olds and the program's in news
    // (pulumi/cmd/dynamic-provider: check copies news.__provider into the checked inputs).
    const OLD_CODE = "exports.handler = __f0; /* provider serialized by an older release */";
    const NEW_CODE = "exports.handler = __f0; /* provider serialized by this release */";

    it("an old serialized provider, every input equal, is an in-place update that keeps the token", async () => {
        const p = provider();
        const state = await createVia(p, inputs({ name: "provider-code" }));
        const olds = { ...state.outs, __provider: OLD_CODE } as GroupDeployTokenOutputs;
        const checked = await p.check({ ...state.inputs, __provider: OLD_CODE }, { ...inputs({ name: "provider-code" }), __provider: NEW_CODE } as GroupDeployTokenInputs);
        assert.deepEqual(checked.failures, []);
        const news = { ...checked.inputs, __provider: NEW_CODE } as GroupDeployTokenInputs;
        const diff = await p.diff(state.id, olds, news);
        assert.equal(diff.changes, true, "the new code must reach the state (read and delete run the stored code)");
        assert.deepEqual(diff.replaces, [], "never a new token for new code");
        assert.equal(diff.deleteBeforeReplace, false);

        const tokensBefore = double.tokens(GROUP).filter((t) => t.name === "provider-code" && !t.revoked).length;
        const { outs } = await p.update(state.id, olds, news);
        assert.equal(outs!.tokenId, state.outs.tokenId, "same token id");
        assert.equal(outs!.token, state.outs.token, "same token value");
        assert.equal(outs!.username, state.outs.username);
        assert.equal(outs!.expiresAt, state.outs.expiresAt);
        assert.equal(double.tokens(GROUP).filter((t) => t.name === "provider-code" && !t.revoked).length, tokensBefore, "no token created or revoked");
        assert.ok(double.token(GROUP, Number(state.id)), "the token still exists in GitLab");

        // Once the state holds the new code, the next run is quiet.
        const again = await p.diff(state.id, { ...state.outs, ...outs, __provider: NEW_CODE } as GroupDeployTokenOutputs, news);
        assert.equal(again.changes, false);
    });
});

describe("rotation", () => {
    it("replaces the token once it is within rotateBeforeDays of expiry, create-before-delete", async () => {
        let now = Date.UTC(2026, 0, 1);
        const p = provider(() => now);
        const old = await createVia(p, inputs({ name: "rotating", expiresInDays: 30, rotateBeforeDays: 7 }));
        assert.equal(old.outs.expiresAt, "2026-01-31T00:00:00.000Z");

        now = Date.UTC(2026, 0, 23); // 8 days before expiry: not yet
        assert.equal((await planVia(p, old, inputs({ name: "rotating", expiresInDays: 30, rotateBeforeDays: 7 }))).diff.changes, false);

        now = Date.UTC(2026, 0, 25); // 6 days before expiry: rotate
        const { inputs: checked, diff } = await planVia(p, old, inputs({ name: "rotating", expiresInDays: 30, rotateBeforeDays: 7 }));
        assert.equal(diff.changes, true);
        assert.deepEqual(diff.replaces, ["expiresAt"]);
        assert.equal(diff.deleteBeforeReplace, false, "the new token must exist before the old one is revoked");
        assert.equal(checked.expiresAt, "2026-02-24T00:00:00.000Z");

        // The engine creates the replacement first (same name: GitLab allows it) ...
        const created = await p.create(checked);
        const fresh = created.outs as GroupDeployTokenOutputs;
        assert.notEqual(created.id, old.id);
        assert.notEqual(fresh.token, old.outs.token);
        assert.equal(fresh.expiresAt, "2026-02-24T00:00:00.000Z");
        const active = double.tokens(GROUP).filter((t) => t.name === "rotating" && !t.revoked);
        assert.equal(active.length, 2, "both tokens valid while dependents switch over");
        // ... then deletes the old one.
        await p.delete(old.id, old.outs);
        assert.equal(double.token(GROUP, Number(old.id)), undefined);
        assert.ok(double.token(GROUP, Number(created.id)));

        // And the next run is quiet again.
        const next = await planVia(p, { id: created.id, inputs: checked, outs: fresh }, inputs({ name: "rotating", expiresInDays: 30, rotateBeforeDays: 7 }));
        assert.equal(next.diff.changes, false);
    });
});

describe("refresh (read)", () => {
    it("returns the live token unchanged", async () => {
        const p = provider();
        const state = await createVia(p, inputs({ name: "refresh-live" }));
        const r = await p.read(state.id, state.outs);
        assert.equal(r.id, state.id);
        assert.deepEqual(r.props, state.outs);
    });

    it("reports a token revoked in GitLab as gone (empty id)", async () => {
        const p = provider();
        const state = await createVia(p, inputs({ name: "refresh-revoked" }));
        double.revoke(GROUP, Number(state.id));
        const r = await p.read(state.id, state.outs);
        assert.equal(r.id, "");
    });

    it("reports an expired token as gone", async () => {
        const p = provider();
        const state = await createVia(p, inputs({ name: "refresh-expired" }));
        double.expire(GROUP, Number(state.id));
        assert.equal((await p.read(state.id, state.outs)).id, "");
    });

    it("reports a deleted token as gone", async () => {
        const p = provider();
        const state = await createVia(p, inputs({ name: "refresh-deleted" }));
        double.remove(GROUP, Number(state.id));
        assert.equal((await p.read(state.id, state.outs)).id, "");
    });

    it("a wrong group on refresh is an error, not a silently dropped token", async () => {
        const p = provider();
        const state = await createVia(p, inputs({ name: "refresh-group" }));
        await rejectsWith(p.read(state.id, { ...state.outs, group: "acme/typo" }), (e) => {
            assert.equal(e.kind, "group-not-found");
            assert.match(e.message, /acme\/typo/);
        });
    });
});

describe("API token rotated after the deploy token was created", () => {
    const OLD = "glpat-old-api-token-rotated-away-0000";
    const stackConfig = (value: string | undefined) => ({
        config: {
            get: (k: string) => (k === "gitops-platform:gitlabToken" ? value : undefined),
            require: (k: string) => {
                if (k !== "gitops-platform:gitlabToken" || value === undefined) throw new Error(`missing ${k}`);
                return value;
            },
        },
    });

    it("refresh and delete retry once with the stack's current gitops-platform:gitlabToken on 401", async () => {
        double.users[OLD] = { scopes: ["api"], groups: { [GROUP]: "owner" } };
        const p = provider();
        await p.configure(stackConfig(API_TOKENS.owner));
        const state = await createVia(p, inputs({ name: "api-rotated", apiToken: OLD }));
        delete double.users[OLD]; // the old API token expired
        const before = double.requests.length;
        assert.equal((await p.read(state.id, state.outs)).id, state.id);
        assert.deepEqual(
            double.requests.slice(before).map((r) => r.privateToken),
            [OLD, API_TOKENS.owner],
        );
        await p.delete(state.id, state.outs);
        assert.equal(double.token(GROUP, Number(state.id)), undefined);
    });

    it("without a configured token the 401 is reported", async () => {
        double.users[OLD] = { scopes: ["api"], groups: { [GROUP]: "owner" } };
        const p = provider();
        const state = await createVia(p, inputs({ name: "api-rotated-2", apiToken: OLD }));
        delete double.users[OLD];
        await rejectsWith(p.read(state.id, state.outs), (e) => assert.equal(e.kind, "unauthorized"));
        await p.configure(stackConfig(API_TOKENS.owner));
        await p.delete(state.id, state.outs);
    });
});

describe("delete", () => {
    it("revokes the token; a token already gone is not an error", async () => {
        const p = provider();
        const state = await createVia(p, inputs({ name: "delete-me" }));
        await p.delete(state.id, state.outs);
        assert.equal(double.token(GROUP, Number(state.id)), undefined);
        await p.delete(state.id, state.outs); // again: 404 → success
        const other = await createVia(p, inputs({ name: "delete-removed" }));
        double.remove(GROUP, Number(other.id));
        await p.delete(other.id, other.outs);
    });
});

describe("GitLab errors", () => {
    it("401: names gitops-platform:gitlabToken and how to set it, without the token", async () => {
        await rejectsWith(createVia(provider(), inputs({ apiToken: API_TOKENS.unknown })), (e) => {
            assert.equal(e.status, 401);
            assert.equal(e.kind, "unauthorized");
            assert.match(e.message, /invalid, expired or revoked/);
            assert.match(e.message, /pulumi config set --secret gitops-platform:gitlabToken <token>/);
        });
    });

    it("403: needs the Owner role on the group or the api scope", async () => {
        for (const token of [API_TOKENS.maintainer, API_TOKENS.readApiOwner]) {
            const e = await rejectsWith(
                (async () => {
                    const p = provider();
                    const checked = await p.check({}, inputs({ apiToken: token, name: "forbidden" }));
                    return p.create(checked.inputs);
                })(),
                (err) => {
                    assert.equal(err.status, 403);
                    assert.equal(err.kind, "forbidden");
                    assert.match(err.message, /Owner role/);
                    assert.match(err.message, /`api` scope/);
                    assert.match(err.message, /gitops-platform:gitlabToken/);
                },
            );
            assert.ok(e);
        }
        assert.equal(double.tokens(GROUP).filter((t) => t.name === "forbidden").length, 0);
    });

    it("404: shows the group path tried and gitops-platform:gitlab.group", async () => {
        await rejectsWith(createVia(provider(), inputs({ group: "acme/does-not-exist" })), (e) => {
            assert.equal(e.status, 404);
            assert.equal(e.kind, "group-not-found");
            assert.match(e.message, /"acme\/does-not-exist"/);
            assert.match(e.message, /acme%2Fdoes-not-exist/);
            assert.match(e.message, /gitops-platform:gitlab\.group/);
        });
        // A group the token's user cannot see is a 404 too.
        await rejectsWith(createVia(provider(), inputs({ group: "acme", apiToken: API_TOKENS.maintainer })), (e) =>
            assert.equal(e.kind, "group-not-found"),
        );
    });

    it("409: name taken, with GitLab's message and the config key", async () => {
        double.inject({ method: "POST", status: 409, body: { message: "Deploy token name has already been taken" } });
        await rejectsWith(createVia(provider(), inputs({ name: "taken" })), (e) => {
            assert.equal(e.status, 409);
            assert.equal(e.kind, "rejected");
            assert.match(e.message, /Deploy token name has already been taken/);
            assert.match(e.message, /gitops-platform:gitlab\.deployToken/);
        });
    });

    it("400/422: bad expiry, with GitLab's message", async () => {
        const p = provider();
        await rejectsWith(p.create({ ...inputs({ name: "past" }), expiresAt: "2001-01-01T00:00:00.000Z" }), (e) => {
            assert.equal(e.status, 400);
            assert.match(e.message, /expires_at must be in the future/);
            assert.match(e.message, /expiresInDays/);
        });
        double.inject({ method: "POST", status: 422, body: { message: { expires_at: ["is invalid"] } } });
        await rejectsWith(createVia(p, inputs({ name: "unprocessable" })), (e) => {
            assert.equal(e.status, 422);
            assert.match(e.message, /expires_at is invalid/);
        });
    });

    it("5xx then success: reads and deletes are retried", async () => {
        const p = provider();
        const state = await createVia(p, inputs({ name: "flaky" }));
        double.inject({ method: "GET", path: /deploy_tokens\/\d+$/, status: 502, times: 2 });
        const r = await p.read(state.id, state.outs);
        assert.equal(r.id, state.id);
        double.inject({ method: "DELETE", status: 503, times: 2 });
        await p.delete(state.id, state.outs);
        assert.equal(double.token(GROUP, Number(state.id)), undefined);
    });

    it("5xx on create: retried without leaving a duplicate (also when GitLab created it but the answer was lost)", async () => {
        const p = provider();
        double.inject({ method: "POST", status: 500 });
        const a = await createVia(p, inputs({ name: "create-retry" }));
        assert.equal(double.tokens(GROUP).filter((t) => t.name === "create-retry").length, 1);
        assert.equal(double.token(GROUP, a.outs.tokenId)!.token, a.outs.token);

        double.inject({ method: "POST", status: 502, commit: true }); // created, answer lost
        const b = await createVia(p, inputs({ name: "lost-answer" }));
        const left = double.tokens(GROUP).filter((t) => t.name === "lost-answer");
        assert.equal(left.length, 1, "the orphan whose value was lost is revoked");
        assert.equal(left[0].token, b.outs.token);
    });

    it("5xx exhausted: clear error after bounded attempts, nothing half-created", async () => {
        const p = provider();
        double.inject({ method: "POST", status: 503, commit: true, times: 10 });
        await rejectsWith(createVia(p, inputs({ name: "never" })), (e) => {
            assert.equal(e.kind, "server");
            assert.equal(e.status, 503);
            assert.equal(e.attempts, 3);
            assert.match(e.message, /on all 3 attempts/);
            assert.match(e.message, /503 Service Unavailable/);
        });
        double.clearFaults();
        assert.equal(double.tokens(GROUP).filter((t) => t.name === "never" && !t.revoked).length, 0);

        double.inject({ method: "GET", status: 500, times: 10 });
        await rejectsWith(p.read("1", { ...inputs(), tokenId: 1, username: "u", token: "x", expiresAt: "2030-01-01T00:00:00.000Z" }), (e) => {
            assert.equal(e.kind, "server");
            assert.match(e.message, /on all 3 attempts/);
        });
    });

    it("timeouts are retried, then reported clearly", { timeout: 10000 }, async () => {
        const p = provider();
        const state = await createVia(p, inputs({ name: "slow" }));
        double.inject({ method: "GET", path: /deploy_tokens\/\d+$/, hang: true, times: 1 });
        assert.equal((await p.read(state.id, state.outs)).id, state.id, "one hang, then an answer");
        double.inject({ method: "GET", path: /deploy_tokens\/\d+$/, hang: true, times: 3 });
        await rejectsWith(p.read(state.id, state.outs), (e) => {
            assert.equal(e.kind, "timeout");
            assert.match(e.message, new RegExp(`did not answer within ${FAST.timeoutMs} ms`));
            assert.match(e.message, /on all 3 attempts/);
        });
    });

    it("network errors name the host config key", async () => {
        const p = provider();
        await rejectsWith(p.delete("1", { ...inputs({ host: "http://127.0.0.1:9" }), tokenId: 1, username: "u", token: "gldt-x", expiresAt: "2030-01-01T00:00:00.000Z" }), (e) => {
            assert.equal(e.kind, "network");
            assert.match(e.message, /gitops-platform:gitlab\.host/);
        });
    });
});

describe("closure serialization", () => {
    it("the serialized provider captures no secret and works against GitLab", async () => {
        const provider = makeDeployTokenProvider();
        const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: false });
        for (const s of allSecrets(double)) assert.ok(!sf.text.includes(s));
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const requireFromString = require("require-from-string");
        const revived = requireFromString(sf.text).handler() as Provider;
        const checked = await revived.check({}, inputs({ name: "serialized" }));
        const res = await revived.create(checked.inputs);
        assert.equal(double.token(GROUP, Number(res.id))!.token, res.outs.token);
        // configure() state is shared by the serialized methods: delete with a stale API token
        // falls back to the configured one.
        await revived.configure({ config: { get: () => API_TOKENS.owner, require: () => API_TOKENS.owner } });
        await revived.delete(res.id, { ...res.outs, apiToken: API_TOKENS.unknown });
        assert.equal(double.token(GROUP, Number(res.id)), undefined);
    });

    it("errors of the serialized provider are Errors with their message (the engine shows it)", async () => {
        // The serializer turns `class GitLabApiError extends Error` into a plain function; without the
        // explicit message and prototype the engine received an object without a message and printed
        // "Unknown Error" for every GitLab failure.
        const provider = makeDeployTokenProvider({ retry: { attempts: 1 } });
        const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: false });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const requireFromString = require("require-from-string");
        const revived = requireFromString(sf.text).handler() as Provider;
        const state = { ...inputs({ apiToken: API_TOKENS.unknown }), tokenId: 1, username: "u", token: "gldt-x", expiresAt: "2030-01-01T00:00:00.000Z" };
        const caught = await revived.read("1", state).then(
            () => assert.fail("read with an unknown API token must fail"),
            (e: unknown) => e,
        );
        assert.ok(caught instanceof Error, `expected an Error, got ${Object.prototype.toString.call(caught)}`);
        const e = caught as Error & { kind?: string };
        assert.equal(e.kind, "unauthorized");
        assert.match(e.message, /401 Unauthorized.*pulumi config set --secret gitops-platform:gitlabToken/);
        assert.match(String(e), /^GitLabApiError: GitLab rejected the API token/);
        assert.equal(typeof e.stack, "string");
        for (const s of allSecrets(double)) assert.ok(!e.message.includes(s));
    });
});

/** Runs `fn` with GITOPS_PLATFORM_CLOCK set to `value` (unset for undefined), restoring it after. */
async function withClock<T>(value: string | undefined, fn: () => Promise<T> | T): Promise<T> {
    const saved = process.env[CLOCK_ENV];
    if (value === undefined) delete process.env[CLOCK_ENV];
    else process.env[CLOCK_ENV] = value;
    try {
        return await fn();
    } finally {
        if (saved === undefined) delete process.env[CLOCK_ENV];
        else process.env[CLOCK_ENV] = saved;
    }
}

/** Midnight UTC `days` days from the real today, as an ISO string and in ms. */
function midnightIn(days: number): { iso: string; ms: number } {
    const iso = computeExpiresAt(Date.now(), days);
    return { iso, ms: Date.parse(iso) };
}

describe("GITOPS_PLATFORM_CLOCK (tests and rehearsals)", () => {
    const state = (expiresAt: string) => {
        const base = inputs({ name: "clock", expiresInDays: 90, rotateBeforeDays: 14 });
        const checked = { ...base, expiresAt };
        return { id: "7", inputs: checked, outs: { ...checked, tokenId: 7, username: "u", token: "gldt-x" } as GroupDeployTokenOutputs };
    };

    it("clockNow: the instant in the variable when set, the real clock when unset or empty", () => {
        assert.equal(clockNow({ [CLOCK_ENV]: "2026-12-28T00:00:00Z" }), Date.UTC(2026, 11, 28));
        assert.equal(clockNow({ [CLOCK_ENV]: "2026-12-28T12:30:00+02:00" }), Date.UTC(2026, 11, 28, 10, 30));
        for (const env of [{}, { [CLOCK_ENV]: "" }, { [CLOCK_ENV]: "  " }]) {
            const t = clockNow(env);
            assert.ok(Math.abs(t - Date.now()) < 5000, `real clock for ${JSON.stringify(env)}`);
        }
    });

    it("set: it is now for a new expiresAt (check and create)", async () => {
        await withClock("2026-12-28T00:00:00Z", async () => {
            const checked = await provider().check({}, inputs({ name: "clock-check", expiresInDays: 90 }));
            assert.deepEqual(checked.failures, []);
            assert.equal(checked.inputs.expiresAt, "2027-03-28T00:00:00.000Z", "2026-12-28 + 90 days");
        });
        const moved = midnightIn(10);
        const { outs } = await withClock(moved.iso, () => createVia(provider(), inputs({ name: "clock-create", expiresInDays: 30 })));
        assert.equal(outs.expiresAt, computeExpiresAt(moved.ms, 30));
        assert.equal(double.token(GROUP, outs.tokenId)!.expires_at, outs.expiresAt, "the date GitLab got");
        // create without a checked expiresAt computes it with the same clock
        const direct = await withClock(moved.iso, () => provider().create(inputs({ name: "clock-create-direct", expiresInDays: 30 })));
        assert.equal((direct.outs as GroupDeployTokenOutputs).expiresAt, computeExpiresAt(moved.ms, 30));
    });

    it("set inside the rotation window: the token is replaced; unset: it is not (read at each call, not when the provider was built)", async () => {
        const expiry = midnightIn(60);
        const old = state(expiry.iso);
        const p = provider();
        const plan = () => planVia(p, old, inputs({ name: "clock", expiresInDays: 90, rotateBeforeDays: 14 }));

        const quiet = await withClock(undefined, plan);
        assert.equal(quiet.diff.changes, false, "60 days before expiry by the real clock");
        assert.equal(quiet.inputs.expiresAt, expiry.iso);

        const rehearsal = new Date(expiry.ms - 5 * DAY).toISOString(); // 5 days before expiry, inside rotateBeforeDays 14
        const due = await withClock(rehearsal, plan);
        assert.equal(due.diff.changes, true);
        assert.deepEqual(due.diff.replaces, ["expiresAt"]);
        assert.equal(due.diff.deleteBeforeReplace, false);
        assert.equal(due.inputs.expiresAt, computeExpiresAt(Date.parse(rehearsal), 90), "the new expiry counts from the moved clock");

        const outside = await withClock(new Date(expiry.ms - 15 * DAY).toISOString(), plan);
        assert.equal(outside.diff.changes, false, "15 days before expiry: outside the window");
    });

    it("set but invalid: check fails with an error naming GITOPS_PLATFORM_CLOCK and a valid example", async () => {
        for (const bad of ["tomorrow", "Dec 28 2026", "2026-12-28", "2026-13-45T00:00:00Z", "1767000000000"]) {
            await withClock(bad, async () => {
                const e = await provider().check({}, inputs({ name: "clock-bad" })).then(
                    () => assert.fail(`${bad} was accepted`),
                    (err: unknown) => err,
                );
                assert.ok(e instanceof Error, String(e));
                assert.match(e.message, /GITOPS_PLATFORM_CLOCK=.* is not an ISO 8601 instant/, bad);
                assert.ok(e.message.includes(JSON.stringify(bad)), `the bad value is shown: ${e.message}`);
                assert.match(e.message, /e\.g\. GITOPS_PLATFORM_CLOCK=2026-12-28T00:00:00Z/);
            });
        }
    });

    it("refresh keeps the real clock: a rehearsal clock past expiry does not drop a token GitLab still accepts", async () => {
        const p = provider();
        const live = await createVia(p, inputs({ name: "clock-refresh", expiresInDays: 30 }));
        const r = await withClock(new Date(Date.parse(live.outs.expiresAt) + DAY).toISOString(), () => p.read(live.id, live.outs));
        assert.equal(r.id, live.id);
        // and an invalid value does not break refresh either
        assert.equal((await withClock("garbage", () => p.read(live.id, live.outs))).id, live.id);
    });

    it("settings.now (unit tests) wins over the variable", async () => {
        const fixed = Date.UTC(2026, 0, 10);
        const checked = await withClock("2030-01-01T00:00:00Z", () =>
            makeDeployTokenProvider({ ...FAST, now: () => fixed }).check!({}, inputs({ name: "clock-settings", expiresInDays: 90 })),
        );
        assert.equal(checked.inputs.expiresAt, "2026-04-10T00:00:00.000Z");
    });

    it("the closure-serialized provider reads the variable in the provider host, at call time", async () => {
        const fresh = makeDeployTokenProvider();
        const sf = await withClock("2029-02-03T04:05:06Z", () => pulumi.runtime.serializeFunction(() => fresh, { allowSecrets: false }));
        assert.ok(!sf.text.includes("2029-02-03"), "the value at serialization time is not captured");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const revived = require("require-from-string")(sf.text).handler() as Provider;
        const at = async (clock: string | undefined) =>
            (await withClock(clock, () => revived.check({}, inputs({ name: "clock-serialized", expiresInDays: 90 })))).inputs.expiresAt;
        assert.equal(await at("2031-06-01T00:00:00Z"), "2031-08-30T00:00:00.000Z");
        assert.equal(await at(undefined), computeExpiresAt(Date.now(), 90));
        await withClock("not-a-date", async () => {
            await assert.rejects(revived.check({}, inputs({ name: "clock-serialized" })), /GITOPS_PLATFORM_CLOCK="not-a-date" is not an ISO 8601 instant/);
        });
    });
});

describe("computeExpiresAt", () => {
    it("is midnight UTC N days after today", () => {
        assert.equal(computeExpiresAt(Date.UTC(2026, 1, 27, 23, 59), 2), "2026-03-01T00:00:00.000Z");
    });
});
