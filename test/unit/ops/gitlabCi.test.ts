// Reading the GitLab CI context: every problem in one error, what each variable is and where it
// comes from, and the token never printed (not in errors, not when the context is logged).
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { inspect } from "node:util";
import {
    GitLabCiContextError,
    readGitLabMergeRequestContext,
    readGitLabProjectContext,
} from "../../../ops/lib/gitlabCi";

const TOKEN = "glpat-NOTE-token-never-printed-7788";
const FULL = {
    CI_API_V4_URL: "https://gitlab.example.com/api/v4/",
    CI_PROJECT_ID: "42",
    CI_MERGE_REQUEST_IID: "7",
    GITLAB_NOTE_TOKEN: TOKEN,
};

function errorOf(fn: () => unknown): GitLabCiContextError {
    try {
        fn();
    } catch (e) {
        assert.ok(e instanceof GitLabCiContextError, `expected a GitLabCiContextError, got ${String(e)}`);
        return e;
    }
    assert.fail("expected an error");
}

describe("readGitLabMergeRequestContext", () => {
    it("reads a complete merge request pipeline environment", () => {
        const ctx = readGitLabMergeRequestContext(FULL);
        assert.equal(ctx.apiUrl, "https://gitlab.example.com/api/v4");
        assert.equal(ctx.projectId, "42");
        assert.equal(ctx.mergeRequestIid, 7);
        assert.equal(ctx.token, TOKEN);
    });

    it("works for gitlab.com and self-managed roots and accepts a project path", () => {
        const ctx = readGitLabMergeRequestContext({ ...FULL, CI_API_V4_URL: "https://gitlab.com/api/v4", CI_PROJECT_ID: "my-group/sub/app" });
        assert.equal(ctx.apiUrl, "https://gitlab.com/api/v4");
        assert.equal(ctx.projectId, "my-group/sub/app");
        const relative = readGitLabMergeRequestContext({ ...FULL, CI_API_V4_URL: "https://example.com/gitlab/api/v4" });
        assert.equal(relative.apiUrl, "https://example.com/gitlab/api/v4");
    });

    it("keeps the token out of console.log and JSON output of the context", () => {
        const ctx = readGitLabMergeRequestContext(FULL);
        assert.ok(!JSON.stringify(ctx).includes(TOKEN));
        assert.ok(!inspect(ctx, { depth: 5 }).includes(TOKEN));
        assert.ok(!inspect({ nested: ctx }, { depth: 5 }).includes(TOKEN));
        assert.ok(!Object.keys(ctx).includes("token"));
        assert.ok(!JSON.stringify({ ...ctx }).includes(TOKEN));
    });

    it("lists every missing variable in one error, with what it is and where it comes from", () => {
        const e = errorOf(() => readGitLabMergeRequestContext({}));
        assert.deepEqual(e.variables, ["CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID", "GITLAB_NOTE_TOKEN"]);
        for (const v of e.variables) assert.match(e.message, new RegExp(`- ${v}: not set`));
        // Predefined ones say so; the merge request iid says which pipelines have it.
        assert.match(e.message, /CI_API_V4_URL: not set\. It is the GitLab REST API root.*Predefined by GitLab CI/);
        assert.match(e.message, /CI_MERGE_REQUEST_IID: not set\..*merge request pipelines.*merge_request_event/);
        // The token is the one the user adds: masked CI/CD variable, scope and role, not the job token.
        assert.match(e.message, /GITLAB_NOTE_TOKEN: not set\..*`api` scope.*Reporter.*CI job token cannot write notes.*Settings > CI\/CD > Variables as a masked variable/);
    });

    it("names only the variables that are missing", () => {
        const { CI_MERGE_REQUEST_IID: _iid, GITLAB_NOTE_TOKEN: _token, ...rest } = FULL;
        const e = errorOf(() => readGitLabMergeRequestContext(rest));
        assert.deepEqual(e.variables, ["CI_MERGE_REQUEST_IID", "GITLAB_NOTE_TOKEN"]);
        assert.doesNotMatch(e.message, /CI_PROJECT_ID|CI_API_V4_URL:/);
    });

    it("treats blank values as missing", () => {
        const e = errorOf(() => readGitLabMergeRequestContext({ ...FULL, GITLAB_NOTE_TOKEN: "  ", CI_PROJECT_ID: "" }));
        assert.deepEqual(e.variables, ["CI_PROJECT_ID", "GITLAB_NOTE_TOKEN"]);
    });

    it("rejects invalid values and says what is expected", () => {
        const e = errorOf(() =>
            readGitLabMergeRequestContext({ ...FULL, CI_API_V4_URL: "gitlab.example.com", CI_MERGE_REQUEST_IID: "abc", CI_PROJECT_ID: "a b" }),
        );
        assert.deepEqual(e.variables, ["CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID"]);
        assert.match(e.message, /CI_API_V4_URL: "gitlab\.example\.com" is not a URL/);
        assert.match(e.message, /CI_MERGE_REQUEST_IID: "abc" is not a positive integer/);
        assert.match(e.message, /CI_PROJECT_ID: "a b" is neither a numeric id nor a full path/);
        assert.deepEqual(errorOf(() => readGitLabMergeRequestContext({ ...FULL, CI_MERGE_REQUEST_IID: "0" })).variables, ["CI_MERGE_REQUEST_IID"]);
    });

    it("never prints the token, also when it is malformed", () => {
        const bad = `${TOKEN}\nsecond-line`;
        const e = errorOf(() => readGitLabMergeRequestContext({ ...FULL, GITLAB_NOTE_TOKEN: bad }));
        assert.deepEqual(e.variables, ["GITLAB_NOTE_TOKEN"]);
        assert.match(e.message, /whitespace or control characters \(value not shown\)/);
        assert.ok(!e.message.includes(TOKEN) && !e.message.includes("second-line"));
        const missingOthers = errorOf(() => readGitLabMergeRequestContext({ GITLAB_NOTE_TOKEN: TOKEN }));
        assert.ok(!missingOthers.message.includes(TOKEN));
    });

    it("trims a trailing newline from a pasted token", () => {
        assert.equal(readGitLabMergeRequestContext({ ...FULL, GITLAB_NOTE_TOKEN: `${TOKEN}\n` }).token, TOKEN);
    });

    it("refuses credentials in CI_API_V4_URL without printing them", () => {
        const e = errorOf(() => readGitLabMergeRequestContext({ ...FULL, CI_API_V4_URL: "https://bot:s3cr3t-pass@gitlab.example.com/api/v4" }));
        assert.deepEqual(e.variables, ["CI_API_V4_URL"]);
        assert.match(e.message, /must not carry a user name or password.*https:\/\/gitlab\.example\.com\/api\/v4/);
        assert.ok(!e.message.includes("s3cr3t-pass"));
    });
});

describe("readGitLabProjectContext", () => {
    it("does not need a merge request (the scheduled drift job)", () => {
        const { CI_MERGE_REQUEST_IID: _iid, ...env } = FULL;
        const ctx = readGitLabProjectContext(env);
        assert.equal(ctx.projectId, "42");
        assert.equal(ctx.token, TOKEN);
        assert.ok(!("mergeRequestIid" in ctx));
    });

    it("lists its three variables when they are missing", () => {
        assert.deepEqual(errorOf(() => readGitLabProjectContext({})).variables, ["CI_API_V4_URL", "CI_PROJECT_ID", "GITLAB_NOTE_TOKEN"]);
    });
});
