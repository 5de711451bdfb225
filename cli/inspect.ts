/**
 * `deno task inspect FILE... [--json] [--labels]`: shape, spacing, datatype,
 * orientation, intensity range and label counts of NIfTI files.
 * @module
 */
import { formatInspect, inspectFile } from "../lib/data/inspect.ts";
import { defineCli, runCli } from "../lib/util/cli_args.ts";

const CLI = defineCli({
  name: "inspect",
  summary:
    "Shape, spacing, datatype, orientation, intensity range and label counts of NIfTI files.",
  positionals: { name: "FILE.nii[.gz]...", help: "the files to inspect", min: 1 },
  flags: {
    json: { type: "boolean", help: "print the reports as JSON" },
    labels: { type: "boolean", help: "count labels even when the file does not look like one" },
  },
});

if (import.meta.main) {
  await runCli(CLI, async ({ flags, positionals }) => {
    let failed = false;
    const reports = [];
    for (const path of positionals) {
      try {
        reports.push(await inspectFile(path, { labels: flags.labels }));
      } catch (err) {
        console.error(`error: ${(err as Error).message}`);
        failed = true;
      }
    }
    if (flags.json) {
      console.log(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
    } else {
      console.log(reports.map(formatInspect).join("\n\n"));
    }
    return failed ? 1 : 0;
  });
}
