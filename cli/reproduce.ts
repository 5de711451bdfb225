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
import type { BackendName, ProfileName } from "../lib/config/experiment.ts";
import { DEFAULT_SYNTHETIC_CASES, DEFAULT_SYNTHETIC_SEED } from "../lib/data/synthetic.ts";
import { reproduce } from "../lib/pipeline/reproduce.ts";
import { BACKEND_FLAG, defineCli, PROFILE_FLAG, runCli } from "../lib/util/cli_args.ts";

const CLI = defineCli({
  name: "reproduce",
  summary: "The whole paper: data, liver and tumor training, ablations, the cascade on the test " +
    "volumes, LiTS metrics, Tables V and VI, executed notebooks and HTML reports. Stages already " +
    "up to date for the same config are skipped.",
  flags: {
    profile: PROFILE_FLAG,
    data: { type: "string", value: "DIR", help: "a LiTS-layout folder instead of synthetic data" },
    backend: BACKEND_FLAG,
    cases: {
      type: "int",
      min: 1,
      help: `synthetic cases (default ${DEFAULT_SYNTHETIC_CASES}; ignored with --data)`,
    },
    size: {
      type: "int",
      min: 16,
      max: 4096,
      value: "PX",
      help: "synthetic in-plane pixels (default 512; ignored with --data)",
    },
    seed: {
      type: "int",
      value: "S",
      help: `synthetic seed (default ${DEFAULT_SYNTHETIC_SEED}; ignored with --data)`,
    },
    force: { type: "boolean", help: "rerun every stage, even those up to date" },
    "skip-ablations": { type: "boolean", help: "do not train the ablation runs" },
    "skip-notebooks": { type: "boolean", help: "do not execute the notebooks" },
  },
});

if (import.meta.main) {
  await runCli(CLI, async ({ flags }) => {
    const started = performance.now();
    const report = await reproduce({
      profile: flags.profile as ProfileName,
      data: flags.data,
      backend: flags.backend as BackendName | undefined,
      cases: flags.cases,
      size: flags.size,
      seed: flags.seed,
      force: flags.force,
      skipAblations: flags["skip-ablations"],
      skipNotebooks: flags["skip-notebooks"],
    });
    const minutes = ((performance.now() - started) / 60000).toFixed(1);
    const ran = report.stages.filter((s) => s.status === "ran").map((s) => s.name);
    console.log(
      `\nreproduce (${flags.profile}) finished in ${minutes} min; ran: ${
        ran.join(", ") || "nothing (all up to date)"
      }`,
    );
    console.log("wrote:");
    for (const path of report.written) console.log(`  ${path}`);
  });
}
