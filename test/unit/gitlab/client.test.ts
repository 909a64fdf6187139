// The GitLab REST client against the local double: URLs, pagination, filters, error mapping.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { GitLabApiError, GitLabClient, encodeGroupId, gitlabApiBaseUrl, redact } from "../../../components/gitlab/client";
import type { GitLabDouble } from "../../support/gitlab-double/server";
import { API_TOKENS, NESTED_GROUP, allSecrets, startFixture } from "../../support/gitlab-double/fixture";

let double: GitLabDouble;
before(async () => {
    double = await startFixture();
});
after(async () => {
    await double.close();
});

/** A client with a generous timeout: under CI load (the Go build runs beside the unit tests) 300 ms was flaky; no test here waits for a timeout. */
function client(token = API_TOKENS.owner) {
    return new GitLabClient({ host: double.url, token, timeoutMs: 5000, retry: { attempts: 2, baseDelayMs: 1 } });
}

describe("gitlabApiBaseUrl", () => {
    it("builds the v4 base URL for gitlab.com and self-managed hosts", () => {
        assert.equal(gitlabApiBaseUrl("gitlab.com"), "https://gitlab.com/api/v4");
        assert.equal(gitlabApiBaseUrl("gitlab.example.com"), "https://gitlab.example.com/api/v4");
        assert.equal(gitlabApiBaseUrl("https://gitlab.example.com/"), "https://gitlab.example.com/api/v4");
        assert.equal(gitlabApiBaseUrl("https://gitlab.example.com/api/v4"), "https://gitlab.example.com/api/v4");
        assert.equal(gitlabApiBaseUrl("https://example.com/gitlab"), "https://example.com/gitlab/api/v4");
        assert.equal(gitlabApiBaseUrl("gitlab.example.com:8443"), "https://gitlab.example.com:8443/api/v4");
        assert.equal(gitlabApiBaseUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080/api/v4");
        assert.throws(() => gitlabApiBaseUrl(" "), /gitops-platform:gitlab\.host/);
    });
});

describe("encodeGroupId", () => {
    it("URL-encodes (nested) group paths and keeps numeric ids", () => {
        assert.equal(encodeGroupId("acme"), "acme");
        assert.equal(encodeGroupId("acme/platform/team-a"), "acme%2Fplatform%2Fteam-a");
        assert.equal(encodeGroupId("/acme/platform/"), "acme%2Fplatform");
        assert.equal(encodeGroupId(42), "42");
        assert.equal(encodeGroupId("42"), "42");
        assert.throws(() => encodeGroupId(""), /gitops-platform:gitlab\.group/);
    });
});

describe("redact", () => {
    it("replaces every occurrence of a secret", () => {
        assert.equal(redact("a SECRET b SECRET", ["SECRET"]), "a [secret] b [secret]");
    });
});

describe("GitLabClient", () => {
    it("refuses an empty API token with the config key to set", () => {
        assert.throws(
            () => new GitLabClient({ host: "gitlab.com", token: "" }),
            (e: unknown) => e instanceof GitLabApiError && /pulumi config set --secret gitops-platform:gitlabToken/.test(e.message),
        );
    });

    it("lists more than 100 tokens across pages (per_page=100, x-next-page)", async () => {
        const group = "acme";
        for (let i = 0; i < 230; i++) double.seedToken(group, { name: `bulk-${i}` });
        const before = double.requests.length;
        const all = await client().listGroupDeployTokens(group);
        assert.equal(all.length, 230);
        assert.deepEqual(
            all.map((t) => t.name),
            Array.from({ length: 230 }, (_, i) => `bulk-${i}`),
        );
        const pages = double.requests.slice(before).map((r) => [r.query.get("page"), r.query.get("per_page")]);
        assert.deepEqual(pages, [
            ["1", "100"],
            ["2", "100"],
            ["3", "100"],
        ]);
    });

    it("follows the Link header when GitLab omits x-next-page", async () => {
        double.linkHeaderOnly = true;
        try {
            const all = await client().listGroupDeployTokens("acme");
            assert.equal(all.length, 230);
        } finally {
            double.linkHeaderOnly = false;
        }
    });

    it("filters with active=true (revoked and expired tokens are excluded)", async () => {
        const c = client();
        const a = await c.createGroupDeployToken(NESTED_GROUP, { name: "live", scopes: ["read_registry"] });
        const b = await c.createGroupDeployToken(NESTED_GROUP, { name: "revoked", scopes: ["read_registry"] });
        const d = await c.createGroupDeployToken(NESTED_GROUP, { name: "expired", scopes: ["read_registry"] });
        double.revoke(NESTED_GROUP, b.id);
        double.expire(NESTED_GROUP, d.id);
        const active = await c.listGroupDeployTokens(NESTED_GROUP, { active: true });
        assert.ok(active.some((t) => t.id === a.id));
        assert.ok(!active.some((t) => t.id === b.id || t.id === d.id));
        const all = await c.listGroupDeployTokens(NESTED_GROUP);
        assert.equal(all.find((t) => t.id === b.id)!.revoked, true);
        assert.equal(all.find((t) => t.id === d.id)!.expired, true);
        assert.equal((all.find((t) => t.id === a.id) as { token?: string }).token, undefined, "value only on create");
        assert.ok(double.requests.some((r) => r.rawUrl.startsWith("/api/v4/groups/acme%2Fplatform%2Fteam-a/deploy_tokens?")));
    });

    it("get returns undefined for an unknown token, but throws for an unknown group", async () => {
        const c = client();
        assert.equal(await c.getGroupDeployToken(NESTED_GROUP, 999999), undefined);
        await assert.rejects(c.getGroupDeployToken("acme/nope", 1), (e: unknown) => e instanceof GitLabApiError && e.kind === "group-not-found");
        assert.equal(await c.deleteGroupDeployToken(NESTED_GROUP, 999999), false);
    });

    it("400 for missing scopes carries GitLab's message", async () => {
        await assert.rejects(
            client().createGroupDeployToken(NESTED_GROUP, { name: "no-scopes", scopes: [] }),
            (e: unknown) => e instanceof GitLabApiError && e.status === 400 && /scopes is missing/.test(e.message),
        );
    });
});

describe("GitLabClient: retries on 5xx without an orphan token", () => {
    /** Fresh faults per test; the shared double keeps tokens, so each test uses its own name. */
    function fast(attempts = 3) {
        double.clearFaults();
        return new GitLabClient({ host: double.url, token: API_TOKENS.owner, timeoutMs: 5000, retry: { attempts, baseDelayMs: 1, maxDelayMs: 5 } });
    }
    const active = (name: string) => double.tokens(NESTED_GROUP).filter((t) => t.name === name && !t.revoked);
    const posts = (name: string) =>
        double.requests.filter((r) => r.method === "POST" && r.path.endsWith("/deploy_tokens") && (r.body as { name?: string })?.name === name).length;

    it("GET (list/read) answered 500 a few times, then recovered: retried, same answer", async () => {
        const c = fast(4);
        const t = await c.createGroupDeployToken(NESTED_GROUP, { name: "r-flaky-read", scopes: ["read_registry"] });
        double.inject({ method: "GET", status: 500, times: 3 });
        assert.equal((await c.getGroupDeployToken(NESTED_GROUP, t.id))!.id, t.id);
        double.inject({ method: "GET", status: 502, times: 3 });
        assert.ok((await c.listGroupDeployTokens(NESTED_GROUP, { active: true })).some((x) => x.id === t.id));
        assert.equal(double.faultStats().pending, 0);
    });

    it("POST committed but answered 500, and the orphan check fails too: no second POST until the check succeeds; one active token", async () => {
        const c = fast(3);
        const name = "r-lost-answer-check-fails";
        // created, value lost; then the check's list fails on every retry of one call
        double.inject({ method: "POST", status: 500, commit: true, onMatch: () => double.inject({ method: "GET", status: 500, times: 3 }) });
        const t = await c.createGroupDeployToken(NESTED_GROUP, { name, scopes: ["read_registry"] });
        const left = active(name);
        assert.equal(left.length, 1, "exactly one active token with the name");
        assert.equal(left[0].id, t.id);
        assert.equal(left[0].token, t.token, "the one left is the one whose value the caller has");
        assert.equal(posts(name), 2, "POST sent again only after the orphan was revoked");
    });

    it("POST committed late (after the check): the success path still revokes it", async () => {
        const c = fast(3);
        const name = "r-late-commit";
        // First POST: 500 without creating. When the second POST arrives, a stray token with the same
        // name appears (the first POST, committed late by a slow GitLab); the second POST succeeds.
        double.inject({ method: "POST", status: 500 });
        double.inject({ method: "POST", passThrough: true, onMatch: () => void double.seedToken(NESTED_GROUP, { name, scopes: ["read_registry"] }) });
        const t = await c.createGroupDeployToken(NESTED_GROUP, { name, scopes: ["read_registry"] });
        const left = active(name);
        assert.equal(left.length, 1, "the late one is revoked");
        assert.equal(left[0].id, t.id);
        assert.equal(left[0].token, t.token);
    });

    it("500s that never recover: a clear error naming GitLab, the method and URL, without any token value", async () => {
        const c = fast(3);
        const name = "r-down";
        double.inject({ status: 500, times: 1000 });
        let caught: unknown;
        try {
            await c.createGroupDeployToken(NESTED_GROUP, { name, scopes: ["read_registry"] });
        } catch (e) {
            caught = e;
        }
        assert.ok(caught instanceof GitLabApiError);
        const e = caught as GitLabApiError;
        assert.equal(e.kind, "server");
        assert.equal(e.status, 500);
        assert.match(e.message, /^GitLab answered 500 Internal Server Error for GET http:\/\/127\.0\.0\.1:\d+\/api\/v4\/groups\/acme%2Fplatform%2Fteam-a\/deploy_tokens\?/);
        assert.match(e.message, /on all 3 attempts/);
        assert.match(e.message, /gitops-platform:gitlab\.host/);
        for (const secret of allSecrets(double)) assert.ok(!e.message.includes(secret) && !String(e.stack).includes(secret), "no secret in the error");
        assert.equal(posts(name), 0, "nothing created while GitLab cannot even list");
        double.clearFaults();
    });

    it("POST committed, then GitLab down for good: the error says a token may be left and what to revoke", async () => {
        const c = fast(3);
        const name = "r-lost-then-down";
        double.inject({ method: "POST", status: 500, commit: true, onMatch: () => double.inject({ status: 503, times: 1000 }) });
        let caught: unknown;
        try {
            await c.createGroupDeployToken(NESTED_GROUP, { name, scopes: ["read_registry"] });
        } catch (e) {
            caught = e;
        }
        double.clearFaults();
        assert.ok(caught instanceof GitLabApiError);
        const e = caught as GitLabApiError;
        assert.equal(e.kind, "server");
        assert.match(e.message, /GitLab answered 503 Service Unavailable for GET http:\/\/127\.0\.0\.1:\d+\/api\/v4\/groups\/acme%2Fplatform%2Fteam-a\/deploy_tokens/);
        assert.match(e.message, /may have created deploy token "r-lost-then-down" in group "acme\/platform\/team-a"/);
        assert.match(e.message, /revoke every active token named "r-lost-then-down" whose id is not in the stack state/);
        for (const secret of allSecrets(double)) assert.ok(!e.message.includes(secret), "no secret in the error");
        assert.equal(posts(name), 1, "no second POST while the first one's outcome is unknown");
        assert.equal(active(name).length, 1, "the lost one is still there: the message is about it");
    });
});

describe("GitLab double as a process (for e2e)", () => {
    it("starts, serves the API and the admin routes, and stops on SIGTERM", async () => {
        const { spawn } = await import("node:child_process");
        const { join } = await import("node:path");
        const root = join(__dirname, "..", "..", "..");
        const args = ["--import", "tsx", join(root, "test/support/gitlab-double/main.ts"), "--group", "e2e/group", "--owner-token", "glpat-e2e-owner-0000"];
        const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
        try {
            const url = await new Promise<string>((resolve, reject) => {
                child.stdout!.once("data", (d) => resolve(JSON.parse(String(d)).url));
                child.once("exit", (code) => reject(new Error(`double exited ${code}`)));
            });
            const c = new GitLabClient({ host: url, token: "glpat-e2e-owner-0000" });
            const t = await c.createGroupDeployToken("e2e/group", { name: "e2e", scopes: ["read_registry"] });
            const revoke = await fetch(`${url}/_double/revoke?group=e2e/group&id=${t.id}`, { method: "POST" });
            assert.equal(revoke.status, 200);
            assert.equal((await c.getGroupDeployToken("e2e/group", t.id))!.revoked, true);
            const revokeApi = await fetch(`${url}/_double/revoke-api-token`, {
                method: "POST",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify({ token: "glpat-e2e-owner-0000" }),
            });
            assert.equal(revokeApi.status, 200);
            await assert.rejects(c.getGroupDeployToken("e2e/group", t.id), (e: GitLabApiError) => e.kind === "unauthorized");
        } finally {
            const exited = new Promise((r) => child.once("exit", r));
            child.kill("SIGTERM");
            await exited;
        }
    });
});
