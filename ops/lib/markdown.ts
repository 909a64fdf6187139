/**
 * Markdown pieces for GitLab notes and job artifacts: escaped table cells, and tables that stop
 * at a character budget with a line saying how many rows were left out and where to find them.
 */

/** Escapes a value for a Markdown table cell (pipes, newlines, backticks kept inside code spans). */
export function cell(text: string): string {
    return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** A code span for names and paths (backticks in the text are replaced). */
export function code(text: string): string {
    return "`" + text.replace(/`/g, "'") + "`";
}

/** A Markdown table of `rows` under `headers`, cut to `budget` characters ("… N more rows: <pointer>"). */
export function table(headers: string[], rows: string[][], budget: number, pointer: string): string {
    const line = (cols: string[]) => `| ${cols.join(" | ")} |`;
    let out = `${line(headers)}\n${line(headers.map(() => "---"))}\n`;
    for (let i = 0; i < rows.length; i++) {
        const r = line(rows[i]) + "\n";
        const rest = rows.length - i;
        const tail = `\n… ${rest} more row${rest === 1 ? "" : "s"} not shown: ${pointer}\n`;
        if (out.length + r.length + tail.length > budget) return out + tail;
        out += r;
    }
    return out;
}

/** Where the full details are: the CI job's log when running in GitLab CI, else the JSON file. */
export function detailsPointer(jsonFile: string, env: NodeJS.ProcessEnv = process.env): string {
    return env.CI_JOB_URL ? `see the job log (${env.CI_JOB_URL}) and ${jsonFile} in its artifacts` : `see ${jsonFile}`;
}
