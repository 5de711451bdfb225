import assert from "node:assert/strict";
import { join } from "node:path";
import { htmlTable } from "../table.ts";
import { saved } from "./save.ts";

Deno.test("saved writes the figure (creating folders) and returns it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const table = htmlTable([{ a: 1 }]);
    const path = join(dir, "figures", "01", "t.md");
    assert.equal(await saved(table, path), table);
    assert.equal(await Deno.readTextFile(path), "| a |\n|---:|\n| 1 |\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
