/** Rule 1, vault-policy-least-privilege, on crafted Vault policies and the program's own policy text. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Secret } from "@pulumi/policy";
import {
    environmentOfPath,
    environmentOfPolicy,
    isWriterPolicy,
    vaultPolicyLeastPrivilege,
    vaultPolicyViolations,
    writerPrefixOf,
} from "../../../policy/rules/vaultPolicyLeastPrivilege";
import { parseVaultPolicy } from "../../../policy/lib/vaultPolicyDocument";
import { environmentReadPolicy, registryReadPolicy, registrySecretPath, serviceReadPolicy, writerPolicy } from "../../../components/vault/policies";
import { urnOf, validateResource } from "./helpers";

const POLICY = "vault:index/policy:Policy";
const ACCESS = "gitops-platform:vault:EnvironmentAccess";
/** URN of environment `env`'s policy as the program registers it. */
const envUrn = (env: string, stack = "dev") => urnOf(stack, [ACCESS, POLICY], `env-${env}-read`);
/** URN of the program's registry policy (a child of VaultPlatform, no environment). */
const registryUrn = urnOf("dev", ["gitops-platform:vault:VaultPlatform", POLICY], "vault-registry-read");
const hcl = (...blocks: [string, string[]][]) => blocks.map(([p, caps]) => `path "${p}" {\n  capabilities = ${JSON.stringify(caps)}\n}\n`).join("\n");

test("the program's environment policies pass, for every environment, prefix and namespace naming", async () => {
    for (const [environment, pathPrefix] of [["dev", "gitops-poc-dzha"], ["staging", "gitops-poc-dzha"], ["prod", "team/apps"], ["eu-west", "g"]]) {
        const policy = environmentReadPolicy({ kvMount: "secret", pathPrefix, environment });
        // the Vault name follows the namespace, which config may rename: the rule does not read it
        for (const name of [`poc-${environment}-read`, "payments-read"]) {
            assert.deepEqual(await vaultPolicyViolations(envUrn(environment), { name, policy }), [], `${environment} ${name}`);
        }
    }
});

test("the program's registry policy passes (read only, no environment)", async () => {
    const policy = registryReadPolicy("secret", registrySecretPath("gitops-poc-dzha", "dev"));
    assert.deepEqual(await vaultPolicyViolations(registryUrn, { name: "registry-read-dev", policy }), []);
});

test("a path with '*' is refused wherever it is, with the policy name and path in the message", async () => {
    for (const path of ["secret/data/*", "secret/data/gitops-poc-dzha/+/dev/*", "secret/*/gitops-poc-dzha", "*"]) {
        const [m, ...rest] = await vaultPolicyViolations(envUrn("dev"), { name: "poc-dev-read", policy: hcl([path, ["read"]]) });
        assert.equal(rest.length, 0, path);
        assert.match(m, /^Vault policy "poc-dev-read": path "[^"]+" uses '\*'/);
        assert.ok(m.includes(`"${path}"`), m);
    }
});

test("'*' is refused in a policy of no environment too, and in Vault's JSON form", async () => {
    const json = JSON.stringify({ path: { "secret/metadata/*": { capabilities: ["list"] } } });
    const [m] = await vaultPolicyViolations(registryUrn, { name: "x", policy: json });
    assert.match(m, /path "secret\/metadata\/\*" uses '\*'/);
});

test("a '*' path that only denies grants nothing and passes; so does an empty capability list", async () => {
    const policy = hcl(["secret/data/*", ["deny"]], ["secret/data/g/+/dev/*", ["read", "deny"]], ["secret/metadata/*", []]);
    assert.deepEqual(await vaultPolicyViolations(envUrn("dev"), { name: "n", policy }), []);
});

test("a write capability on another environment's path is refused, naming both environments", async () => {
    for (const cap of ["create", "update", "patch", "delete", "sudo", "recover"]) {
        const policy = hcl(["secret/data/g/+/dev/+", ["read"]], ["secret/data/g/+/prod/+", ["read", cap]]);
        const [m, ...rest] = await vaultPolicyViolations(envUrn("dev"), { name: "poc-dev-read", policy });
        assert.equal(rest.length, 0, cap);
        assert.equal(
            m,
            `Vault policy "poc-dev-read": path "secret/data/g/+/prod/+" grants ${cap} on environment "prod"'s secrets, but it belongs to environment "dev"`,
        );
    }
});

test("the same write capabilities on the policy's own environment pass; read and list elsewhere pass", async () => {
    const policy = hcl(["secret/data/g/+/dev/+", ["create", "update", "delete", "patch"]], ["secret/data/g/+/prod/+", ["read", "list"]]);
    assert.deepEqual(await vaultPolicyViolations(envUrn("dev"), { name: "n", policy }), []);
});

test("a write on '+' in the environment segment is every environment's secrets, refused (legacy policy = \"write\" too)", async () => {
    const policy = `path "secret/destroy/g/api/+/db" {\n  policy = "write"\n}\n`;
    const [m] = await vaultPolicyViolations(envUrn("dev"), { name: "n", policy });
    assert.match(m, /grants create, update, delete on every environment's secrets \('\+' in the environment segment\), but it belongs to environment "dev"/);
});

test("a policy of no environment may not write any environment's path", async () => {
    const policy = hcl(["secret/data/g/+/dev/+", ["update"]]);
    const [m] = await vaultPolicyViolations(registryUrn, { name: "registry-read-dev", policy });
    assert.match(m, /grants update on environment "dev"'s secrets, but it belongs to no environment/);
});

test("writes on paths too short to name an environment are not this rule's concern", async () => {
    const policy = hcl(["sys/mounts/secret", ["create", "update", "sudo"]], ["secret/data/g/platform", ["update"]]);
    assert.deepEqual(await vaultPolicyViolations(envUrn("dev"), { name: "n", policy }), []);
});

test("a policy the parser cannot read is refused; a policy not known yet (preview) is left for later", async () => {
    const [m] = await vaultPolicyViolations(envUrn("dev"), { name: "n", policy: 'path "x" { capabilities = [ }' });
    assert.match(m, /^Vault policy "n": the policy document cannot be parsed/);
    assert.deepEqual(await vaultPolicyViolations(envUrn("dev"), { name: "n" }), []);
});

test("a policy document that is a Pulumi secret is checked all the same", async () => {
    const [m] = await vaultPolicyViolations(envUrn("dev"), { name: new Secret("n"), policy: new Secret(hcl(["secret/data/*", ["read"]])) });
    assert.match(m, /^Vault policy "n": path "secret\/data\/\*" uses '\*'/);
});

test("the environment of a policy comes from its EnvironmentAccess parent and name, nothing else", () => {
    assert.equal(environmentOfPolicy(envUrn("dev")), "dev");
    assert.equal(environmentOfPolicy(envUrn("eu-west-1")), "eu-west-1");
    assert.equal(environmentOfPolicy(urnOf("dev", [ACCESS, "other:parent:Component", POLICY], "env-dev-read")), undefined, "not a direct child");
    assert.equal(environmentOfPolicy(urnOf("dev", [POLICY], "env-dev-read")), undefined, "no EnvironmentAccess parent");
    assert.equal(environmentOfPolicy(urnOf("dev", [ACCESS, POLICY], "dev-read")), undefined, "not the program's name");
    assert.equal(environmentOfPolicy(registryUrn), undefined);
});

test("the environment of a path is its second-to-last segment, for six segments or more", () => {
    assert.equal(environmentOfPath("secret/data/gitops-poc-dzha/+/dev/+"), "dev");
    assert.equal(environmentOfPath("kv/metadata/team/apps/api/prod/db/"), "prod");
    assert.equal(environmentOfPath("secret/data/g/+/+/+"), "+");
    assert.equal(environmentOfPath("secret/data/g/api/dev"), undefined);
});

test("the parser keeps document order, repeated paths and the legacy policy levels", async () => {
    const grants = await parseVaultPolicy(`path "a" { capabilities = ["read"] }\npath "a" { policy = "sudo" }\npath "b" { policy = "deny" }\n`);
    assert.deepEqual(grants, [
        { path: "a", capabilities: ["read"] },
        { path: "a", capabilities: ["create", "read", "update", "delete", "list", "sudo"] },
        { path: "b", capabilities: ["deny"] },
    ]);
    await assert.rejects(parseVaultPolicy(`path "a" { policy = "admin" }`), /unknown policy level/);
});

test("the registered policy looks only at Vault policies and reports each violation", async () => {
    const props = { name: "poc-dev-read", policy: hcl(["secret/data/*", ["read"]], ["secret/data/g/+/prod/+", ["update"]]) };
    assert.equal((await validateResource(vaultPolicyLeastPrivilege, { type: POLICY, urn: envUrn("dev"), props })).length, 2);
    assert.deepEqual(await validateResource(vaultPolicyLeastPrivilege, { type: "vault:index/mount:Mount", urn: envUrn("dev"), props }), []);
    assert.equal(vaultPolicyLeastPrivilege.enforcementLevel, "mandatory");
});

const WRITER = "gitops-platform:vault:VaultWriter";
/** URN of a writer's policy as the program registers it (components/vault/VaultWriter.ts). */
const writerUrn = (writer: string) => urnOf("dev", [WRITER, POLICY], `writer-${writer}-write`);

test("the program's writer policies pass: '*' after their own fixed prefix, at any depth, with or without read", async () => {
    for (const prefix of ["k8s-sync", "k8s-sync/dev", "clusters/eu/prod/sync"]) {
        for (const read of [false, true]) {
            const policy = writerPolicy({ kvMount: "secret", prefix, writer: "vault-sync-operator", read });
            assert.deepEqual(await vaultPolicyViolations(writerUrn("vault-sync-operator"), { name: "vault-sync-operator-write-dev", policy }), [], prefix);
        }
    }
});

test("the same writer policy anywhere else is refused: '*' and, deep enough, a write on an environment", async () => {
    const policy = writerPolicy({ kvMount: "secret", prefix: "clusters/eu/prod/sync", writer: "w" });
    for (const urn of [envUrn("dev"), registryUrn, urnOf("dev", [WRITER, POLICY], "w-policy"), urnOf("dev", [POLICY], "writer-w-write")]) {
        const violations = await vaultPolicyViolations(urn, { name: "w", policy });
        assert.ok(violations.some((m) => /uses '\*'/.test(m)), `${urn}: ${violations.join("; ")}`);
    }
});

test("a writer's policy gets no other '*': a glob in or instead of the prefix, '*' inside a segment, two prefixes", async () => {
    const urn = writerUrn("w");
    for (const path of ["secret/data/*", "secret/data/+/dev/*", "secret/*/k8s-sync/*", "secret/data/k8s-sync*", "secret/data/k8s*/dev/*", "*", "secret/sys/k8s-sync/*"]) {
        const [m, ...rest] = await vaultPolicyViolations(urn, { name: "w", policy: hcl([path, ["create"]]) });
        assert.equal(rest.length, 0, path);
        assert.match(m, /^Vault policy "w": path "[^"]+" uses '\*'/, path);
    }
    const two = hcl(["secret/data/k8s-sync/dev/*", ["create"]], ["secret/metadata/other/*", ["list"]]);
    assert.deepEqual(await vaultPolicyViolations(urn, { name: "w", policy: two }), [
        `Vault policy "w": a writer's policy grants under one prefix only, this one under secret/k8s-sync/dev, secret/other`,
    ]);
    // a grant of a writer's policy outside the writer form is checked like any other
    const extra = hcl(["secret/data/k8s-sync/*", ["create"]], ["secret/data/g/+/prod/+", ["update"]]);
    const [m] = await vaultPolicyViolations(urn, { name: "w", policy: extra });
    assert.match(m, /grants update on environment "prod"'s secrets, but it belongs to no environment/);
});

test("writer policies are recognised by their VaultWriter parent and name only; writer paths by their shape", () => {
    assert.equal(isWriterPolicy(writerUrn("vault-sync-operator")), true);
    assert.equal(isWriterPolicy(urnOf("dev", [WRITER, "other:parent:Component", POLICY], "writer-w-write")), false, "not a direct child");
    assert.equal(isWriterPolicy(urnOf("dev", [ACCESS, POLICY], "writer-w-write")), false);
    assert.equal(isWriterPolicy(envUrn("dev")), false);
    assert.equal(writerPrefixOf("secret/data/k8s-sync/dev/*"), "secret/k8s-sync/dev");
    assert.equal(writerPrefixOf("kv/metadata/a/*"), "kv/a");
    for (const p of ["secret/data/*", "secret/data//*", "secret/data/a//b/*", "secret/data/+/*", "secret/data/a", "secret/delete/a/*", "secret/data/a/*/b"]) {
        assert.equal(writerPrefixOf(p), undefined, p);
    }
});

test("the program's per-service policies pass (read only, '+' for the secret name)", async () => {
    const policy = serviceReadPolicy({ kvMount: "secret", pathPrefix: "gitops-poc-dzha", environment: "dev", service: "api-gateway" });
    const urn = urnOf("dev", ["gitops-platform:vault:ServiceAccess", POLICY], "svc-dev.api-gateway-read");
    assert.deepEqual(await vaultPolicyViolations(urn, { name: "poc-dev-api-gateway-read", policy }), []);
});
