/**
 * `deno task reproduce [--profile cpu|smoke|paper] [--data DIR] [--backend NAME]
 *   [--cases N] [--size PX] [--seed S] [--force] [--skip-ablations] [--skip-notebooks]`
 *
 * The whole paper on this machine: synthetic data (or `--data` for a LiTS
 * folder), liver and tumor training, ablations, the cascade on the test
 * volumes, the LiTS metrics, Tables V and VI, executed notebooks and HTML
 * reports. Stages already up to date for the same config are skipped.
 * @module
 */
import { parseArgs } from "node:util";
import type { BackendName, ProfileName } from "../lib/config/experiment.ts";
import { reproduce } from "../lib/pipeline/reproduce.ts";

const usage = "usage: deno task reproduce [--profile cpu|smoke|paper] [--data DIR] " +
  "[--backend auto|tensorflow|webgpu|wasm|cpu] [--cases N] [--size PX] [--seed S] [--force] " +
  "[--skip-ablations] [--skip-notebooks]";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    profile: { type: "string", default: "cpu" },
    data: { type: "string" },
    backend: { type: "string" },
    cases: { type: "string" },
    size: { type: "string" },
    seed: { type: "string" },
    force: { type: "boolean", default: false },
    "skip-ablations": { type: "boolean", default: false },
    "skip-notebooks": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help || positionals.length > 0) {
  console.error(usage);
  Deno.exit(values.help ? 0 : 2);
}
if (!["cpu", "smoke", "paper"].includes(values.profile)) {
  console.error(`reproduce: unknown profile "${values.profile}"\n${usage}`);
  Deno.exit(2);
}

const started = performance.now();
try {
  const report = await reproduce({
    profile: values.profile as ProfileName,
    data: values.data,
    backend: values.backend as BackendName | undefined,
    cases: values.cases ? Number(values.cases) : undefined,
    size: values.size ? Number(values.size) : undefined,
    seed: values.seed ? Number(values.seed) : undefined,
    force: values.force,
    skipAblations: values["skip-ablations"],
    skipNotebooks: values["skip-notebooks"],
  });
  const minutes = ((performance.now() - started) / 60000).toFixed(1);
  const ran = report.stages.filter((s) => s.status === "ran").map((s) => s.name);
  console.log(
    `\nreproduce (${values.profile}) finished in ${minutes} min; ran: ${
      ran.join(", ") || "nothing (all up to date)"
    }`,
  );
  console.log("wrote:");
  for (const path of report.written) console.log(`  ${path}`);
} catch (err) {
  console.error(`reproduce: ${(err as Error).message}`);
  Deno.exit(1);
}
