/** The RegistrySecretSync provider with a fake Secret reader: when the wait ends, and its error. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { isSynced, makeSecretSyncProvider, notSyncedMessage, SecretSeen, SecretSyncInputs } from "../../../components/kubernetes/secretSyncProvider";
import { REGISTRY_SOURCE_ANNOTATION } from "../../../components/kubernetes/registrySecretSpec";

const inputs: SecretSyncInputs = {
    namespace: "poc-dev",
    secretName: "regsecret",
    annotation: "gitops-platform/registry-kv-version",
    version: "4",
    type: "kubernetes.io/dockerconfigjson",
    timeoutSeconds: 1,
};

/** A provider whose reads return `seen` in turn (the last one repeats), counting the reads. */
function providerSeeing(...seen: SecretSeen[]) {
    let reads = 0;
    const provider = makeSecretSyncProvider({
        pollMs: 10,
        clientFor: () => ({
            async read(ns, name, annotation) {
                assert.deepEqual([ns, name, annotation], ["poc-dev", "regsecret", "gitops-platform/registry-kv-version"]);
                return seen[Math.min(reads++, seen.length - 1)];
            },
        }),
    });
    return { provider, reads: () => reads };
}

test("synced only when the Secret exists with the type and the version annotation", () => {
    const t = "kubernetes.io/dockerconfigjson";
    assert.equal(isSynced({ exists: true, type: t, version: "4" }, inputs), true);
    assert.equal(isSynced({ exists: true, type: t, version: "3" }, inputs), false);
    assert.equal(isSynced({ exists: true, type: "Opaque", version: "4" }, inputs), false);
    assert.equal(isSynced({ exists: false }, inputs), false);
    assert.equal(isSynced({ exists: true, type: t }, { ...inputs, version: "" }), true, "no version asked: existence and type");
});

test("create waits through a missing Secret and an old version until the new version is there", async () => {
    const { provider, reads } = providerSeeing(
        { exists: false },
        { exists: true, type: inputs.type, version: "3" },
        { exists: true, type: inputs.type, version: "4" },
    );
    const r = await provider.create!(inputs);
    assert.equal(r.id, "poc-dev/regsecret");
    assert.deepEqual(r.outs, inputs);
    assert.equal(reads(), 3);
});

test("after the timeout the error says what was found, what to check and how to skip the wait", async () => {
    const { provider } = providerSeeing({ exists: true, type: inputs.type, version: "3" });
    await assert.rejects(provider.create!(inputs), (e: Error) => {
        assert.match(e.message, /has not synced version 4 of the registry credentials into poc-dev\/regsecret within 1s \(the Secret carries version 3\)/);
        assert.match(e.message, /kubectl -n poc-dev describe vaultstaticsecret regsecret/);
        assert.match(e.message, /old registry token is not revoked until this succeeds/);
        assert.match(e.message, /gitops-platform:vso.waitForSync false/);
        return true;
    });
    assert.match(notSyncedMessage(inputs, { exists: false }), /the Secret does not exist/);
});

test("regsecret rendered from a Vault secret: the wait compares the source fingerprint and the error names the fields to check", async () => {
    assert.equal(REGISTRY_SOURCE_ANNOTATION, "gitops-platform/registry-source");
    const fromVault = { ...inputs, annotation: REGISTRY_SOURCE_ANNOTATION, version: "0123456789abcdef" };
    const seeing = (version: string) =>
        makeSecretSyncProvider({
            pollMs: 10,
            clientFor: () => ({
                async read(ns, name, annotation) {
                    assert.deepEqual([ns, name, annotation], ["poc-dev", "regsecret", "gitops-platform/registry-source"]);
                    return { exists: true, type: inputs.type, version };
                },
            }),
        });
    await assert.rejects(seeing("fedcba9876543210").create!(fromVault), (e: Error) => {
        assert.match(e.message, /has not synced the registry credentials from Vault \(source fingerprint 0123456789abcdef\) into poc-dev\/regsecret/);
        assert.match(e.message, /the Secret carries fingerprint fedcba9876543210/);
        assert.match(e.message, /REGISTRY_URL, REGISTRY_USERNAME and REGISTRY_PASSWORD/);
        assert.doesNotMatch(e.message, /token is not revoked/);
        return true;
    });
    assert.deepEqual((await seeing("0123456789abcdef").create!(fromVault)).outs, fromVault);
});

test("a new version is an update that waits; a new timeout alone is recorded without waiting", async () => {
    const { provider, reads } = providerSeeing({ exists: true, type: inputs.type, version: "5" });
    const diff = await provider.diff!("poc-dev/regsecret", inputs, { ...inputs, version: "5" });
    assert.equal(diff.changes, true);
    assert.deepEqual((await provider.update!("poc-dev/regsecret", inputs, { ...inputs, version: "5" })).outs, { ...inputs, version: "5" });
    assert.equal(reads(), 1);
    assert.equal((await provider.diff!("poc-dev/regsecret", inputs, { ...inputs })).changes, false);
    const longer = { ...inputs, timeoutSeconds: 600 };
    assert.equal((await provider.diff!("poc-dev/regsecret", inputs, longer)).changes, true);
    await provider.update!("poc-dev/regsecret", inputs, longer);
    assert.equal(reads(), 1, "no read for a timeout change");
});

test("refresh reports the recorded wait, delete touches nothing", async () => {
    const { provider, reads } = providerSeeing({ exists: false });
    assert.deepEqual(await provider.read!("poc-dev/regsecret", inputs), { id: "poc-dev/regsecret", props: inputs });
    await provider.delete!("poc-dev/regsecret", inputs);
    assert.equal(reads(), 0);
});
