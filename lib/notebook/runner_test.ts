import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseHTML } from "linkedom";
import { countInSvgImages, decodePng } from "../viz/testing.ts";
import { NotebookFailure, runNotebooks } from "./batch.ts";
import { exportHtml, NBCONVERT_PYTHON, nbconvertAvailable } from "./html.ts";
import {
  type CodeCell,
  newCodeCell,
  type Notebook,
  type Output,
  readNotebook,
  serializeNotebook,
} from "./nbformat.ts";
import { executeNotebook, runNotebook } from "./runner.ts";

const SMOKE = fileURLToPath(new URL("../../notebooks/_smoke.ipynb", import.meta.url));
// deno-lint-ignore no-control-regex
const plain = (s: unknown) => String(s).replace(/\x1b\[[0-9;]*m/g, "");

const codeCells = (nb: Notebook) => nb.cells.filter((c): c is CodeCell => c.cell_type === "code");
const byId = (nb: Notebook, id: string) => codeCells(nb).find((c) => c.id === id)!;
const streamText = (outputs: Output[]) =>
  outputs.map((o) => (o.output_type === "stream" ? o.text : "")).join("");

function failingNotebook(): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      newCodeCell('console.log("before");'),
      newCodeCell('throw new Error("boom");'),
      newCodeCell('console.log("after");'),
    ],
  };
}

Deno.test("runNotebook executes the smoke notebook and keeps every output", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await runNotebook(SMOKE, {
      outDir: dir,
      parameters: { n: 5, greeting: "hey" },
    });
    assert.equal(result.ok, true, result.error?.message ?? "");
    assert.equal(result.outputPath, join(dir, "_smoke.ipynb"));
    const nb = await readNotebook(result.outputPath);
    assert.equal(nb.metadata.kernelspec?.name, "deno");
    assert.equal(nb.metadata.language_info?.name, "typescript");

    // Every code cell ran once, in order; the injected cell follows the parameters cell.
    const cells = codeCells(nb);
    assert.deepEqual(cells.map((c) => c.execution_count), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(cells[1].metadata.tags, ["injected-parameters"]);
    assert.equal(cells[1].source, 'n = 5;\ngreeting = "hey";');

    assert.equal(streamText(byId(nb, "stream").outputs), "hey 10\n");

    const chart = byId(nb, "chart").outputs[0];
    assert.equal(chart.output_type, "execute_result");
    const svg = String(chart.output_type === "execute_result" && chart.data["image/svg+xml"]);
    assert.ok(svg.includes('aria-label="line"') && svg.includes('aria-label="dot"'));

    const png = byId(nb, "png").outputs[0];
    assert.equal(png.output_type, "display_data");
    const image = png.output_type === "display_data" ? String(png.data["image/png"]) : "";
    const decoded = decodePng(Uint8Array.from(atob(image), (c) => c.charCodeAt(0)));
    assert.deepEqual([decoded.width, decoded.height, ...decoded.pixels], [2, 1, 0, 255]);

    // "late" is printed 200 ms after the cell's reply and idle status.
    const late = byId(nb, "late").outputs;
    assert.equal(streamText(late), "late\n");
    assert.ok(
      late.some((o) =>
        o.output_type === "execute_result" && plain(o.data["text/plain"]) === '"timer set"'
      ),
    );
    assert.equal(streamText(byId(nb, "awaited").outputs), "awaited\n");

    const last = byId(nb, "result").outputs[0];
    assert.equal(last.output_type === "execute_result" && plain(last.data["text/plain"]), "5");
    assert.equal(last.output_type === "execute_result" && last.execution_count, 8);

    if (!(await nbconvertAvailable())) {
      console.warn(
        `skipped the HTML export check: nbconvert is not installed for ${NBCONVERT_PYTHON}`,
      );
      return;
    }
    const html = join(dir, "smoke.html");
    await exportHtml(result.outputPath, html);
    const { document } = parseHTML(await Deno.readTextFile(html));
    // The chart is an <img> of its SVG (Jupyter's sanitiser keeps it), marks included.
    assert.equal(countInSvgImages(document, 'svg g[aria-label="dot"] circle'), 2);
    assert.equal(countInSvgImages(document, 'svg g[aria-label="line"] path'), 1);
    // The official validator agrees the file is valid nbformat 4.
    const check = await new Deno.Command(NBCONVERT_PYTHON, {
      args: [
        "-c",
        "import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], 4))",
        result.outputPath,
      ],
    }).output();
    assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runNotebooks stops at the first error, names the cell, and writes the notebook", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "nb"));
    await Deno.writeTextFile(join(dir, "nb", "fail.ipynb"), serializeNotebook(failingNotebook()));
    await Deno.writeTextFile(join(dir, "nb", "_skipped.ipynb"), "not even JSON");
    const err = await runNotebooks({
      notebooksDir: join(dir, "nb"),
      outDir: join(dir, "out"),
      html: false,
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof NotebookFailure, String(err));
    assert.equal(err.error.cell, 2);
    assert.equal(err.error.ename, "Error");
    assert.match(err.message, /fail\.ipynb: cell 2 \(In \[2\]\) failed:\nError: boom/);
    const nb = await readNotebook(join(dir, "out", "fail.ipynb"));
    const [before, boom, after] = codeCells(nb);
    assert.equal(streamText(before.outputs), "before\n");
    assert.equal(boom.outputs[0].output_type, "error");
    assert.deepEqual([after.execution_count, after.outputs], [null, []]);
    assert.equal((nb.metadata.workbench as { ok: boolean }).ok, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runNotebooks two at a time: the failure waits for the other and lists both runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "nb"));
    await Deno.writeTextFile(join(dir, "nb", "a_fail.ipynb"), serializeNotebook(failingNotebook()));
    const slow = {
      ...failingNotebook(),
      cells: [
        newCodeCell('await new Promise((r) => setTimeout(r, 1500)); console.log("slow");'),
        // Side by side, each kernel is asked for one compute thread.
        newCodeCell('console.log(`threads ${Deno.env.get("WASM_THREADS")}`);'),
      ],
    };
    await Deno.writeTextFile(join(dir, "nb", "b_slow.ipynb"), serializeNotebook(slow));
    const err = await runNotebooks({
      notebooksDir: join(dir, "nb"),
      outDir: join(dir, "out"),
      html: false,
      concurrency: 2,
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof NotebookFailure, String(err));
    assert.match(err.message, /a_fail\.ipynb: cell 2/);
    // In source order, the one still running when the other failed included.
    assert.deepEqual(err.runs.map((r) => [r.source.split("/").pop(), r.ok]), [
      ["a_fail.ipynb", false],
      ["b_slow.ipynb", true],
    ]);
    const b = await readNotebook(join(dir, "out", "b_slow.ipynb"));
    assert.equal(streamText(codeCells(b)[0].outputs), "slow\n");
    assert.equal(streamText(codeCells(b)[1].outputs), "threads 1\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("executeNotebook with allowErrors runs on and still reports the first error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await executeNotebook(failingNotebook(), { cwd: dir, allowErrors: true });
    assert.equal(result.ok, false);
    assert.equal(result.error?.cell, 2);
    const after = codeCells(result.notebook)[2];
    assert.equal(after.execution_count, 3);
    assert.equal(streamText(after.outputs), "after\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a cell over its time limit or a dying kernel stops the run with an error output", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const nb = (code: string): Notebook => ({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [newCodeCell(code), newCodeCell("1")],
    });
    const slow = await executeNotebook(nb("await new Promise((r) => setTimeout(r, 60000));"), {
      cwd: dir,
      cellTimeoutMs: 500,
      allowErrors: true,
    });
    assert.equal(slow.error?.ename, "Timeout");
    assert.equal(slow.error?.cell, 1);
    const [cell, next] = codeCells(slow.notebook);
    assert.equal(cell.outputs[0].output_type, "error");
    assert.deepEqual([next.execution_count, next.outputs], [null, []]);

    const died = await executeNotebook(nb("Deno.exit(3);"), { cwd: dir });
    assert.equal(died.error?.ename, "KernelDied");
    assert.match(died.error?.evalue ?? "", /exited with code 3/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
