// Runs the Argo CD API double as a process for the e2e:
//   node --import tsx test/support/argocd-double/main.ts --admin-password <p> [--port 0] [--url-file f] [--account ci-readonly]
// Prints `{"url": "http://127.0.0.1:<port>"}` once listening. Stops on SIGTERM/SIGINT.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startArgoCdDouble } from "./server";

async function main() {
    const { values } = parseArgs({
        options: {
            port: { type: "string", default: "0" },
            "admin-password": { type: "string" },
            account: { type: "string", multiple: true, default: ["ci-readonly"] },
            "url-file": { type: "string" },
        },
    });
    if (!values["admin-password"]) throw new Error("--admin-password is required");
    const accounts = Object.fromEntries((values.account as string[]).map((a) => [a, ["apiKey"]]));
    const double = await startArgoCdDouble({ port: Number(values.port), adminPassword: values["admin-password"] as string, accounts });
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
