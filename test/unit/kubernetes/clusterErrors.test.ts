/**
 * Errors of the dynamic providers' own Kubernetes calls (ServiceAccount pull-secret entries, the
 * regsecret sync wait) name the cluster and what to check, not undici's bare "fetch failed": an
 * unreachable API server, a refused token (401), an RBAC denial (403). The kubeconfig's token never
 * appears.
 */
import * as http from "node:http";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { kubernetesServiceAccountClient } from "../../../components/kubernetes/pullSecretProvider";
import { kubernetesSecretMetaClient } from "../../../components/kubernetes/secretSyncProvider";
import { kubernetesCallError, networkReason } from "../../../components/kubernetes/clusterErrors";

const TOKEN = "kube-TOKEN-never-in-an-error-2718";

function kubeconfig(server: string, context = "e2e-ctx"): string {
    // client-node refuses plain http unless TLS verification is off (the 401/403 server below is http).
    const insecure = server.startsWith("http:") ? ", insecure-skip-tls-verify: true" : "";
    return [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{name: c1, cluster: {server: "${server}"${insecure}}}]`,
        `contexts: [{name: ${context}, context: {cluster: c1, user: u1}}]`,
        `current-context: ${context}`,
        `users: [{name: u1, user: {token: ${TOKEN}}}]`,
        "",
    ].join("\n");
}

/** A port on 127.0.0.1 nothing listens on. */
async function closedPort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
}

/** undici's error for a request that got no answer: TypeError "fetch failed" with the reason in `cause`. */
function fetchFailed(cause: Error): Error {
    return Object.assign(new TypeError("fetch failed"), { cause });
}

async function rejection(p: Promise<unknown>): Promise<Error> {
    return p.then(
        () => assert.fail("expected an error"),
        (e: unknown) => e as Error,
    );
}

describe("an unreachable API server", () => {
    let server: string;
    before(async () => {
        server = `https://127.0.0.1:${await closedPort()}`;
    });

    it("reading a ServiceAccount: names the server, the context, the reason and the command to check", async () => {
        const c = kubernetesServiceAccountClient({ kubeconfig: kubeconfig(server) });
        const e = await rejection(c.read("poc-dev", "default"));
        assert.match(e.message, /^reading ServiceAccount poc-dev\/default: cannot reach the Kubernetes API server /);
        assert.ok(e.message.includes(server), e.message);
        assert.ok(e.message.includes("kubeconfig context e2e-ctx, from kubernetes:kubeconfig"), e.message);
        assert.match(e.message, /ECONNREFUSED/);
        assert.ok(e.message.includes("kubernetes:kubeconfig / kubernetes:context (or KUBECONFIG)"), e.message);
        assert.ok(e.message.includes("kubectl --context e2e-ctx get --raw /readyz"), e.message);
        assert.ok(!e.message.includes(TOKEN));
    });

    it("patching one: the same", async () => {
        const c = kubernetesServiceAccountClient({ kubeconfig: kubeconfig(server) });
        const e = await rejection(c.jsonPatch("poc-dev", "default", [{ op: "test", path: "/metadata/resourceVersion", value: "1" }]));
        assert.match(e.message, /^patching imagePullSecrets of ServiceAccount poc-dev\/default: cannot reach the Kubernetes API server /);
        assert.ok(e.message.includes(server) && e.message.includes("e2e-ctx"), e.message);
    });

    it("the regsecret sync wait reading the Secret: the same", async () => {
        const c = kubernetesSecretMetaClient({ kubeconfig: kubeconfig(server, "prod") });
        const e = await rejection(c.read("poc-prod", "regsecret", "gitops-platform/version"));
        assert.match(e.message, /^reading Secret poc-prod\/regsecret: cannot reach the Kubernetes API server /);
        assert.ok(e.message.includes(server) && e.message.includes("kubeconfig context prod") && e.message.includes("kubectl --context prod get --raw /readyz"), e.message);
        assert.ok(!e.message.includes(TOKEN));
    });

    it("a kubeconfig from the environment is named as such", () => {
        const e = kubernetesCallError("reading Secret a/b", fetchFailed(Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:6443"), { code: "ECONNREFUSED" })), {
            server: "https://10.0.0.1:6443",
            context: "minikube",
            source: "KUBECONFIG or ~/.kube/config",
        });
        assert.ok(e.message.includes("https://10.0.0.1:6443 (kubeconfig context minikube, from KUBECONFIG or ~/.kube/config): connect ECONNREFUSED 10.0.0.1:6443"), e.message);
        assert.equal(networkReason(fetchFailed(Object.assign(new Error("getaddrinfo ENOTFOUND x"), { code: "ENOTFOUND" }))), "getaddrinfo ENOTFOUND x");
        assert.equal(networkReason(fetchFailed(Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }))), "DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate");
    });
});

describe("an API server that answers 401 / 403", () => {
    let srv: http.Server;
    let url: string;
    let status = 401;
    before(async () => {
        srv = http.createServer((_req, res) => {
            res.writeHead(status, { "Content-Type": "application/json" });
            res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message: status === 401 ? "Unauthorized" : "forbidden", reason: status === 401 ? "Unauthorized" : "Forbidden", code: status }));
        });
        await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
        url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => srv.close(() => r())));

    it("401: the credentials are not accepted, naming the server and context", async () => {
        status = 401;
        const e = await rejection(kubernetesServiceAccountClient({ kubeconfig: kubeconfig(url) }).read("poc-dev", "default"));
        assert.ok(e.message.includes(`${url} (kubeconfig context e2e-ctx) answered 401`), e.message);
        assert.match(e.message, /credentials are not accepted/);
        assert.ok(!e.message.includes(TOKEN));
    });

    it("403: RBAC", async () => {
        status = 403;
        const e = await rejection(kubernetesSecretMetaClient({ kubeconfig: kubeconfig(url) }).read("poc-dev", "regsecret", "a"));
        assert.ok(e.message.includes(`${url} (kubeconfig context e2e-ctx) answered 403`), e.message);
        assert.match(e.message, /RBAC/);
    });
});
