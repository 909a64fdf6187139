/** Per-stack names (stacks/stackIdentity.ts): valid Kubernetes and Vault names for any Pulumi stack name. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { STACK_LABEL, stackIdentity } from "../../stacks/stackIdentity";

/** First 8 hex digits of sha256(stack): the suffix a stack name that sanitizing changes gets. */
const h8 = (stack: string) => createHash("sha256").update(stack).digest("hex").slice(0, 8);

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
        // A name that sanitizing or truncation changes is followed by a hash of the stack name as given.
        const upper = stackIdentity(ORG, PROJECT, "PROD-EU", PREFIX);
        assert.equal(upper.registryPolicyName, `registry-read-prod-eu-${h8("PROD-EU")}`);
        assert.equal(upper.tokenReviewerName, `vault-token-reviewer-prod-eu-${h8("PROD-EU")}`);
        assert.equal(upper.labels[STACK_LABEL], "PROD-EU", "label values keep case");
        assert.equal(stackIdentity(ORG, PROJECT, "eu.prod", PREFIX).tokenReviewerName, `vault-token-reviewer-eu-prod-${h8("eu.prod")}`);
        assert.equal(stackIdentity(ORG, PROJECT, "eu.prod", PREFIX).registryPolicyName, `registry-read-eu-prod-${h8("eu.prod")}`);
        const team = stackIdentity(ORG, PROJECT, "team_a", PREFIX);
        assert.equal(team.labels[STACK_LABEL], "team_a");
        assert.equal(team.registryPolicyName, "registry-read-team_a", "Vault policy names keep '_': unchanged, no hash");
        assert.equal(team.tokenReviewerName, `vault-token-reviewer-team-a-${h8("team_a")}`);
        const long = stackIdentity(ORG, PROJECT, LONG, PREFIX);
        assert.equal(long.tokenReviewerName, `vault-token-reviewer-${"a".repeat(33)}-${h8(LONG)}`);
        assert.equal(long.tokenReviewerName.length, 63);
        assert.equal(long.registryPolicyName, `registry-read-${LONG}`, "Vault policy names are not cut: unchanged");
        assert.equal(long.labels[STACK_LABEL], `${"a".repeat(54)}-${h8(LONG)}`, "a label value cut short gets the hash too");
    });

    it("stacks whose names differ only in case, punctuation or past the 42nd character get distinct cluster and policy names", () => {
        const pairs: [string, string][] = [
            ["dev", "DEV"],
            ["Dev", "DEV"],
            ["eu.prod", "eu-prod"],
            ["eu.prod", "eu_prod"],
            ["team_a", "team-a"],
            ["-dev-", "dev"],
            ["___", "stack"],
            [`${"a".repeat(42)}-one`, `${"a".repeat(42)}-two`],
            ["a".repeat(42), "a".repeat(43)],
            ["Z".repeat(100), "z".repeat(100)],
        ];
        for (const [a, b] of pairs) {
            const x = assertValid(a);
            const y = assertValid(b);
            assert.notEqual(x.registryPolicyName, y.registryPolicyName, `${a} / ${b}: policy`);
            assert.notEqual(x.tokenReviewerName, y.tokenReviewerName, `${a} / ${b}: token reviewer`);
            assert.notEqual(x.labels[STACK_LABEL], y.labels[STACK_LABEL], `${a} / ${b}: ${STACK_LABEL} label (namespace ownership)`);
        }
        // every ordinary and odd name of this file: all distinct
        const all = [...new Set([...ODD, ...pairs.flat(), "dev", "staging", "prod", "prod-eu", "staging-eu", "e2e", "qa2"])];
        const ids = all.map((s) => stackIdentity(ORG, PROJECT, s, PREFIX));
        assert.equal(new Set(ids.map((id) => id.registryPolicyName)).size, all.length, "policy names");
        assert.equal(new Set(ids.map((id) => id.tokenReviewerName)).size, all.length, "token reviewer names");
        assert.equal(new Set(ids.map((id) => id.labels[STACK_LABEL])).size, all.length, "stack labels");
    });

    it("the policy and token reviewer names come from the stack name alone (not the organization, project or prefix)", () => {
        for (const stack of ["dev", "DEV", "eu.prod", LONG]) {
            const a = stackIdentity("org-a", "project-a", stack, "prefix-a");
            const b = stackIdentity("org-b", "project-b", stack, "prefix-b");
            assert.equal(a.registryPolicyName, b.registryPolicyName, stack);
            assert.equal(a.tokenReviewerName, b.tokenReviewerName, stack);
        }
    });

    it("ordinary names stay as they were: no hash for dev, prod, staging-eu and the like", () => {
        for (const stack of ["dev", "prod", "staging", "staging-eu", "prod-eu", "e2e", "qa2", "a".repeat(42)]) {
            const id = assertValid(stack);
            assert.equal(id.registryPolicyName, `registry-read-${stack}`);
            assert.equal(id.tokenReviewerName, `vault-token-reviewer-${stack}`);
        }
    });
});
