/** Per-stack names (stacks/stackIdentity.ts): valid Kubernetes and Vault names for any Pulumi stack name. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { STACK_LABEL, stackIdentity } from "../../stacks/stackIdentity";

const ORG = "acme";
const PROJECT = "gitops-platform";
const PREFIX = "gitops-poc-dzha";

/** DNS-1123 label (ServiceAccount, ClusterRoleBinding names here): ≤63, [a-z0-9-], alphanumeric at both ends. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1123 subdomain (Secret names): ≤253, dot-separated DNS labels. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kubernetes label value: ≤63, empty or alphanumeric at both ends with [-_.A-Za-z0-9] between. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** Vault policy name as Vault keeps it: lowercase, no characters it would rewrite. */
const POLICY_NAME = /^[a-z0-9_-]+$/;

// Pulumi stack names: letters, digits, '-', '_' and '.', up to 100 characters.
const LONG = "a".repeat(100);
const ODD = [
    "Prod",
    "PROD-EU",
    "team_a",
    "eu.prod",
    "My_Stack.v2",
    "-dev-",
    "___",
    "...x",
    LONG,
    // Truncated to 63 right after a character that becomes '-': must not end with '-'.
    `${"b".repeat(41)}_c`,
    `${"c".repeat(40)}..d`,
    "Z".repeat(100),
    "1-2_3.4",
];

function assertValid(stack: string) {
    const id = stackIdentity(ORG, PROJECT, stack, PREFIX);
    const at = `stack ${JSON.stringify(stack)}`;

    assert.equal(id.owner, `${ORG}/${PROJECT}/${stack}`, at);

    const reviewer = id.tokenReviewerName;
    assert.ok(reviewer.length <= 63, `${at}: ${reviewer} is ${reviewer.length} > 63 characters`);
    assert.match(reviewer, DNS_LABEL, `${at}: reviewer name ${reviewer}`);
    assert.ok(reviewer.startsWith("vault-token-reviewer-"), `${at}: ${reviewer}`);
    const secretName = `${reviewer}-token`; // TokenReviewer's Secret
    assert.ok(secretName.length <= 253 && DNS_SUBDOMAIN.test(secretName), `${at}: secret name ${secretName}`);

    assert.equal(id.labels["app.kubernetes.io/managed-by"], "gitops-platform", at);
    assert.deepEqual(Object.keys(id.labels).sort(), ["app.kubernetes.io/managed-by", STACK_LABEL].sort(), at);
    assert.equal(STACK_LABEL, "gitops-platform/stack");
    for (const [key, value] of Object.entries(id.labels)) {
        assert.ok(value.length <= 63, `${at}: label ${key}=${value} is too long`);
        assert.match(value, LABEL_VALUE, `${at}: label ${key}=${value}`);
    }

    assert.equal(id.registryPolicyName, id.registryPolicyName.toLowerCase(), `${at}: Vault lowercases policy names`);
    assert.match(id.registryPolicyName, POLICY_NAME, `${at}: ${id.registryPolicyName}`);
    assert.ok(id.registryPolicyName.startsWith("registry-read-"), at);

    assert.ok(id.registrySecretPath.startsWith(`${PREFIX}/`), `${at}: ${id.registrySecretPath}`);
    const segments = id.registrySecretPath.slice(PREFIX.length + 1).split("/");
    assert.deepEqual(segments, ["platform", "stacks", stack, "registry"], `${at}: four segments under the prefix`);
    assert.ok(segments.every((s) => s !== ""), at);
    return id;
}

describe("stackIdentity", () => {
    it("ordinary stacks: owner, registry path, policy, token reviewer and labels", () => {
        const dev = stackIdentity(ORG, PROJECT, "dev", PREFIX);
        const { owner, registrySecretPath, registryPolicyName, tokenReviewerName, labels } = dev;
        assert.deepEqual({ owner, registrySecretPath, registryPolicyName, tokenReviewerName, labels }, {
            owner: "acme/gitops-platform/dev",
            registrySecretPath: "gitops-poc-dzha/platform/stacks/dev/registry",
            registryPolicyName: "registry-read-dev",
            tokenReviewerName: "vault-token-reviewer-dev",
            labels: { "app.kubernetes.io/managed-by": "gitops-platform", "gitops-platform/stack": "dev" },
        });
        const prod = assertValid("prod");
        assert.equal(prod.registrySecretPath, "gitops-poc-dzha/platform/stacks/prod/registry");
        assert.equal(prod.registryPolicyName, "registry-read-prod");
        assert.equal(prod.tokenReviewerName, "vault-token-reviewer-prod");
        assert.equal(prod.labels[STACK_LABEL], "prod");
        for (const stack of ["dev", "staging", "prod", "prod-eu", "e2e", "qa2"]) assertValid(stack);
    });

    it("ordinary stacks get distinct names", () => {
        const stacks = ["dev", "staging", "prod", "prod-eu", "e2e", "qa2"];
        const ids = stacks.map((s) => stackIdentity(ORG, PROJECT, s, PREFIX));
        for (const key of ["owner", "registrySecretPath", "registryPolicyName", "tokenReviewerName"] as const) {
            assert.equal(new Set(ids.map((id) => id[key])).size, stacks.length, key);
        }
        assert.equal(new Set(ids.map((id) => id.labels[STACK_LABEL])).size, stacks.length);
    });

    it("odd stack names (uppercase, underscores, dots, very long) still give valid names", () => {
        for (const stack of ODD) assertValid(stack);
        const upper = stackIdentity(ORG, PROJECT, "PROD-EU", PREFIX);
        assert.equal(upper.registryPolicyName, "registry-read-prod-eu");
        assert.equal(upper.tokenReviewerName, "vault-token-reviewer-prod-eu");
        assert.equal(upper.labels[STACK_LABEL], "PROD-EU", "label values keep case");
        assert.equal(stackIdentity(ORG, PROJECT, "eu.prod", PREFIX).tokenReviewerName, "vault-token-reviewer-eu-prod");
        assert.equal(stackIdentity(ORG, PROJECT, "team_a", PREFIX).labels[STACK_LABEL], "team_a");
        assert.equal(stackIdentity(ORG, PROJECT, LONG, PREFIX).tokenReviewerName.length, 63);
        assert.equal(stackIdentity(ORG, PROJECT, LONG, PREFIX).labels[STACK_LABEL], "a".repeat(63));
    });

    it(
        "stacks whose names differ only in case, punctuation or past the 42nd character get distinct cluster and policy names",
        {
            todo:
                "product bug: registryPolicyName and tokenReviewerName lowercase, replace '.'/'_' and truncate, so e.g. " +
                "'dev'/'DEV', 'eu.prod'/'eu-prod' and two long names share registry-read-<x> and vault-token-reviewer-<x> on one Vault/cluster",
        },
        () => {
            const pairs: [string, string][] = [
                ["dev", "DEV"],
                ["eu.prod", "eu-prod"],
                [`${"a".repeat(42)}-one`, `${"a".repeat(42)}-two`],
            ];
            for (const [a, b] of pairs) {
                const x = stackIdentity(ORG, PROJECT, a, PREFIX);
                const y = stackIdentity(ORG, PROJECT, b, PREFIX);
                assert.notEqual(x.registryPolicyName, y.registryPolicyName, `${a} / ${b}: policy`);
                assert.notEqual(x.tokenReviewerName, y.tokenReviewerName, `${a} / ${b}: token reviewer`);
            }
        },
    );
});
