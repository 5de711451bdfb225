import assert from "node:assert/strict";
import { createProgress, formatDuration, type ProgressStream } from "./progress.ts";

function fakeStream(terminal: boolean): ProgressStream & { text: () => string } {
  const chunks: string[] = [];
  const dec = new TextDecoder();
  return {
    writeSync: (d) => (chunks.push(dec.decode(d)), d.length),
    isTerminal: () => terminal,
    text: () => chunks.join(""),
  };
}

Deno.test("durations", () => {
  assert.equal(formatDuration(12.4), "12s");
  assert.equal(formatDuration(187), "3m07s");
  assert.equal(formatDuration(3720), "1h02m");
  assert.equal(formatDuration(NaN), "?");
});

Deno.test("plain lines when not a terminal, throttled, with fields and ETA", () => {
  let t = 0;
  const s = fakeStream(false);
  const p = createProgress({ total: 4, label: "train", stream: s, lineEvery: 1000, now: () => t });
  t = 0;
  p.update(1, { loss: 0.123456, dice: 0.5 }); // first update draws: 0 s elapsed, eta 0 s
  t = 500;
  p.update(2, { loss: 0.1 }); // throttled
  t = 2000;
  p.update(2, { loss: 0.1 }); // 2 s for 2 -> eta 2 s
  t = 4000;
  p.done();
  assert.equal(
    s.text(),
    "train 1/4 0s eta 0s  loss 0.1235  dice 0.5\n" +
      "train 2/4 2s eta 2s  loss 0.1\n" +
      "train 2/4 4s  loss 0.1\n",
  );
});

Deno.test("a redrawn bar on a terminal", () => {
  let t = 0;
  const s = fakeStream(true);
  const p = createProgress({ total: 4, label: "val", stream: s, now: () => t });
  p.update(2, { dice: 0.9 });
  t = 1000;
  p.done({ dice: 0.95 });
  assert.equal(
    s.text(),
    "\r\x1b[2Kval [############------------] 2/4 0s eta 0s  dice 0.9" +
      "\r\x1b[2Kval [############------------] 2/4 1s  dice 0.95\n",
  );
});
