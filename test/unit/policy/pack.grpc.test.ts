/**
 * The pack as the engine runs it: policy/ started with @pulumi/pulumi's cmd/run-policy-pack (the
 * program the Node.js language host starts for `--policy-pack policy`, TypeScript through
 * ts-node with type checking), spoken to over the Analyzer gRPC protocol with requests in the
 * engine's wire format: secret markers, unknowns, policy config, URNs.
 */
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import * as grpc from "@grpc/grpc-js";
import { urnOf } from "./helpers";

/* eslint-disable @typescript-eslint/no-require-imports */
const pb = require("@pulumi/pulumi/proto/analyzer_pb");
const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = path.resolve(__dirname, "..", "..", "..");
const SIG = "4dabf18193072939515e22adb298388d";
const secret = (value: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", value });
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const TOKEN = "glpat-AbCdEfGhIjKlMnOpQrSt";

let pack: ChildProcess;
let client: any;
let stderr = "";

/** Calls one unary RPC of the analyzer. */
function call<T>(method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) => client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

/** A diagnostic as [policy name, enforcement level, message]. */
type Diag = { policy: string; level: number; message: string; urn: string };
const diags = (res: any): Diag[] =>
    res.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage(), urn: d.getUrn() }));

function options(protect: boolean) {
    const o = new pb.AnalyzerResourceOptions();
    o.setProtect(protect);
    return o;
}

/** Analyze (one resource's inputs, at registration). */
async function analyze(type: string, urn: string, properties: object, protect = false): Promise<Diag[]> {
    const req = new pb.AnalyzeRequest();
    req.setType(type);
    req.setUrn(urn);
    req.setName(urn.split("::").slice(3).join("::"));
    req.setProperties(Struct.fromJavaScript(properties));
    req.setOptions(options(protect));
    return diags(await call("analyze", req));
}

before(async () => {
    pack = spawn(process.execPath, [require.resolve("@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:1", "."], {
        cwd: path.join(ROOT, "policy"),
        stdio: ["ignore", "pipe", "pipe"],
    });
    pack.stderr!.on("data", (d) => (stderr += d));
    const port = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the pack did not start in 180 s:\n${stderr}`)), 180_000);
        readline.createInterface({ input: pack.stdout! }).once("line", (l) => {
            clearTimeout(timer);
            resolve(l.trim());
        });
        pack.once("exit", (code) => reject(new Error(`the pack exited with ${code}:\n${stderr}`)));
    });
    assert.match(port, /^[0-9]+$/, "the first stdout line is the port, as the engine expects");
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

after(() => {
    client?.close();
    pack?.kill("SIGTERM");
});

test("the pack serves its four mandatory policies, prod-protect with its config schema", async () => {
    const info = await call<any>("getAnalyzerInfo", new Empty());
    assert.equal(info.getName(), "gitops-platform");
    assert.equal(info.getVersion(), "1.0.0");
    const policies = info.getPoliciesList();
    assert.deepEqual(
        policies.map((p: any) => p.getName()),
        ["vault-policy-least-privilege", "prod-protect", "no-secret-in-configmap", "no-secret-in-stack-outputs"],
    );
    assert.ok(policies.every((p: any) => p.getEnforcementlevel() === pb.EnforcementLevel.MANDATORY));
    const schema = policies[1].getConfigschema().getProperties().toJavaScript();
    assert.deepEqual(schema.prodStacks.default, ["prod", "production", "*-prod"]);
    assert.equal(stderr.trim(), "", "ts-node compiled the pack without a diagnostic");
});

test("Analyze: a Vault policy granting secret/data/* is a mandatory violation of vault-policy-least-privilege", async () => {
    const urn = urnOf("dev", ["vault:index/policy:Policy"], "wide");
    const ds = await analyze("vault:index/policy:Policy", urn, { name: "wide", policy: 'path "secret/data/*" { capabilities = ["read"] }' });
    assert.equal(ds.length, 1);
    assert.equal(ds[0].policy, "vault-policy-least-privilege");
    assert.equal(ds[0].level, pb.EnforcementLevel.MANDATORY);
    assert.match(ds[0].message, /Vault policy "wide": path "secret\/data\/\*" uses '\*'/);
});

test("Analyze: secret markers reach the policies (a secret in a ConfigMap is named as one), unknowns are skipped", async () => {
    const urn = urnOf("dev", ["kubernetes:core/v1:ConfigMap"], "cm");
    const [d, ...rest] = await analyze("kubernetes:core/v1:ConfigMap", urn, { metadata: { name: "cm" }, data: { login: secret(TOKEN), plain: TOKEN } });
    assert.equal(rest.length, 1);
    assert.equal(d.policy, "no-secret-in-configmap");
    assert.match(d.message, /data\."login" holds a GitLab token .*\(a Pulumi secret, but a ConfigMap keeps it in clear in the cluster\)/);
    assert.ok(!rest[0].message.includes("a Pulumi secret"), "the value in clear is not called a secret");
    assert.ok(!d.message.includes(TOKEN) && !rest[0].message.includes(TOKEN), "the token is never echoed");
    assert.deepEqual(await analyze("kubernetes:core/v1:ConfigMap", urn, { data: UNKNOWN }), [], "data not known yet");
    assert.deepEqual(await analyze("kubernetes:core/v1:ConfigMap", urn, { data: { a: UNKNOWN, b: "fine" } }), []);
});

test("Configure: prodStacks from --policy-pack-config decides which stacks must protect their namespaces", async () => {
    const ns = (stack: string) => urnOf(stack, ["kubernetes:core/v1:Namespace"], "ns");
    assert.equal((await analyze("kubernetes:core/v1:Namespace", ns("prod"), {}, false))[0]?.policy, "prod-protect", "default prod stacks");
    assert.equal((await analyze("kubernetes:core/v1:Namespace", ns("eu-prod"), {}, false))[0]?.policy, "prod-protect", "default *-prod");
    assert.deepEqual(await analyze("kubernetes:core/v1:Namespace", ns("eu-live"), {}, false), []);

    const cfg = new pb.PolicyConfig();
    cfg.setEnforcementlevel(pb.EnforcementLevel.MANDATORY);
    cfg.setProperties(Struct.fromJavaScript({ prodStacks: ["*-live"] }));
    const req = new pb.ConfigureAnalyzerRequest();
    req.getPolicyconfigMap().set("prod-protect", cfg);
    await call("configure", req);

    const [d] = await analyze("kubernetes:core/v1:Namespace", ns("eu-live"), {}, false);
    assert.equal(d.policy, "prod-protect");
    assert.match(d.message, /Namespace "ns" is not protected in production stack "eu-live"/);
    assert.deepEqual(await analyze("kubernetes:core/v1:Namespace", ns("eu-live"), {}, true), [], "protected");
    assert.deepEqual(await analyze("kubernetes:core/v1:Namespace", ns("prod"), {}, false), [], "prod is no longer listed");
});

test("AnalyzeStack: the stack outputs arrive as the pulumi:pulumi:Stack resource; a clear token is refused, a secret one is not", async () => {
    const stackUrn = urnOf("dev", ["pulumi:pulumi:Stack"], "gitops-platform-dev");
    const res = (type: string, urn: string, props: object) => {
        const r = new pb.AnalyzerResource();
        r.setType(type);
        r.setUrn(urn);
        r.setName(urn.split("::").slice(3).join("::"));
        r.setProperties(Struct.fromJavaScript(props));
        r.setOptions(options(false));
        return r;
    };
    const req = new pb.AnalyzeStackRequest();
    req.setResourcesList([
        res("pulumi:pulumi:Stack", stackUrn, { clear: TOKEN, hidden: secret(TOKEN), nested: secret({ login: TOKEN }), later: UNKNOWN, namespaces: { dev: "poc-dev" } }),
        res("kubernetes:core/v1:Secret", urnOf("dev", ["kubernetes:core/v1:Secret"], "s"), { data: { token: TOKEN } }),
    ]);
    const ds = diags(await call("analyzeStack", req));
    assert.deepEqual(
        ds.map((d) => [d.policy, d.urn, d.level]),
        [["no-secret-in-stack-outputs", stackUrn, pb.EnforcementLevel.MANDATORY]],
    );
    assert.match(ds[0].message, /stack output "clear" holds a GitLab token/);
});
