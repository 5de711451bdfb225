/**
 * `deno task data [--out DIR] [--cases N] [--size PX] [--slices N] [--seed S]`:
 * write a synthetic LiTS-layout data set (default 48 cases of 512x512 into
 * `data/synthetic`) and print what it made.
 * @module
 */
import {
  DEFAULT_SYNTHETIC_CASES,
  DEFAULT_SYNTHETIC_SEED,
  writeSyntheticSet,
} from "../lib/data/synthetic.ts";
import { defineCli, runCli } from "../lib/util/cli_args.ts";
import { createProgress } from "../lib/util/progress.ts";

const CLI = defineCli({
  name: "data",
  summary: "Write a synthetic CT data set in the LiTS layout (volume-N.nii, segmentation-N.nii).",
  flags: {
    out: { type: "string", value: "DIR", default: "data/synthetic", help: "output folder" },
    cases: { type: "int", min: 1, default: DEFAULT_SYNTHETIC_CASES, help: "number of cases" },
    size: {
      type: "int",
      min: 16,
      max: 4096,
      value: "PX",
      default: 512,
      help: "in-plane pixels (spacing scales so anatomy keeps its size)",
    },
    slices: { type: "int", min: 1, help: "slices per case (default drawn per case, 40..90)" },
    seed: { type: "int", value: "S", default: DEFAULT_SYNTHETIC_SEED, help: "random seed" },
  },
});

if (import.meta.main) {
  await runCli(CLI, async ({ flags }) => {
    const bar = createProgress({ total: flags.cases, label: "synthetic", lineEvery: 2000 });
    const summary = await writeSyntheticSet({
      out: flags.out,
      cases: flags.cases,
      size: flags.size,
      seed: flags.seed,
      slices: flags.slices,
      onProgress: (done, _total, c) => bar.update(done, { case: c.id, tumors: c.tumors }),
    });
    bar.done();
    console.log(
      "id  shape            spacing (mm)          liver slices  liver vox   tumor vox  tumors",
    );
    for (const c of summary.cases) {
      const shape = c.shape.join("x").padEnd(16);
      const sp = c.spacing.map((v) => v.toFixed(3)).join(" x ").padEnd(21);
      const ls = (c.liverSlices ? c.liverSlices.join("-") : "none").padEnd(13);
      console.log(
        `${String(c.id).padEnd(3)} ${shape} ${sp} ${ls} ${String(c.liverVoxels).padStart(9)} ` +
          `${String(c.tumorVoxels).padStart(11)} ${String(c.tumors).padStart(7)}`,
      );
    }
    console.log(
      `wrote ${summary.cases.length} cases to ${summary.out} in ${summary.seconds.toFixed(1)} s`,
    );
  });
}
