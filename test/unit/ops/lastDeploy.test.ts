/**
 * A failed or interrupted last deploy makes its pending changes findings of the drift check (exit
 * 2): e.g. the RegistrySecretSync a timed-out `up` never created. A merged change waiting for its
 * deploy after a successful one stays `pending` (exit 0).
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type { Change } from "../../../ops/lib/changes";
import { driftMarkdown, driftReport, driftTable, exitCodeOf, statusOf, type StackDrift } from "../../../ops/lib/driftReport";
import { incompleteReason, lastDeployOf, markIncomplete } from "../../../ops/lib/lastDeploy";

const SYNC_TYPE = "pulumi-nodejs:dynamic/kubernetes:RegistrySecretSync";
const create = (name: string, type: string, drifted = false): Change => ({
    urn: `urn:pulumi:dev::gitops-platform::gitops-platform:kubernetes:EnvironmentNamespace$${type}::${name}`,
    type,
    name,
    action: "create",
    paths: [],
    replaceReasons: [],
    drifted,
    driftKind: drifted ? "deleted" : undefined,
    protected: false,
});
const pendingCreates = [create("env-dev-regsecret-sync", SYNC_TYPE), create("env-staging-regsecret-sync", SYNC_TYPE)];

function stack(changes: Change[], incomplete?: string): StackDrift {
    const s: StackDrift = { stack: "dev", status: "clean", changes, tokens: [], durationMs: 1, ...(incomplete ? { incomplete } : {}) };
    s.status = statusOf(s);
    return s;
}

describe("last deployment", () => {
    const history = [
        { kind: "refresh", result: "succeeded", version: 9 },
        { kind: "update", result: "failed", version: 8, endTime: new Date("2026-12-01T10:00:00Z") },
        { kind: "update", result: "succeeded", version: 7 },
    ];

    it("is the newest update or destroy (refreshes and previews are not deployments)", () => {
        assert.equal(lastDeployOf(history)?.version, 8);
        assert.equal(lastDeployOf([{ kind: "refresh", result: "succeeded" }]), undefined);
        assert.equal(lastDeployOf([]), undefined);
    });

    it("failed or in progress: a reason naming it; succeeded or none: no reason; pending operations: a reason", () => {
        assert.equal(
            incompleteReason(lastDeployOf(history), 0),
            "the last pulumi update version 8 (ended 2026-12-01T10:00:00.000Z) failed: what it did not apply is still pending",
        );
        assert.match(incompleteReason({ kind: "update", result: "in-progress" }, 0)!, /is in-progress/);
        // What the file backend answers (seen in the e2e): version 0 is not named.
        assert.equal(
            incompleteReason({ kind: "update", result: "failed", version: 0, endTime: "2026-12-02T04:08:49.000Z" }, 0),
            "the last pulumi update (ended 2026-12-02T04:08:49.000Z) failed: what it did not apply is still pending",
        );
        assert.equal(incompleteReason({ kind: "update", result: "succeeded" }, 0), undefined);
        assert.equal(incompleteReason(undefined, 0), undefined);
        assert.match(incompleteReason({ kind: "update", result: "succeeded" }, 2)!, /2 pending operation\(s\): a pulumi up was interrupted/);
    });
});

describe("pending creates in the drift check", () => {
    it("after a successful deploy: pending (a merged change waiting for its deploy), exit 0", () => {
        const s = stack(markIncomplete(pendingCreates, incompleteReason({ kind: "update", result: "succeeded" }, 0)));
        assert.equal(s.status, "clean");
        assert.equal(exitCodeOf([s]), 0);
        assert.ok(s.changes.every((c) => !c.incomplete));
    });

    it("after a failed deploy (RegistrySecretSync timed out): each create is a not-applied finding, exit 2, the report says why", () => {
        const why = incompleteReason({ kind: "update", result: "failed", version: 8 }, 0);
        const s = stack(markIncomplete(pendingCreates, why), why);
        assert.equal(s.status, "drift");
        assert.equal(exitCodeOf([s]), 2);
        assert.deepEqual(s.changes.map((c) => [c.name, c.incomplete, c.drifted]), [
            ["env-dev-regsecret-sync", true, false],
            ["env-staging-regsecret-sync", true, false],
        ]);
        const md = driftMarkdown(driftReport([s], new Date("2026-12-02T00:00:00Z")));
        assert.match(md, /\*\*incomplete deployment\*\*: 2 change\(s\) not applied by the last deploy/);
        assert.match(md, /Why: the last pulumi update version 8 failed/);
        assert.match(md, /not applied: the last pulumi up failed or was interrupted/);
        const table = driftTable(driftReport([s], new Date()));
        assert.match(table, /not-applied\s+create\s+env-dev-regsecret-sync\s+pulumi-nodejs:dynamic\/kubernetes:RegistrySecretSync/);
        assert.match(table, /dev: incomplete deployment: the last pulumi update version 8 failed/);
    });

    it("drift and not-applied together: drifted stays drifted, the rest not applied", () => {
        const why = "the last pulumi update failed: what it did not apply is still pending";
        const s = stack(markIncomplete([create("registry-deploy-token", "pulumi-nodejs:dynamic/gitlab:GroupDeployToken", true), ...pendingCreates], why), why);
        assert.deepEqual(s.changes.map((c) => !!c.incomplete), [false, true, true]);
        assert.match(driftMarkdown(driftReport([s], new Date())), /\*\*drift\*\* on 1 resource\(s\), 2 not applied by the last deploy/);
    });
});
