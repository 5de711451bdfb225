/**
 * Save a figure and hand it back, so a notebook cell can write and show it in
 * one line.
 *
 * @example
 * ```ts
 * await saved(huHistogram(c.volume.data), `${figuresDir}/hu_histogram.svg`) // shown inline
 * ```
 * @module
 */

/** Anything with an atomic `save(path)`: images, grids, charts, tables. */
export interface Saveable {
  save(path: string): Promise<void>;
}

/** Write `fig` to `path` (its extension picks the format) and return it. */
export async function saved<T extends Saveable>(fig: T, path: string): Promise<T> {
  await fig.save(path);
  return fig;
}
