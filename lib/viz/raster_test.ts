import assert from "node:assert/strict";
import { imageGrid, newRaster } from "./raster.ts";
import { decodePng } from "./testing.ts";

const widths = (html: string) =>
  [...html.matchAll(/<img [^>]*width="(\d+)" height="(\d+)"/g)]
    .map((m) => [Number(m[1]), Number(m[2])]);

Deno.test("imageGrid shows wide rows scaled to maxDisplayWidth; the PNG keeps every pixel", () => {
  const slices = [0, 1, 2].map(() => newRaster(512, 256));
  const grid = imageGrid(slices, { captions: ["a", "b", "c"] });
  // room = 960 - 2 gaps of 4 - 3 figure margins of 8 = 928; 928 / 1536 of each 512 px image.
  const w = 309; // floor(512 * 928 / 1536); height round(256 * 309 / 512) = 155
  assert.deepEqual(widths(grid.toHTML()), [[309, 155], [309, 155], [309, 155]]);
  assert.equal(3 * w + 2 * 4 + 3 * 8 <= 960, true);
  const png = decodePng(grid.toPNG());
  assert.deepEqual([png.width, png.height], [3 * 512 + 2 * 4, 256]);
  // Narrow rows are shown at their own size.
  const small = imageGrid([newRaster(32, 16), newRaster(32, 16)], { captions: ["x", "y"] });
  assert.deepEqual(widths(small.toHTML()), [[32, 16], [32, 16]]);
  const wide = imageGrid(slices, { captions: ["a", "b", "c"], maxDisplayWidth: 3000 });
  assert.deepEqual(widths(wide.toHTML())[0], [512, 256]);
});
