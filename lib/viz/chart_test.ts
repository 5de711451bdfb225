import assert from "node:assert/strict";
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import { hconcat, plotChart } from "./chart.ts";
import { groupedBars, histogram, huHistogram, integerAxis, trainingCurves } from "./charts.ts";
import { JUPYTER_DISPLAY } from "./display.ts";
import { htmlTable } from "./table.ts";

/** Elements matching `selector` in an SVG/HTML string. */
function select(markup: string, selector: string): Element[] {
  const { document } = parseHTML(`<!doctype html><html><body>${markup}</body></html>`);
  return [...document.querySelectorAll(selector)];
}

Deno.test("plotChart renders marks, not just axes; displays as an <img> of the SVG and the SVG", () => {
  const chart = plotChart({ marks: [Plot.lineY([1, 3, 2]), Plot.dot([[0, 1], [1, 3]])] });
  const bundle = chart[JUPYTER_DISPLAY]();
  const svg = bundle["image/svg+xml"];
  assert.equal(svg, chart.toSVG());
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.equal(select(svg, 'g[aria-label="line"] path').length, 1);
  assert.equal(select(svg, 'g[aria-label="dot"] circle').length, 2);
  // The HTML is an <img> (kept by Jupyter's sanitiser) whose data URI is that SVG.
  const [img] = select(bundle["text/html"], "img");
  const src = img.getAttribute("src")!;
  assert.ok(src.startsWith("data:image/svg+xml;base64,"));
  const decoded = new TextDecoder().decode(
    Uint8Array.from(atob(src.slice(src.indexOf(",") + 1)), (c) => c.charCodeAt(0)),
  );
  assert.equal(decoded, svg);
  assert.equal(img.getAttribute("width"), String(chart.width));
  assert.ok(!bundle["text/html"].includes("<svg"));
});

Deno.test("plotChart draws title and ordinal legend inside the SVG", () => {
  const data = [{ x: 1, y: 2, s: "train" }, { x: 2, y: 3, s: "val" }];
  const chart = plotChart({
    title: "Loss",
    color: { legend: true },
    marks: [Plot.dot(data, { x: "x", y: "y", fill: "s" })],
  });
  const svg = chart.toHTML();
  assert.ok(!svg.includes("<figure"));
  assert.deepEqual(select(svg, 'g[aria-label="legend"] text').map((t) => t.textContent), [
    "train",
    "val",
  ]);
  assert.equal(select(svg, "svg > text")[0].textContent, "Loss");
  assert.equal(select(svg, 'g[aria-label="dot"] circle').length, 2);
});

Deno.test("histogram counts values per bin and drops those outside the range", () => {
  const bins = histogram([-1000, -5, 0, 5, 9.99, 10, 19, 20], [-10, 20], 10);
  assert.deepEqual(bins.map((b) => [b.x0, b.count]), [[-10, 1], [0, 3], [10, 2]]);
});

Deno.test("huHistogram draws bins, window bands and window bounds", () => {
  const chart = huHistogram([-50, 0, 40, 40, 120], {
    range: [-100, 200],
    binWidth: 50,
    windows: { a: [0, 100], b: [-100, 200] },
  });
  const svg = chart.toHTML();
  const rects = select(svg, 'g[aria-label="rect"] rect');
  // 2 window bands + 6 bins
  assert.equal(rects.length, 8);
  assert.equal(select(svg, 'g[aria-label="rule"] line').length, 4 + 1);
  assert.deepEqual(select(svg, 'g[aria-label="legend"] text').map((t) => t.textContent), [
    "a",
    "b",
  ]);
});

Deno.test("trainingCurves: epochs tick as whole numbers, a single epoch as 1", () => {
  const xTicks = (log: Record<string, number | string>[]) =>
    select(
      trainingCurves(log, { y: ["loss"], series: "split" }).toSVG(),
      'g[aria-label="x-axis tick label"] text',
    ).map((t) => t.textContent);
  assert.deepEqual(xTicks([{ epoch: 1, split: "train", loss: 0.5 }]), ["1"]);
  const twelve = Array.from({ length: 12 }, (_, i) => ({ epoch: i + 1, split: "t", loss: 1 }));
  assert.deepEqual(xTicks(twelve), ["1", "3", "5", "7", "9", "11"]);
  assert.deepEqual(integerAxis([0.5, 1]), {});
});

Deno.test("trainingCurves: one panel per metric, one line per series", () => {
  const log = [1, 2, 3].flatMap((epoch) => [
    { epoch, split: "train", loss: 1 / epoch, dice: 0.2 * epoch },
    { epoch, split: "val", loss: 1.1 / epoch, dice: 0.15 * epoch },
  ]);
  const svg = trainingCurves(log, { y: ["loss", "dice"], series: "split" }).toSVG();
  const panels = select(svg, "body > svg > svg");
  assert.equal(panels.length, 2);
  for (const p of panels) {
    assert.equal(p.querySelectorAll('g[aria-label="line"] path').length, 2);
    assert.equal(p.querySelectorAll('g[aria-label="dot"] circle').length, 6);
  }
  // Wide format: panel title -> keys.
  const wide = [{ epoch: 1, train_loss: 1, val_loss: 2 }, {
    epoch: 2,
    train_loss: 0.5,
    val_loss: 1,
  }];
  const one = trainingCurves(wide, { y: { loss: ["train_loss", "val_loss"] } }).toHTML();
  assert.equal(select(one, 'g[aria-label="line"] path').length, 2);
  assert.deepEqual(select(one, 'g[aria-label="legend"] text').map((t) => t.textContent), [
    "train_loss",
    "val_loss",
  ]);
});

Deno.test("groupedBars draws one bar per row", () => {
  const rows = [
    { metric: "dice", variant: "elu", value: 0.9 },
    { metric: "dice", variant: "relu", value: 0.85 },
    { metric: "voe", variant: "elu", value: 0.15 },
    { metric: "voe", variant: "relu", value: 0.2 },
  ];
  const svg = groupedBars(rows, { x: "metric", group: "variant", y: "value" }).toHTML();
  assert.equal(select(svg, 'g[aria-label="bar"] rect').length, 4);
});

Deno.test("hconcat places charts side by side", () => {
  const a = plotChart({ width: 200, height: 100, marks: [Plot.lineY([1, 2])] });
  const both = hconcat([a, a], 10);
  assert.equal(both.width, 410);
  assert.deepEqual(select(both.toHTML(), "svg > svg").map((s) => s.getAttribute("x")), [
    "0",
    "210",
  ]);
});

Deno.test("htmlTable formats numbers and escapes text", async () => {
  const t = htmlTable([{ metric: "a<b", liver: 0.91234, n: 3 }], { caption: "T" });
  assert.equal(
    t.toHTML(),
    '<table><caption>T</caption><thead><tr><th>metric</th><th style="text-align:right">liver</th>' +
      '<th style="text-align:right">n</th></tr></thead><tbody><tr><td>a&lt;b</td>' +
      '<td style="text-align:right">0.912</td><td style="text-align:right">3</td></tr></tbody></table>',
  );
  assert.equal(
    t.toMarkdown(),
    "T\n\n| metric | liver | n |\n|---|---:|---:|\n| a<b | 0.912 | 3 |\n",
  );
  const dir = await Deno.makeTempDir();
  try {
    await t.save(`${dir}/t.md`);
    assert.equal(await Deno.readTextFile(`${dir}/t.md`), t.toMarkdown());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
