/**
 * Atomic file writes: write a temp file beside the target, then rename, so a
 * crash never leaves a half-written result, checkpoint or report.
 *
 * @example
 * ```ts
 * await writeFileAtomic("results/tables/table5.json", new TextEncoder().encode("{}"));
 * ```
 * @module
 */
import { dirname } from "node:path";

let counter = 0;

/** Write bytes to `path` atomically, creating parent folders. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${Deno.pid}.${counter++}.tmp`;
  try {
    await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
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
