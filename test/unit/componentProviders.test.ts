/**
 * Components take their providers through resource options: without the provider of a package
 * their children need (or with another package's provider in its place) they stop with a clear
 * error instead of letting the children fall back to the ambient default provider.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as vault from "@pulumi/vault";
import { constructed, installMocks, providerRef, recorded, settle, trackConstruction } from "../support/mocks";
import { VaultPlatform } from "../../components/vault/VaultPlatform";
import { EnvironmentAccess } from "../../components/vault/EnvironmentAccess";
import { EnvironmentNamespace } from "../../components/kubernetes/EnvironmentNamespace";
import { TokenReviewer } from "../../components/kubernetes/TokenReviewer";
import { VaultSecretsOperator } from "../../components/vso/VaultSecretsOperator";
import { ArgoCd } from "../../components/argocd/ArgoCd";
import { ServiceAccess } from "../../components/vault/ServiceAccess";
import { VaultWriter } from "../../components/vault/VaultWriter";
import { ServiceIdentity } from "../../components/kubernetes/ServiceIdentity";

let kubernetes: k8s.Provider;
let vaultProvider: vault.Provider;

before(async () => {
    await installMocks("dev");
    trackConstruction();
    kubernetes = new k8s.Provider("k", {});
    vaultProvider = new vault.Provider("v", {});
});

/** One constructor per component, with valid args; only the resource options vary. */
const components: Record<string, { needs: string[]; create: (name: string, opts?: pulumi.ComponentResourceOptions) => unknown }> = {
    VaultPlatform: {
        needs: ["vault", "kubernetes"],
        create: (name, opts) =>
            new VaultPlatform(
                name,
                {
                    kvMount: "secret",
                    manageKvMount: true,
                    pathPrefix: "gitops-poc-dzha",
                    kubernetesAuthMount: "kubernetes",
                    kubernetesHost: "https://kubernetes.default.svc",
                    tokenReviewerNamespace: "kube-system",
                    registrySecretPath: "gitops-poc-dzha/platform/stacks/dev/registry",
                    registryPolicyName: "registry-read-dev",
                    tokenReviewerName: `vault-token-reviewer-${name}`,
                    protect: false,
                },
                opts,
            ),
    },
    EnvironmentAccess: {
        needs: ["vault"],
        create: (name, opts) =>
            new EnvironmentAccess(
                name,
                {
                    environment: "dev",
                    namespace: "poc-dev",
                    kvMount: "secret",
                    pathPrefix: "gitops-poc-dzha",
                    authMount: "kubernetes",
                    serviceAccounts: ["default"],
                    audience: "vault",
                    tokenTtl: "1h",
                },
                opts,
            ),
    },
    EnvironmentNamespace: {
        needs: ["kubernetes"],
        create: (name, opts) =>
            new EnvironmentNamespace(
                name,
                {
                    namespace: "poc-dev",
                    environment: "dev",
                    vaultRole: "poc-dev-default",
                    vaultAuthMount: "kubernetes",
                    audiences: ["vault"],
                    kvMount: "secret",
                    registrySecretPath: "gitops-poc-dzha/platform/registry",
                    refreshAfter: "1h",
                    serviceAccounts: ["default"],
                    protect: false,
                },
                opts,
            ),
    },
    ServiceAccess: {
        needs: ["vault"],
        create: (name, opts) =>
            new ServiceAccess(
                name,
                {
                    service: "api-gateway",
                    environment: "dev",
                    namespace: "poc-dev",
                    kvMount: "secret",
                    pathPrefix: "gitops-poc-dzha",
                    authMount: "kubernetes",
                    audience: "vault",
                    tokenTtl: "1h",
                },
                opts,
            ),
    },
    VaultWriter: {
        needs: ["vault"],
        create: (name, opts) =>
            new VaultWriter(
                name,
                {
                    writer: "vault-sync-operator",
                    namespace: "vault-sync-operator-system",
                    serviceAccount: "vault-sync-operator-controller-manager",
                    kvMount: "secret",
                    prefix: "k8s-sync/dev",
                    authMount: "kubernetes",
                    audience: "vault",
                    tokenTtl: "1h",
                    policyName: `${name}-write-dev`,
                    roleName: `${name}-dev`,
                },
                opts,
            ),
    },
    ServiceIdentity: {
        needs: ["kubernetes"],
        create: (name, opts) =>
            new ServiceIdentity(
                name,
                { service: "api-gateway", namespace: "poc-dev", vaultRole: "poc-dev-api-gateway", vaultAuthMount: "kubernetes", audiences: ["vault"] },
                opts,
            ),
    },
    TokenReviewer: {
        needs: ["kubernetes"],
        create: (name, opts) => new TokenReviewer(name, { namespace: "kube-system", serviceAccountName: name, clusterRoleBindingName: name }, opts),
    },
    VaultSecretsOperator: {
        needs: ["kubernetes"],
        create: (name, opts) =>
            new VaultSecretsOperator(
                name,
                {
                    enabled: true,
                    chartVersion: "1.4.1",
                    chartRepo: "https://helm.releases.hashicorp.com",
                    namespace: "vault-secrets-operator-system",
                    vaultAddress: "https://vault.example.com",
                },
                opts,
            ),
    },
    ArgoCd: {
        needs: ["kubernetes"],
        create: (name, opts) =>
            new ArgoCd(
                name,
                {
                    enabled: true,
                    chartVersion: "10.1.1",
                    chartRepo: "https://argoproj.github.io/argo-helm",
                    namespace: "argocd",
                    repoPrefix: "https://gitlab.com/gitops-poc-dzha",
                    repoUsername: "reader",
                    repoPassword: pulumi.secret("token"),
                    project: "poc",
                    environments: [{ name: "dev", namespace: "poc-dev" }],
                    services: [],
                    appChart: { repoURL: "https://d7561985.github.io/k8app", chart: "app", version: "3.4.0" },
                    targetRevision: "HEAD",
                },
                opts,
            ),
    },
};

/** What a component registered below itself (children, grandchildren), by name prefix. */
function childrenOf(name: string) {
    return constructed.filter((c) => c.name.startsWith(`${name}-`));
}

for (const [component, { needs, create }] of Object.entries(components)) {
    test(`${component} without providers in its options stops, naming itself and the missing provider; no child is created`, () => {
        const name = `${component.toLowerCase()}-none`;
        assert.throws(
            () => create(name),
            (e: Error) => {
                assert.match(e.message, new RegExp(`${component} "${name}" needs an explicit ${needs[0]} provider in its resource options`));
                assert.match(e.message, new RegExp(`\\{ providers: \\{ ${needs[0]}: provider \\} \\}`), "says how to pass it");
                assert.match(e.message, /default .* provider of the ambient configuration/, "says why");
                return true;
            },
        );
        assert.deepEqual(childrenOf(name), [], "nothing below the component was created");
    });

    for (const pkg of needs) {
        test(`${component} without a ${pkg} provider (only the others) stops, naming the ${pkg} provider`, () => {
            const name = `${component.toLowerCase()}-no-${pkg}`;
            const others = Object.fromEntries(needs.filter((n) => n !== pkg).map((n) => [n, n === "vault" ? vaultProvider : kubernetes]));
            assert.throws(() => create(name, { providers: others }), new RegExp(`needs an explicit ${pkg} provider`));
            assert.deepEqual(childrenOf(name), []);
        });
    }

    test(`${component} given another package's provider under providers.${needs[0]} stops`, () => {
        const name = `${component.toLowerCase()}-swapped`;
        const wrong = needs[0] === "vault" ? kubernetes : vaultProvider;
        const providers = Object.fromEntries(needs.map((n) => [n, n === needs[0] ? wrong : n === "vault" ? vaultProvider : kubernetes]));
        assert.throws(
            () => create(name, { providers }),
            new RegExp(`was given a pulumi:providers:${needs[0] === "vault" ? "kubernetes" : "vault"} provider under providers\\.${needs[0]}`),
        );
        assert.deepEqual(childrenOf(name), []);
    });
}

test("a provider inherited from a parent component is enough, and reaches the children", async () => {
    const outer = new pulumi.ComponentResource("test:index:Outer", "outer", {}, { providers: { kubernetes } });
    new TokenReviewer("inherited", { namespace: "kube-system", serviceAccountName: "inherited", clusterRoleBindingName: "inherited" }, { parent: outer });
    await settle();
    const children = recorded.filter((r) => r.custom && r.name.startsWith("inherited-"));
    assert.equal(children.length, 3);
    const explicit = await providerRef(kubernetes);
    for (const r of children) {
        assert.equal(r.provider, explicit, `${r.name} uses the explicit kubernetes provider`);
    }
});
