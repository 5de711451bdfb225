import assert from "node:assert/strict";
import { writeJsonAtomic } from "./atomic.ts";

Deno.test("writeJsonAtomic writes the value and leaves no temp file", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/sub/out.json`;
  await writeJsonAtomic(path, { a: 1 });
  assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), { a: 1 });
  const names = [...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name);
  assert.deepEqual(names, ["out.json"]);
  await Deno.remove(dir, { recursive: true });
});
