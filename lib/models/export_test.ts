import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { exportLayersModel } from "./export.ts";
import { buildFCDenseNet } from "./fc_densenet.ts";
import { PAPER_LIVER_MODEL } from "./testing.ts";

await tf.setBackend("cpu");

/** A fresh Deno that imports only stock TF.js loads the files and predicts on `input`. */
async function predictWithStockTfjs(modelJson: string, input: tf.Tensor4D): Promise<number[]> {
  const script = `
    import * as tf from "@tensorflow/tfjs";
    await tf.setBackend("cpu");
    const url = ${JSON.stringify(pathToFileURL(modelJson).href)};
    const model = await tf.loadLayersModel(tf.io.http(url, { fetchFunc: fetch }));
    const x = tf.tensor(${JSON.stringify([...input.dataSync()])}, ${JSON.stringify(input.shape)});
    console.log(JSON.stringify([...(model.predict(x)).dataSync()]));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

Deno.test("an exported model loads in stock TF.js (no StepDropout) and predicts the same", async () => {
  const dir = await Deno.makeTempDir();
  const model = buildFCDenseNet(
    { ...PAPER_LIVER_MODEL, firstFilters: 4, growthRate: 2, layersPerBlock: 1, poolingLevels: 2 },
    8,
    { seed: 3 },
  );
  const input = tf.randomUniform([1, 8, 8, 1], 0, 1, "float32", 5) as tf.Tensor4D;
  try {
    const [modelJson, weights] = await exportLayersModel(model, dir);
    assert.deepEqual([modelJson, weights], [join(dir, "model.json"), join(dir, "weights.bin")]);
    const json = JSON.parse(await Deno.readTextFile(modelJson));
    const layers: { class_name: string; config: { rate?: number } }[] =
      json.modelTopology.config.layers;
    assert.ok(!layers.some((l) => l.class_name === "StepDropout"));
    const dropouts = layers.filter((l) => l.class_name === "Dropout");
    assert.ok(dropouts.length > 0 && dropouts.every((l) => l.config.rate === 0.2));
    const expected = [...(model.predict(input) as tf.Tensor).dataSync()];
    const got = await predictWithStockTfjs(modelJson, input);
    assert.equal(got.length, expected.length);
    const worst = Math.max(...got.map((v, i) => Math.abs(v - expected[i])));
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
  } finally {
    model.dispose();
    input.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
