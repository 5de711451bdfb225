import assert from "node:assert/strict";
import { join } from "node:path";
import { claimRunDir } from "./claim.ts";

Deno.test("claimRunDir: default ids never share a folder; a live lock refuses, a dead one is taken over", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const id = join(tmp, "liver", "20261202-010000");
    const claims = await Promise.all(
      [1, 2, 3].map(() => claimRunDir(id, { resume: false, numbered: true })),
    );
    assert.deepEqual(claims.map((c) => c.runDir).sort(), [id, `${id}-2`, `${id}-3`]);
    // Explicit folder held by a live process (this one): refused, naming the lock.
    await assert.rejects(
      claimRunDir(id, { resume: false, numbered: false }),
      /another run \(process \d+\) is using this folder; if none is, remove .*\.lock/,
    );
    for (const c of claims) await c.release();
    // A lock left by a killed process (no such pid) is taken over.
    const dead = 2 ** 22 + 7; // above Linux's largest pid_max: no such process
    await Deno.writeTextFile(join(id, ".lock"), `${dead}\n`);
    const again = await claimRunDir(id, { resume: false, numbered: false });
    assert.equal((await Deno.readTextFile(join(id, ".lock"))).trim(), String(Deno.pid));
    await again.release();
    assert.deepEqual([...Deno.readDirSync(id)], []);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("claimRunDir: a failed fresh start removes what it wrote; resume needs a run", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const fresh = await claimRunDir(join(tmp, "a"), { resume: false, numbered: false });
    await Deno.writeTextFile(join(fresh.runDir, "config.json"), "{}");
    await fresh.failed();
    await fresh.release();
    assert.deepEqual([...Deno.readDirSync(tmp)], []);
    // A folder that was there before keeps everything but the run's own files.
    await Deno.mkdir(join(tmp, "b"));
    await Deno.writeTextFile(join(tmp, "b", "notes.txt"), "mine");
    const existing = await claimRunDir(join(tmp, "b"), { resume: false, numbered: false });
    await Deno.writeTextFile(join(tmp, "b", "config.json"), "{}");
    await existing.failed();
    await existing.release();
    assert.deepEqual([...Deno.readDirSync(join(tmp, "b"))].map((e) => e.name), ["notes.txt"]);
    await assert.rejects(
      claimRunDir(join(tmp, "c"), { resume: true, numbered: false }),
      /c: no run to resume here \(config\.json missing\)/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
