/**
 * Whether the stack's last deployment finished: from the stack history (the latest `update` or
 * `destroy`) and the state's pending operations. Pending changes after a failed or interrupted
 * `pulumi up` are not a merged change waiting for its deploy: they are what that deploy did not
 * apply (e.g. a RegistrySecretSync whose wait for the operator timed out), so the drift check
 * reports them as findings (exit 2).
 */
import type { Change } from "./changes";

/** The history fields used here (Automation API `UpdateSummary`). */
export interface HistoryEntry {
    kind: string;
    result: string;
    endTime?: Date | string;
    version?: number;
}

/** The stack's last deployment: the most recent `update` or `destroy` (previews and refreshes are not deployments). */
export function lastDeployOf(history: readonly HistoryEntry[]): HistoryEntry | undefined {
    // `pulumi stack history` lists the newest first.
    return history.find((h) => h.kind === "update" || h.kind === "destroy");
}

/** Why the last deployment is incomplete, or undefined when it succeeded (or there is none). */
export function incompleteReason(last: HistoryEntry | undefined, pendingOperations: number): string | undefined {
    if (pendingOperations > 0) {
        return (
            `the state has ${pendingOperations} pending operation(s): a pulumi up was interrupted, so what it started ` +
            `may exist without being recorded (pulumi refresh clears them after checking)`
        );
    }
    if (last && last.result !== "succeeded") {
        const when = last.endTime ? ` (ended ${new Date(last.endTime).toISOString()})` : "";
        // The DIY (file, S3) backends report version 0: no version to name then.
        const version = last.version ? ` version ${last.version}` : "";
        return `the last pulumi ${last.kind}${version}${when} ${last.result === "failed" ? "failed" : `is ${last.result}`}: what it did not apply is still pending`;
    }
    return undefined;
}

/** Marks every change that is not drift as `incomplete` (not applied by the failed deployment) when `reason` is set. */
export function markIncomplete(changes: Change[], reason: string | undefined): Change[] {
    if (!reason) return changes;
    return changes.map((c) => (c.drifted ? c : { ...c, incomplete: true }));
}
