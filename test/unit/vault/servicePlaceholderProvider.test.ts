// Drives the ServiceSecretPlaceholder dynamic provider the way the engine does (configure, check,
// create; read on refresh; update; delete on destroy) against the local KV v2 double.
import { after, before, beforeEach, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    PLACEHOLDER_DATA,
    isCasMismatch,
    makeServicePlaceholderProvider,
    type ServicePlaceholderInputs,
    type ServicePlaceholderOutputs,
} from "../../../components/vault/servicePlaceholderProvider";
import { servicePlaceholderPath } from "../../../components/vault/ServiceSecretPlaceholder";
import { startVaultKvDouble, type VaultKvDouble } from "../../support/vault-kv-double";

type Provider = Required<pulumi.dynamic.ResourceProvider>;
const TEAM_VALUES = { API_KEY: "team-api-key-do-not-store-3141", DB_PASSWORD: "team-db-password-2718" };

let double: VaultKvDouble;
const saved: Record<string, string | undefined> = {};
before(async () => {
    double = await startVaultKvDouble();
    for (const k of ["VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE"]) {
        saved[k] = process.env[k];
        delete process.env[k];
    }
});
after(async () => {
    await double.close();
    for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
});
beforeEach(() => {
    double.reset();
});

async function provider(): Promise<Provider> {
    const p = makeServicePlaceholderProvider({ timeoutMs: 2000 }) as Provider;
    const values: Record<string, string> = { "vault:address": double.url, "vault:token": double.token };
    await p.configure({ config: { get: (k: string) => values[k], require: (k: string) => values[k] } } as unknown as pulumi.dynamic.ConfigureRequest);
    return p;
}

function inputs(path = servicePlaceholderPath("e2e", "api-gateway", "dev")): ServicePlaceholderInputs {
    return { address: "", namespace: "", mount: "secret", path };
}

/** Every string anywhere in `v`. */
function strings(v: unknown): string[] {
    if (typeof v === "string") return [v];
    if (v && typeof v === "object") return Object.values(v).flatMap(strings);
    return [];
}

describe("ServiceSecretPlaceholder provider", () => {
    it("path is <prefix>/<service>/<env>/config", () => {
        assert.equal(servicePlaceholderPath("gitops-poc-dzha", "api-gateway", "dev"), "gitops-poc-dzha/api-gateway/dev/config");
    });

    it("creates a missing path with cas=0 and the placeholder data; the state holds no data", async () => {
        const p = await provider();
        const news = (await p.check({}, inputs())).inputs as ServicePlaceholderInputs;
        const { id, outs } = await p.create(news);
        assert.equal(id, "secret/e2e/api-gateway/dev/config");
        assert.deepEqual(double.latest("secret", "e2e/api-gateway/dev/config"), { ...PLACEHOLDER_DATA });
        const writes = double.requests.filter((r) => r.method === "POST" || r.method === "PUT");
        assert.equal(writes.length, 1);
        assert.equal(writes[0].path, "/v1/secret/data/e2e/api-gateway/dev/config");
        assert.equal(writes[0].body.options.cas, 0);
        assert.equal(outs.created, true);
        assert.deepEqual(Object.keys(outs).sort(), ["address", "created", "mount", "namespace", "path"]);
        assert.ok(!strings(outs).includes(double.token));
    });

    it("leaves an existing path untouched and reads none of its data", async () => {
        const p = await provider();
        const path = "e2e/api-gateway/staging/config";
        const version = double.put("secret", path, TEAM_VALUES);
        double.requests.length = 0;
        const { outs } = await p.create(inputs(path));
        assert.equal(outs.created, false);
        assert.deepEqual(double.latest("secret", path), TEAM_VALUES);
        assert.equal(double.secret("secret", path)!.currentVersion, version);
        assert.ok(double.requests.every((r) => !(r.method === "GET" && r.path.startsWith("/v1/secret/data/"))), "no data read");
        assert.ok(!strings(outs).some((s) => Object.values(TEAM_VALUES).includes(s)));
    });

    it("errors other than a check-and-set mismatch still fail the create", async () => {
        const p = await provider();
        double.inject({ method: "POST", path: /\/data\//, status: 500, body: { errors: ["internal error"] } });
        await assert.rejects(p.create(inputs()), /HTTP 500/);
        assert.equal(isCasMismatch(new Error("Vault POST x at y: HTTP 400 (check-and-set parameter did not match the current version)")), true);
        assert.equal(isCasMismatch(new Error("Vault POST x at y: HTTP 400 (no data provided)")), false);
    });

    it("delete never calls Vault", async () => {
        const p = await provider();
        const { id, outs } = await p.create(inputs());
        double.requests.length = 0;
        await p.delete(id, outs as ServicePlaceholderOutputs);
        assert.equal(double.requests.length, 0);
        assert.deepEqual(double.latest("secret", "e2e/api-gateway/dev/config"), { ...PLACEHOLDER_DATA });
    });

    it("refresh reports no change when the team writes its values, and reads no data", async () => {
        const p = await provider();
        const { id, outs } = await p.create(inputs());
        double.put("secret", "e2e/api-gateway/dev/config", TEAM_VALUES);
        double.requests.length = 0;
        const r = await p.read(id, outs as ServicePlaceholderOutputs);
        assert.equal(r.id, id);
        assert.deepEqual(r.props, outs);
        assert.ok(double.requests.every((q) => !q.path.startsWith("/v1/secret/data/")), "refresh reads metadata only");
        const d = await p.diff(id, r.props as ServicePlaceholderOutputs, inputs());
        assert.equal(d.changes, false);
    });

    it("refresh drops a path deleted entirely, so the next up creates it again", async () => {
        const p = await provider();
        const { id, outs } = await p.create(inputs());
        double.reset();
        const r = await p.read(id, outs as ServicePlaceholderOutputs);
        assert.equal(r.id, "");
    });

    it("update never writes; a new path is a replacement", async () => {
        const p = await provider();
        const { id, outs } = await p.create(inputs());
        double.put("secret", "e2e/api-gateway/dev/config", TEAM_VALUES);
        double.requests.length = 0;
        const u = await p.update(id, outs as ServicePlaceholderOutputs, { ...inputs(), namespace: "team" });
        assert.equal(double.requests.length, 0);
        assert.equal((u.outs as ServicePlaceholderOutputs).created, true);
        const d = await p.diff(id, outs as ServicePlaceholderOutputs, inputs("e2e/api-gateway/prod/config"));
        assert.deepEqual(d.replaces, ["path"]);
        assert.deepEqual(double.latest("secret", "e2e/api-gateway/dev/config"), TEAM_VALUES);
    });
});
