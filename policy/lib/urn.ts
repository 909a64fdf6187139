/** Pulumi URNs as the engine sends them to a policy pack. */

/** The parts of `urn:pulumi:<stack>::<project>::<parent types $ ... $ type>::<name>`. */
export interface ParsedUrn {
    /** Stack name, e.g. `prod`. */
    stack: string;
    /** Project name, e.g. `gitops-platform`. */
    project: string;
    /** Types from the outermost parent to the resource itself, e.g. `["gitops-platform:vault:EnvironmentAccess", "vault:index/policy:Policy"]`. */
    types: string[];
    /** The resource's logical name, e.g. `env-dev-read`. */
    name: string;
}

const PREFIX = "urn:pulumi:";

/** Splits a URN into its parts; throws on anything that is not a Pulumi URN. */
export function parseUrn(urn: string): ParsedUrn {
    const parts = urn.split("::");
    if (!urn.startsWith(PREFIX) || parts.length < 4) {
        throw new Error(`not a Pulumi URN: ${urn}`);
    }
    return {
        stack: parts[0].slice(PREFIX.length),
        project: parts[1],
        types: parts[2].split("$"),
        // a logical name may itself contain "::"
        name: parts.slice(3).join("::"),
    };
}
