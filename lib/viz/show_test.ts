import assert from "node:assert/strict";
import { JUPYTER_DISPLAY } from "./display.ts";
import { bundleOf, jupyterDisplay, settleOutputs, show } from "./show.ts";

Deno.test("bundleOf: a displayable's own bundle, text for anything else", () => {
  const fig = { [JUPYTER_DISPLAY]: () => ({ "text/html": "<b>x</b>", "text/plain": "x" }) };
  assert.deepEqual(bundleOf(fig), { "text/html": "<b>x</b>", "text/plain": "x" });
  assert.deepEqual(bundleOf("3 runs"), { "text/plain": "3 runs" });
  assert.deepEqual(bundleOf({ a: 1 }), { "text/plain": "{ a: 1 }" });
});

Deno.test("show prints the text of each value outside a kernel, settleOutputs returns at once", async () => {
  assert.equal(jupyterDisplay(), undefined);
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => void lines.push(line);
  try {
    await show("note", { [JUPYTER_DISPLAY]: () => ({ "text/plain": "Chart 10x10" }) });
  } finally {
    console.log = log;
  }
  assert.deepEqual(lines, ["note", "Chart 10x10"]);
  await settleOutputs();
});
