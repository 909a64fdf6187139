/** ArgoCd's Helm values for the CI account and the webhook secret (component level, under mocks). */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { installMocks, isSecretAt, recorded, settle } from "../../support/mocks";
import { ArgoCd } from "../../../components/argocd/ArgoCd";
import { argocdCliOptions, argocdGrpcWebRootPath, argocdServerAddress, argocdWebhookUrl } from "../../../components/argocd/ArgoCdCi";
import { manualTokenCommand } from "../../../components/argocd/ciAccount";

before(async () => {
    await installMocks("dev");
    const provider = new k8s.Provider("k", {});
    const common = {
        chartVersion: "10.1.1",
        chartRepo: "https://argoproj.github.io/argo-helm",
        repoPrefix: "https://gitlab.com/g",
        repoUsername: "u",
        repoPassword: pulumi.secret("p-secret"),
        environments: [{ name: "dev", namespace: "poc-dev" }],
        services: [],
        appChart: { repoURL: "https://d7561985.github.io/k8app", chart: "app", version: "3.4.0" },
        targetRevision: "HEAD",
    };
    new ArgoCd("a", { ...common, enabled: true, namespace: "argocd", project: "team", ciAccount: { name: "ci-bot" }, gitlabWebhookSecret: pulumi.secret("hook-secret-value") }, { providers: { kubernetes: provider } });
    new ArgoCd("b", { ...common, enabled: true, namespace: "argocd-b", project: "other" }, { providers: { kubernetes: provider } });
    await settle();
});

function values(name: string) {
    const r = recorded.find((x) => x.type === "kubernetes:helm.sh/v3:Release" && x.name === `${name}-release`);
    assert.ok(r, name);
    return r!;
}

test("ciAccount: accounts.<name>: apiKey and the role limited to the project, nothing more", () => {
    const v = values("a").inputs.values;
    assert.deepEqual(v.configs.cm, { "accounts.ci-bot": "apiKey" });
    assert.deepEqual(v.configs.rbac, {
        "policy.csv": "p, role:ci-bot, applications, get, team/*, allow\np, role:ci-bot, projects, get, team, allow\ng, ci-bot, role:ci-bot\n",
    });
});

test("gitlabWebhookSecret: configs.secret.gitlabSecret, secret on the wire", () => {
    const r = values("a");
    assert.equal(r.inputs.values.configs.secret.gitlabSecret, "hook-secret-value");
    assert.ok(isSecretAt(r.wire, "values.configs.secret.gitlabSecret"));
});

test("without ciAccount and webhook secret the values are as before (no configs)", () => {
    assert.equal(values("b").inputs.values.configs, undefined);
});

test("ARGOCD_SERVER is the CLI's host[:port]; the hook URL is <url>/api/webhook; the manual command", () => {
    assert.equal(argocdServerAddress("https://argocd.example.com/"), "argocd.example.com");
    assert.equal(argocdServerAddress("http://127.0.0.1:8080"), "127.0.0.1:8080");
    assert.equal(argocdWebhookUrl("https://argocd.example.com/"), "https://argocd.example.com/api/webhook");
    assert.equal(
        manualTokenCommand("ci-readonly", 90, "secret", "g/platform/stacks/dev/argocd-ci"),
        `argocd account generate-token --account ci-readonly --expires-in 2160h --id gitops-platform-manual | vault kv put -mount=secret g/platform/stacks/dev/argocd-ci token=- server="$ARGOCD_SERVER"`,
    );
});

test("Argo CD under a path: ARGOCD_SERVER keeps host[:port], the path goes to --grpc-web-root-path (ARGOCD_OPTS); the hook URL keeps it", () => {
    assert.equal(argocdServerAddress("https://tools.example.com:8443/argocd"), "tools.example.com:8443");
    assert.equal(argocdGrpcWebRootPath("https://tools.example.com:8443/argocd"), "/argocd");
    assert.equal(argocdGrpcWebRootPath("https://tools.example.com/ci/argo-cd/"), "/ci/argo-cd");
    assert.equal(argocdCliOptions("https://tools.example.com/argocd/"), "--grpc-web-root-path /argocd");
    for (const u of ["https://argocd.example.com", "https://argocd.example.com/", "http://127.0.0.1:8080"]) {
        assert.equal(argocdGrpcWebRootPath(u), undefined, u);
        assert.equal(argocdCliOptions(u), undefined, u);
    }
    assert.equal(argocdWebhookUrl("https://tools.example.com/argocd/"), "https://tools.example.com/argocd/api/webhook");
});
