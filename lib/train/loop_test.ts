import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { ExperimentConfig } from "../config/experiment.ts";
import { loadExperiment } from "../config/load.ts";
import { writeSyntheticSet } from "../data/synthetic.ts";
import { tfEventsBytes, tfEventsName } from "../runs/tfevents.ts";
import { trainExperiment } from "./loop.ts";
import type { Batch } from "../data/sampler.ts";
import type { BatchSource } from "./batches.ts";
import { learningRateAt, NonFiniteLossError } from "./steps.ts";
import { type EpochMetrics, loadRun } from "../runs/folder.ts";

const repo = new URL("../../", import.meta.url).pathname;

/** Smoke liver config (16 px in -> 32 px out), overridable. */
async function smokeConfig(train: Partial<ExperimentConfig["train"]> = {}) {
  return await loadExperiment(join(repo, "experiments", "liver.json"), {
    profile: "smoke",
    overrides: { train: { epochs: 2, trainIterations: 2, validationIterations: 1, ...train } },
  });
}

/**
 * Seeded batches of a bright disk on noise (a miniature liver), whose state is
 * a counter: batch n depends only on (seed, n). `nanFrom` poisons batches from n on.
 */
function diskSource(cfg: ExperimentConfig, seed: number, nanFrom = Infinity): BatchSource {
  let n = 0;
  const inSize = cfg.data.inputSize;
  const outSize = cfg.data.sliceSize;
  return {
    next(b: number): Batch {
      const k = n++;
      let s = (seed * 7919 + k * 104729) >>> 0;
      const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      const img = new Float32Array(b * inSize * inSize);
      const lab = new Float32Array(b * outSize * outSize * 2);
      const wts = new Float32Array(b * outSize * outSize);
      for (let i = 0; i < b; i++) {
        const cx = 0.3 + 0.4 * rand(), cy = 0.3 + 0.4 * rand(), r = 0.15 + 0.15 * rand();
        for (let y = 0; y < outSize; y++) {
          for (let x = 0; x < outSize; x++) {
            const inside = (x / outSize - cx) ** 2 + (y / outSize - cy) ** 2 < r * r ? 1 : 0;
            const p = (i * outSize + y) * outSize + x;
            lab[2 * p + inside] = 1;
            wts[p] = inside ? 5 : 1;
          }
        }
        for (let y = 0; y < inSize; y++) {
          for (let x = 0; x < inSize; x++) {
            const inside = ((x + 0.5) / inSize - cx) ** 2 + ((y + 0.5) / inSize - cy) ** 2 < r * r;
            img[(i * inSize + y) * inSize + x] = k >= nanFrom
              ? NaN
              : (inside ? 0.7 : 0.2) + 0.1 * rand();
          }
        }
      }
      return {
        images: tf.tensor4d(img, [b, inSize, inSize, 1]),
        labels: tf.tensor4d(lab, [b, outSize, outSize, 2]),
        weights: tf.tensor3d(wts, [b, outSize, outSize]),
      };
    },
    state: () => n,
    restore: (state) => {
      n = state as number;
    },
  };
}

const sourcesFor = (cfg: ExperimentConfig, nanFrom = Infinity) => ({
  train: diskSource(cfg, 1, nanFrom),
  validation: diskSource(cfg, 2),
});

async function bytes(dir: string, file: string) {
  return await Deno.readFile(join(dir, "checkpoints", "last", file));
}

Deno.test("resume reaches the same weights as an uninterrupted run (cpu backend)", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const cfg2 = await smokeConfig();
    const straight = join(tmp, "straight");
    const r = await trainExperiment(cfg2, {
      runDir: straight,
      quiet: true,
      sources: sourcesFor(cfg2),
    });
    assert.equal(r.metrics.length, 2);

    const split = join(tmp, "split");
    const cfg1 = await smokeConfig({ epochs: 1 });
    await trainExperiment(cfg1, { runDir: split, quiet: true, sources: sourcesFor(cfg1) });
    // A fresh process would rebuild the sources from scratch; resume restores their state.
    await trainExperiment(cfg2, {
      runDir: split,
      resume: true,
      quiet: true,
      sources: sourcesFor(cfg2),
    });

    assert.deepEqual(await bytes(split, "weights.bin"), await bytes(straight, "weights.bin"));
    assert.deepEqual(await bytes(split, "optimizer.bin"), await bytes(straight, "optimizer.bin"));
    const strip = (m: EpochMetrics) => ({
      ...m,
      time: 0,
      trainSeconds: 0,
      valSeconds: 0,
      slicesPerSecond: 0,
    });
    const a = (await loadRun(straight, "last")).metrics.map(strip);
    const b = (await loadRun(split, "last")).metrics.map(strip);
    assert.equal(b.length, 2);
    assert.deepEqual(b, a);
    const state = JSON.parse(
      await Deno.readTextFile(join(split, "checkpoints", "last", "state.json")),
    );
    // 2 epochs x 2 iterations x 2 micro-batches of 1 slice.
    assert.equal(state.step, 8);
    assert.equal(state.adamStep, 4);
    assert.deepEqual(state.samplers, { train: 4 });
    // A second fresh run into the same folder is refused.
    await assert.rejects(
      trainExperiment(cfg2, { runDir: straight, quiet: true, sources: sourcesFor(cfg2) }),
      /already holds a run/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("validation draws the same batches every epoch", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const cfg = await smokeConfig({ epochs: 3, validationIterations: 2 });
    const validation = diskSource(cfg, 2);
    const drawn: unknown[] = [];
    const next = validation.next.bind(validation);
    validation.next = (b) => {
      drawn.push(validation.state());
      return next(b);
    };
    await trainExperiment(cfg, {
      runDir: join(tmp, "run"),
      quiet: true,
      sources: { train: diskSource(cfg, 1), validation },
    });
    assert.deepEqual(drawn, [0, 1, 0, 1, 0, 1]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("no tensor leaks across training steps and after the run", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const cfg = await smokeConfig({ epochs: 2, trainIterations: 3 });
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const result = await trainExperiment(cfg, {
      runDir: tmp,
      quiet: true,
      sources: sourcesFor(cfg),
      onStep: () => counts.push(tf.memory().numTensors),
    });
    assert.equal(counts.length, 6);
    assert.ok(counts.every((c) => c === counts[0]), `tensor counts per step: ${counts}`);
    assert.equal(tf.memory().numTensors, before);
    assert.equal(result.metrics.length, 2);

    const { config, model, metrics } = await loadRun(tmp);
    assert.deepEqual(config, cfg);
    assert.equal(metrics.length, 2);
    const m = metrics[0];
    assert.match(m.backend, /^cpu/);
    assert.ok(Number.isFinite(m.trainLoss) && m.valDice >= 0 && m.valDice <= 1);
    assert.equal(metrics.filter((x) => x.isBest).at(-1)!.epoch, result.bestEpoch);
    // The same curves for TensorBoard, rewritten after each epoch.
    assert.deepEqual(await Deno.readFile(join(tmp, tfEventsName(metrics))), tfEventsBytes(metrics));
    tf.tidy(() => {
      const y = model.predict(tf.zeros([1, 16, 16, 1])) as tf.Tensor;
      assert.deepEqual(y.shape, [1, 32, 32, 2]);
    });
    model.dispose();
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a non-finite loss stops the run and keeps the last good checkpoint", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const cfg = await smokeConfig({ epochs: 3 });
    // Training batches 0 and 1 make epoch 1; batch 2 (epoch 2) is NaN.
    await assert.rejects(
      trainExperiment(cfg, { runDir: tmp, quiet: true, sources: sourcesFor(cfg, 2) }),
      (err: Error) =>
        err instanceof NonFiniteLossError &&
        /loss is NaN at epoch 2, iteration 1/.test(err.message),
    );
    const state = JSON.parse(
      await Deno.readTextFile(join(tmp, "checkpoints", "last", "state.json")),
    );
    assert.equal(state.epoch, 1);
    assert.equal((await loadRun(tmp, "last")).metrics.length, 1);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("end to end on generated synthetic data: smoke liver and tumor runs with the sampler", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const root = join(tmp, "data");
    await writeSyntheticSet({ out: root, cases: 4, size: 32, slices: 12, seed: 3 });
    for (const file of ["liver.json", "tumor.json"]) {
      const cfg = await loadExperiment(join(repo, "experiments", file), {
        profile: "smoke",
        overrides: { data: { root } },
      });
      const runDir = join(tmp, "runs", cfg.name);
      const before = tf.memory().numTensors;
      const r = await trainExperiment(cfg, { runDir, quiet: true });
      assert.equal(tf.memory().numTensors, before);
      assert.equal(r.metrics.length, 1);
      assert.ok(Number.isFinite(r.metrics[0].trainLoss));
      const { config, model } = await loadRun(runDir, "best");
      assert.equal(config.task, cfg.task);
      // The tumor smoke profile trains on 16 px patches; the model still takes whole slices.
      const { inputSize, sliceSize, patchSize } = cfg.data;
      const side = patchSize ?? inputSize;
      assert.equal(patchSize, cfg.task === "tumor" ? 16 : undefined);
      assert.deepEqual(model.inputs[0].shape, [null, side, side, cfg.model.inputChannels]);
      const whole = tf.tidy(() =>
        (model.apply(tf.zeros([1, inputSize, inputSize, cfg.model.inputChannels])) as tf.Tensor)
          .shape
      );
      assert.deepEqual(whole, [1, sliceSize, sliceSize, 2]);
      model.dispose();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("learning rate: constant by default, cosine to 0 over all iterations", async () => {
  const cfg = await smokeConfig({ epochs: 2, trainIterations: 5, learningRate: 0.01 });
  assert.equal(learningRateAt(cfg.train, 7), 0.01);
  const cos = { ...cfg.train, learningRateSchedule: "cosine" as const };
  // 10 updates in all: 0.01 * (1 + cos(pi * done / 10)) / 2.
  assert.equal(learningRateAt(cos, 0), 0.01);
  assert.ok(Math.abs(learningRateAt(cos, 5) - 0.005) < 1e-15);
  assert.ok(Math.abs(learningRateAt(cos, 9) - 0.01 * (1 + Math.cos(0.9 * Math.PI)) / 2) < 1e-15);
  assert.equal(learningRateAt(cos, 10), 0);
});

Deno.test("a step too big for the wasm heap stops before training with a clear message", async () => {
  const cfg = await loadExperiment(
    new URL("../../experiments/liver.json", import.meta.url).pathname,
    { profile: "paper", overrides: { train: { backend: "wasm", microBatch: 3 } } },
  );
  const never = {
    next(): never {
      throw new Error("no batch may be drawn");
    },
    state: () => null,
    restore() {},
  };
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    () =>
      trainExperiment(cfg, {
        runDir: dir,
        quiet: true,
        sources: { train: never, validation: never },
      }),
    /liver \(paper\): a step of 3 sample\(s\) needs about .* GiB, more than the 4 GiB wasm heap/,
  );
  await Deno.remove(dir, { recursive: true });
});
