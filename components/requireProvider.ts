import * as pulumi from "@pulumi/pulumi";

/**
 * The explicit provider of package `pkg` (e.g. `kubernetes`, `vault`) that the children of
 * `component` inherit: the one passed in the component's resource options
 * (`{ providers: { kubernetes, vault } }`) or inherited from its parent. Throws when there is
 * none, or when the entry is another package's provider, because the children would otherwise
 * fall back to the ambient default provider (kubeconfig context, VAULT_ADDR) without a word.
 */
export function requireProvider(component: pulumi.ComponentResource, pkg: string): pulumi.ProviderResource {
    const what = `${pulumi.resourceType(component)} "${pulumi.resourceName(component)}"`;
    const provider = component.getProvider(`${pkg}::`);
    if (provider === undefined) {
        throw new Error(
            `${what} needs an explicit ${pkg} provider in its resource options, e.g. { providers: { ${pkg}: provider } }: ` +
                `without one its resources would use the default ${pkg} provider of the ambient configuration`,
        );
    }
    const type = pulumi.resourceType(provider);
    if (type !== `pulumi:providers:${pkg}`) {
        throw new Error(`${what} was given a ${type} provider under providers.${pkg}; it needs a ${pkg} provider there`);
    }
    return provider;
}
