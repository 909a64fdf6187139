import * as pulumi from "@pulumi/pulumi";
import { ApiToken } from "@pulumi/cloudflare/apiToken";
import { getApiTokenPermissionGroupsListOutput } from "@pulumi/cloudflare/getApiTokenPermissionGroupsList";
import type { GetApiTokenPermissionGroupsListResult } from "@pulumi/cloudflare/types/output";
import { requireProvider } from "../requireProvider";
import { OwnedKvSecret } from "../vault/OwnedKvSecret";
import { DNS01_TOKEN_KEY } from "./names";

/** Scope of zone permission groups (and prefix of a zone's resource name in a token policy). */
export const ZONE_SCOPE = "com.cloudflare.api.account.zone";

/** What cert-manager's Cloudflare DNS-01 solver needs on the zone: edit its DNS records, read the zone. */
export const DNS01_PERMISSION_GROUPS = ["DNS Write", "Zone Read"] as const;

/** A token policy's `resources` (a JSON string in v6): the one zone, nothing else. */
export function zoneResources(zoneId: string): string {
    return JSON.stringify({ [`${ZONE_SCOPE}.${zoneId}`]: "*" });
}

/**
 * The ids of the zone-scoped permission groups named `names`, from the account's list; throws
 * naming every group it cannot find (the names are Cloudflare's, e.g. "DNS Write").
 */
export function pickPermissionGroups(groups: readonly GetApiTokenPermissionGroupsListResult[], names: readonly string[]): { id: string }[] {
    const missing: string[] = [];
    const picked = names.map((n) => {
        const g = groups.find((x) => x.name === n && (x.scopes ?? []).includes(ZONE_SCOPE));
        if (!g) missing.push(n);
        return { id: g?.id ?? "" };
    });
    if (missing.length > 0) {
        throw new Error(
            `Cloudflare lists no zone permission group named ${missing.map((m) => `"${m}"`).join(" or ")} (scope ${ZONE_SCOPE}); ` +
                `the DNS-01 token (gitops-platform:cloudflare.dns01Token) cannot be scoped. Check the names with GET /user/tokens/permission_groups`,
        );
    }
    return picked;
}

/** Arguments of {@link Dns01ApiToken}. */
export interface Dns01ApiTokenArgs {
    /** The one zone the token may act on. */
    zoneId: string;
    /** Token name as Cloudflare shows it, e.g. `gitops-platform-dev-dns01`. */
    tokenName: string;
    /** Vault KV v2 mount. */
    kvMount: pulumi.Input<string>;
    /** KV path (no mount, no `data/`), e.g. `<prefix>/platform/stacks/<stack>/cloudflare-dns01`. */
    secretPath: string;
    /** The owning stack, `<org>/<project>/<stack>`. */
    owner: string;
}

/**
 * A Cloudflare API token for cert-manager's DNS-01 solver, limited to DNS Write and Zone Read on
 * one zone (what cert-manager documents), kept in Vault under key `api-token`: its value is a
 * secret output (`additionalSecretOutputs`) and is written nowhere else. The provider's token needs
 * the User permission "API Tokens Edit" to make it. Needs an explicit `cloudflare` provider in its
 * resource options (`{ providers: { cloudflare } }`).
 */
export class Dns01ApiToken extends pulumi.ComponentResource {
    /** KV version of the token in Vault. */
    public readonly secretVersion: pulumi.Output<number>;
    /** The token value (secret; kept out of the component's registered outputs). */
    public readonly value: pulumi.Output<string>;

    constructor(name: string, args: Dns01ApiTokenArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:cloudflare:Dns01ApiToken", name, {}, opts);
        const provider = requireProvider(this, "cloudflare");
        const child = { parent: this };

        const groups = getApiTokenPermissionGroupsListOutput({}, { parent: this, provider }).results.apply((r) => pickPermissionGroups(r, DNS01_PERMISSION_GROUPS));
        const token = new ApiToken(
            `${name}-token`,
            { name: args.tokenName, policies: [{ effect: "allow", permissionGroups: groups, resources: zoneResources(args.zoneId) }] },
            // The SDK marks `value` secret too; stated here so that it stays so whatever the SDK does.
            { ...child, additionalSecretOutputs: ["value"] },
        );
        const value = pulumi.secret(token.value);
        const secret = new OwnedKvSecret(
            `${name}-vault-secret`,
            { mount: args.kvMount, path: args.secretPath, owner: args.owner, data: { [DNS01_TOKEN_KEY]: value } },
            child,
        );
        this.secretVersion = secret.version;
        this.value = value;
        this.registerOutputs({ secretVersion: secret.version });
    }
}
