// Hidden markers: HTML comments (`<!-- gitops-platform:preview:dev -->`) that GitLab's Markdown
// does not render, put on a line of their own in a note or issue description so that a later run
// finds the same note or issue again and updates it instead of adding another.
//
// A text carries a marker only when one of its lines is exactly the marker (surrounding spaces
// aside): a reply that quotes the report (`> <!-- ... -->`) or mentions the marker in a sentence
// does not count, so a human's note is never taken for the bot's.

const PREFIX = "gitops-platform";

/** `<!-- gitops-platform:<part>:<part>… -->`, e.g. hiddenMarker("preview", "dev"). Parts: letters, digits, `._-`. */
export function hiddenMarker(...parts: string[]): string {
    if (parts.length === 0) throw new Error("hiddenMarker needs at least one part, e.g. hiddenMarker(\"preview\", stack).");
    for (const p of parts) {
        if (!/^[A-Za-z0-9._-]+$/.test(p)) {
            throw new Error(`hiddenMarker part "${p}" may hold only letters, digits, ".", "_" and "-" (a stack name, a report kind).`);
        }
    }
    return `<!-- ${[PREFIX, ...parts].join(":")} -->`;
}

/** Throws unless `marker` is one single-line HTML comment that GitLab will hide. */
export function assertHiddenMarker(marker: string): void {
    const m = /^<!--(.*)-->$/.exec(marker);
    // HTML ends a comment at `-->` (or `--!>`): text after it would show.
    if (!m || m[1].trim() === "" || /--!?>/.test(m[1]) || /[\r\n]/.test(marker)) {
        throw new Error(
            `The marker ${JSON.stringify(marker)} is not a single-line HTML comment such as "<!-- gitops-platform:preview:dev -->": ` +
                `build it with hiddenMarker(...).`,
        );
    }
}

/** Whether one line of `text` is exactly `marker`. */
export function carriesMarker(text: string | null | undefined, marker: string): boolean {
    if (!text) return false;
    return text.split(/\r?\n/).some((line) => line.trim() === marker);
}

/** `text` with `marker` on a line of its own: unchanged when it already carries it, else the marker is put first. */
export function withMarker(text: string, marker: string): string {
    return carriesMarker(text, marker) ? text : `${marker}\n${text}`;
}
