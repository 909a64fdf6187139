/** Image Updater installed outside the stack (`imageUpdater.install: false`): no release, the rest still managed. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { kubernetesKind, ofType, one } from "../support/mocks";
import { runProgram } from "../support/program";
import { stackConfig } from "../support/stackConfig";

const P = "gitops-platform:";
before(async () => {
    await runProgram(
        "dev",
        stackConfig("dev", {
            [`${P}gitlabToken`]: "glpat-external-updater",
            [`${P}argocd`]: { enabled: false },
            [`${P}services`]: [{ name: "api-gateway" }],
            [`${P}imageUpdater`]: { enabled: true, install: false, images: [{ service: "api-gateway", image: "registry.gitlab.com/gitops-poc-dzha/api-gateway" }] },
        }),
        [`${P}gitlabToken`],
    );
});

test("no Helm release at all (Argo CD and the updater exist), but the ImageUpdater, the Argo CD regsecret and its role are managed", () => {
    assert.deepEqual(
        ofType("kubernetes:helm.sh/v3:Release").map((r) => r.inputs.name),
        ["vault-secrets-operator"],
    );
    assert.deepEqual(kubernetesKind("ImageUpdater").map((c) => `${c.inputs.metadata.namespace}/${c.inputs.metadata.name}`), ["argocd/poc-api-gateway"]);
    assert.equal(kubernetesKind("VaultStaticSecret").filter((s) => s.inputs.metadata.namespace === "argocd").length, 1);
    assert.equal(one("vault:kubernetes/authBackendRole:AuthBackendRole", "image-updater-regsecret-role").inputs.roleName, "argocd-regsecret");
});
