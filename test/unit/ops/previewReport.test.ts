/** The merge-request report on recorded real previews: order, reasons, drift apart, no values, size. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { changesOf, type Change } from "../../../ops/lib/changes";
import { guardrailViolations, isProduction } from "../../../ops/lib/guardrails";
import { noteMarker, previewMarkdown, previewReport } from "../../../ops/lib/previewReport";
import { events, recorded } from "./recorded";
import { addEvent, emptyRecord } from "../../../ops/lib/events";

const NOW = new Date("2026-12-01T00:00:00Z");

/** Every string value the recorded events carry in resource inputs/outputs (long enough to be a value, not a name). */
function propertyValues(name: "drift" | "replace-delete"): string[] {
    const out = new Set<string>();
    const walk = (v: unknown) => {
        if (typeof v === "string") out.add(v);
        else if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    for (const e of events(name)) {
        const m = e.resourcePreEvent?.metadata ?? e.resOutputsEvent?.metadata;
        for (const st of [m?.old, m?.new]) {
            walk(st?.inputs);
            walk(st?.outputs);
        }
    }
    const urns = events(name).map((e) => JSON.stringify(e.resourcePreEvent?.metadata?.urn ?? e.resOutputsEvent?.metadata?.urn ?? "")).join("\n");
    // names and types legitimately appear in a report; values (policy text, tokens' envelopes, CA certs, hosts) must not
    return [...out].filter((s) => s.length >= 12 && !urns.includes(s) && !/^[\w.:/-]+$/.test(s.replace(/[\[\]]/g, "")) || /BEGIN|path "|ciphertext|\[secret\]/.test(s));
}

describe("previewReport / previewMarkdown", () => {
    it("a retainOnDelete resource leaving the program (a GitLab project of a removed service) is said to be kept, not deleted", () => {
        const rec = emptyRecord();
        const urn = "urn:pulumi:dev::gitops-platform::pulumi-nodejs:dynamic/gitlab:Project::gitlab-project-billing";
        const old = { type: "pulumi-nodejs:dynamic/gitlab:Project", urn, custom: true, delete: false, id: "1042", parent: "", protect: false, retainOnDelete: true, inputs: {}, outputs: {}, provider: "" };
        addEvent(rec, { sequence: 1, timestamp: 1, resourcePreEvent: { metadata: { op: "delete", urn, type: old.type, old, new: undefined, provider: "" } } } as any);
        const changes = changesOf(rec);
        assert.deepEqual(changes.map((c) => [c.action, c.name, c.retained]), [["delete", "gitlab-project-billing", true]]);
        const md = previewMarkdown(previewReport({ stack: "dev", production: false, changes, violations: [], now: NOW }), 60_000);
        assert.match(md, /\*\*Kept, not deleted \(retainOnDelete\):\*\* `gitlab-project-billing` \(delete\) — only dropped from the state/);
        // Without retainOnDelete nothing is said.
        const plain = emptyRecord();
        addEvent(plain, { sequence: 1, timestamp: 1, resourcePreEvent: { metadata: { op: "delete", urn, type: old.type, old: { ...old, retainOnDelete: false }, provider: "" } } } as any);
        assert.doesNotMatch(previewMarkdown(previewReport({ stack: "dev", production: false, changes: changesOf(plain), violations: [], now: NOW }), 60_000), /Kept, not deleted/);
    });

    it("replacements and deletions come first, each replacement with the input that forces it", () => {
        const r = previewReport({ stack: "e2e", production: false, changes: changesOf(recorded("replace-delete")), violations: [], now: NOW });
        const md = previewMarkdown(r, 60_000);
        assert.ok(md.startsWith(noteMarker("e2e") + "\n"), "the hidden marker is the first line");
        const risky = md.indexOf("Replacements and deletions");
        assert.ok(risky > 0 && risky < md.indexOf("Other changes in this merge request"), "risky first, then the other changes");
        assert.doesNotMatch(md.slice(md.indexOf("Other changes")), /\| (replace|delete) \|/, "not listed twice");
        assert.match(md, /\| replace \| `env-dev-namespace` \| `kubernetes:core\/v1:Namespace` \| forced by `metadata\.name` \| yes \|/);
        assert.match(md, /\| replace \| `env-dev-role` \| `vault:kubernetes\/authBackendRole:AuthBackendRole` \| forced by `roleName` \|/);
        assert.match(md, /\| delete \| `env-staging-namespace` \| `kubernetes:core\/v1:Namespace` \| no longer in the program \|/);
        assert.match(md, /\*\*Protected resources touched:\*\* `env-dev-namespace` \(replace\)/);
        assert.match(md, /\*\*0 to create · 3 to update · 6 to replace · 6 to delete\*\*/);
        assert.deepEqual(r.widget, { create: 6, update: 3, delete: 12 });
    });

    it("drift found by the refresh is shown apart from the merge request's own changes", () => {
        const r = previewReport({ stack: "e2e", production: false, changes: changesOf(recorded("drift")), violations: [], now: NOW });
        assert.deepEqual(r.drift.map((c) => c.name).sort(), ["env-dev-read", "env-staging-role", "env-staging-vault-auth", "registry-deploy-token", "registry-vault-secret", "vault-kubernetes-auth-config"]);
        assert.ok(r.changes.every((c) => !c.drifted));
        const md = previewMarkdown(r, 60_000);
        const drift = md.slice(md.indexOf("Drift found by the refresh"), md.indexOf("Changes in this merge request"));
        assert.match(drift, /`env-dev-read` \| `vault:index\/policy:Policy` \| `policy` \|/);
        assert.match(drift, /`registry-deploy-token` .* \| deleted \|/);
        assert.doesNotMatch(drift, /env-dev-regsecret/, "a dependent update is not listed as drift");
    });

    it("carries no property value: policy text, certificates, secret envelopes, hosts never appear", () => {
        for (const fixture of ["drift", "replace-delete"] as const) {
            const r = previewReport({ stack: "e2e", production: true, changes: changesOf(recorded(fixture)), violations: [], now: NOW });
            const text = previewMarkdown(r, 60_000) + JSON.stringify(r);
            const values = propertyValues(fixture);
            assert.ok(values.length > 20, `the fixture has values to look for (${values.length})`);
            for (const v of values) assert.ok(!text.includes(v), `${fixture}: value leaked: ${v.slice(0, 60)}`);
        }
    });

    it("an oversized preview is cut under the budget, replacements kept first, with a pointer to the job log", () => {
        const many: Change[] = Array.from({ length: 5_000 }, (_, i) => ({
            urn: `urn:pulumi:s::p::vault:index/policy:Policy::policy-${i}`, type: "vault:index/policy:Policy", name: `policy-${i}`,
            action: "update", paths: ["policy"], replaceReasons: [], drifted: false, protected: false,
        }));
        many.push({ urn: "urn:pulumi:s::p::kubernetes:core/v1:Namespace::ns", type: "kubernetes:core/v1:Namespace", name: "ns", action: "replace", paths: ["metadata.name"], replaceReasons: ["metadata.name"], drifted: false, protected: false });
        const r = previewReport({ stack: "dev", production: false, changes: many, violations: [], now: NOW });
        const md = previewMarkdown(r, 20_000, { CI_JOB_URL: "https://gitlab.example.com/g/p/-/jobs/42" });
        assert.ok(md.length <= 20_000, `${md.length} chars`);
        assert.ok(md.indexOf("`ns`") < md.indexOf("policy-0"), "the replacement is listed before the updates");
        assert.match(md, /more rows not shown: see the job log \(https:\/\/gitlab\.example\.com\/g\/p\/-\/jobs\/42\)/);
        assert.equal(r.changes.length, 5_001, "the JSON report keeps everything");
    });

    it("production: deleting or replacing a namespace, the KV mount or the auth backend is a mandatory violation", () => {
        const cs = changesOf(recorded("replace-delete"));
        assert.deepEqual(guardrailViolations(cs, false), []);
        const v = guardrailViolations(cs, true);
        assert.deepEqual(v.map((x) => x.urn!.split("::").pop()).sort(), ["env-dev-namespace", "env-staging-namespace"]);
        assert.ok(v.every((x) => x.enforcement === "mandatory"));
        assert.match(v.find((x) => x.urn!.endsWith("env-dev-namespace"))!.message, /replace of a namespace .*`env-dev-namespace` in a production stack \(forced by metadata\.name\)/);
        const md = previewMarkdown(previewReport({ stack: "prod", production: true, changes: cs, violations: v, now: NOW }), 60_000);
        assert.match(md, /\| mandatory \| `gitops-platform-preview\/no-delete-or-replace-in-production` \| `env-staging-namespace` \|/);
        assert.equal(isProduction("prod", {}), true);
        assert.equal(isProduction("eu-prod", {}), true);
        assert.equal(isProduction("prod", { "gitops-platform:protect": { value: "false" } }), false);
        assert.equal(isProduction("dev", { "gitops-platform:protect": { value: "true" } }), true);
        assert.equal(isProduction("dev", {}), false);
    });

    it("policy pack violations are listed with their level, pack and resource", () => {
        const r = previewReport({
            stack: "dev", production: false, changes: [], now: NOW,
            violations: [{ policyPack: "gitops-platform", policy: "vault-policy-no-wildcard", urn: "urn:pulumi:dev::p::vault:index/policy:Policy::wide", message: "path secret/data/* uses '*'", enforcement: "mandatory" }],
        });
        assert.match(previewMarkdown(r, 60_000), /\| mandatory \| `gitops-platform\/vault-policy-no-wildcard` \| `wide` \| path secret\/data\/\* uses '\*' \|/);
    });
});
