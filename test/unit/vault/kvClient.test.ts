// The KV v2 HTTP client (components/vault/kvClient.ts) against a local double of Vault's KV v2 API:
// URLs, headers, what each call reads and writes, and errors that never carry the token.
import { after, before, beforeEach, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as kv from "../../../components/vault/kvClient";
import { startVaultKvDouble, type VaultKvDouble } from "../../support/vault-kv-double";

let double: VaultKvDouble;
before(async () => {
    double = await startVaultKvDouble();
});
after(async () => {
    await double.close();
});
beforeEach(() => double.clearFaults());

let counter = 0;
function target(over: Partial<kv.VaultKvTarget> = {}): kv.VaultKvTarget {
    counter += 1;
    return { address: double.url, token: double.token, mount: "secret", path: `g/platform/stacks/c${counter}/registry`, timeoutMs: 2000, ...over };
}

async function rejection(promise: Promise<unknown>, ...secrets: string[]): Promise<Error> {
    const caught = await promise.then(
        () => assert.fail("expected an error"),
        (e: unknown) => e,
    );
    assert.ok(caught instanceof Error, String(caught));
    for (const s of [double.token, ...secrets]) {
        assert.ok(!caught.message.includes(s), `message leaks a secret: ${caught.message}`);
        assert.ok(!String(caught.stack).includes(s), "stack leaks a secret");
    }
    return caught;
}

/** A server on 127.0.0.1 answering with `handler`; returns its URL and a closer. */
async function server(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
    const s = http.createServer(handler);
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    return {
        url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
        close: () =>
            new Promise<void>((r) => {
                s.closeAllConnections();
                s.close(() => r());
            }),
    };
}

describe("kvUrl", () => {
    it("builds <address>/v1/<mount>/<kind>/<path>, trimming slashes and encoding each segment", () => {
        assert.equal(kv.kvUrl("https://vault.example.com:8200", "secret", "data", "a/b/c"), "https://vault.example.com:8200/v1/secret/data/a/b/c");
        assert.equal(kv.kvUrl("https://vault.example.com/", "/secret/", "metadata", "/a//b/"), "https://vault.example.com/v1/secret/metadata/a/b");
        assert.equal(kv.kvUrl(" http://v:8200// ", "kv platform", "data", "team a/x?y#z"), "http://v:8200/v1/kv%20platform/data/team%20a/x%3Fy%23z");
        assert.equal(kv.kvUrl("http://v", "team/kv", "data", "p"), "http://v/v1/team/kv/data/p", "nested mounts keep their '/'");
    });
});

describe("reads", () => {
    it("readMetadata: undefined for an empty path; version and custom_metadata of a secret", async () => {
        const t = target();
        assert.equal(await kv.readMetadata(t), undefined);
        double.put("secret", t.path, { k: "v1" });
        double.put("secret", t.path, { k: "v2" });
        assert.deepEqual(await kv.readMetadata(t), { currentVersion: 2, customMetadata: {}, latestDeleted: false });
        double.setCustomMetadata("secret", t.path, { "gitops-platform-owner": "o/p/dev", team: "platform" });
        assert.deepEqual((await kv.readMetadata(t))!.customMetadata, { "gitops-platform-owner": "o/p/dev", team: "platform" });
        double.softDeleteLatest("secret", t.path);
        assert.equal((await kv.readMetadata(t))!.latestDeleted, true);
    });

    it("readMetadata: metadata without any version counts as deleted", async () => {
        const t = target();
        await kv.writeCustomMetadata(t, { a: "b" });
        assert.deepEqual(await kv.readMetadata(t), { currentVersion: 0, customMetadata: { a: "b" }, latestDeleted: true });
    });

    it("readData: the latest version; undefined when missing, soft-deleted, or answered without data", async () => {
        const t = target();
        assert.equal(await kv.readData(t), undefined);
        double.put("secret", t.path, { ".dockerconfigjson": "{}" });
        assert.deepEqual(await kv.readData(t), { data: { ".dockerconfigjson": "{}" }, version: 1 });
        double.softDeleteLatest("secret", t.path);
        assert.equal(await kv.readData(t), undefined);
        double.put("secret", t.path, { ".dockerconfigjson": "again" });
        assert.deepEqual(await kv.readData(t), { data: { ".dockerconfigjson": "again" }, version: 2 });
        // Some Vault versions answer 200 with `data: null` for a deleted version.
        double.inject({ method: "GET", status: 200, body: { data: { data: null, metadata: { version: 3, deletion_time: "2026-01-01T00:00:00Z" } } } });
        assert.equal(await kv.readData(t), undefined);
    });

    it("sends X-Vault-Token and X-Vault-Request, and X-Vault-Namespace only when set", async () => {
        const since = double.requests.length;
        await kv.readMetadata(target());
        await kv.readMetadata(target({ namespace: "team-a" }));
        const [plain, namespaced] = double.requests.slice(since);
        assert.equal(plain.token, double.token);
        assert.equal(plain.headers["x-vault-request"], "true");
        assert.equal(plain.namespace, undefined);
        assert.equal("x-vault-namespace" in plain.headers, false);
        assert.equal(namespaced.namespace, "team-a");
    });
});

describe("writes", () => {
    it("writeData: check-and-set against the current version, returns the new version", async () => {
        const t = target();
        assert.equal(await kv.writeData(t, { a: "1" }, 0), 1);
        assert.equal(await kv.writeData(t, { a: "2" }, 1), 2);
        assert.deepEqual(double.latest("secret", t.path), { a: "2" });
        const e = await rejection(kv.writeData(t, { a: "lost" }, 1), "lost");
        assert.match(e.message, /HTTP 400 \(check-and-set parameter did not match the current version\)/);
        assert.deepEqual(double.latest("secret", t.path), { a: "2" }, "nothing overwritten");
        const post = double.requests.filter((r) => r.method === "POST").slice(-1)[0];
        assert.deepEqual(post.body, { data: { a: "lost" }, options: { cas: 1 } });
    });

    it("writeCustomMetadata: creates the entry and replaces custom_metadata, versions untouched", async () => {
        const t = target();
        await kv.writeCustomMetadata(t, { owner: "a" });
        assert.deepEqual(double.secret("secret", t.path)!.customMetadata, { owner: "a" });
        await kv.writeData(t, { x: "1" }, 0);
        await kv.writeCustomMetadata(t, { owner: "b" });
        assert.deepEqual(double.secret("secret", t.path)!.customMetadata, { owner: "b" });
        assert.deepEqual(double.latest("secret", t.path), { x: "1" });
    });

    it("deleteAll: removes every version and the metadata; already gone is success", async () => {
        const t = target();
        await kv.writeData(t, { x: "1" }, 0);
        await kv.writeData(t, { x: "2" }, 1);
        await kv.deleteAll(t);
        assert.equal(double.secret("secret", t.path), undefined);
        await kv.deleteAll(t);
    });

    it("a mount that is not there (or not KV v2): writes say so", async () => {
        const t = target({ mount: "nope" });
        assert.match((await rejection(kv.writeData(t, { x: "1" }, 0))).message, /404, is nope a KV version 2 mount\?/);
        assert.match((await rejection(kv.writeCustomMetadata(t, { a: "b" }))).message, /404, is nope a KV version 2 mount\?/);
    });
});

describe("errors", () => {
    it("401/403: permission denied with the paths the token needs, never the token", async () => {
        for (const status of [401, 403]) {
            double.inject({ status, body: { errors: ["permission denied"] } });
            const t = target();
            const e = await rejection(kv.readMetadata(t));
            assert.match(e.message, new RegExp(`GET secret/metadata/${t.path} at ${double.url}: ${status} permission denied`));
            assert.match(e.message, /vault:token or VAULT_TOKEN/);
            assert.ok(e.message.includes(`secret/data/${t.path}`));
        }
        const wrong = "hvs.WRONG-token-client-test-0001";
        const e = await rejection(kv.readData(target({ token: wrong })), wrong);
        assert.match(e.message, /403 permission denied/);
    });

    it("5xx: status and Vault's errors, with a token echoed by the server blanked out", async () => {
        double.inject({ status: 503, body: { errors: ["Vault is sealed"] } });
        assert.match((await rejection(kv.readData(target()))).message, /HTTP 503 \(Vault is sealed\)/);
        double.inject({ status: 500, body: { errors: [`upstream saw token ${double.token}`] } });
        assert.match((await rejection(kv.deleteAll(target()))).message, /HTTP 500 \(upstream saw token \[token\]\)/);
        double.inject({ status: 502, body: "<html>bad gateway</html>" });
        assert.match((await rejection(kv.readMetadata(target()))).message, /HTTP 502$/);
    });

    it("unreachable Vault: the address and reason, never the token", async () => {
        const e = await rejection(kv.readMetadata(target({ address: "http://127.0.0.1:9" })));
        assert.match(e.message, /^Vault GET secret\/metadata\/.* at http:\/\/127\.0\.0\.1:9 failed: /);
    });

    it("a Vault that does not answer: fails after timeoutMs", { timeout: 10000 }, async () => {
        const hang = await server(() => {
            /* never answers */
        });
        try {
            const started = Date.now();
            const e = await rejection(kv.readData(target({ address: hang.url, timeoutMs: 300 })));
            assert.ok(Date.now() - started < 5000, "bounded by the timeout");
            assert.match(e.message, new RegExp(`at ${hang.url} failed`));
        } finally {
            await hang.close();
        }
    });

    it("a redirect is not followed: the token is never sent to another host", async () => {
        const seen: (string | undefined)[] = [];
        const elsewhere = await server((req, res) => {
            seen.push(req.headers["x-vault-token"] as string | undefined);
            res.writeHead(200, { "Content-Type": "application/json" });
            res.end(JSON.stringify({ data: { data: { stolen: "yes" }, metadata: { version: 1 } } }));
        });
        const redirector = await server((req, res) => {
            res.writeHead(307, { Location: `${elsewhere.url}${req.url}` });
            res.end();
        });
        try {
            await rejection(kv.readData(target({ address: redirector.url })));
            assert.deepEqual(seen, [], "the other host got no request");
        } finally {
            await redirector.close();
            await elsewhere.close();
        }
    });
});
