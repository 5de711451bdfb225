/**
 * What a derived file depends on, for caches that must never serve stale data: an input
 * file's identity (resolved path, size, modification time) and a digest of the source of the
 * modules that compute it (an edit to them invalidates what they made).
 *
 * @example
 * ```ts
 * const key = JSON.stringify({
 *   volume: fileIdentity("data/synthetic/volume-3.nii"),
 *   code: sourceDigest(new URL("../data/", import.meta.url)),
 * });
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";

/** `path:size:mtime` of a file (resolved path). */
export function fileIdentity(path: string): string {
  const s = statSync(path);
  return `${resolve(path)}:${s.size}:${s.mtimeMs}`;
}

const digests = new Map<string, string>();

/**
 * SHA-256 of the non-test `.ts` modules in the folders `dirs` (names and contents, sorted),
 * computed once per process. A folder that is not on the file system (a remote import)
 * contributes nothing.
 */
export function sourceDigest(...dirs: URL[]): string {
  const id = dirs.map((d) => d.href).join(" ");
  let digest = digests.get(id);
  if (digest === undefined) {
    const h = createHash("sha256");
    for (const dir of dirs) {
      if (dir.protocol !== "file:") continue;
      const names = readdirSync(dir).filter((n) => n.endsWith(".ts") && !n.endsWith("_test.ts"));
      for (const n of names.sort()) h.update(n).update(readFileSync(new URL(n, dir)));
    }
    digest = h.digest("hex");
    digests.set(id, digest);
  }
  return digest;
}
