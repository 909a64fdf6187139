// Reading the stack config a dynamic provider's `configure` receives. Self-contained: captured by
// value with the providers that use it.

import type * as pulumi from "@pulumi/pulumi";

/** The stack config value of a full key (`vault:token`), or undefined when unset or blank. */
export function configValue(req: pulumi.dynamic.ConfigureRequest, key: string): string | undefined {
    const v = req.config.get(key);
    return v && v.trim() !== "" ? v : undefined;
}
