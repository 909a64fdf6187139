/**
 * Entry point of the gitops-platform policy pack (`pulumi preview|up --policy-pack policy`): the
 * Pulumi Node.js runtime runs it (@pulumi/pulumi's cmd/run-policy-pack, TypeScript through
 * ts-node) with this folder as working directory; it serves the policies of pack.ts to the engine.
 */
import { PolicyPack } from "@pulumi/policy";
import { keepSecretMarkers } from "./lib/pulumiSecrets";
import { PACK_NAME, packArgs } from "./pack";

keepSecretMarkers();
new PolicyPack(PACK_NAME, packArgs);
