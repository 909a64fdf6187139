/**
 * Validates custom resources against the upstream CRDs in `../shared/fixtures/crds` (override
 * with GITOPS_PLATFORM_CRDS). Unknown fields are errors: a real API server would silently prune
 * them, which hides typos until production.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { parseAllDocuments } from "yaml";
import { ROOT } from "./stackConfig";

/** Folder holding the upstream CRDs. */
export const CRD_DIR = process.env.GITOPS_PLATFORM_CRDS ?? path.resolve(ROOT, "..", "shared", "fixtures", "crds");

/** Why CRD validation cannot run here, or undefined when it can. */
export function crdSkipReason(): string | undefined {
    return fs.existsSync(CRD_DIR) ? undefined : `CRD fixtures not found at ${CRD_DIR} (set GITOPS_PLATFORM_CRDS)`;
}

/** Makes a structural schema strict: no unknown fields where the CRD does not preserve them. */
function strict(schema: any): any {
    if (Array.isArray(schema)) {
        return schema.map(strict);
    }
    if (!schema || typeof schema !== "object") {
        return schema;
    }
    const out: any = {};
    for (const [k, v] of Object.entries(schema)) {
        out[k] = k === "enum" || k === "default" || k === "example" ? v : strict(v);
    }
    if (out["x-kubernetes-int-or-string"] === true) {
        delete out.type;
        out.anyOf = [{ type: "integer" }, { type: "string" }];
    }
    if (out.type === "object" && out.properties && out.additionalProperties === undefined && out["x-kubernetes-preserve-unknown-fields"] !== true) {
        out.additionalProperties = false;
    }
    return out;
}

type Validator = (obj: unknown) => string[];
let cache: Map<string, Validator> | undefined;

function load(): Map<string, Validator> {
    if (cache) {
        return cache;
    }
    cache = new Map();
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, useDefaults: true });
    for (const file of fs.readdirSync(CRD_DIR).filter((f) => f.endsWith(".yaml"))) {
        for (const doc of parseAllDocuments(fs.readFileSync(path.join(CRD_DIR, file), "utf8"))) {
            const crd = doc.toJS();
            if (crd?.kind !== "CustomResourceDefinition") {
                continue;
            }
            for (const version of crd.spec.versions) {
                // Compiled on first use: the Argo CD Application schema alone takes seconds.
                let validate: ReturnType<typeof ajv.compile> | undefined;
                cache.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, (obj) => {
                    validate ??= ajv.compile(strict(version.schema.openAPIV3Schema));
                    // Like the API server: apply schema defaults, then validate.
                    return validate(structuredClone(obj))
                        ? []
                        : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
                });
            }
        }
    }
    return cache;
}

/** Errors of one custom resource ({apiVersion, kind, metadata, spec}) against its CRD; throws if no CRD. */
export function validateCustomResource(obj: { apiVersion: string; kind: string }): string[] {
    const v = load().get(`${obj.apiVersion}/${obj.kind}`);
    if (!v) {
        throw new Error(`no CRD for ${obj.apiVersion} ${obj.kind} in ${CRD_DIR}`);
    }
    return v(obj);
}
