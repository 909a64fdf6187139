// Runs the GitLab double as a process, for end-to-end tests that drive the real Pulumi CLI:
//   node --import tsx test/support/gitlab-double/main.ts --group acme/platform --owner-token <t> [--port 0] [--url-file f]
//     [--maintainer-token <t>] [--reader-token <t> (read_api, Reporter)]
//     [--project acme/platform/app[=42]] [--merge-request acme/platform/app!7]
// Prints `{"url": "http://127.0.0.1:<port>"}` on stdout once listening; admin routes (/_double/...)
// are on so the test can revoke/expire tokens (and revoke an API token) out of band, read the
// notes and issues the ops commands wrote, and inject faults (POST /_double/faults {status, count}:
// the next count API calls answer status; GET: pending/served; DELETE: recovered). Any project id
// and merge request iid exists on first use (autoProjects; the tokens' highest role applies);
// --project/--merge-request register them explicitly, under a --group whose roles they inherit.
// Stops on SIGTERM/SIGINT.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startGitLabDouble } from "./server";

async function main() {
    const { values } = parseArgs({
        options: {
            port: { type: "string", default: "0" },
            group: { type: "string", multiple: true, default: [] },
            "owner-token": { type: "string", multiple: true, default: [] },
            "maintainer-token": { type: "string", multiple: true, default: [] },
            "reader-token": { type: "string", multiple: true, default: [] },
            project: { type: "string", multiple: true, default: [] },
            "merge-request": { type: "string", multiple: true, default: [] },
            "url-file": { type: "string" },
        },
    });
    const double = await startGitLabDouble({ port: Number(values.port), admin: true, autoProjects: true });
    const groups = values.group as string[];
    for (const g of groups) double.addGroup(g);
    for (const t of values["owner-token"] as string[]) {
        double.users[t] = { scopes: ["api"], groups: Object.fromEntries(groups.map((g) => [g, "owner" as const])) };
    }
    for (const t of values["maintainer-token"] as string[]) {
        double.users[t] = { scopes: ["api"], groups: Object.fromEntries(groups.map((g) => [g, "maintainer" as const])) };
    }
    // read_api, Reporter: what the preview ApplicationSet's generator token needs
    for (const t of values["reader-token"] as string[]) {
        double.users[t] = { scopes: ["read_api"], groups: Object.fromEntries(groups.map((g) => [g, "reporter" as const])) };
    }
    for (const p of values.project as string[]) {
        const [path, id] = p.split("=", 2);
        if (!path || (id !== undefined && !/^\d+$/.test(id))) throw new Error(`--project ${p}: expected <full path>[=<numeric id>]`);
        double.addProject(path, id === undefined ? undefined : Number(id));
    }
    for (const mr of values["merge-request"] as string[]) {
        const [project, iid] = mr.split("!", 2);
        if (!project || !/^\d+$/.test(iid ?? "")) throw new Error(`--merge-request ${mr}: expected <project path or id>!<iid>`);
        double.addMergeRequest(project, Number(iid));
    }
    if (values["url-file"]) writeFileSync(values["url-file"], double.url + "\n");
    process.stdout.write(JSON.stringify({ url: double.url }) + "\n");
    const stop = () => void double.close().then(() => process.exit(0));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
