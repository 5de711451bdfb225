import type { EpochMetrics } from "../runs/folder.ts";
import assert from "node:assert/strict";
import type { StepInfo } from "../train/loop.ts";
import { JUPYTER_DISPLAY } from "./display.ts";
import {
  curveRecords,
  type DisplayFn,
  epochText,
  jupyterDisplay,
  liveDisplay,
  prepareData,
  stepText,
  trainingMonitor,
} from "./live.ts";

type Call = { obj: unknown; options?: { display_id?: string; update?: boolean } };

function recorder(): { calls: Call[]; display: DisplayFn } {
  const calls: Call[] = [];
  return { calls, display: (obj, options) => Promise.resolve(void calls.push({ obj, options })) };
}

const bundle = (obj: unknown) =>
  (obj as { [JUPYTER_DISPLAY](): Record<string, string> })[JUPYTER_DISPLAY]();

function epoch(n: number, valDice: number): EpochMetrics {
  return {
    epoch: n,
    step: 10 * n,
    trainLoss: 1 / n,
    trainDice: 0.5,
    valLoss: 2 / n,
    valDice,
    isBest: true,
    bestValDice: valDice,
    trainSeconds: 1,
    valSeconds: 1,
    slicesPerSecond: 3,
    time: "2026-11-26T00:00:00.000Z",
    backend: "cpu",
  };
}

const step = (iteration: number): StepInfo => ({
  epoch: 1,
  iteration,
  step: iteration,
  loss: 0.25,
  dice: 0.5,
  slicesPerSecond: 4,
});

Deno.test("jupyterDisplay is undefined outside a Jupyter kernel", () => {
  assert.equal(jupyterDisplay(), undefined);
});

Deno.test("liveDisplay shows once, then updates the same display id", async () => {
  const { calls, display } = recorder();
  const live = liveDisplay(display, "fig");
  await live.show("a");
  await live.show("b");
  assert.deepEqual(calls, [
    { obj: "a", options: { display_id: "fig" } },
    { obj: "b", options: { display_id: "fig", update: true } },
  ]);
});

Deno.test("status texts and curve records", () => {
  assert.equal(
    stepText(step(3), 2, 10),
    "epoch 1/2 · iteration 3/10 · loss 0.2500 · dice 0.5000 · 4.00 slices/s",
  );
  assert.equal(
    epochText(epoch(2, 0.75), 4),
    "epoch 2/4 done · train loss 0.5000 dice 0.5000 · validation loss 1.0000 dice 0.7500 (best)",
  );
  assert.deepEqual(curveRecords([epoch(1, 0.25)]), [
    { epoch: 1, split: "train", loss: 1, dice: 0.5 },
    { epoch: 1, split: "validation", loss: 2, dice: 0.25 },
  ]);
});

Deno.test("trainingMonitor throttles step updates and redraws the curves after each epoch", async () => {
  const { calls, display } = recorder();
  const monitor = trainingMonitor({
    title: "liver",
    epochs: 2,
    iterations: 3,
    display,
    stepEveryMs: 60_000,
  });
  monitor.onStep(step(1)); // shown
  monitor.onStep(step(2)); // throttled
  monitor.onStep(step(3)); // the epoch's last iteration: always shown
  monitor.onEpoch(epoch(1, 0.25));
  monitor.onEpoch(epoch(2, 0.5));
  await monitor.done();
  assert.equal(monitor.metrics.length, 2);
  const ids = [...new Set(calls.map((c) => c.options?.display_id))];
  assert.equal(ids.length, 2); // a status line and a chart, each updated in place
  const [status, chart] = ids;
  const statusTexts = calls.filter((c) => c.options?.display_id === status).map((c) =>
    bundle(c.obj)["text/plain"]
  );
  assert.deepEqual(statusTexts, [
    `liver: ${stepText(step(1), 2, 3)}`,
    `liver: ${stepText(step(3), 2, 3)}`,
    `liver: ${epochText(epoch(1, 0.25), 2)}`,
    `liver: ${epochText(epoch(2, 0.5), 2)}`,
  ]);
  const charts = calls.filter((c) => c.options?.display_id === chart);
  assert.deepEqual(charts.map((c) => c.options?.update ?? false), [false, true]);
  // The last chart: 2 panels (loss, dice) x 2 splits x 2 epochs = 8 dots.
  const svg = bundle(charts[1].obj)["image/svg+xml"];
  assert.equal(svg.match(/<circle/g)?.length, 8);
});

Deno.test("prepareData generates the default data with a live status line", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const { calls, display } = recorder();
    const defaultDir = `${tmp}/synthetic`;
    const synthetic = { cases: 2, size: 16, slices: 4 };
    await prepareData(defaultDir, { display, defaultDir, synthetic });
    const texts = calls.map((c) => bundle(c.obj)["text/plain"]);
    assert.match(texts[0], /^synthetic CT \(first use of .*synthetic\) \d\/2/);
    assert.match(texts.at(-1)!, /2\/2 .*seconds/);
    const ids = new Set(calls.map((c) => c.options?.display_id));
    assert.equal(ids.size, 1, "one status line, updated in place");
    const shown = calls.length;
    await prepareData(defaultDir, { display, defaultDir }); // present: nothing to show
    assert.equal(calls.length, shown);
    await assert.rejects(
      prepareData(`${tmp}/typo`, { display, defaultDir }),
      /typo: no such folder/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
