/**
 * gitops-platform entry point (`main` in Pulumi.yaml): Pulumi calls the exported function and
 * takes its result as the stack outputs (see main.ts).
 */
import { runPlatform } from "./main";

export = runPlatform;
