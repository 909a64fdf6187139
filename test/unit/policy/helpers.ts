/**
 * Calls the pack's policies the way @pulumi/policy's server does, on crafted resources, and
 * collects the violations they report.
 */
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

/** A URN as the engine makes it: `types` from the outermost parent to the resource. */
export function urnOf(stack: string, types: string[], name: string, project = "gitops-platform"): string {
    return `urn:pulumi:${stack}::${project}::${types.join("$")}::${name}`;
}

/** What a crafted resource needs; the rest of the validation args get the server's defaults. */
export interface CraftedResource {
    type: string;
    urn: string;
    props: Record<string, unknown>;
    /** Logical name; defaults to the URN's. */
    name?: string;
    protect?: boolean;
}

function options(protect: boolean) {
    return { protect, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] };
}

const notApplicable = (reason?: string): never => {
    throw new Error(`not applicable: ${reason}`);
};

/** Runs a resource policy on one resource with the given policy config; returns the violation messages. */
export async function validateResource(policy: ResourceValidationPolicy, r: CraftedResource, config: object = {}): Promise<string[]> {
    const out: string[] = [];
    const args: ResourceValidationArgs = {
        type: r.type,
        props: r.props,
        urn: r.urn,
        name: r.name ?? r.urn.split("::").slice(3).join("::"),
        opts: options(r.protect ?? false),
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable,
    };
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    for (const v of validations) {
        await v(args, (message) => out.push(message));
    }
    return out;
}

/** Runs a stack policy on a set of resources (their outputs as `props`); returns the violation messages. */
export async function validateStack(policy: StackValidationPolicy, resources: CraftedResource[], config: object = {}): Promise<string[]> {
    const out: string[] = [];
    const policyResources: PolicyResource[] = resources.map((r) => ({
        type: r.type,
        props: r.props,
        urn: r.urn,
        name: r.name ?? r.urn.split("::").slice(3).join("::"),
        opts: options(r.protect ?? false),
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
    }));
    await policy.validateStack(
        { resources: policyResources, stackTags: new Map(), getConfig: <T extends object>() => config as T, notApplicable },
        (message) => out.push(message),
    );
    return out;
}
