// Drives the ServiceAccountPullSecret dynamic provider's create/read/diff/update/delete the way the
// Pulumi engine calls them, against an in-memory API server for ServiceAccounts (FakeCluster): JSON
// patches (RFC 6902) are applied whole or not at all, a failing `test` op is a 422 like the API
// server's, and managedFields follow the API server's rule: a change made by a manager moves the
// ownership of the changed field to it (imagePullSecrets is an atomic list: the whole list moves).
// The real client (kubernetesServiceAccountClient, @kubernetes/client-node) is driven over HTTP
// against the same fake, for what only it does: the wire format and the errors that name the
// ServiceAccount.
import { after, before, beforeEach, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import {
    FIELD_MANAGER,
    addPatch,
    entryIndex,
    foreignOwners,
    kubernetesServiceAccountClient,
    listOwners,
    makePullSecretProvider,
    removePatch,
    restoresEntry,
    type PullSecretInputs,
    type PullSecretOutputs,
    type ServiceAccountClient,
} from "../../../components/kubernetes/pullSecretProvider";

type Provider = Required<pulumi.dynamic.ResourceProvider>;

/** One managedFields entry as the API server keeps it. */
interface ManagedFieldsEntry {
    manager: string;
    operation: "Apply" | "Update";
    apiVersion: "v1";
    fieldsType: "FieldsV1";
    fieldsV1: Record<string, unknown>;
}

/** A ServiceAccount as the API server returns it (the fields used here). */
interface ServiceAccount {
    apiVersion: "v1";
    kind: "ServiceAccount";
    metadata: { name: string; namespace: string; resourceVersion: string; managedFields: ManagedFieldsEntry[] };
    imagePullSecrets?: { name: string }[];
}

/** The Status body of a failed request. */
interface Status {
    kind: "Status";
    apiVersion: "v1";
    status: "Failure";
    message: string;
    reason: string;
    details: { name: string; kind: "serviceaccounts" };
    code: number;
}

/** What @kubernetes/client-node throws for an HTTP error: an Error with `code` and the Status `body`. */
class ApiStatusError extends Error {
    constructor(
        readonly code: number,
        readonly body: Status,
    ) {
        super(`HTTP-Code: ${code}\nMessage: Unknown API Status Code!\nBody: ${JSON.stringify(body)}`);
    }
}

function status(code: number, reason: string, message: string, name: string): Status {
    return { kind: "Status", apiVersion: "v1", status: "Failure", message, reason, details: { name, kind: "serviceaccounts" }, code };
}

class JsonPatchError extends Error {}

/** RFC 6901 pointer → reference tokens. */
function tokens(pointer: string): string[] {
    if (pointer === "") return [];
    if (!pointer.startsWith("/")) throw new JsonPatchError(`invalid pointer ${pointer}`);
    return pointer
        .slice(1)
        .split("/")
        .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Array index token: digits without leading zeros, within [0, max]. */
function arrayIndex(token: string, max: number): number {
    if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new JsonPatchError(`invalid array index ${token}`);
    const i = Number(token);
    if (i > max) throw new JsonPatchError(`array index ${i} out of bounds`);
    return i;
}

type Json = unknown;

function valueAt(doc: Json, pointer: string): Json {
    let cur: Json = doc;
    for (const t of tokens(pointer)) {
        if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length - 1)];
        else if (cur && typeof cur === "object" && Object.prototype.hasOwnProperty.call(cur, t)) cur = (cur as Record<string, Json>)[t];
        else throw new JsonPatchError(`doc is missing path: ${pointer}`);
    }
    return cur;
}

/** The parent container of `pointer` and the last token. */
function parentOf(doc: Json, pointer: string): { parent: Json; key: string } {
    const ts = tokens(pointer);
    if (ts.length === 0) throw new JsonPatchError("operations on the whole document are not supported here");
    const key = ts.pop()!;
    const parentPointer = ts.map((t) => `/${t.replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
    const parent = valueAt(doc, parentPointer);
    if (!parent || typeof parent !== "object") throw new JsonPatchError(`doc is missing path: ${pointer}`);
    return { parent, key };
}

function addAt(doc: Json, pointer: string, value: Json): void {
    const { parent, key } = parentOf(doc, pointer);
    if (Array.isArray(parent)) {
        if (key === "-") parent.push(structuredClone(value));
        else parent.splice(arrayIndex(key, parent.length), 0, structuredClone(value));
    } else {
        (parent as Record<string, Json>)[key] = structuredClone(value);
    }
}

function removeAt(doc: Json, pointer: string): void {
    valueAt(doc, pointer); // must exist
    const { parent, key } = parentOf(doc, pointer);
    if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length - 1), 1);
    else delete (parent as Record<string, Json>)[key];
}

/** Applies an RFC 6902 JSON patch to a copy of `doc`: every operation, or none (throws). */
function applyJsonPatch<T>(doc: T, ops: object[]): T {
    const out = structuredClone(doc);
    for (const raw of ops) {
        const op = raw as { op?: string; path?: string; from?: string; value?: Json };
        if (typeof op.path !== "string") throw new JsonPatchError("operation without path");
        switch (op.op) {
            case "test": {
                // a test without a value (e.g. `value: undefined`, dropped by JSON) never passes
                if (!("value" in op) || op.value === undefined) throw new JsonPatchError(`test operation without value at ${op.path}`);
                if (!isDeepStrictEqual(valueAt(out, op.path), op.value)) throw new JsonPatchError(`testing value ${op.path} failed: test failed`);
                break;
            }
            case "add":
                addAt(out, op.path, op.value);
                break;
            case "remove":
                removeAt(out, op.path);
                break;
            case "replace":
                valueAt(out, op.path);
                removeAt(out, op.path);
                addAt(out, op.path, op.value);
                break;
            case "move": {
                const v = valueAt(out, op.from ?? "");
                removeAt(out, op.from ?? "");
                addAt(out, op.path, v);
                break;
            }
            case "copy":
                addAt(out, op.path, valueAt(out, op.from ?? ""));
                break;
            default:
                throw new JsonPatchError(`unknown operation ${String(op.op)}`);
        }
    }
    return out;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** ServiceAccounts as an API server keeps them, and a ServiceAccountClient on them. */
class FakeCluster {
    private readonly store = new Map<string, ServiceAccount>();
    private rv = 1000;
    /** Every patch sent, in order. */
    readonly patches: { namespace: string; name: string; patch: object[]; manager: string }[] = [];
    /** Runs once, after the patch arrived and before it is applied: a concurrent writer. */
    beforeNextPatch?: () => void;

    /** A ServiceAccount as `kubectl create serviceaccount` makes it; `imagePullSecrets` applied server-side by `manager`. */
    create(namespace: string, name: string, imagePullSecrets?: string[], manager = "helm"): void {
        const sa: ServiceAccount = {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name, namespace, resourceVersion: String(++this.rv), managedFields: [] },
        };
        this.store.set(key(namespace, name), sa);
        if (imagePullSecrets) this.applyList(namespace, name, manager, imagePullSecrets);
    }

    /** Server-side apply of the whole list by `manager` (a chart upgrade, Argo CD self-heal), forcing conflicts. */
    applyList(namespace: string, name: string, manager: string, names: string[]): void {
        const sa = this.must(namespace, name);
        const after = structuredClone(sa);
        after.imagePullSecrets = names.map((n) => ({ name: n }));
        this.commit(sa, after, manager, "Apply");
    }

    /** A JSON patch as another client sends it (e.g. the old scripts' `kubectl patch`). */
    patchAs(namespace: string, name: string, manager: string, patch: object[]): void {
        const sa = this.must(namespace, name);
        this.commit(sa, applyJsonPatch(sa, patch), manager, "Update");
    }

    delete(namespace: string, name: string): void {
        this.store.delete(key(namespace, name));
    }

    /** The stored ServiceAccount (a copy). */
    get(namespace: string, name: string): ServiceAccount | undefined {
        const sa = this.store.get(key(namespace, name));
        return sa && structuredClone(sa);
    }

    /** Names in the list, or undefined when the ServiceAccount does not exist. */
    names(namespace: string, name: string): string[] | undefined {
        const sa = this.store.get(key(namespace, name));
        return sa ? (sa.imagePullSecrets ?? []).map((e) => e.name) : undefined;
    }

    /** Who owns imagePullSecrets, as managedFields say. */
    owners(namespace: string, name: string): string[] {
        return this.must(namespace, name)
            .metadata.managedFields.filter((m) => "f:imagePullSecrets" in m.fieldsV1)
            .map((m) => `${m.manager}/${m.operation}`)
            .sort();
    }

    /** GET: the ServiceAccount or a 404 Status. */
    read(namespace: string, name: string): ServiceAccount {
        const sa = this.store.get(key(namespace, name));
        if (!sa) throw new ApiStatusError(404, status(404, "NotFound", `serviceaccounts "${name}" not found`, name));
        return structuredClone(sa);
    }

    /** PATCH application/json-patch+json as `manager`: 404 when missing, 422 when an operation (e.g. a test) fails. */
    jsonPatch(namespace: string, name: string, patch: object[], manager: string): ServiceAccount {
        this.patches.push({ namespace, name, patch: structuredClone(patch), manager });
        const hook = this.beforeNextPatch;
        this.beforeNextPatch = undefined;
        hook?.();
        const sa = this.store.get(key(namespace, name));
        if (!sa) throw new ApiStatusError(404, status(404, "NotFound", `serviceaccounts "${name}" not found`, name));
        let after: ServiceAccount;
        try {
            after = applyJsonPatch(sa, patch);
        } catch (e) {
            if (!(e instanceof JsonPatchError)) throw e;
            throw new ApiStatusError(422, status(422, "Invalid", `the server rejected our request due to an error in our request: ${e.message}`, name));
        }
        return structuredClone(this.commit(sa, after, manager, "Update"));
    }

    /** The ServiceAccountClient the provider uses, on this fake. */
    readonly client: ServiceAccountClient = {
        read: async (namespace, name) => {
            try {
                return this.read(namespace, name);
            } catch (e) {
                if (e instanceof ApiStatusError && e.code === 404) return undefined;
                throw e;
            }
        },
        jsonPatch: async (namespace, name, patch) => this.jsonPatch(namespace, name, patch, FIELD_MANAGER),
    };

    private must(namespace: string, name: string): ServiceAccount {
        const sa = this.store.get(key(namespace, name));
        if (!sa) throw new Error(`no ServiceAccount ${namespace}/${name} in the fake`);
        return sa;
    }

    /**
     * Stores `after` with a new resourceVersion. managedFields: when the list changed, its owner is
     * now `manager` alone (Kubernetes moves a changed field's ownership to the manager that changed
     * it, and imagePullSecrets is an atomic list); an empty list is dropped (omitempty), and a
     * manager that owns nothing is removed.
     */
    private commit(before: ServiceAccount, after: ServiceAccount, manager: string, operation: "Apply" | "Update"): ServiceAccount {
        if (after.imagePullSecrets && after.imagePullSecrets.length === 0) delete after.imagePullSecrets;
        const changed = !isDeepStrictEqual(before.imagePullSecrets, after.imagePullSecrets);
        let fields = before.metadata.managedFields.map((m) => structuredClone(m));
        if (changed || operation === "Apply") {
            fields = fields.map((m) => {
                const { ["f:imagePullSecrets"]: _dropped, ...rest } = m.fieldsV1;
                return { ...m, fieldsV1: rest };
            });
            if (after.imagePullSecrets !== undefined) {
                const mine = fields.find((m) => m.manager === manager && m.operation === operation);
                if (mine) mine.fieldsV1 = { ...mine.fieldsV1, "f:imagePullSecrets": {} };
                else fields.push({ manager, operation, apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: { "f:imagePullSecrets": {} } });
            }
            fields = fields.filter((m) => Object.keys(m.fieldsV1).length > 0);
        }
        after.metadata = { ...after.metadata, resourceVersion: String(++this.rv), managedFields: fields };
        this.store.set(key(after.metadata.namespace, after.metadata.name), after);
        return after;
    }
}

const NS = "poc-dev";

function inputs(over: Partial<PullSecretInputs> = {}): PullSecretInputs {
    return { namespace: NS, serviceAccount: "app", secretName: "regsecret", ...over };
}

interface State {
    id: string;
    outs: PullSecretOutputs;
}

function provider(cluster: FakeCluster): Provider {
    return makePullSecretProvider(() => cluster.client) as Provider;
}

async function createVia(p: Provider, news: PullSecretInputs): Promise<State> {
    const res = await p.create(news);
    return { id: res.id, outs: res.outs as PullSecretOutputs };
}

async function refresh(p: Provider, state: State): Promise<State> {
    const r = await p.read(state.id, state.outs);
    return { id: r.id!, outs: r.props as PullSecretOutputs };
}

/** diff, then update when it reports changes, as `pulumi up` does. */
async function upVia(p: Provider, state: State, news: PullSecretInputs) {
    const diff = await p.diff(state.id, state.outs, news);
    const outs = diff.changes ? ((await p.update(state.id, state.outs, news)).outs as PullSecretOutputs) : state.outs;
    return { diff, outs };
}

/** Awaits a rejection and returns it. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
        () => assert.fail("expected an error"),
        (e: unknown) => e,
    );
}

describe("pure helpers", () => {
    it("listOwners: managers other than gitops-platform whose managedFields hold f:imagePullSecrets, sorted, once each", () => {
        const mf = (manager: string | undefined, fieldsV1?: unknown) => ({ manager, fieldsV1 });
        const sa = {
            metadata: {
                managedFields: [
                    mf("helm", { "f:imagePullSecrets": {} }),
                    mf(FIELD_MANAGER, { "f:imagePullSecrets": {} }),
                    mf("argocd-controller", { "f:metadata": {}, "f:imagePullSecrets": {} }),
                    mf("kube-controller-manager", { "f:secrets": {} }),
                    mf("helm", { "f:imagePullSecrets": {} }),
                    mf(undefined, { "f:imagePullSecrets": {} }),
                    mf("kubectl-edit"),
                ],
            },
        };
        assert.deepEqual(listOwners(sa), ["argocd-controller", "helm"]);
        assert.deepEqual(listOwners(sa, "helm"), ["argocd-controller", FIELD_MANAGER]);
        assert.deepEqual(listOwners({}), []);
        assert.deepEqual(listOwners({ metadata: {} }), []);
    });

    it("foreignOwners / restoresEntry: kubectl and kubectl-* are hand edits; any other manager owning the list is not fought", () => {
        const kubectl = ["kubectl", "kubectl-patch", "kubectl-edit", "kubectl-client-side-apply", "kubectl-label"];
        assert.deepEqual(foreignOwners(kubectl), []);
        assert.deepEqual(foreignOwners(["argocd-controller", "helm", "kubectl-patch", "kubectlx", "my-kubectl"]), [
            "argocd-controller",
            "helm",
            "kubectlx",
            "my-kubectl",
        ]);
        // an entry this provider added: put back only when no foreign manager owns the list
        assert.equal(restoresEntry(true, []), true, "no list at all");
        assert.equal(restoresEntry(true, kubectl), true);
        assert.equal(restoresEntry(true, ["helm"]), false);
        assert.equal(restoresEntry(true, ["kubectl-patch", "argocd-controller"]), false);
        // an entry it did not add (the ServiceAccount appeared, or the entry was someone else's): added
        assert.equal(restoresEntry(false, ["helm"]), true);
        assert.equal(restoresEntry(false, []), true);
    });

    it("entryIndex: the entry's position, -1 when absent or when there is no list", () => {
        assert.equal(entryIndex({ imagePullSecrets: [{ name: "other-creds" }, { name: "regsecret" }] }, "regsecret"), 1);
        assert.equal(entryIndex({ imagePullSecrets: [{ name: "regsecret" }] }, "regsecret"), 0);
        assert.equal(entryIndex({ imagePullSecrets: [{ name: "other-creds" }, {}] }, "regsecret"), -1);
        assert.equal(entryIndex({ imagePullSecrets: [] }, "regsecret"), -1);
        assert.equal(entryIndex({}, "regsecret"), -1);
    });

    it("addPatch: guarded by the resourceVersion; creates the list when absent, appends to an existing one", () => {
        assert.deepEqual(addPatch({ metadata: { resourceVersion: "7" } }, "regsecret"), [
            { op: "test", path: "/metadata/resourceVersion", value: "7" },
            { op: "add", path: "/imagePullSecrets", value: [{ name: "regsecret" }] },
        ]);
        assert.deepEqual(addPatch({ metadata: { resourceVersion: "8" }, imagePullSecrets: [{ name: "other-creds" }] }, "regsecret"), [
            { op: "test", path: "/metadata/resourceVersion", value: "8" },
            { op: "add", path: "/imagePullSecrets/-", value: { name: "regsecret" } },
        ]);
        // Applied by the API server: the other entries stay, the entry comes last.
        const cluster = new FakeCluster();
        cluster.create(NS, "bare");
        cluster.create(NS, "charted", ["other-creds", "more-creds"]);
        for (const name of ["bare", "charted"]) {
            cluster.jsonPatch(NS, name, addPatch(cluster.get(NS, name)!, "regsecret"), FIELD_MANAGER);
        }
        assert.deepEqual(cluster.names(NS, "bare"), ["regsecret"]);
        assert.deepEqual(cluster.names(NS, "charted"), ["other-creds", "more-creds", "regsecret"]);
    });

    it("removePatch: tests that the entry at the index is still the one, then removes it", () => {
        assert.deepEqual(removePatch(2, "regsecret"), [
            { op: "test", path: "/imagePullSecrets/2/name", value: "regsecret" },
            { op: "remove", path: "/imagePullSecrets/2" },
        ]);
        const cluster = new FakeCluster();
        cluster.create(NS, "app", ["a", "regsecret", "b"]);
        assert.throws(() => cluster.jsonPatch(NS, "app", removePatch(0, "regsecret"), FIELD_MANAGER), (e: ApiStatusError) => e.code === 422);
        assert.deepEqual(cluster.names(NS, "app"), ["a", "regsecret", "b"], "a failed test changes nothing");
        cluster.jsonPatch(NS, "app", removePatch(1, "regsecret"), FIELD_MANAGER);
        assert.deepEqual(cluster.names(NS, "app"), ["a", "b"]);
    });
});

describe("the fake API server", () => {
    it("applies a patch whole or not at all; a failing test is a 422; the resourceVersion moves on every write", () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "app", ["other-creds"]);
        const rv = cluster.get(NS, "app")!.metadata.resourceVersion;
        const stale = [
            { op: "add", path: "/imagePullSecrets/-", value: { name: "x" } },
            { op: "test", path: "/metadata/resourceVersion", value: "1" },
        ];
        assert.throws(() => cluster.jsonPatch(NS, "app", stale, FIELD_MANAGER), (e: ApiStatusError) => e.code === 422 && e.body.reason === "Invalid");
        assert.deepEqual(cluster.names(NS, "app"), ["other-creds"]);
        assert.equal(cluster.get(NS, "app")!.metadata.resourceVersion, rv);
        cluster.jsonPatch(NS, "app", [{ op: "test", path: "/metadata/resourceVersion", value: rv }], FIELD_MANAGER);
        assert.notEqual(cluster.get(NS, "app")!.metadata.resourceVersion, rv);
        assert.throws(() => cluster.jsonPatch(NS, "ghost", [], FIELD_MANAGER), (e: ApiStatusError) => e.code === 404);
    });

    it("managedFields: the manager that changes the list owns it; a patch that changes nothing moves nothing", () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "app", ["other-creds"]);
        assert.deepEqual(cluster.owners(NS, "app"), ["helm/Apply"]);
        cluster.jsonPatch(NS, "app", [{ op: "test", path: "/imagePullSecrets/0/name", value: "other-creds" }], FIELD_MANAGER);
        assert.deepEqual(cluster.owners(NS, "app"), ["helm/Apply"]);
        cluster.jsonPatch(NS, "app", [{ op: "add", path: "/imagePullSecrets/-", value: { name: "regsecret" } }], FIELD_MANAGER);
        assert.deepEqual(cluster.owners(NS, "app"), [`${FIELD_MANAGER}/Update`]);
        cluster.applyList(NS, "app", "helm", ["other-creds"]);
        assert.deepEqual(cluster.owners(NS, "app"), ["helm/Apply"]);
    });
});

describe("create", () => {
    it("a missing ServiceAccount is never created: exists false, no patch", async () => {
        const cluster = new FakeCluster();
        const { id, outs } = await createVia(provider(cluster), inputs({ serviceAccount: "ghost" }));
        assert.equal(id, `${NS}/ghost`);
        assert.deepEqual(outs, { ...inputs({ serviceAccount: "ghost" }), exists: false, present: false, added: false, managers: [] });
        assert.deepEqual(cluster.patches, []);
        assert.equal(cluster.get(NS, "ghost"), undefined);
    });

    it("a list another manager owns: [other-creds] becomes [other-creds, regsecret], added by this stack", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "app", ["other-creds"], "helm");
        const rv = cluster.get(NS, "app")!.metadata.resourceVersion;
        const { outs } = await createVia(provider(cluster), inputs());
        assert.deepEqual(cluster.names(NS, "app"), ["other-creds", "regsecret"]);
        assert.equal(outs.exists, true);
        assert.equal(outs.present, true);
        assert.equal(outs.added, true);
        assert.equal(cluster.patches.length, 1);
        assert.equal(cluster.patches[0].manager, FIELD_MANAGER);
        assert.deepEqual(cluster.patches[0].patch[0], { op: "test", path: "/metadata/resourceVersion", value: rv }, "guarded by what was read");
        // The API server gives a changed field to the manager that changed it: after the patch the
        // (atomic) list is this stack's, and `managers` reports what the server says.
        assert.deepEqual(cluster.owners(NS, "app"), [`${FIELD_MANAGER}/Update`]);
        assert.deepEqual(outs.managers, []);
    });

    it("managers: other managers that own the list as the API server reports it", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "app", ["other-creds", "regsecret"], "helm");
        const { outs } = await createVia(provider(cluster), inputs());
        assert.deepEqual(outs.managers, ["helm"]);
        assert.deepEqual(cluster.patches, []);
    });

    it("regsecret already there (the old scripts' kubectl patch): no patch, not added by this stack", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "default");
        cluster.patchAs(NS, "default", "kubectl-patch", [{ op: "add", path: "/imagePullSecrets", value: [{ name: "regsecret" }] }]);
        const { outs } = await createVia(provider(cluster), inputs({ serviceAccount: "default" }));
        assert.deepEqual(cluster.patches, []);
        assert.equal(outs.exists, true);
        assert.equal(outs.present, true);
        assert.equal(outs.added, false);
        assert.deepEqual(outs.managers, ["kubectl-patch"]);
    });

    it("a ServiceAccount without a list gets one with regsecret", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "default");
        const { outs } = await createVia(provider(cluster), inputs({ serviceAccount: "default" }));
        assert.deepEqual(cluster.names(NS, "default"), ["regsecret"]);
        assert.equal(outs.added, true);
        assert.deepEqual(cluster.patches[0].patch[1], { op: "add", path: "/imagePullSecrets", value: [{ name: "regsecret" }] });
    });
});

describe("delete", () => {
    it("removes only the entry it added; the other managers' entries stay", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "app", ["other-creds"]);
        const p = provider(cluster);
        const state = await createVia(p, inputs());
        await p.delete(state.id, state.outs);
        assert.deepEqual(cluster.names(NS, "app"), ["other-creds"]);
    });

    it("leaves an entry it did not add (added false): no patch", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "default", ["regsecret"], "kubectl-patch");
        const p = provider(cluster);
        const state = await createVia(p, inputs({ serviceAccount: "default" }));
        await p.delete(state.id, state.outs);
        assert.deepEqual(cluster.patches, []);
        assert.deepEqual(cluster.names(NS, "default"), ["regsecret"]);
    });

    it("an entry that moved since it was added is still the one removed", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "app", ["other-creds"]);
        const p = provider(cluster);
        const state = await createVia(p, inputs());
        // another manager reorders the list and adds an entry: regsecret is now first
        cluster.applyList(NS, "app", "argocd-controller", ["regsecret", "other-creds", "more-creds"]);
        await p.delete(state.id, state.outs);
        assert.deepEqual(cluster.names(NS, "app"), ["other-creds", "more-creds"]);
    });

    it("a ServiceAccount that is gone, or an entry someone already removed: nothing to do, no error", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "app", ["other-creds"]);
        cluster.create(NS, "gone");
        const p = provider(cluster);
        const kept = await createVia(p, inputs());
        const gone = await createVia(p, inputs({ serviceAccount: "gone" }));
        cluster.applyList(NS, "app", "helm", ["other-creds"]);
        cluster.delete(NS, "gone");
        const before = cluster.patches.length;
        await p.delete(kept.id, kept.outs);
        await p.delete(gone.id, gone.outs);
        assert.equal(cluster.patches.length, before);
        assert.deepEqual(cluster.names(NS, "app"), ["other-creds"]);
    });
});

describe("refresh and the next up", () => {
    it("another manager removed the entry: refresh shows it, diff reports no change, an update keeps it removed (no fight with a non-kubectl manager)", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "app", ["other-creds"]);
        const p = provider(cluster);
        const state = await createVia(p, inputs());
        cluster.applyList(NS, "app", "helm", ["other-creds"]); // helm upgrade / Argo CD self-heal
        const refreshed = await refresh(p, state);
        assert.equal(refreshed.id, state.id);
        assert.equal(refreshed.outs.exists, true);
        assert.equal(refreshed.outs.present, false);
        assert.equal(refreshed.outs.added, true);
        assert.deepEqual(refreshed.outs.managers, ["helm"]);

        const { diff } = await upVia(p, refreshed, inputs());
        assert.equal(diff.changes, false, "no fight with the manager that removed it");
        // An update for another reason (new provider code) does not put it back either.
        const withCode = (code: string) => ({ ...inputs(), __provider: code }) as PullSecretInputs;
        const olds = { ...refreshed.outs, __provider: "exports.handler = old" } as PullSecretOutputs;
        const before = cluster.patches.length;
        const { diff: d2, outs } = await upVia(p, { id: refreshed.id, outs: olds }, withCode("exports.handler = new"));
        assert.equal(d2.changes, true);
        assert.equal(cluster.patches.length, before, "no patch");
        assert.deepEqual(cluster.names(NS, "app"), ["other-creds"]);
        assert.equal(outs.present, false);
        assert.equal(outs.added, true);
    });

    it("argocd-controller removed the entry: no fight either", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "app", ["other-creds"]);
        const p = provider(cluster);
        const state = await createVia(p, inputs());
        cluster.applyList(NS, "app", "argocd-controller", ["other-creds"]);
        const refreshed = await refresh(p, state);
        assert.deepEqual(refreshed.outs.managers, ["argocd-controller"]);
        const before = cluster.patches.length;
        const { diff } = await upVia(p, refreshed, inputs());
        assert.equal(diff.changes, false);
        assert.equal(cluster.patches.length, before);
        assert.deepEqual(cluster.names(NS, "app"), ["other-creds"]);
    });

    for (const manager of ["kubectl-patch", "kubectl-edit", "kubectl-client-side-apply", "kubectl"]) {
        it(`${manager} removed the entry (a hand edit): refresh shows it, diff reports a change, the update puts it back`, async () => {
            const cluster = new FakeCluster();
            cluster.create(NS, "app", ["other-creds"]);
            const p = provider(cluster);
            const state = await createVia(p, inputs());
            cluster.patchAs(NS, "app", manager, [{ op: "remove", path: `/imagePullSecrets/${entryIndex(cluster.get(NS, "app")!, "regsecret")}` }]);
            assert.deepEqual(cluster.names(NS, "app"), ["other-creds"]);
            const refreshed = await refresh(p, state);
            assert.deepEqual([refreshed.outs.exists, refreshed.outs.present, refreshed.outs.added], [true, false, true]);
            assert.deepEqual(refreshed.outs.managers, [manager]);

            const { diff, outs } = await upVia(p, refreshed, inputs());
            assert.equal(diff.changes, true, "drift: the next up restores it");
            assert.deepEqual(diff.replaces, []);
            assert.deepEqual(cluster.names(NS, "app"), ["other-creds", "regsecret"], "the other entries stay");
            assert.deepEqual([outs.exists, outs.present, outs.added], [true, true, true]);
            assert.equal((await p.diff(refreshed.id, outs, inputs())).changes, false, "quiet afterwards");
        });
    }

    it("the whole list removed by hand (kubectl patch --type=json remove /imagePullSecrets): present false, managers [], up restores it", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "default");
        const p = provider(cluster);
        const state = await createVia(p, inputs({ serviceAccount: "default" }));
        cluster.patchAs(NS, "default", "kubectl-patch", [{ op: "remove", path: "/imagePullSecrets" }]);
        assert.equal(cluster.get(NS, "default")!.imagePullSecrets, undefined);
        const refreshed = await refresh(p, state);
        assert.deepEqual([refreshed.outs.exists, refreshed.outs.present, refreshed.outs.added], [true, false, true]);
        assert.deepEqual(refreshed.outs.managers, [], "as a real API server records it: nobody owns a list that is gone");

        const { diff, outs } = await upVia(p, refreshed, inputs({ serviceAccount: "default" }));
        assert.equal(diff.changes, true);
        assert.deepEqual(cluster.names(NS, "default"), ["regsecret"]);
        assert.deepEqual(cluster.patches[cluster.patches.length - 1].patch[1], { op: "add", path: "/imagePullSecrets", value: [{ name: "regsecret" }] });
        assert.deepEqual([outs.present, outs.added], [true, true]);
    });

    it("an entry the old scripts put there (added false) removed by hand: put back, and now added by this stack", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "default", ["regsecret"], "kubectl-patch");
        const p = provider(cluster);
        const state = await createVia(p, inputs({ serviceAccount: "default" }));
        assert.equal(state.outs.added, false);
        cluster.patchAs(NS, "default", "kubectl-edit", [{ op: "remove", path: "/imagePullSecrets/0" }]);
        const refreshed = await refresh(p, state);
        const { diff, outs } = await upVia(p, refreshed, inputs({ serviceAccount: "default" }));
        assert.equal(diff.changes, true);
        assert.deepEqual(cluster.names(NS, "default"), ["regsecret"]);
        assert.equal(outs.added, true, "removed on delete from now on");
    });

    it("an update without refresh (new provider code) reads the live list: a kubectl removal is put back, a helm removal is not", async () => {
        const withCode = (code: string, over: Partial<PullSecretInputs> = {}) => ({ ...inputs(over), __provider: code }) as PullSecretInputs;
        const cluster = new FakeCluster();
        cluster.create(NS, "hand", ["other-creds"]);
        cluster.create(NS, "chart", ["other-creds"]);
        const p = provider(cluster);
        const hand = await createVia(p, inputs({ serviceAccount: "hand" }));
        const chart = await createVia(p, inputs({ serviceAccount: "chart" }));
        cluster.patchAs(NS, "hand", "kubectl-patch", [{ op: "remove", path: "/imagePullSecrets/1" }]);
        cluster.applyList(NS, "chart", "helm", ["other-creds"]);
        for (const [state, sa] of [[hand, "hand"], [chart, "chart"]] as const) {
            const olds = { ...state.outs, __provider: "exports.handler = old" } as PullSecretOutputs;
            await upVia(p, { id: state.id, outs: olds }, withCode("exports.handler = new", { serviceAccount: sa }));
        }
        assert.deepEqual(cluster.names(NS, "hand"), ["other-creds", "regsecret"]);
        assert.deepEqual(cluster.names(NS, "chart"), ["other-creds"]);
    });

    it("a missing ServiceAccount appeared: refresh shows it, diff reports a change, the update adds the entry", async () => {
        const cluster = new FakeCluster();
        const p = provider(cluster);
        const state = await createVia(p, inputs({ serviceAccount: "late" }));
        assert.equal(state.outs.exists, false);
        cluster.create(NS, "late");
        const refreshed = await refresh(p, state);
        assert.deepEqual(
            [refreshed.outs.exists, refreshed.outs.present, refreshed.outs.added],
            [true, false, false],
        );
        const { diff, outs } = await upVia(p, refreshed, inputs({ serviceAccount: "late" }));
        assert.equal(diff.changes, true);
        assert.deepEqual(diff.replaces, []);
        assert.deepEqual(cluster.names(NS, "late"), ["regsecret"]);
        assert.deepEqual([outs.exists, outs.present, outs.added], [true, true, true]);
        assert.equal((await p.diff(refreshed.id, outs, inputs({ serviceAccount: "late" }))).changes, false, "quiet afterwards");
    });

    it("without refresh, a ServiceAccount that appeared is not seen: no change (the warning says to run up --refresh)", async () => {
        const cluster = new FakeCluster();
        const p = provider(cluster);
        const state = await createVia(p, inputs({ serviceAccount: "late" }));
        cluster.create(NS, "late");
        assert.equal((await p.diff(state.id, state.outs, inputs({ serviceAccount: "late" }))).changes, false);
    });

    it("a ServiceAccount deleted since: refresh records exists false", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "app");
        const p = provider(cluster);
        const state = await createVia(p, inputs());
        cluster.delete(NS, "app");
        const refreshed = await refresh(p, state);
        assert.deepEqual([refreshed.outs.exists, refreshed.outs.present, refreshed.outs.managers], [false, false, []]);
    });
});

describe("diff", () => {
    const olds: PullSecretOutputs = { ...inputs(), exists: true, present: true, added: true, managers: [] };

    it("a new namespace, ServiceAccount or secret name replaces, deleting first", async () => {
        const p = provider(new FakeCluster());
        for (const change of [{ namespace: "poc-staging" }, { serviceAccount: "deployer" }, { secretName: "othersecret" }]) {
            const d = await p.diff(`${NS}/app`, olds, inputs(change));
            const k = Object.keys(change)[0];
            assert.equal(d.changes, true, k);
            assert.deepEqual(d.replaces, [k]);
            assert.equal(d.deleteBeforeReplace, true, k);
        }
        const same = await p.diff(`${NS}/app`, olds, inputs());
        assert.equal(same.changes, false);
        assert.deepEqual(same.replaces, []);
    });

    it("new serialized provider code is an in-place update", async () => {
        const p = provider(new FakeCluster());
        const o = { ...olds, __provider: "exports.handler = old" } as PullSecretOutputs;
        const d = await p.diff(`${NS}/app`, o, { ...inputs(), __provider: "exports.handler = new" } as PullSecretInputs);
        assert.equal(d.changes, true);
        assert.deepEqual(d.replaces, []);
        const same = await p.diff(`${NS}/app`, o, { ...inputs(), __provider: "exports.handler = old" } as PullSecretInputs);
        assert.equal(same.changes, false);
    });
});

/** A tiny API server for ServiceAccounts over HTTP, on the fake, for the real client. */
async function startApiServer(cluster: FakeCluster) {
    const requests: { method: string; url: string; contentType?: string; authorization?: string; body?: unknown }[] = [];
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const body = text === "" ? undefined : JSON.parse(text);
            requests.push({ method: req.method ?? "", url: req.url ?? "", contentType: req.headers["content-type"], authorization: req.headers.authorization, body });
            const send = (code: number, payload: unknown) => {
                res.writeHead(code, { "Content-Type": "application/json" });
                res.end(JSON.stringify(payload));
            };
            const m = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/?]+)(\?.*)?$/.exec(req.url ?? "");
            if (!m) return send(404, status(404, "NotFound", "the server could not find the requested resource", ""));
            const [, ns, name] = m.map((s) => (s === undefined ? s : decodeURIComponent(s)));
            try {
                if (req.method === "GET") return send(200, cluster.read(ns, name));
                if (req.method === "PATCH") {
                    if (req.headers["content-type"] !== "application/json-patch+json") {
                        return send(415, status(415, "UnsupportedMediaType", `the body of the request was in an unknown format`, name));
                    }
                    const manager = new URL(req.url!, "http://x").searchParams.get("fieldManager") ?? "unknown";
                    return send(200, cluster.jsonPatch(ns, name, body, manager));
                }
                send(405, status(405, "MethodNotAllowed", "the server does not allow this method", name));
            } catch (e) {
                if (e instanceof ApiStatusError) return send(e.code, e.body);
                throw e;
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        url,
        requests,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

const BEARER = "kube-BEARER-token-never-serialized-3141";

function kubeconfig(server: string): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: double",
        `  cluster: {server: "${server}", insecure-skip-tls-verify: true}`, // client-node refuses http:// otherwise
        "users:",
        "- name: tester",
        `  user: {token: ${BEARER}}`,
        "contexts:",
        "- name: double",
        "  context: {cluster: double, user: tester}",
        "current-context: double",
        "",
    ].join("\n");
}

function stackConfig(values: Record<string, string | undefined>): pulumi.dynamic.ConfigureRequest {
    return { config: { get: (k: string) => values[k], require: (k: string) => values[k]! } } as unknown as pulumi.dynamic.ConfigureRequest;
}

describe("the real client (@kubernetes/client-node) over HTTP", () => {
    let cluster: FakeCluster;
    let api: Awaited<ReturnType<typeof startApiServer>>;
    before(async () => {
        cluster = new FakeCluster();
        api = await startApiServer(cluster);
    });
    after(async () => {
        await api.close();
    });
    beforeEach(() => {
        api.requests.length = 0;
    });

    /** The provider as ServiceAccountPullSecret builds it, configured with `kubernetes:kubeconfig`. */
    async function realProvider(): Promise<Provider> {
        const p = makePullSecretProvider() as Provider;
        await p.configure(stackConfig({ "kubernetes:kubeconfig": kubeconfig(api.url) }));
        return p;
    }

    it("adds the entry with a JSON patch as field manager gitops-platform; a missing ServiceAccount reads as absent", async () => {
        cluster.create(NS, "wire", ["other-creds"]);
        const p = await realProvider();
        const { outs } = await createVia(p, inputs({ serviceAccount: "wire" }));
        assert.deepEqual(cluster.names(NS, "wire"), ["other-creds", "regsecret"]);
        assert.equal(outs.added, true);
        const patch = api.requests.find((r) => r.method === "PATCH")!;
        assert.equal(patch.contentType, "application/json-patch+json");
        assert.match(patch.url, /[?&]fieldManager=gitops-platform(&|$)/);
        assert.ok(api.requests.every((r) => r.authorization === `Bearer ${BEARER}`), "the kubeconfig from kubernetes:kubeconfig");
        const missing = await createVia(p, inputs({ serviceAccount: "nobody" }));
        assert.equal(missing.outs.exists, false);
    });

    it("a concurrent change between read and patch: an error naming the ServiceAccount, nothing lost", async () => {
        cluster.create(NS, "busy", ["other-creds"]);
        const p = await realProvider();
        cluster.beforeNextPatch = () => cluster.applyList(NS, "busy", "helm", ["other-creds", "new-creds"]);
        const e = await rejection(createVia(p, inputs({ serviceAccount: "busy" })));
        assert.ok(e instanceof Error);
        assert.match(e.message, /ServiceAccount poc-dev\/busy/);
        assert.match(e.message, /changed meanwhile/);
        assert.ok(!e.message.includes(BEARER));
        assert.deepEqual(cluster.names(NS, "busy"), ["other-creds", "new-creds"], "the other manager's change stays, regsecret was not added");
        // the next run reads the new version and succeeds
        await createVia(p, inputs({ serviceAccount: "busy" }));
        assert.deepEqual(cluster.names(NS, "busy"), ["other-creds", "new-creds", "regsecret"]);
    });
});

describe("the resourceVersion guard (fake client)", () => {
    it("a concurrent change between read and patch is rejected like the API server's 422: nothing is added or lost", async () => {
        const cluster = new FakeCluster();
        cluster.create(NS, "app", ["other-creds"]);
        cluster.beforeNextPatch = () => cluster.applyList(NS, "app", "helm", ["other-creds", "new-creds"]);
        const e = await rejection(createVia(provider(cluster), inputs()));
        assert.ok(e instanceof ApiStatusError && e.code === 422, String(e));
        assert.deepEqual(cluster.names(NS, "app"), ["other-creds", "new-creds"]);
    });
});

describe("closure serialization", () => {
    it("captures neither @kubernetes/client-node nor a secret: the client is required inside the function, at run time", async () => {
        const cluster = new FakeCluster();
        const api = await startApiServer(cluster);
        try {
            const saved = process.env.KUBECONFIG;
            process.env.KUBECONFIG = "/nonexistent/kubeconfig-with-" + BEARER;
            // As ServiceAccountPullSecret hands it to the engine: the provider object, serialized with what it closes over.
            const fresh = makePullSecretProvider();
            const sf = await pulumi.runtime.serializeFunction(() => fresh, { allowSecrets: false });
            if (saved === undefined) delete process.env.KUBECONFIG;
            else process.env.KUBECONFIG = saved;

            assert.ok(!sf.text.includes(BEARER), "no secret captured");
            const requires = sf.text.match(/require\("@kubernetes\/client-node"\)/g) ?? [];
            assert.equal(requires.length, 1, "required once");
            assert.match(
                sf.text,
                /function \/\*clientNode\*\/\(\)\s*\{[^]*?require\("@kubernetes\/client-node"\)/,
                "inside the client's function, so it runs in the provider host",
            );
            for (const moduleCode of ["class KubeConfig", "class CoreV1Api", "ObjectSerializer", "loadFromClusterAndUser"]) {
                assert.ok(!sf.text.includes(moduleCode), `the module's code was captured (${moduleCode})`);
            }
            assert.ok(sf.text.length < 50_000, `${sf.text.length} characters: more than the provider's own code`);

            cluster.create(NS, "app", ["other-creds"]);
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const requireFromString = require("require-from-string");
            const revived = requireFromString(sf.text).handler() as Provider;
            await revived.configure(stackConfig({ "kubernetes:kubeconfig": kubeconfig(api.url) }));
            const state = await createVia(revived, inputs());
            assert.deepEqual(cluster.names(NS, "app"), ["other-creds", "regsecret"]);
            assert.ok(api.requests.some((r) => r.method === "PATCH" && r.authorization === `Bearer ${BEARER}`));
            await revived.delete(state.id, state.outs);
            assert.deepEqual(cluster.names(NS, "app"), ["other-creds"]);
        } finally {
            await api.close();
        }
    });
    it("the revived provider carries the kubectl rule: a hand-removed entry is put back, a helm-removed one is not", async () => {
        const cluster = new FakeCluster();
        const api = await startApiServer(cluster);
        try {
            const fresh = makePullSecretProvider();
            const sf = await pulumi.runtime.serializeFunction(() => fresh, { allowSecrets: false });
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const revived = require("require-from-string")(sf.text).handler() as Provider;
            await revived.configure(stackConfig({ "kubernetes:kubeconfig": kubeconfig(api.url) }));
            cluster.create(NS, "hand", ["other-creds"]);
            cluster.create(NS, "chart", ["other-creds"]);
            const hand = await createVia(revived, inputs({ serviceAccount: "hand" }));
            const chart = await createVia(revived, inputs({ serviceAccount: "chart" }));
            cluster.patchAs(NS, "hand", "kubectl-patch", [{ op: "remove", path: "/imagePullSecrets" }]);
            cluster.applyList(NS, "chart", "helm", ["other-creds"]);
            assert.equal((await upVia(revived, await refresh(revived, hand), inputs({ serviceAccount: "hand" }))).diff.changes, true);
            assert.equal((await upVia(revived, await refresh(revived, chart), inputs({ serviceAccount: "chart" }))).diff.changes, false);
            assert.deepEqual(cluster.names(NS, "hand"), ["regsecret"]);
            assert.deepEqual(cluster.names(NS, "chart"), ["other-creds"]);
        } finally {
            await api.close();
        }
    });
});
