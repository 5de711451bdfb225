/**
 * Small file-system helpers shared across the workbench.
 * @module
 */

/**
 * Whether a file or folder exists (other errors, e.g. permissions, propagate).
 *
 * @example
 * ```ts
 * if (await exists("results/runs")) console.log("runs found");
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
