/** GroupDeployToken as the stack uses it for Argo CD (read_repository), under mocks. */
import { before, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, isSecretAt, one, settle } from "../../support/mocks";
import { GroupDeployToken } from "../../../components/gitlab/GroupDeployToken";

const API_TOKEN = "glpat-argocd-mock-api-token-7777";
let repoToken: GroupDeployToken;

function value<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

before(async () => {
    await installMocks("dev");
    repoToken = new GroupDeployToken(
        "argocd-repo-token",
        {
            host: "gitlab.com",
            group: "gitops-poc-dzha",
            name: "gitops-platform-registry-argocd",
            scopes: ["read_repository"],
            expiresInDays: 90,
            rotateBeforeDays: 14,
            apiToken: API_TOKEN, // a plain string is made secret by the resource
        },
        { additionalSecretOutputs: ["expiresAt"] },
    );
    await settle();
});

it("registers pulumi-nodejs:dynamic/gitlab:GroupDeployToken with the given scopes", () => {
    const r = one("pulumi-nodejs:dynamic/gitlab:GroupDeployToken", "argocd-repo-token");
    assert.deepEqual(r.inputs.scopes, ["read_repository"]);
    assert.equal(r.inputs.name, "gitops-platform-registry-argocd");
    assert.equal(r.inputs.username, undefined, "GitLab picks the username unless one is requested");
});

it("token and apiToken are secret outputs (merged with the caller's options); apiToken input is secret", () => {
    const r = one("pulumi-nodejs:dynamic/gitlab:GroupDeployToken", "argocd-repo-token");
    assert.deepEqual([...r.additionalSecretOutputs].sort(), ["apiToken", "expiresAt", "token"]);
    assert.equal(isSecretAt(r.wire, "apiToken"), true);
    assert.ok(!String(r.inputs.__provider).includes(API_TOKEN));
});

it("exposes username and token outputs (declare fields are not wiped by class-field semantics)", async () => {
    assert.ok(pulumi.Output.isInstance(repoToken.token));
    assert.ok(pulumi.Output.isInstance(repoToken.username));
    assert.equal(await value(repoToken.username), "gitlab+deploy-token-argocd-repo-token");
    assert.equal(await value(repoToken.token), "mock-deploy-token-argocd-repo-token");
    assert.equal(await value(repoToken.tokenId), 42);
});
