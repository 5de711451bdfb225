/**
 * CI for the paper notebooks: every `notebooks/*.ipynb` (not `_*`) executed at
 * the `smoke` profile on a tiny synthetic set in a temp dir, through the same
 * runner as `deno task notebooks`, with training on (seconds per run). Fails on
 * any cell error and checks that the figures and tables are there: PNG images,
 * charts as SVG images with drawn marks (in the notebook and in the HTML
 * report), the paper's tables, and the files the notebooks write.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseHTML } from "linkedom";
import { writeSyntheticSet } from "../data/synthetic.ts";
import { NotebookFailure, runNotebooks } from "./batch.ts";
import { nbconvertAvailable } from "./html.ts";
import { type CodeCell, type Notebook, readNotebook } from "./nbformat.ts";
import { countInSvgImages } from "../viz/testing.ts";
import { PREDICTIONS_MANIFEST } from "../inference/predict_cases.ts";

const NOTEBOOKS = fileURLToPath(new URL("../../notebooks", import.meta.url));

/** Every rich output of a notebook's code cells, as [mime, text] pairs. */
function outputs(nb: Notebook): [string, string][] {
  return nb.cells
    .filter((c): c is CodeCell => c.cell_type === "code")
    .flatMap((c) => c.outputs)
    .flatMap((o) =>
      o.output_type === "display_data" || o.output_type === "execute_result"
        ? Object.entries(o.data).map(([k, v]) => [k, Array.isArray(v) ? v.join("") : String(v)])
        : []
    ) as [string, string][];
}

const html = (nb: Notebook) => outputs(nb).filter(([k]) => k === "text/html").map(([, v]) => v);
/** PNG images, shown directly or inside an image grid's HTML. */
const pngCount = (nb: Notebook) =>
  outputs(nb).filter(([k]) => k === "image/png").length +
  html(nb).reduce((n, h) => n + (h.match(/<img src="data:image\/png;base64,/g)?.length ?? 0), 0);
/** Charts: SVGs with at least one drawn mark of `kind` (dot, line, bar). */
const chartsWith = (nb: Notebook, kind: string) =>
  outputs(nb).filter(([k, v]) => k === "image/svg+xml" && v.includes(`aria-label="${kind}"`))
    .map(([, v]) => v);
const tables = (nb: Notebook) => html(nb).filter((h) => h.startsWith("<table>"));
const streams = (nb: Notebook) =>
  nb.cells.filter((c): c is CodeCell => c.cell_type === "code").flatMap((c) => c.outputs)
    .map((o) => (o.output_type === "stream" ? o.text : "")).join("");

/** Count the marks of the charts (SVG images) in an HTML report, as a browser would draw them. */
function reportMarks(path: string): Promise<{ dots: number; bars: number; images: number }> {
  return Deno.readTextFile(path).then((text) => {
    const { document } = parseHTML(text);
    return {
      dots: countInSvgImages(document, 'svg g[aria-label="dot"] circle'),
      bars: countInSvgImages(document, 'svg g[aria-label="bar"] rect'),
      images: document.querySelectorAll('img[src^="data:image/png"]').length,
    };
  });
}

Deno.test({
  name: "paper notebooks 01-05 run at the smoke profile and show their figures and tables",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "paper-notebooks-" });
    try {
      const data = join(tmp, "data");
      const results = join(tmp, "results");
      // 4 cases: the smoke split is 2 / 1 / 1; case 2 is tumor-free by design.
      await writeSyntheticSet({ out: data, cases: 4, size: 32, seed: 1, slices: 24 });
      const withHtml = await nbconvertAvailable();
      let runs;
      try {
        runs = await runNotebooks({
          notebooksDir: NOTEBOOKS,
          outDir: join(tmp, "notebooks"),
          reportsDir: join(tmp, "reports"),
          html: withHtml,
          parameters: {
            profile: "smoke",
            dataRoot: data,
            resultsDir: results,
            train: true,
            figuresDir: join(results, "figures", "01_preprocessing"),
          },
          cellTimeoutMs: 120_000,
        });
      } catch (err) {
        if (err instanceof NotebookFailure) assert.fail(err.message);
        throw err;
      }
      const byName = new Map(
        await Promise.all(runs.map(async (r) => {
          const name = r.notebook.split("/").at(-1)!.replace(".ipynb", "");
          return [name, { run: r, nb: await readNotebook(r.notebook) }] as const;
        })),
      );
      const paper = ["01_preprocessing", "02_liver_model", "03_tumor_model", "04_ablations"];
      for (const n of [...paper, "05_results"]) assert.ok(byName.has(n), `${n} ran`);
      for (const { run } of byName.values()) assert.ok(run.ok, run.error?.message);

      // 02 and 03: config and network tables, live training curves, predictions.
      for (const [name, task] of [["02_liver_model", "liver"], ["03_tumor_model", "tumor"]]) {
        const { nb } = byName.get(name)!;
        const t = tables(nb);
        assert.ok(t.some((h) => h.includes(`${task} (profile smoke)`)), `${name}: config table`);
        assert.ok(t.some((h) => /parameters<\/caption>/.test(h)), `${name}: network summary`);
        assert.match(streams(nb), new RegExp(`trained .*runs/${task}/.* at profile smoke`));
        // The live chart (updated after the epoch) and the curves from metrics.jsonl.
        assert.ok(chartsWith(nb, "dot").length >= 2, `${name}: training curves`);
        assert.ok(html(nb).some((h) => h.includes("epoch 1/1 done")), `${name}: live status`);
        assert.ok(pngCount(nb) >= 3, `${name}: prediction overlays`);
      }
      // 03 shows the three windows of one slice side by side.
      assert.ok(html(byName.get("03_tumor_model")!.nb).some((h) => /HU \[-100, 400\]/.test(h)));

      // 04: the four variants trained, curves side by side, the 2x2 table, grouped bars.
      const ablation = byName.get("04_ablations")!.nb;
      const table2x2 = tables(ablation).find((h) => h.includes("Ablation: activation"));
      assert.ok(table2x2, "04: ablation table");
      assert.ok(table2x2.includes("ELU") && table2x2.includes("RELU"));
      assert.ok(!table2x2.includes("not run"), "04: every cell of the 2x2 has a run");
      const curves = chartsWith(ablation, "line").find((h) => h.includes("validation dice"));
      assert.ok(curves, "04: validation Dice curves");
      for (const v of ["ablation-relu", "ablation-transposed", "ablation-relu-transposed"]) {
        assert.ok(curves.includes(`>${v}<`), `04: legend names ${v}`);
      }
      assert.ok(chartsWith(ablation, "bar").length === 1, "04: grouped bars");

      // 05: post-processing figure, Tables V and VI with the paper's values, per case, Fig. 3.
      const res = byName.get("05_results")!.nb;
      const t = tables(res);
      assert.ok(t.some((h) => h.includes("Table V:") && h.includes("0.923")), "05: Table V");
      assert.ok(t.some((h) => h.includes("Table VI:") && h.includes("0.348")), "05: Table VI");
      assert.ok(t.some((h) => h.includes("Per case")), "05: per-case table");
      assert.ok(t.some((h) => h.includes("post-processed")), "05: post-processing table");
      assert.ok(pngCount(res) >= 6, "05: post-processing and Fig. 3 overlays");
      const table5 = await Deno.readTextFile(join(results, "tables", "smoke", "table5.md"));
      assert.match(table5, /\| dice global \|/);
      assert.ok((await Deno.stat(join(results, "evaluation", "smoke.json"))).isFile);
      const predictions = [...Deno.readDirSync(join(results, "predictions", "smoke"))]
        .map((e) => e.name).sort();
      // The one test case of the smoke split, and the record of its key.
      assert.equal(predictions.filter((n) => n.endsWith(".nii.gz")).length, 1);
      assert.equal(predictions.length, 2);
      assert.ok(predictions.includes(PREDICTIONS_MANIFEST));
      assert.ok((await Deno.stat(join(results, "tables", "smoke", "ablation.md"))).isFile);
      // Every figure is also saved under <resultsDir>/figures/<notebook>/.
      const figures: Record<string, string[]> = {
        "01_preprocessing": [
          "hu_histogram.svg",
          "slice_labels.png",
          "tumor_windows.png",
          "weight_maps.png",
          "slice_selection.svg",
        ],
        "02_liver_model": ["curves.svg", "validation_predictions.png"],
        "03_tumor_model": ["curves.svg", "windows.png", "validation_predictions.png"],
        "04_ablations": ["curves.svg", "bars.svg"],
        "05_results": ["postprocessing.png", "fig3_overlays.png"],
      };
      for (const [name, files] of Object.entries(figures)) {
        for (const f of files) {
          const path = join(results, "figures", name, f);
          assert.ok((await Deno.stat(path)).size > 0, `${path} written`);
        }
      }

      if (!withHtml) {
        console.warn("skipped the HTML report checks: nbconvert is not installed");
        return;
      }
      // The reports show the charts with their marks, not just axes, and the images.
      for (const name of ["02_liver_model", "03_tumor_model", "04_ablations"]) {
        const marks = await reportMarks(byName.get(name)!.run.html!);
        assert.ok(marks.dots >= 4, `${name}.html: chart dots (${marks.dots})`);
      }
      const bars = await reportMarks(byName.get("04_ablations")!.run.html!);
      assert.equal(bars.bars, 12, "04_ablations.html: 3 metrics x 4 variants"); // 3 groups x 4 bars
      const fig = await reportMarks(byName.get("05_results")!.run.html!);
      assert.ok(fig.images >= 6, `05_results.html: images (${fig.images})`);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("paper notebooks: code cells are short (the parameters and imports cells aside)", async () => {
  for await (const e of Deno.readDir(NOTEBOOKS)) {
    if (!/^0\d.*\.ipynb$/.test(e.name)) continue;
    const nb = await readNotebook(join(NOTEBOOKS, e.name));
    const code = nb.cells.filter((c): c is CodeCell => c.cell_type === "code");
    for (const cell of code) {
      const source = cell.source;
      if (cell.metadata.tags?.includes("parameters") || /^import /m.test(source)) continue;
      const lines = source.trim().split("\n").length;
      assert.ok(lines <= 8, `${e.name}: a ${lines}-line cell (logic belongs in lib/):\n${source}`);
    }
  }
});
