// Drives the GroupVariable dynamic provider (check/diff/create/read/update/delete) against the
// local GitLab double, as the Pulumi engine calls it.
import { after, before, beforeEach, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { makeGroupVariableProvider, valueSha256, type GroupVariableInputs, type GroupVariableOutputs } from "../../../components/gitlab/groupVariableProvider";
import type { GitLabDouble } from "../../support/gitlab-double/server";
import { API_TOKENS, GROUP, allSecrets, startFixture } from "../../support/gitlab-double/fixture";

const FAST = { timeoutMs: 1500, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } };
const PUSH_TOKEN = "glpat-CIPUSH-first-token-do-not-print-01";
const PUSH_TOKEN_2 = "glpat-CIPUSH-second-token-do-not-print-02";
const UNKNOWN_PUSH_TOKEN = "glpat-CIPUSH-never-registered-token-03";
const KEY = "CI_PUSH_TOKEN";

let double: GitLabDouble;
before(async () => {
    double = await startFixture();
    double.addPersonalToken(PUSH_TOKEN, { expiresAt: "2027-03-15" });
    double.addPersonalToken(PUSH_TOKEN_2, { expiresAt: "2027-09-30" });
});
after(async () => {
    await double.close();
});
beforeEach(() => {
    double.clearFaults();
    for (const v of double.variables(GROUP)) double.setVariable(GROUP, { ...v, key: `OLD_${v.key}` });
});

type Provider = Required<pulumi.dynamic.ResourceProvider>;
const provider = () => makeGroupVariableProvider(FAST) as Provider;
function inputs(over: Partial<GroupVariableInputs> = {}): GroupVariableInputs {
    return {
        host: double.url,
        group: GROUP,
        key: KEY,
        value: PUSH_TOKEN,
        masked: true,
        protected: false,
        raw: true,
        apiToken: API_TOKENS.owner,
        readTokenExpiry: true,
        valueConfigKey: "gitops-platform:ciPushToken",
        ...over,
    };
}
function secrets(): string[] {
    return [...allSecrets(double), PUSH_TOKEN, PUSH_TOKEN_2, UNKNOWN_PUSH_TOKEN];
}
function assertNoSecret(text: string) {
    for (const s of secrets()) assert.ok(!text.includes(s), `no secret in: ${text}`);
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
function live(key = KEY) {
    return double.variables(GROUP).find((v) => v.key === key);
}
async function createVia(p: Provider, news: GroupVariableInputs) {
    const checked = await p.check({}, news);
    assert.deepEqual(checked.failures, []);
    return p.create(checked.inputs as GroupVariableInputs);
}
async function cleanup(key = KEY) {
    await provider().delete(`${GROUP}:${key}`, { ...inputs({ key }), valueSha256: "", tokenExpiresAt: null });
}

describe("GroupVariable provider", () => {
    it("create: the group variable masked, not protected, raw, with the value; the token's expiry read", async () => {
        const res = await createVia(provider(), inputs());
        const outs = res.outs as GroupVariableOutputs;
        assert.deepEqual(
            { ...live(), environment_scope: undefined },
            { key: KEY, value: PUSH_TOKEN, masked: true, protected: false, raw: true, variable_type: "env_var", environment_scope: undefined },
        );
        assert.equal(outs.valueSha256, valueSha256(PUSH_TOKEN));
        assert.equal(outs.tokenExpiresAt, "2027-03-15T00:00:00.000Z");
        assert.equal(res.id, `${GROUP}:${KEY}`);
        const self = double.requests.filter((r) => r.path === "/api/v4/personal_access_tokens/self");
        assert.equal(self[self.length - 1]?.privateToken, PUSH_TOKEN, "expiry read with the push token itself");
        await cleanup();
    });

    it("create adopts a variable set by hand (the seed's way) and corrects its flags", async () => {
        double.setVariable(GROUP, { key: KEY, value: "something-else-1234", masked: false, protected: true, raw: false });
        await createVia(provider(), inputs());
        const v = live()!;
        assert.deepEqual([v.value, v.masked, v.protected, v.raw], [PUSH_TOKEN, true, false, true]);
        await cleanup();
    });

    it("diff/update on a new value: changes, no replacement; GitLab holds the new value and the new expiry", async () => {
        const p = provider();
        const olds = (await createVia(p, inputs())).outs as GroupVariableOutputs;
        assert.equal((await p.diff("x", olds, inputs())).changes, false, "same inputs: no change");
        const news = inputs({ value: PUSH_TOKEN_2 });
        const d = await p.diff("x", olds, news);
        assert.equal(d.changes, true);
        assert.deepEqual(d.replaces, []);
        const outs = (await p.update("x", olds, news)).outs as GroupVariableOutputs;
        assert.equal(live()!.value, PUSH_TOKEN_2);
        assert.equal(outs.valueSha256, valueSha256(PUSH_TOKEN_2));
        assert.equal(outs.tokenExpiresAt, "2027-09-30T00:00:00.000Z");
        assert.equal((await p.diff("x", outs, inputs({ value: PUSH_TOKEN_2, raw: false }))).changes, true, "a flag change is a change");
        assert.deepEqual((await p.diff("x", outs, inputs({ value: PUSH_TOKEN_2, key: "OTHER" }))).replaces, ["key"]);
        await cleanup();
    });

    it("refresh: a value or flag changed in GitLab shows as drift; the next diff writes it back", async () => {
        const p = provider();
        const olds = (await createVia(p, inputs())).outs as GroupVariableOutputs;
        const same = await p.read(`${GROUP}:${KEY}`, olds);
        assert.deepEqual(same.props, olds, "unchanged: refresh reads back the same state");

        double.setVariable(GROUP, { key: KEY, value: "changed-in-the-ui-999", masked: false, raw: false });
        const drifted = (await p.read(`${GROUP}:${KEY}`, olds)).props as GroupVariableOutputs;
        assert.notEqual(drifted.valueSha256, olds.valueSha256, "value drift visible as a new sha256");
        assert.equal(drifted.masked, false);
        assert.equal(drifted.raw, false);
        assert.equal(drifted.value, PUSH_TOKEN, "the state never takes the live value in clear");
        assert.equal((await p.diff("x", drifted, inputs())).changes, true);
        await p.update("x", drifted, inputs());
        const v = live()!;
        assert.deepEqual([v.value, v.masked, v.raw], [PUSH_TOKEN, true, true]);

        double.setVariable(GROUP, { key: KEY, value: PUSH_TOKEN, masked: true, protected: true, raw: true });
        assert.equal(((await p.read(`${GROUP}:${KEY}`, olds)).props as GroupVariableOutputs).protected, true);
        await cleanup();
    });

    it("refresh of a deleted variable: empty id (gone from the state)", async () => {
        const p = provider();
        const olds = (await createVia(p, inputs())).outs as GroupVariableOutputs;
        await cleanup();
        assert.deepEqual(await p.read(`${GROUP}:${KEY}`, olds), { id: "", props: {} });
    });

    it("delete removes the variable; deleting again is success", async () => {
        const p = provider();
        const olds = (await createVia(p, inputs())).outs as GroupVariableOutputs;
        await p.delete(`${GROUP}:${KEY}`, olds);
        assert.equal(live(), undefined);
        await p.delete(`${GROUP}:${KEY}`, olds);
    });

    it("masked needs a maskable value: check names the config key, never the value; unmasked values are free", async () => {
        const short = await provider().check({}, inputs({ value: "short" }));
        assert.equal(short.failures!.length, 1);
        assert.match(short.failures![0].reason, /gitops-platform:ciPushToken cannot be masked: it has fewer than 8 characters/);
        const spaces = await provider().check({}, inputs({ value: "has spaces in it 123" }));
        assert.match(spaces.failures![0].reason, /cannot be masked/);
        assert.ok(!spaces.failures![0].reason.includes("has spaces in it"));
        assert.deepEqual((await provider().check({}, inputs({ value: "x y", masked: false }))).failures, []);
        // The double enforces the rule too (GitLab's 400), and the error names no value.
        const e = await fails(provider().create(inputs({ value: "bad value!", readTokenExpiry: false })));
        assert.match(e.message, /400 Bad Request.*value is invalid.*masked value needs at least 8 characters/s);
    });

    it("a token GitLab rejects: an error naming gitops-platform:ciPushToken, nothing written, no secret in it", async () => {
        const e = await fails(createVia(provider(), inputs({ value: UNKNOWN_PUSH_TOKEN })));
        assert.match(e.message, /The token in gitops-platform:ciPushToken \(group CI\/CD variable CI_PUSH_TOKEN\) does not work: GitLab rejected it \(HTTP 401\)/);
        assert.match(e.message, /pulumi config set --secret gitops-platform:ciPushToken <token>/);
        assert.equal(live(), undefined);
    });

    it("API errors never hold the value or the API token (403, 404 group, 500 with the value echoed)", async () => {
        let e = await fails(createVia(provider(), inputs({ apiToken: API_TOKENS.maintainer })));
        assert.match(e.message, /403 Forbidden.*Owner role/s);
        e = await fails(createVia(provider(), inputs({ group: "acme/nope" })));
        assert.match(e.message, /group "acme\/nope" was not found/);
        e = await fails(createVia(provider(), inputs({ apiToken: API_TOKENS.unknown })));
        assert.match(e.message, /rejected the API token/);
        double.inject({ method: "PUT", path: /variables/, status: 500, body: { message: `boom ${PUSH_TOKEN} ${API_TOKENS.owner}` }, times: 5 });
        e = await fails(createVia(provider(), inputs()));
        assert.match(e.message, /boom \[secret\] \[secret\]/);
        double.clearFaults();
    });

    it("without readTokenExpiry no personal token call is made and tokenExpiresAt is null", async () => {
        const before = double.requests.length;
        const outs = (await createVia(provider(), inputs({ key: "OTHER_VAR", value: "plain-value-123", readTokenExpiry: false }))).outs as GroupVariableOutputs;
        assert.equal(outs.tokenExpiresAt, null);
        assert.ok(!double.requests.slice(before).some((r) => r.path.endsWith("/personal_access_tokens/self")));
        await cleanup("OTHER_VAR");
    });
});
