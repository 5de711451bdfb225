import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureDataRoot } from "./default_data.ts";
import { indexDataset } from "./dataset.ts";

Deno.test("ensureDataRoot generates the default set once, with progress", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const defaultDir = join(tmp, "data", "synthetic");
    const updates: number[] = [];
    let finished = 0;
    const opts = {
      defaultDir,
      synthetic: { cases: 3, size: 16, slices: 4 },
      progress: (total: number, label: string) => {
        assert.equal(total, 3);
        assert.match(label, /synthetic CT \(first use of .*data\/synthetic\)/);
        return { update: (done: number) => void updates.push(done), done: () => void finished++ };
      },
    };
    assert.equal(await ensureDataRoot(defaultDir, opts), "generated");
    assert.deepEqual(updates, [1, 2, 3]);
    assert.equal(finished, 1);
    assert.deepEqual((await indexDataset(defaultDir)).map((c) => c.id), [0, 1, 2]);
    // The same folder by another relative path is still the default, and now present.
    const other = join(defaultDir, "..", "synthetic");
    assert.equal(await ensureDataRoot(other, opts), "present");
    assert.equal(finished, 1);
    // An interrupted generation (no synthetic.json) starts over.
    await Deno.remove(join(defaultDir, "synthetic.json"));
    assert.equal(await ensureDataRoot(defaultDir, opts), "generated");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("ensureDataRoot: a mistyped or empty folder fails naming it", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const opts = { defaultDir: join(tmp, "synthetic") };
    const typo = join(tmp, "synthtic");
    await assert.rejects(
      ensureDataRoot(typo, opts),
      (err: Error) => {
        assert.match(err.message, new RegExp(`^${typo}: no such folder`));
        assert.match(
          err.message,
          /LiTS-layout folder .* or the default .*synthetic, which is generated/,
        );
        return true;
      },
    );
    await assert.rejects(ensureDataRoot(tmp, opts), /no volume-N\.nii or volume-N\.nii\.gz files/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
