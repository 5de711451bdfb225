/**
 * `deno task inspect FILE... [--json] [--labels]`: shape, spacing, datatype,
 * orientation, intensity range and label counts of NIfTI files.
 * @module
 */
import { parseArgs } from "node:util";
import { formatInspect, inspectFile } from "../lib/data/inspect.ts";

const USAGE = "usage: deno task inspect FILE.nii[.gz]... [--json] [--labels]";

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      labels: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    Deno.exit(values.help ? 0 : 2);
  }
  let failed = false;
  const reports = [];
  for (const path of positionals) {
    try {
      reports.push(await inspectFile(path, { labels: values.labels }));
    } catch (err) {
      console.error(`error: ${(err as Error).message}`);
      failed = true;
    }
  }
  if (values.json) {
    console.log(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
  } else {
    console.log(reports.map(formatInspect).join("\n\n"));
  }
  if (failed) Deno.exit(1);
}
