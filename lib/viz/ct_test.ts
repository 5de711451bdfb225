import assert from "node:assert/strict";
import type { Volume } from "../data/volume.ts";
import { contourOf, contourOverlay, ctSlice, labelOverlay, windowToGrey } from "./ct.ts";
import { heatmap } from "./heatmap.ts";
import { imageGrid } from "./raster.ts";
import { JUPYTER_DISPLAY } from "./display.ts";
import { decodePng } from "./testing.ts";

/** RGB of pixel (x, y) of a decoded PNG. */
function rgbAt(png: Uint8Array, x: number, y: number): number[] {
  const d = decodePng(png);
  const i = (y * d.width + x) * d.channels;
  return d.channels === 1
    ? [d.pixels[i], d.pixels[i], d.pixels[i]]
    : [...d.pixels.subarray(i, i + 3)];
}

Deno.test("windowToGrey maps the HU window linearly onto 0..255", () => {
  const r = windowToGrey({ data: [-200, -100, 100, 300, 1000], width: 5, height: 1 }, [-100, 300]);
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => r.rgba[4 * i]), [0, 0, 128, 255, 255]);
  assert.throws(() => windowToGrey({ data: [0], width: 1, height: 1 }, [5, 5]), /high > low/);
});

Deno.test("ctSlice reads axial slice z of a canonical volume", () => {
  const vol: Volume<Int16Array> = {
    data: new Int16Array([0, 0, 0, 0, -100, 300, 100, -1000]),
    shape: [2, 2, 2],
    spacing: [1, 1, 1],
    affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
  };
  const img = ctSlice({ volume: vol, z: 1 }, { window: [-100, 300] });
  const d = decodePng(img.toPNG());
  assert.deepEqual([d.width, d.height, d.channels], [2, 2, 1]);
  assert.deepEqual([...d.pixels], [0, 255, 128, 0]);
  const bundle = img[JUPYTER_DISPLAY]();
  assert.deepEqual([...atob(bundle["image/png"]).slice(1, 4)], ["P", "N", "G"]);
});

Deno.test("labelOverlay tints liver red and tumor green at 40 % opacity", () => {
  const ct = { data: [100, 100, 100], width: 3, height: 1 };
  const labels = { data: [0, 1, 2], width: 3, height: 1 };
  const png = labelOverlay(ct, labels, { window: [-100, 300] }).toPNG();
  // grey 128: 128 * 0.6 + 255 * 0.4 = 178.8 -> 179, 128 * 0.6 = 76.8 -> 77
  assert.deepEqual(rgbAt(png, 0, 0), [128, 128, 128]);
  assert.deepEqual(rgbAt(png, 1, 0), [179, 77, 77]);
  assert.deepEqual(rgbAt(png, 2, 0), [77, 179, 77]);
  assert.throws(
    () => labelOverlay(ct, { data: [0, 1], width: 2, height: 1 }),
    /labels slice is 2x1 but the CT slice is 3x1/,
  );
});

Deno.test("contourOf keeps mask pixels with a 4-neighbour outside", () => {
  const mask = [
    [0, 0, 0, 0, 0],
    [0, 1, 1, 1, 0],
    [0, 1, 1, 1, 0],
    [0, 1, 1, 1, 0],
    [0, 0, 0, 0, 0],
  ].flat();
  const edge = contourOf(mask, 5, 5);
  assert.equal(edge.reduce((a, b) => a + b, 0), 8);
  assert.equal(edge[2 + 5 * 2], 0);
  // A mask filling the image is closed at the border.
  assert.deepEqual([...contourOf([1, 1, 1, 1], 2, 2)], [1, 1, 1, 1]);
});

Deno.test("contourOverlay draws truth and prediction contours in two colours", () => {
  const ct = { data: new Array(25).fill(-100), width: 5, height: 5 };
  const truth = {
    data: [0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    width: 5,
    height: 5,
  };
  const prediction = {
    data: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0],
    width: 5,
    height: 5,
  };
  const png = contourOverlay(ct, { prediction, truth }, {
    colors: { truth: [255, 255, 0], prediction: [0, 0, 255] },
  }).toPNG();
  assert.deepEqual(rgbAt(png, 0, 0), [0, 0, 0]);
  assert.deepEqual(rgbAt(png, 1, 1), [255, 255, 0]);
  assert.deepEqual(rgbAt(png, 2, 2), [0, 0, 255]); // truth interior, prediction contour
  assert.deepEqual(rgbAt(png, 3, 3), [0, 0, 255]); // both: prediction on top
});

Deno.test("heatmap maps the domain ends to the scheme's ends", () => {
  const png = heatmap({ data: [0, 25, 99], width: 3, height: 1 }, { domain: [0, 25] }).toPNG();
  assert.deepEqual(rgbAt(png, 0, 0), [0x44, 0x01, 0x54]); // viridis #440154
  assert.deepEqual(rgbAt(png, 1, 0), [0xfd, 0xe7, 0x25]); // viridis #fde725
  assert.deepEqual(rgbAt(png, 2, 0), [0xfd, 0xe7, 0x25]); // clamped
});

Deno.test("imageGrid lays images out with a gap and keeps captions for HTML", () => {
  const red = { width: 1, height: 1, rgba: new Uint8ClampedArray([255, 0, 0, 255]) };
  const blue = {
    width: 1,
    height: 2,
    rgba: new Uint8ClampedArray([0, 0, 255, 255, 0, 0, 255, 255]),
  };
  const grid = imageGrid([red, blue], { gap: 1, captions: ["a<b", "c"] });
  assert.deepEqual([grid.width, grid.height], [3, 2]);
  const png = grid.toPNG();
  assert.deepEqual(rgbAt(png, 0, 0), [255, 0, 0]);
  assert.deepEqual(rgbAt(png, 1, 0), [255, 255, 255]);
  assert.deepEqual(rgbAt(png, 2, 1), [0, 0, 255]);
  assert.deepEqual(rgbAt(png, 0, 1), [255, 255, 255]); // below the shorter image
  const html = grid[JUPYTER_DISPLAY]()["text/html"];
  assert.equal(html.match(/<img src="data:image\/png;base64,/g)?.length, 2);
  assert.ok(html.includes("<figcaption>a&lt;b</figcaption>"));
});

Deno.test("image save writes a PNG file atomically", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const img = ctSlice({ data: [0, 300], width: 2, height: 1 });
    await img.save(`${dir}/sub/slice.png`);
    const d = decodePng(await Deno.readFile(`${dir}/sub/slice.png`));
    assert.deepEqual([...d.pixels], [64, 255]);
    await assert.rejects(() => img.save(`${dir}/slice.jpg`), /use \.png or \.html/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
