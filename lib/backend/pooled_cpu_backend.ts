/**
 * tfjs's `cpu` backend with a pool of freed output buffers, for kernels that overwrite every
 * value of their output (the oneDNN kernels).
 *
 * Why: a training step allocates hundreds of megabytes of activations and gradients. A fresh
 * `Float32Array` is fresh memory from the OS, zeroed and page-faulted on first touch, and freed
 * only when V8's garbage collector gets to it; on a 2-core VM that cost more than the
 * element-wise kernels themselves (10 MB: 2.8 ms to allocate, 4 ms more to first touch), and
 * the uncollected garbage doubled the peak memory. A disposed tensor's buffer goes back to the
 * pool and the next kernel asking for a length of the same size class reuses it, as PyTorch
 * reuses freed memory through malloc. Size classes are 8 per octave (at most 12.5% unused): a
 * DenseNet has a different channel count, so a different length, at almost every layer.
 *
 * Safety: only buffers handed out by {@link PooledCPUBackend.alloc} are pooled, counted per
 * `ArrayBuffer` (a view made from one, such as a slice's `subarray`, keeps it alive). An array
 * read out of the backend (`dataSync`, `data`) is first replaced by an exact copy that is never
 * pooled: the caller may keep it, and tfjs's weight serialisation reads `array.buffer` whole.
 *
 * Deferred tensors ({@link PooledCPUBackend.defer}): a kernel may return a tensor whose values
 * are computed from one of its inputs when first read, so that the next kernel can fold that
 * work into its own pass instead (batch norm's normalisation into the ELU after it: one pass
 * over memory instead of two). Reading `values` from the backend's data, as every kernel and
 * `dataSync` do, computes them; the input's buffer stays out of the pool until then.
 *
 * @example
 * ```ts
 * tf.registerBackend("onednn", () => new PooledCPUBackend());
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";

/** Bytes the pool may hold at most; past that, freed buffers are left to the garbage collector. */
export const POOL_LIMIT_BYTES = 3 * 2 ** 30;
/** Below this many values arrays are not pooled (V8 allocates them cheaply). */
const POOL_MIN_LENGTH = 1024;

/** The pooled capacity for `n` values: the next of 8 steps per octave. */
export function sizeClass(n: number): number {
  if (n <= POOL_MIN_LENGTH) return n;
  const octave = 2 ** Math.floor(Math.log2(n));
  const step = octave / 8;
  return Math.ceil(n / step) * step;
}

/** How a deferred tensor's values are made from an input's: `compute` writes them all. */
export interface Deferred {
  /** The input the values are computed from, kept out of the pool while they are not. */
  source: Float32Array;
  compute(out: Float32Array): void;
}

export class PooledCPUBackend extends MathBackendCPU {
  /** Tensors referencing each pooled buffer (absent: not ours, or read out). */
  #refs = new Map<ArrayBufferLike, number>();
  #free = new Map<number, ArrayBuffer[]>();
  #pooledBytes = 0;
  #deferred = new Map<tf.DataId, Deferred>();

  /** A float32 array of `n` values, not zeroed: the caller writes every value. */
  alloc(n: number): Float32Array {
    if (n < POOL_MIN_LENGTH) return new Float32Array(n);
    const capacity = sizeClass(n);
    let buffer = this.#free.get(capacity)?.pop();
    if (buffer === undefined) buffer = new ArrayBuffer(capacity * 4);
    else this.#pooledBytes -= buffer.byteLength;
    this.#refs.set(buffer, 0);
    return new Float32Array(buffer, 0, n);
  }

  /**
   * A float32 tensor of `shape` whose values `recipe.compute` writes when they are first read
   * (see the module doc); until then {@link deferred} hands the recipe to a kernel that fuses it.
   */
  defer<R extends Deferred>(shape: number[], recipe: R): tf.TensorInfo {
    const info = this.makeTensorInfo(shape, "float32");
    const entry = this.data.get(info.dataId)!;
    const n = shape.reduce((a, b) => a * b, 1);
    const settle = (values: tf.backend_util.BackendValues) =>
      Object.defineProperty(entry, "values", {
        value: values,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    this.#hold(recipe.source);
    this.#deferred.set(info.dataId, recipe);
    Object.defineProperty(entry, "values", {
      enumerable: true,
      configurable: true,
      get: () => {
        const out = this.alloc(n);
        recipe.compute(out);
        this.#hold(out);
        settle(out);
        this.#release(info.dataId, recipe);
        return out;
      },
      set: settle,
    });
    return info;
  }

  /** The recipe of a deferred tensor whose values are not computed yet, else undefined. */
  deferred<R extends Deferred>(dataId: tf.DataId): R | undefined {
    return this.#deferred.get(dataId) as R | undefined;
  }

  /** Deferred tensors whose values are not computed yet. */
  deferredCount(): number {
    return this.#deferred.size;
  }

  #release(dataId: tf.DataId, recipe: Deferred): void {
    this.#deferred.delete(dataId);
    this.#drop(recipe.source.buffer);
  }

  /** Bytes waiting in the pool. */
  pooledBytes(): number {
    return this.#pooledBytes;
  }

  #hold(values: unknown): void {
    if (ArrayBuffer.isView(values)) {
      const n = this.#refs.get(values.buffer);
      if (n !== undefined) this.#refs.set(values.buffer, n + 1);
    }
  }

  /** One tensor fewer on `buffer`; the last one returns it to the pool. */
  #drop(buffer: ArrayBufferLike): void {
    const n = this.#refs.get(buffer);
    if (n === undefined) return;
    if (n > 1) {
      this.#refs.set(buffer, n - 1);
      return;
    }
    this.#refs.delete(buffer);
    if (this.#pooledBytes + buffer.byteLength > POOL_LIMIT_BYTES) return;
    const capacity = buffer.byteLength / 4;
    let list = this.#free.get(capacity);
    if (list === undefined) this.#free.set(capacity, list = []);
    list.push(buffer as ArrayBuffer);
    this.#pooledBytes += buffer.byteLength;
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType) {
    const id = super.write(values, shape, dtype);
    this.#hold(values);
    return id;
  }

  override move(
    dataId: tf.DataId,
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
    refCount: number,
  ): void {
    super.move(dataId, values, shape, dtype, refCount);
    this.#hold(values);
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const recipe = this.#deferred.get(dataId);
    if (recipe !== undefined) {
      // Never computed: nothing to pool but the input it held.
      const disposed = super.disposeData(dataId, force);
      if (!this.data.has(dataId)) this.#release(dataId, recipe);
      return disposed;
    }
    const values = this.data.get(dataId)?.values;
    const disposed = super.disposeData(dataId, force);
    if (ArrayBuffer.isView(values) && !this.data.has(dataId)) this.#drop(values.buffer);
    return disposed;
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const entry = this.data.get(dataId);
    const values = entry?.values;
    if (entry !== undefined && values instanceof Float32Array && this.#refs.has(values.buffer)) {
      entry.values = values.slice();
      this.#drop(values.buffer);
    }
    return super.readSync(dataId);
  }

  override dispose(): void {
    this.#free.clear();
    this.#pooledBytes = 0;
    super.dispose();
  }
}
