// .dockerconfigjson building and the GitLab registry host.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { DOCKER_HUB_KEYS, buildDockerConfigJson, isDockerHub } from "../../../components/registry/dockerConfig";
import { gitlabRegistryHost } from "../../../components/registry/gitlabRegistryHost";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

describe("buildDockerConfigJson", () => {
    it("writes username, password and auth = base64(user:pass) per registry", () => {
        const json = JSON.parse(
            buildDockerConfigJson([
                { server: "registry.gitlab.com", username: "gitlab+deploy-token-7", password: "gldt-abc" },
                { server: "registry.example.com", username: "puller", password: "p:ss" },
            ]),
        );
        assert.deepEqual(json, {
            auths: {
                "registry.gitlab.com": { username: "gitlab+deploy-token-7", password: "gldt-abc", auth: b64("gitlab+deploy-token-7:gldt-abc") },
                "registry.example.com": { username: "puller", password: "p:ss", auth: b64("puller:p:ss") },
            },
        });
    });

    for (const server of ["docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/", "https://registry-1.docker.io/"]) {
        it(`Docker Hub as "${server}" gets both the kubelet and the registry API keys`, () => {
            const json = JSON.parse(buildDockerConfigJson([{ server, username: "hubuser", password: "hubpass" }]));
            assert.deepEqual(Object.keys(json.auths).sort(), ["https://index.docker.io/v1/", "https://registry-1.docker.io"]);
            for (const key of DOCKER_HUB_KEYS) assert.equal(json.auths[key].auth, b64("hubuser:hubpass"));
        });
    }

    it("rejects the same registry twice and an empty list", () => {
        assert.throws(
            () =>
                buildDockerConfigJson([
                    { server: "docker.io", username: "a", password: "b" },
                    { server: "https://index.docker.io/v1/", username: "c", password: "d" },
                ]),
            /twice/,
        );
        assert.throws(() => buildDockerConfigJson([]), /no registry credentials/);
    });

    it("recognises Docker Hub spellings only", () => {
        assert.equal(isDockerHub("docker.io"), true);
        assert.equal(isDockerHub("registry.gitlab.com"), false);
        assert.equal(isDockerHub("mirror.docker.io.example.com"), false);
    });
});

describe("gitlabRegistryHost", () => {
    it("derives registry.<host> and honours an override", () => {
        assert.equal(gitlabRegistryHost("gitlab.com"), "registry.gitlab.com");
        assert.equal(gitlabRegistryHost("https://gitlab.example.com/"), "registry.gitlab.example.com");
        assert.equal(gitlabRegistryHost("gitlab.example.com:8443"), "registry.gitlab.example.com");
        assert.equal(gitlabRegistryHost("gitlab.example.com", "gitlab.example.com:5050"), "gitlab.example.com:5050");
        assert.equal(gitlabRegistryHost("gitlab.example.com", "https://cr.example.com/"), "cr.example.com");
        assert.throws(() => gitlabRegistryHost(""), /gitops-platform:gitlab\.host/);
    });
});
