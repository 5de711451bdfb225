import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { writeSyntheticSet } from "../../data/synthetic.ts";
import { runId } from "../../runs/folder.ts";
import { profileExperiment } from "../../config/experiments.ts";
import { JUPYTER_DISPLAY } from "../display.ts";
import { type DisplayFn, obtainRunLive } from "../live.ts";
import {
  learningCurves,
  networkSummary,
  validationPredictionsFigure,
  validationShowcase,
} from "./training.ts";

await tf.setBackend("cpu");
const EXPERIMENTS = new URL("../../../experiments", import.meta.url).pathname;

/** A table's HTML, or a chart's SVG. */
const html = (obj: unknown) => {
  const bundle = (obj as { [JUPYTER_DISPLAY](): Record<string, string> })[JUPYTER_DISPLAY]();
  return bundle["image/svg+xml"] ?? bundle["text/html"];
};

Deno.test({
  name: "a model section: summary, train-or-load with live display, curves, validation predictions",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    try {
      const data = join(tmp, "data");
      // 4 cases: the smoke split is 2 train / 1 validation / 1 test; case 2 has no tumor.
      await writeSyntheticSet({ out: data, cases: 4, size: 32, seed: 1, slices: 24 });
      const cfg = await profileExperiment("liver", "smoke", data, EXPERIMENTS);
      assert.equal(cfg.profile, "smoke");
      assert.equal(cfg.data.root, data);
      await assert.rejects(profileExperiment("liver", "fast", data, EXPERIMENTS), /no profile/);

      const summary = html(networkSummary(cfg));
      const side = cfg.data.inputSize;
      // The SBU brings the output back to twice the input side.
      const io = `input ${side}x${side}x1 -&gt; output ${2 * side}x${2 * side}x2, `;
      assert.ok(summary.includes(io), summary.slice(0, 120));
      assert.match(summary, /parameters<\/caption>/);

      const shown: unknown[] = [];
      const lines: string[] = [];
      const display: DisplayFn = (obj) => Promise.resolve(void shown.push(obj));
      const runsDir = join(tmp, "runs");
      const run = await obtainRunLive(cfg, { runsDir, display, log: (l) => lines.push(l) });
      try {
        assert.equal(run.trained, true);
        assert.match(lines[0], /^trained .* \(no finished liver run of profile smoke/);
        const texts = shown.map(html);
        assert.ok(
          texts.some((t) => t.includes(`epoch ${cfg.train.epochs}/${cfg.train.epochs} done`)),
        );
        assert.ok(texts.some((t) => t.includes("<svg")), "live curves");

        const curves = learningCurves(run).toHTML();
        assert.ok(curves.includes(`liver run ${runId(run)}`));
        assert.equal(curves.match(/<circle/g)?.length, 2 * 2 * run.metrics.length);

        const cases = await validationShowcase(run, data);
        assert.ok(cases.length >= 1 && cases.length <= 3);
        for (const c of cases) {
          const n = c.volume.shape[0] * c.volume.shape[1];
          const liver = c.segmentation.data.subarray(c.z * n, (c.z + 1) * n).filter((v) => v >= 1);
          assert.ok(liver.length > 0, `case ${c.entry.id} slice ${c.z} holds liver`);
        }
        const grid = await validationPredictionsFigure(run, cases);
        assert.equal(grid.cells.length, 3 * cases.length);
        assert.match(grid.cells[1].caption!, /^prediction \(slice Dice \d\.\d{3}\)$/);
      } finally {
        run.model.dispose();
      }

      const loaded = await obtainRunLive(cfg, { runsDir, display, log: (l) => lines.push(l) });
      loaded.model.dispose();
      assert.equal(loaded.trained, false);
      assert.match(lines[1], /^loaded /);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("validationShowcase names the run when its split does not fit the data", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await writeSyntheticSet({ out: tmp, cases: 2, size: 16, seed: 1, slices: 4 });
    const cfg = await profileExperiment("liver", "smoke", "data/other", EXPERIMENTS);
    await assert.rejects(
      validationShowcase({ config: cfg, runDir: "runs/liver/x" }, tmp),
      /run runs\/liver\/x \(trained on data\/other\) does not fit .*: split asks for 2\+1\+1 = 4 cases, the dataset has 2/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
