// Drives the OwnedKvSecret dynamic provider's check/diff/create/read/update/delete the way the
// Pulumi engine calls them (configure with the stack config; check, then diff, then create/update;
// read on refresh; delete on destroy or replacement), against a local double of Vault's KV v2 API.
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    OWNER_KEY,
    dataSha256,
    makeOwnedKvSecretProvider,
    ownedByAnotherStack,
    type OwnedKvSecretInputs,
    type OwnedKvSecretOutputs,
} from "../../../components/vault/ownedKvSecretProvider";
import { startVaultKvDouble, type VaultKvDouble } from "../../support/vault-kv-double";

const DEV = "organization/gitops-platform/dev";
const PROD = "organization/gitops-platform/prod";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const DOCKER = JSON.stringify({ auths: { "registry.gitlab.com": { auth: "dXNlcjpSRUdJU1RSWS1QQVNTV09SRC0wMDAx" } } });
const DATA = { ".dockerconfigjson": DOCKER };
const WRONG_TOKEN = "hvs.WRONG-token-never-valid-do-not-print-4455";

type Provider = Required<pulumi.dynamic.ResourceProvider>;

let double: VaultKvDouble;
const savedEnv: Record<string, string | undefined> = {};
before(async () => {
    double = await startVaultKvDouble();
    for (const k of ["VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE"]) {
        savedEnv[k] = process.env[k];
        delete process.env[k];
    }
});
after(async () => {
    await double.close();
    for (const [k, v] of Object.entries(savedEnv)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
});
beforeEach(() => double.clearFaults());
afterEach(() => {
    delete process.env.VAULT_ADDR;
    delete process.env.VAULT_TOKEN;
    delete process.env.VAULT_NAMESPACE;
});

let counter = 0;
/** A path no other test uses. */
function freshPath(name: string): string {
    counter += 1;
    return `gitops-poc-dzha/platform/stacks/${name}-${counter}/registry`;
}

function inputs(over: Partial<OwnedKvSecretInputs> = {}): OwnedKvSecretInputs {
    return { address: "", namespace: "", mount: "secret", path: freshPath("p"), owner: DEV, data: { ...DATA }, ...over };
}

/** The stack config the engine hands `configure`: `{ config: { get(key) } }`. */
function stackConfig(values: Record<string, string | undefined>): pulumi.dynamic.ConfigureRequest {
    return { config: { get: (k: string) => values[k], require: (k: string) => values[k]! } } as unknown as pulumi.dynamic.ConfigureRequest;
}

/** A provider configured like the provider host does, with `vault:address` and `vault:token`. */
async function provider(config: Record<string, string | undefined> = { "vault:address": double.url, "vault:token": double.token }): Promise<Provider> {
    const p = makeOwnedKvSecretProvider({ timeoutMs: 2000 }) as Provider;
    await p.configure(stackConfig(config));
    return p;
}

interface State {
    id: string;
    outs: OwnedKvSecretOutputs;
}

/** check + create, as `pulumi up` does for a new resource. */
async function createVia(p: Provider, news: OwnedKvSecretInputs): Promise<State> {
    const checked = await p.check({}, news);
    assert.deepEqual(checked.failures, []);
    const res = await p.create(checked.inputs);
    return { id: res.id, outs: res.outs as OwnedKvSecretOutputs };
}

/** check + diff (+ update when there are changes), as `pulumi up` does for an existing resource. */
async function upVia(p: Provider, state: State, news: OwnedKvSecretInputs) {
    const checked = await p.check(state.outs, news);
    assert.deepEqual(checked.failures, []);
    const diff = await p.diff(state.id, state.outs, checked.inputs);
    return { diff, inputs: checked.inputs as OwnedKvSecretInputs };
}

/** Every secret a message must never contain. */
function secrets(): string[] {
    return [double.token, WRONG_TOKEN, DOCKER, "dXNlcjpSRUdJU1RSWS1QQVNTV09SRC0wMDAx"];
}

function assertNoSecrets(text: string) {
    for (const s of secrets()) assert.ok(!text.includes(s), `leaks a secret: ${text}`);
}

/** Awaits a rejection, checks it leaks nothing, returns the Error. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
    const caught = await promise.then(
        () => assert.fail("expected an error"),
        (e: unknown) => e,
    );
    assert.ok(caught instanceof Error, `expected an Error, got ${String(caught)}`);
    assertNoSecrets(caught.message);
    assertNoSecrets(String(caught.stack));
    assertNoSecrets(JSON.stringify({ ...caught }));
    return caught;
}

function writes(since: number, path?: string) {
    return double.requests.slice(since).filter((r) => r.method !== "GET" && (!path || r.path.endsWith(`/${path}`)));
}

describe("pure logic", () => {
    it("dataSha256: hex sha256, independent of key order, sensitive to every value", () => {
        const a = dataSha256({ x: "1", y: "2" });
        assert.match(a, /^[0-9a-f]{64}$/);
        assert.equal(dataSha256({ y: "2", x: "1" }), a);
        assert.notEqual(dataSha256({ x: "1", y: "3" }), a);
        assert.notEqual(dataSha256({ x: "1" }), a);
    });

    it("the ownership error names the path, both stacks and how to give the stack its own path", () => {
        const e = ownedByAnotherStack("secret/g/platform/stacks/dev/registry", PROD, DEV);
        assert.match(e.message, /secret\/g\/platform\/stacks\/dev\/registry/);
        assert.ok(e.message.includes(`"${PROD}"`) && e.message.includes(`"${DEV}"`));
        assert.match(e.message, /gitops-platform:vault\.pathPrefix/);
        assert.match(e.message, new RegExp(OWNER_KEY));
    });

    it("check: mount, path and owner are non-empty paths without edge slashes; data a non-empty map", async () => {
        const p = makeOwnedKvSecretProvider() as Provider;
        const ok = await p.check({}, { mount: "secret", path: "a/b", owner: DEV, data: DATA } as unknown as OwnedKvSecretInputs);
        assert.deepEqual(ok.failures, []);
        assert.equal(ok.inputs.address, "", "address defaults to the stack's vault:address (empty input)");
        assert.equal(ok.inputs.namespace, "");
        const bad = await p.check({}, { mount: "", path: "/a/b", owner: "x/", data: {} } as unknown as OwnedKvSecretInputs);
        assert.deepEqual(bad.failures!.map((f) => f.property).sort(), ["data", "mount", "owner", "path"]);
        const arr = await p.check({}, { mount: "secret", path: "a", owner: DEV, data: ["x"] } as unknown as OwnedKvSecretInputs);
        assert.deepEqual(arr.failures!.map((f) => f.property), ["data"]);
        // During preview values computed from other resources are unknown: not a failure.
        const unknown = await p.check({}, { mount: UNKNOWN, path: "a", owner: DEV, data: UNKNOWN } as unknown as OwnedKvSecretInputs);
        assert.deepEqual(unknown.failures, []);
    });

    it("diff: mount or path change replaces (create-before-delete); nothing changed is no change", async () => {
        const p = makeOwnedKvSecretProvider() as Provider;
        const olds: OwnedKvSecretOutputs = { ...inputs({ path: "a/b" }), version: 1, sha256: dataSha256(DATA) };
        const same = await p.diff("secret/a/b", olds, inputs({ path: "a/b" }));
        assert.equal(same.changes, false);
        assert.deepEqual(same.replaces, []);
        for (const [change, key] of [[{ mount: "kv" }, "mount"], [{ path: "a/c" }, "path"]] as const) {
            const d = await p.diff("secret/a/b", olds, inputs({ path: "a/b", ...change }));
            assert.equal(d.changes, true, key);
            assert.deepEqual(d.replaces, [key]);
            assert.equal(d.deleteBeforeReplace, false, "the new path is written before the old one is deleted");
        }
    });

    it("diff: new data, owner, address or namespace is an in-place update; unknown data is a change", async () => {
        const p = makeOwnedKvSecretProvider() as Provider;
        const olds: OwnedKvSecretOutputs = { ...inputs({ path: "a/b" }), version: 1, sha256: dataSha256(DATA) };
        const cases: [Partial<OwnedKvSecretInputs>, string][] = [
            [{ data: { ".dockerconfigjson": "{}" } }, "data"],
            [{ owner: PROD }, "owner"],
            [{ address: "https://vault.example.com" }, "address"],
            [{ namespace: "team-a" }, "namespace"],
            [{ data: UNKNOWN as unknown as Record<string, string> }, "unknown data"],
        ];
        for (const [change, what] of cases) {
            const d = await p.diff("secret/a/b", olds, inputs({ path: "a/b", ...change }));
            assert.equal(d.changes, true, what);
            assert.deepEqual(d.replaces, [], what);
        }
    });

    it("diff: new serialized provider code, every input equal: changes, no replacement", async () => {
        const p = makeOwnedKvSecretProvider() as Provider;
        const olds = { ...inputs({ path: "a/b" }), version: 1, sha256: dataSha256(DATA), __provider: "exports.handler = old" };
        const d = await p.diff("secret/a/b", olds, { ...inputs({ path: "a/b" }), __provider: "exports.handler = new" } as OwnedKvSecretInputs);
        assert.equal(d.changes, true);
        assert.deepEqual(d.replaces, []);
        const same = await p.diff("secret/a/b", olds, { ...inputs({ path: "a/b" }), __provider: "exports.handler = old" } as OwnedKvSecretInputs);
        assert.equal(same.changes, false);
    });
});

describe("create", () => {
    it("claims an empty path: owner in custom_metadata, data written with cas 0, version 1", async () => {
        const p = await provider();
        const news = inputs();
        const since = double.requests.length;
        const { id, outs } = await createVia(p, news);
        assert.equal(id, `secret/${news.path}`);
        const stored = double.secret("secret", news.path)!;
        assert.ok(stored, "secret exists in Vault");
        assert.deepEqual(stored.customMetadata, { [OWNER_KEY]: DEV });
        assert.equal(stored.currentVersion, 1);
        assert.deepEqual(double.latest("secret", news.path), DATA);
        assert.equal(outs.version, 1);
        assert.equal(outs.sha256, dataSha256(DATA));
        assert.equal(outs.owner, DEV);
        assert.deepEqual(outs.data, DATA);
        const post = double.requests.slice(since).find((r) => r.method === "POST" && r.path.includes("/data/"))!;
        assert.equal(post.body.options.cas, 0, "a concurrent writer is an error, not a lost update");
        for (const r of double.requests.slice(since)) assert.equal(r.token, double.token);
    });

    it("a path another stack owns: create and update fail naming both stacks, and write nothing", async () => {
        const prod = await provider();
        const theirs = await createVia(prod, inputs({ owner: PROD, data: { ".dockerconfigjson": "prod" } }));
        const path = theirs.outs.path;
        const before = structuredClone(double.latest("secret", path));
        const dev = await provider();
        let since = double.requests.length;
        const e = await rejection(createVia(dev, inputs({ path })));
        assert.ok(e.message.includes(PROD), e.message);
        assert.ok(e.message.includes(DEV), e.message);
        assert.ok(e.message.includes(`secret/${path}`), e.message);
        assert.deepEqual(writes(since), [], "nothing written");

        // The same for an update (e.g. the state says dev created it, since claimed by prod).
        since = double.requests.length;
        const state: State = { id: `secret/${path}`, outs: { ...inputs({ path }), version: 1, sha256: "x" } };
        await rejection(dev.update(state.id, state.outs, inputs({ path })));
        assert.deepEqual(writes(since), [], "nothing written");
        assert.deepEqual(double.latest("secret", path), before);
        assert.equal(double.secret("secret", path)!.customMetadata[OWNER_KEY], PROD);
        assert.equal(double.secret("secret", path)!.currentVersion, 1);
    });

    it("adopts an unowned secret (written by the old scripts): new version, older versions and custom_metadata kept", async () => {
        const path = freshPath("legacy");
        double.put("secret", path, { ".dockerconfigjson": "legacy-1" });
        double.put("secret", path, { ".dockerconfigjson": "legacy-2" });
        double.setCustomMetadata("secret", path, { team: "platform" });
        const { outs } = await createVia(await provider(), inputs({ path }));
        const stored = double.secret("secret", path)!;
        assert.equal(outs.version, 3);
        assert.equal(stored.currentVersion, 3);
        assert.deepEqual(stored.versions.get(1)!.data, { ".dockerconfigjson": "legacy-1" }, "old versions kept");
        assert.deepEqual(stored.versions.get(2)!.data, { ".dockerconfigjson": "legacy-2" });
        assert.deepEqual(double.latest("secret", path), DATA);
        assert.deepEqual(stored.customMetadata, { team: "platform", [OWNER_KEY]: DEV });
    });

    it("writes at the configured mount, under the configured namespace, URL-encoding path segments", async () => {
        double.mounts.add("kv-platform");
        const p = await provider({ "vault:address": `${double.url}/`, "vault:token": double.token, "vault:namespace": "team-a" });
        const path = `odd path/${freshPath("ns")}`;
        const since = double.requests.length;
        await createVia(p, inputs({ mount: "kv-platform", path }));
        assert.deepEqual(double.latest("kv-platform", path), DATA);
        const reqs = double.requests.slice(since);
        assert.ok(reqs.every((r) => r.namespace === "team-a"), "X-Vault-Namespace from vault:namespace");
        assert.ok(reqs.every((r) => r.rawUrl.startsWith("/v1/kv-platform/") && r.rawUrl.includes("/odd%20path/")), reqs.map((r) => r.rawUrl).join(" "));
    });
});

describe("refresh (read) and drift", () => {
    it("a secret nobody touched reads back unchanged", async () => {
        const p = await provider();
        const state = await createVia(p, inputs());
        const r = await p.read(state.id, state.outs);
        assert.equal(r.id, state.id);
        assert.deepEqual(r.props, state.outs);
    });

    it("an out-of-band overwrite: read returns another sha256, diff reports it, update writes the stack's data back", async () => {
        const p = await provider();
        const news = inputs();
        const state = await createVia(p, news);
        double.put("secret", news.path, { ".dockerconfigjson": "overwritten by hand" });

        const r = await p.read(state.id, state.outs);
        assert.equal(r.id, state.id);
        const refreshed = r.props as OwnedKvSecretOutputs;
        assert.notEqual(refreshed.sha256, state.outs.sha256, "the drift is visible in the state");
        assert.equal(refreshed.sha256, dataSha256({ ".dockerconfigjson": "overwritten by hand" }));
        assert.equal(refreshed.version, 2);

        const { diff, inputs: checked } = await upVia(p, { id: r.id, outs: refreshed }, news);
        assert.equal(diff.changes, true, "the next up repairs it");
        assert.deepEqual(diff.replaces, []);
        const { outs } = await p.update(r.id, refreshed, checked);
        assert.deepEqual(double.latest("secret", news.path), DATA, "the stack's data is back");
        assert.equal((outs as OwnedKvSecretOutputs).version, 3);
        assert.equal((outs as OwnedKvSecretOutputs).sha256, dataSha256(DATA));

        const again = await p.read(r.id, outs);
        assert.equal((await upVia(p, { id: r.id, outs: again.props as OwnedKvSecretOutputs }, news)).diff.changes, false, "quiet again");
    });

    it("a soft-deleted latest version: read returns id \"\" and the next up writes it again", async () => {
        const p = await provider();
        const news = inputs();
        const state = await createVia(p, news);
        double.softDeleteLatest("secret", news.path);
        const r = await p.read(state.id, state.outs);
        assert.equal(r.id, "");
        // The engine drops the resource; the next `up` creates it again at the same path.
        const { outs } = await createVia(p, news);
        assert.equal(outs.version, 2);
        assert.deepEqual(double.latest("secret", news.path), DATA);
        assert.equal(double.secret("secret", news.path)!.versions.get(1)!.deletion_time !== "", true, "the deleted version stays deleted");
    });

    it("a secret deleted with all its versions: read returns id \"\"", async () => {
        const p = await provider();
        const news = inputs();
        const state = await createVia(p, news);
        const since = double.requests.length;
        // Deleted out of band, like `vault kv metadata delete`.
        await fetch(`${double.url}/v1/secret/metadata/${news.path}`, { method: "DELETE", headers: { "X-Vault-Token": double.token } });
        assert.equal(double.secret("secret", news.path), undefined);
        assert.ok(double.requests.length > since);
        assert.equal((await p.read(state.id, state.outs)).id, "");
    });

    it("claimed by another stack since: refresh shows it, up fails naming both stacks, destroy leaves it alone", async () => {
        const dev = await provider();
        const news = inputs();
        const state = await createVia(dev, news);
        // Someone removed dev's claim (as the error message explains) and prod took the path;
        // the data are still dev's.
        double.setCustomMetadata("secret", news.path, { [OWNER_KEY]: PROD });

        const r = await dev.read(state.id, state.outs);
        assert.equal(r.id, state.id);
        const refreshed = r.props as OwnedKvSecretOutputs;
        assert.equal(refreshed.sha256, state.outs.sha256, "same data");
        assert.equal(refreshed.owner, DEV, "the state still names this stack as itself");
        const { diff, inputs: checked } = await upVia(dev, { id: r.id, outs: refreshed }, news);
        assert.equal(diff.changes, true, "refresh makes the foreign claim visible to the next up");
        assert.deepEqual(diff.replaces, []);
        const since = double.requests.length;
        const e = await rejection(dev.update(r.id, refreshed, checked));
        assert.ok(e.message.includes(PROD) && e.message.includes(DEV), e.message);
        assert.deepEqual(writes(since), []);

        // Prod writes its data; `pulumi destroy` of dev after that refresh runs delete with the refreshed state.
        double.put("secret", news.path, { ".dockerconfigjson": "prod's" });
        await dev.delete(r.id, refreshed);
        assert.deepEqual(double.latest("secret", news.path), { ".dockerconfigjson": "prod's" }, "prod's secret survives dev's destroy");
        assert.equal(double.secret("secret", news.path)!.customMetadata[OWNER_KEY], PROD);
    });
});

describe("update", () => {
    /** Requests that write a new KV version of `path`. */
    const dataWrites = (since: number, path: string) => writes(since, path).filter((r) => r.method === "POST" && r.path.includes("/data/"));

    it("an update with the data Vault already holds (new provider code, address) writes no new KV version", async () => {
        const p = await provider();
        const news = inputs();
        const state = await createVia(p, { ...news, __provider: "exports.handler = old" } as OwnedKvSecretInputs);
        assert.equal(state.outs.version, 1);
        for (const change of [{ __provider: "exports.handler = new" }, { address: double.url }]) {
            const { diff, inputs: checked } = await upVia(p, state, { ...news, ...change } as OwnedKvSecretInputs);
            assert.equal(diff.changes, true, `${Object.keys(change)[0]}: an in-place update`);
            const since = double.requests.length;
            const { outs } = await p.update(state.id, state.outs, checked);
            assert.deepEqual(dataWrites(since, news.path), [], `${Object.keys(change)[0]}: no new version written`);
            assert.equal(double.secret("secret", news.path)!.currentVersion, 1, "the registry-kv-version VSO sees stays");
            assert.equal((outs as OwnedKvSecretOutputs).version, 1);
            assert.equal((outs as OwnedKvSecretOutputs).sha256, dataSha256(DATA));
            assert.deepEqual(double.latest("secret", news.path), DATA);
        }
    });

    it("a removed claim with the same data: the update writes the owner back into custom_metadata, no new version", async () => {
        const p = await provider();
        const news = inputs();
        const state = await createVia(p, news);
        double.setCustomMetadata("secret", news.path, { team: "platform" }); // claim removed by hand
        const refreshed = (await p.read(state.id, state.outs)).props as OwnedKvSecretOutputs;
        assert.equal(refreshed.claimedBy, "");
        const { diff, inputs: checked } = await upVia(p, { id: state.id, outs: refreshed }, news);
        assert.equal(diff.changes, true);
        const since = double.requests.length;
        const { outs } = await p.update(state.id, refreshed, checked);
        assert.deepEqual(double.secret("secret", news.path)!.customMetadata, { team: "platform", [OWNER_KEY]: DEV });
        assert.deepEqual(dataWrites(since, news.path), []);
        assert.equal(double.secret("secret", news.path)!.currentVersion, 1);
        assert.equal((outs as OwnedKvSecretOutputs).version, 1);
        assert.equal((outs as OwnedKvSecretOutputs).claimedBy, DEV);
    });

    it("new data still write a new version, with cas = the current version", async () => {
        const p = await provider();
        const news = inputs();
        const state = await createVia(p, news);
        const changed = { ...news, data: { ".dockerconfigjson": "rotated" } };
        const { diff, inputs: checked } = await upVia(p, state, changed);
        assert.equal(diff.changes, true);
        const since = double.requests.length;
        const { outs } = await p.update(state.id, state.outs, checked);
        const posted = dataWrites(since, news.path);
        assert.equal(posted.length, 1);
        assert.equal(posted[0].body.options.cas, 1);
        assert.equal(double.secret("secret", news.path)!.currentVersion, 2);
        assert.deepEqual(double.latest("secret", news.path), changed.data);
        assert.equal((outs as OwnedKvSecretOutputs).version, 2);
        assert.equal((outs as OwnedKvSecretOutputs).sha256, dataSha256(changed.data));
    });

    it("create on a path that already holds the same data (adoption) writes no new version, and claims it", async () => {
        const path = freshPath("same");
        double.put("secret", path, { ...DATA });
        const since = double.requests.length;
        const { outs } = await createVia(await provider(), inputs({ path }));
        assert.deepEqual(dataWrites(since, path), []);
        assert.equal(outs.version, 1);
        assert.equal(double.secret("secret", path)!.customMetadata[OWNER_KEY], DEV);
    });
});

describe("delete", () => {
    it("removes the secret with every version when this stack owns it; already gone is success", async () => {
        const p = await provider();
        const news = inputs();
        const state = await createVia(p, news);
        await upVia(p, state, news);
        await p.delete(state.id, state.outs);
        assert.equal(double.secret("secret", news.path), undefined);
        await p.delete(state.id, state.outs);
    });

    it("leaves a secret another stack owns alone", async () => {
        const prod = await provider();
        const theirs = await createVia(prod, inputs({ owner: PROD }));
        const dev = await provider();
        const since = double.requests.length;
        await dev.delete(theirs.id, { ...theirs.outs, owner: DEV });
        assert.deepEqual(writes(since), [], "no DELETE sent");
        assert.deepEqual(double.latest("secret", theirs.outs.path), DATA);
        assert.equal(double.secret("secret", theirs.outs.path)!.customMetadata[OWNER_KEY], PROD);
    });
});

describe("Vault token and errors", () => {
    it("the token comes from vault:token (configure), before VAULT_TOKEN", async () => {
        process.env.VAULT_TOKEN = WRONG_TOKEN;
        const p = await provider({ "vault:address": double.url, "vault:token": double.token });
        const since = double.requests.length;
        await createVia(p, inputs());
        assert.ok(double.requests.length > since);
        assert.ok(double.requests.slice(since).every((r) => r.token === double.token));
    });

    it("without vault:token it comes from VAULT_TOKEN, and the address from VAULT_ADDR", async () => {
        process.env.VAULT_TOKEN = double.token;
        process.env.VAULT_ADDR = double.url;
        const p = await provider({});
        const since = double.requests.length;
        const { outs } = await createVia(p, inputs());
        assert.equal(outs.version, 1);
        assert.ok(double.requests.slice(since).every((r) => r.token === double.token));
    });

    it("no token at all: a clear error naming vault:token and VAULT_TOKEN, nothing sent", async () => {
        const p = await provider({ "vault:address": double.url });
        const since = double.requests.length;
        const e = await rejection(createVia(p, inputs()));
        assert.match(e.message, /vault:token/);
        assert.match(e.message, /VAULT_TOKEN/);
        assert.equal(double.requests.length, since);
        const noAddress = await provider({ "vault:token": double.token });
        assert.match((await rejection(createVia(noAddress, inputs()))).message, /vault:address.*VAULT_ADDR/);
    });

    it("403: names the token settings and the paths it needs, never the token", async () => {
        const p = await provider({ "vault:address": double.url, "vault:token": WRONG_TOKEN });
        const news = inputs();
        for (const op of [
            () => createVia(p, news),
            () => p.read(`secret/${news.path}`, { ...news, version: 1, sha256: "x" }),
            () => p.delete(`secret/${news.path}`, { ...news, version: 1, sha256: "x" }),
        ]) {
            const e = await rejection(op());
            assert.match(e.message, /403 permission denied/);
            assert.match(e.message, /vault:token/);
            assert.ok(e.message.includes(`secret/data/${news.path}`) && e.message.includes(`secret/metadata/${news.path}`), e.message);
        }
        assert.equal(double.secret("secret", news.path), undefined);
    });

    it("500: reports the status and Vault's errors, never the token or the data", async () => {
        const p = await provider();
        const news = inputs();
        double.inject({ method: "POST", path: /\/data\//, status: 500, body: { errors: ["internal error"] } });
        const e = await rejection(createVia(p, news));
        assert.match(e.message, /HTTP 500/);
        assert.match(e.message, /internal error/);
        const state = await createVia(p, news);
        double.inject({ method: "GET", status: 500, body: { errors: ["storage unavailable"] } });
        assert.match((await rejection(p.read(state.id, state.outs))).message, /HTTP 500.*storage unavailable/);
        double.inject({ method: "DELETE", status: 502, body: {} });
        assert.match((await rejection(p.delete(state.id, state.outs))).message, /HTTP 502/);
        assert.deepEqual(double.latest("secret", news.path), DATA, "a failed delete leaves the secret");
    });

    it("an error body that echoes the token (e.g. a proxy) does not carry it into the message", async () => {
        const p = await provider();
        double.inject({ method: "GET", status: 500, body: { errors: [`bad request with X-Vault-Token: ${double.token}`] } });
        await rejection(createVia(p, inputs()));
        double.inject({ method: "GET", status: 403, body: { errors: [`permission denied for ${double.token}`] } });
        await rejection(createVia(p, inputs()));
    });

    it("a concurrent writer (cas mismatch) is an error, not a lost update", async () => {
        const p = await provider();
        const news = inputs();
        double.inject({ method: "POST", path: /\/data\//, status: 400, body: { errors: ["check-and-set parameter did not match the current version"] } });
        const e = await rejection(createVia(p, news));
        assert.match(e.message, /HTTP 400.*check-and-set/);
    });

    it("Vault unreachable: the address in the message, never the token", async () => {
        const p = await provider({ "vault:address": "http://127.0.0.1:9", "vault:token": double.token });
        const e = await rejection(createVia(p, inputs()));
        assert.match(e.message, /http:\/\/127\.0\.0\.1:9 failed/);
    });
});

describe("closure serialization", () => {
    it("the serialized provider captures no secret and works against Vault", async () => {
        process.env.VAULT_TOKEN = double.token; // present while the program serializes the provider
        const fresh = makeOwnedKvSecretProvider();
        const sf = await pulumi.runtime.serializeFunction(() => fresh, { allowSecrets: false });
        for (const s of secrets()) assert.ok(!sf.text.includes(s), "a secret was captured");
        assert.ok(!sf.text.includes(double.url), "no address captured either: it comes from the config");
        delete process.env.VAULT_TOKEN;

        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const requireFromString = require("require-from-string");
        const revived = requireFromString(sf.text).handler() as Provider;
        await revived.configure(stackConfig({ "vault:address": double.url, "vault:token": double.token }));
        const news = inputs();
        const checked = await revived.check({}, news);
        const created = await revived.create(checked.inputs);
        assert.equal(created.id, `secret/${news.path}`);
        assert.deepEqual(double.latest("secret", news.path), DATA);
        assert.equal(double.secret("secret", news.path)!.customMetadata[OWNER_KEY], DEV);
        const read = await revived.read(created.id, created.outs);
        assert.equal((read.props as OwnedKvSecretOutputs).sha256, dataSha256(DATA));
        assert.equal((await revived.diff(created.id, read.props, checked.inputs)).changes, false);
        await revived.delete(created.id, read.props);
        assert.equal(double.secret("secret", news.path), undefined);
    });

    it("errors of the serialized provider are Errors with their message", async () => {
        const sf = await pulumi.runtime.serializeFunction(() => makeOwnedKvSecretProvider(), { allowSecrets: false });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const requireFromString = require("require-from-string");
        const factory = requireFromString(sf.text).handler as () => Provider;
        const revived = factory();
        await revived.configure(stackConfig({ "vault:address": double.url, "vault:token": WRONG_TOKEN }));
        const e = await rejection(revived.create(inputs()));
        assert.match(e.message, /403 permission denied/);
    });
});
