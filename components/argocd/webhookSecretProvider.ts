// The Pulumi dynamic provider behind WebhookSecret: a random secret made once (node's crypto, in the
// provider host), kept only as a secret output. Nothing changes it later but a new `length` (or a
// replacement of the resource: `pulumi up --replace <urn>` rotates it). Closure-serialized; captures
// nothing secret.

import type * as pulumi from "@pulumi/pulumi";
import { providerCodeChanged } from "../dynamic/providerCode";

/** Inputs: how many random bytes (hex-encoded, so the value has twice as many characters). */
export interface WebhookSecretInputs {
    length: number;
}

/** State: the value (secret). */
export interface WebhookSecretOutputs extends WebhookSecretInputs {
    value: string;
}

/** The provider (no settings). */
export function makeWebhookSecretProvider(): pulumi.dynamic.ResourceProvider {
    return {
        async check(_olds: Partial<WebhookSecretInputs>, news: Partial<WebhookSecretInputs>) {
            const n = news.length;
            const failures = Number.isInteger(n) && (n as number) >= 16 && (n as number) <= 128 ? [] : [{ property: "length", reason: "length must be a whole number of bytes from 16 to 128, e.g. 32" }];
            return { inputs: news, failures };
        },
        async diff(_id: string, olds: WebhookSecretOutputs, news: WebhookSecretInputs) {
            const replace = olds.length !== news.length;
            return { changes: replace || providerCodeChanged(olds, news), replaces: replace ? ["length"] : [], deleteBeforeReplace: false };
        },
        async create(inputs: WebhookSecretInputs) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const crypto = require("node:crypto") as typeof import("node:crypto");
            const value = crypto.randomBytes(inputs.length).toString("hex");
            return { id: crypto.randomUUID(), outs: { ...inputs, value } };
        },
        async update(_id: string, olds: WebhookSecretOutputs, news: WebhookSecretInputs) {
            return { outs: { ...olds, length: news.length } };
        },
        async read(id: string, props: WebhookSecretOutputs) {
            return { id, props };
        },
    };
}

/** The provider WebhookSecret uses. */
export const webhookSecretProvider: pulumi.dynamic.ResourceProvider = makeWebhookSecretProvider();
