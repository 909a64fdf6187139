/**
 * The gitops-platform policy pack's contents: its name and policies. index.ts serves them;
 * tests import this module (constructing a PolicyPack starts a gRPC server).
 */
import type { PolicyPackArgs } from "@pulumi/policy";
import { vaultPolicyLeastPrivilege } from "./rules/vaultPolicyLeastPrivilege";
import { prodProtect } from "./rules/prodProtect";
import { noSecretInConfigMap } from "./rules/noSecretInConfigMap";
import { noSecretInStackOutputs } from "./rules/noSecretInStackOutputs";

/** The pack's name, as violations and `policyEvent`s report it. */
export const PACK_NAME = "gitops-platform";

/** Every policy, each mandatory: a violation fails `pulumi preview` and stops `pulumi up`. */
export const packArgs: PolicyPackArgs = {
    description: "Guard rails of gitops-platform (docs/policy.md).",
    enforcementLevel: "mandatory",
    policies: [vaultPolicyLeastPrivilege, prodProtect, noSecretInConfigMap, noSecretInStackOutputs],
};
