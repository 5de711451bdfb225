import assert from "node:assert/strict";
import { crc32, encodePng, encodeRgbaPng } from "./png.ts";
import { decodePng } from "./testing.ts";

Deno.test("crc32 matches the standard check value", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  // The IEND chunk's CRC every PNG ends with.
  assert.equal(crc32(new TextEncoder().encode("IEND")), 0xae426082);
});

Deno.test("encodePng writes signature, IHDR and pixels that decode back", () => {
  const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  const png = encodePng(rgb, 3, 2, 3);
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  assert.equal(String.fromCharCode(...png.subarray(12, 16)), "IHDR");
  const view = new DataView(png.buffer);
  assert.equal(view.getUint32(16), 3);
  assert.equal(view.getUint32(20), 2);
  const d = decodePng(png);
  assert.deepEqual(d.chunks, ["IHDR", "IDAT", "IEND"]);
  assert.equal(d.channels, 3);
  assert.deepEqual([...d.pixels], [...rgb]);
});

Deno.test("encodeRgbaPng picks grey, RGB or RGBA", () => {
  const grey = new Uint8ClampedArray([7, 7, 7, 255, 200, 200, 200, 255]);
  const g = decodePng(encodeRgbaPng(grey, 2, 1));
  assert.equal(g.channels, 1);
  assert.deepEqual([...g.pixels], [7, 200]);
  const rgb = decodePng(encodeRgbaPng(new Uint8ClampedArray([1, 2, 3, 255]), 1, 1));
  assert.equal(rgb.channels, 3);
  assert.deepEqual([...rgb.pixels], [1, 2, 3]);
  const rgba = decodePng(encodeRgbaPng(new Uint8ClampedArray([1, 2, 3, 128]), 1, 1));
  assert.equal(rgba.channels, 4);
  assert.deepEqual([...rgba.pixels], [1, 2, 3, 128]);
});

Deno.test("encodePng rejects a buffer of the wrong size", () => {
  assert.throws(() => encodePng(new Uint8Array(5), 2, 2, 1), /5 bytes, expected 2x2x1/);
});
