/**
 * At most N async tasks at once over a list: the one scheduling rule of the workbench's
 * parallel stages (synthetic cases in workers, training processes, notebooks).
 *
 * @example
 * ```ts
 * await inPool(["a", "b", "c"], 2, async (item, index, lane) => {
 *   console.log(`lane ${lane} takes item ${index}: ${item}`);
 * });
 * ```
 * @module
 */

/**
 * Call `work` on each item in order, at most `lanes` calls at a time; `lane` (0..lanes-1) names
 * the slot a call runs in, for a resource kept per slot. After a call throws no new one starts,
 * and the first error is thrown once every running call has ended.
 */
export async function inPool<T>(
  items: readonly T[],
  lanes: number,
  work: (item: T, index: number, lane: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async (id: number) => {
    while (next < items.length && errors.length === 0) {
      const index = next++;
      await work(items[index], index, id).catch((err) => errors.push(err));
    }
  };
  const count = Math.max(1, Math.min(lanes, items.length));
  await Promise.all(Array.from({ length: count }, (_, id) => lane(id)));
  if (errors.length) throw errors[0];
}

/**
 * `WASM_THREADS` for each of `count` processes run `lanes` at a time: "1" when two or more run
 * side by side (two 2-thread OpenMP or wasm pools on 2 cores wait on each other's spins), else
 * undefined (a process alone may use the machine).
 */
export function sideBySideThreads(count: number, lanes: number): string | undefined {
  return count > 1 && lanes > 1 ? "1" : undefined;
}
