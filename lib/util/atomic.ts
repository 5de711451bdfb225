/**
 * Atomic, durable file writes: write a temp file beside the target, flush it to disk
 * (`fsync`), rename it into place and flush the folder, so neither a crash nor a power
 * cut leaves a half-written result, checkpoint or report: the old file or the new one.
 *
 * @example
 * ```ts
 * await writeFileAtomic("results/tables/table5.json", new TextEncoder().encode("{}"));
 * ```
 * @module
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

let counter = 0;

/** Write `data` to `path` and flush it to disk before returning (no rename). */
export async function writeFileSynced(path: string, data: Uint8Array): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    for (let off = 0; off < data.length;) off += await file.write(data.subarray(off));
    await file.syncData();
  } finally {
    file.close();
  }
}

/** Flush a folder's entries (a rename or a new file in it) to disk. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/** Write bytes to `path` atomically and durably, creating parent folders. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${Deno.pid}.${counter++}.tmp`;
  try {
    await writeFileSynced(tmp, data);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dirname(path));
}

/**
 * Write bytes to `path` atomically (temp file, then rename), synchronously and without
 * flushing to disk: for caches, whose readers check what they read and rebuild a bad file.
 */
export function writeFileAtomicSync(path: string, data: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${Deno.pid}.${counter++}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Write text to `path` atomically. */
export function writeTextAtomic(path: string, text: string): Promise<void> {
  return writeFileAtomic(path, new TextEncoder().encode(text));
}

/** Write a value as pretty JSON to `path` atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeTextAtomic(path, JSON.stringify(value, null, 2) + "\n");
}
