/** Image Updater specs: registry hosts of image references and the registries.conf entries. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { imageRegistryHost, imageUpdaterName, registriesConf, regsecretRoleName } from "../../../components/image-updater/specs";

test("the registry host of an image repository: its first component when it is a host, else Docker Hub", () => {
    assert.equal(imageRegistryHost("registry.gitlab.com/group/api"), "registry.gitlab.com");
    assert.equal(imageRegistryHost("registry.local:5000/api"), "registry.local:5000");
    assert.equal(imageRegistryHost("localhost/api"), "localhost");
    assert.equal(imageRegistryHost("acme/api"), "docker.io");
    assert.equal(imageRegistryHost("nginx"), "docker.io");
});

test("names: ImageUpdater <project>-<service>, role <argocd namespace>-regsecret", () => {
    assert.equal(imageUpdaterName("poc", "api-gateway"), "poc-api-gateway");
    assert.equal(regsecretRoleName("argocd"), "argocd-regsecret");
});

test("Docker Hub credentials in regsecret (any spelling): the Docker Hub entry reads them; no duplicate entries", () => {
    const conf = registriesConf({ namespace: "argo", gitlabRegistry: "registry.example.com", authenticated: ["index.docker.io", "registry.example.com", "registry.example.com"] });
    const creds = { credentials: "pullsecret:argo/regsecret", credsexpire: "5m" };
    assert.deepEqual(conf, [
        { name: "Docker Hub", api_url: "https://registry-1.docker.io", prefix: "docker.io", ping: true, defaultns: "library", default: true, ...creds },
        { name: "GitLab", api_url: "https://registry.example.com", prefix: "registry.example.com", ...creds },
    ]);
});
