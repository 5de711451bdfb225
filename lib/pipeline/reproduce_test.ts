import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { reproduce } from "./reproduce.ts";

const repo = resolve(new URL("../..", import.meta.url).pathname);

Deno.test("reproduce at the smoke profile writes runs, predictions, metrics and tables, then skips them", async () => {
  const root = await Deno.makeTempDir();
  await Deno.symlink(join(repo, "experiments"), join(root, "experiments"));
  const lines: string[] = [];
  const opts = {
    profile: "smoke" as const,
    cases: 4,
    size: 48,
    root,
    skipNotebooks: true,
    log: (l: string) => lines.push(l),
  };
  const first = await reproduce(opts);
  assert.deepEqual(
    first.stages.map((s) => s.status),
    first.stages.map(() => "ran"),
  );
  // The log carries the job's clock: when each stage and training run started and ended.
  assert.ok(lines.some((l) => /^== tables \(at \d+s\)$/.test(l)), lines.join("\n"));
  assert.ok(lines.some((l) => /^ {3}done in \d+s$/.test(l)));
  assert.ok(lines.some((l) => /^ {3}liver: started \(at \d+s\)$/.test(l)));
  assert.ok(lines.some((l) => /^ {3}tumor: trained \(at \d+s\)$/.test(l)));
  const table5 = await Deno.readTextFile(join(root, "results/tables/smoke/table5.md"));
  assert.match(table5, /Table V/);
  assert.match(table5, /dice global/);
  const ablation = JSON.parse(
    await Deno.readTextFile(join(root, "results/tables/smoke/ablation.json")),
  );
  // One row per cell of the 2x2, each with a run and its best validation Dice as a number.
  assert.equal(ablation.rows.length, 4);
  for (const row of ablation.rows) assert.equal(typeof row[2], "number", JSON.stringify(row));
  const evaluation = JSON.parse(
    await Deno.readTextFile(join(root, "results/evaluation/smoke.json")),
  );
  assert.equal(evaluation.cases.length, 1); // the smoke split's one test volume

  const second = await reproduce(opts);
  assert.ok(second.stages.every((s) => s.status === "skipped"), "nothing to redo");
  await Deno.remove(root, { recursive: true });
});
