import assert from "node:assert/strict";
import { type CodeCell, newCodeCell, type Notebook } from "./nbformat.ts";
import { declaredParameters, injectParameters, parameterSource, parseParameter } from "./params.ts";

const notebook = (): Notebook => ({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    newCodeCell("import x from './x.ts';"),
    newCodeCell("let cases = 2;\nlet name = 'a', seed = 1;", ["parameters"]),
    newCodeCell("run()"),
  ],
});

Deno.test("declaredParameters finds every let binding of the parameters cell", () => {
  assert.deepEqual(
    [...declaredParameters("let a = 1;\n  let b = [1, 2], c = 'x';\nconst d = 4;")],
    ["a", "b", "c"],
  );
});

Deno.test("injectParameters inserts assignments after the parameters cell, replacing old ones", () => {
  const once = injectParameters(notebook(), { cases: 5, name: "b" });
  assert.equal(once.cells.length, 4);
  const injected = once.cells[2] as CodeCell;
  assert.deepEqual(injected.metadata.tags, ["injected-parameters"]);
  assert.equal(injected.source, 'cases = 5;\nname = "b";');
  const twice = injectParameters(once, { seed: [1, 2] });
  assert.equal(twice.cells.length, 4);
  assert.equal(twice.cells[2].source, "seed = [1,2];");
  assert.equal(injectParameters(once, {}).cells.length, 3);
});

Deno.test("injectParameters reports undeclared names and a missing parameters cell", () => {
  assert.throws(
    () => injectParameters(notebook(), { casse: 1 }, "nb.ipynb"),
    /nb\.ipynb: parameter\(s\) casse not declared with let .*declared: cases, name, seed/,
  );
  const plain = { ...notebook(), cells: [newCodeCell("1")] };
  assert.throws(
    () => injectParameters(plain, { a: 1 }, "p.ipynb"),
    /p\.ipynb: no code cell tagged "parameters"/,
  );
  assert.throws(() => parameterSource({ f: () => 1 }), /parameter f has no JSON value/);
});

Deno.test("parseParameter reads JSON values, else plain strings", () => {
  assert.deepEqual(parseParameter("cases=3"), ["cases", 3]);
  assert.deepEqual(parseParameter("ids=[1,2]"), ["ids", [1, 2]]);
  assert.deepEqual(parseParameter("fast=true"), ["fast", true]);
  assert.deepEqual(parseParameter("profile=smoke"), ["profile", "smoke"]);
  assert.deepEqual(parseParameter("expr=a=b"), ["expr", "a=b"]);
  assert.throws(() => parseParameter("novalue"), /not key=value/);
  assert.throws(() => parseParameter("1x=2"), /not an identifier/);
});
