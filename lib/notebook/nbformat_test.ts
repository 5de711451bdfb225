import assert from "node:assert/strict";
import {
  newCodeCell,
  type Notebook,
  notebookProblems,
  parseNotebook,
  serializeNotebook,
  toLines,
} from "./nbformat.ts";

const v44 = {
  nbformat: 4,
  nbformat_minor: 4,
  metadata: {},
  cells: [
    { cell_type: "markdown", metadata: {}, source: ["# T\n", "text"] },
    {
      cell_type: "code",
      metadata: { tags: ["parameters"] },
      execution_count: 3,
      source: ["let a = 1;\n", "a"],
      outputs: [
        { output_type: "stream", name: "stdout", text: ["x\n", "y\n"] },
        {
          output_type: "execute_result",
          execution_count: 3,
          metadata: {},
          data: { "text/plain": ["1"] },
        },
      ],
    },
  ],
};

Deno.test("parseNotebook joins line-split text and gives 4.4 cells ids", () => {
  const nb = parseNotebook(JSON.stringify(v44), "t.ipynb");
  assert.equal(nb.nbformat_minor, 5);
  assert.equal(nb.cells[0].source, "# T\ntext");
  assert.match(nb.cells[0].id, /^[0-9a-f]{12}$/);
  const code = nb.cells[1];
  assert.equal(code.cell_type, "code");
  if (code.cell_type !== "code") return;
  assert.deepEqual(code.outputs[0], { output_type: "stream", name: "stdout", text: "x\ny\n" });
  assert.deepEqual(code.outputs[1].output_type === "execute_result" && code.outputs[1].data, {
    "text/plain": "1",
  });
});

Deno.test("parseNotebook names the file and the problem", () => {
  assert.throws(() => parseNotebook("{", "bad.ipynb"), /bad\.ipynb: not valid JSON/);
  assert.throws(
    () => parseNotebook('{"nbformat":3,"cells":[]}', "old.ipynb"),
    /old\.ipynb: nbformat 3/,
  );
  const broken = {
    ...v44,
    cells: [{ cell_type: "code", metadata: {}, source: "", outputs: [{ output_type: "x" }] }],
  };
  assert.throws(() => parseNotebook(JSON.stringify(broken), "b.ipynb"), /cell 1: execution_count/);
});

Deno.test("notebookProblems lists every structural problem", () => {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { ...newCodeCell("1"), id: "same" },
      { ...newCodeCell("2"), id: "same", outputs: [{ output_type: "error", ename: "E" }] },
      { cell_type: "heading", id: "h", source: "", metadata: {} },
    ],
  };
  assert.deepEqual(notebookProblems(nb), [
    "cell 2: duplicate id same",
    "cell 2 output 1: error output needs ename, evalue and traceback",
    'cell 3: unknown cell_type "heading"',
  ]);
});

Deno.test("serializeNotebook splits text into lines but keeps base64 images whole", () => {
  assert.deepEqual(toLines("a\nb\n\nc"), ["a\n", "b\n", "\n", "c"]);
  assert.deepEqual(toLines(""), []);
  const cell = newCodeCell("let a = 1;\na");
  cell.outputs = [{
    output_type: "display_data",
    metadata: {},
    data: { "image/png": "QUJD\nREVG", "text/html": "<b>\n</b>" },
  }];
  const nb: Notebook = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [cell] };
  const json = JSON.parse(serializeNotebook(nb));
  assert.deepEqual(json.cells[0].source, ["let a = 1;\n", "a"]);
  assert.deepEqual(json.cells[0].outputs[0].data, {
    "image/png": "QUJD\nREVG",
    "text/html": ["<b>\n", "</b>"],
  });
  assert.deepEqual(parseNotebook(serializeNotebook(nb)), nb);
});
