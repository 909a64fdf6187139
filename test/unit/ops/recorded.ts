/** Recorded engine events of real previews (test/fixtures/events), replayed into a PreviewRecord. */
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { emptyRecord, addEvent, type PreviewRecord } from "../../../ops/lib/events";

/** The raw events of a fixture: clean, drift or replace-delete. */
export function events(name: "clean" | "drift" | "replace-delete"): EngineEvent[] {
    return JSON.parse(fs.readFileSync(path.join(__dirname, "../../fixtures/events", `${name}.json`), "utf8")) as EngineEvent[];
}

/** The record of a fixture. */
export function recorded(name: "clean" | "drift" | "replace-delete"): PreviewRecord {
    const rec = emptyRecord();
    for (const e of events(name)) addEvent(rec, e);
    return rec;
}
