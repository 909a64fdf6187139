// Shared setup for tests against the GitLab double: groups and API tokens with known roles.
import { startGitLabDouble, type GitLabDouble } from "./server";

/** API tokens the double knows. Long, recognisable values so a leak into a message is caught. */
export const API_TOKENS = {
    owner: "glpat-OWNER-api-token-do-not-print-1234",
    maintainer: "glpat-MAINTAINER-api-token-do-not-print-5678",
    readApiOwner: "glpat-READAPI-owner-token-do-not-print-9012",
    unknown: "glpat-UNKNOWN-token-never-issued-3456",
};

export const GROUP = "acme/platform";
export const NESTED_GROUP = "acme/platform/team-a";

export async function startFixture(): Promise<GitLabDouble> {
    const double = await startGitLabDouble();
    for (const g of ["acme", GROUP, NESTED_GROUP]) double.addGroup(g);
    double.users[API_TOKENS.owner] = {
        scopes: ["api"],
        groups: { acme: "owner", [GROUP]: "owner", [NESTED_GROUP]: "owner" },
    };
    double.users[API_TOKENS.maintainer] = { scopes: ["api"], groups: { [GROUP]: "maintainer" } };
    double.users[API_TOKENS.readApiOwner] = { scopes: ["read_api"], groups: { [GROUP]: "owner" } };
    return double;
}

/** Every secret a message must never contain: API tokens and all deploy token values issued. */
export function allSecrets(double: GitLabDouble): string[] {
    return [...Object.values(API_TOKENS), ...double.issuedValues];
}
