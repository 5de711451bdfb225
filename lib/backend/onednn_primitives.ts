/**
 * oneDNN primitives over JS `Float32Array`s: memory descriptors from shapes and strides, a
 * cache of created primitives keyed by their shapes, and one `run` that points each argument at
 * its array and executes. Layouts stay tfjs's (NHWC activations, HWIO filters); where a
 * primitive prefers another layout for an argument (convolution weights), the entry holds a
 * native buffer in that layout and the reorder to or from the user's array.
 *
 * The cache never shrinks: a network has a few hundred distinct shapes, and each entry's
 * native buffers are counted in {@link nativeBytes} so tests can show they stop growing.
 *
 * @example
 * ```ts
 * const p = cached("relu:10", () => eltwiseForward(dnnl, D.eltRelu, 0, 0, 10));
 * run(dnnl, p, [x, y]); // y = max(x, 0)
 * ```
 * @module
 */
import { check, D, type OneDNN, outPointer } from "./onednn_ffi.ts";

type Ptr = Deno.PointerValue;

/** A memory descriptor: its buffer keeps it alive; `ptr` is what the C API takes. */
export interface MemoryDesc {
  buf: Uint8Array;
  ptr: Ptr;
}

/** dims and strides (in elements) of a dense row-major array of `shape`. */
export function denseStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

function dimsArray(values: readonly number[]): BigInt64Array {
  const a = new BigInt64Array(D.maxDims);
  values.forEach((v, i) => a[i] = BigInt(v));
  return a;
}

/** A float32 memory descriptor with explicit strides (elements). */
export function stridedDesc(dnnl: OneDNN, dims: readonly number[], strides: readonly number[]) {
  const buf = new Uint8Array(D.memoryDescBytes);
  const ptr = Deno.UnsafePointer.of(buf);
  check(
    dnnl.sym.dnnl_memory_desc_init_by_strides(
      ptr,
      dims.length,
      dimsArray(dims),
      D.f32,
      dimsArray(strides),
    ),
    `memory_desc_init_by_strides [${dims}] / [${strides}]`,
  );
  return { buf, ptr };
}

/** A dense row-major float32 descriptor of `shape`. */
export function denseDesc(dnnl: OneDNN, shape: readonly number[]): MemoryDesc {
  return stridedDesc(dnnl, shape, denseStrides(shape));
}

/** An NHWC tensor as oneDNN's logical NCHW dims with NHWC strides. */
export function nhwcDesc(dnnl: OneDNN, [n, h, w, c]: readonly number[]): MemoryDesc {
  return stridedDesc(dnnl, [n, c, h, w], [h * w * c, 1, w * c, c]);
}

/** A descriptor whose layout the primitive chooses. */
export function anyDesc(dnnl: OneDNN, dims: readonly number[]): MemoryDesc {
  const buf = new Uint8Array(D.memoryDescBytes);
  const ptr = Deno.UnsafePointer.of(buf);
  check(
    dnnl.sym.dnnl_memory_desc_init_by_tag(ptr, dims.length, dimsArray(dims), D.f32, D.formatAny),
    `memory_desc_init_by_tag [${dims}]`,
  );
  return { buf, ptr };
}

/** One argument of a primitive: which it is, where the primitive's descriptor is queried. */
export interface ArgSpec {
  arg: number;
  /** The user's layout, or null for an argument the entry keeps to itself (workspace). */
  user: MemoryDesc | null;
  /** Written by the primitive (reordered back to the user's layout after it runs). */
  output?: boolean;
}

/** A created primitive, ready to run on user arrays (one per `user` argument, in order). */
export interface Primitive {
  prim: Ptr;
  /** The memory objects whose handles `run` sets, in the order of the user arrays. */
  userMems: Ptr[];
  /** Reorders run before (inputs) and after (outputs) the primitive. */
  before: Primitive[];
  after: Primitive[];
  args: Uint8Array;
  argsPtr: Ptr;
  nargs: number;
  /** The entry's own memories of arguments without a user array (workspace), by argument. */
  own: Map<number, Ptr>;
  /** Native bytes this entry allocated (layouts of the primitive's own). */
  bytes: number;
  /** oneDNN's name for the implementation it chose, e.g. "brg:avx512_core". */
  impl: string;
}

let allocated = 0;
let primitives = 0;
const cache = new Map<string, Primitive | Primitive[]>();

/** Native bytes held by cached primitives (their own-layout buffers). */
export function nativeBytes(): number {
  return allocated;
}

/** Number of primitives created so far (reorders included). */
export function primitiveCount(): number {
  return primitives;
}

/** The cached primitive (or primitives run together) for `key`, made by `make` the first time. */
export function cached<P extends Primitive | Primitive[]>(key: string, make: () => P): P {
  let p = cache.get(key) as P | undefined;
  if (p === undefined) {
    p = make();
    cache.set(key, p);
  }
  return p;
}

/** The implementation names of cached primitives whose key starts with `prefix`. */
export function implementations(prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, p] of cache) {
    if (k.startsWith(prefix)) {
      out.set(
        k,
        Array.isArray(p) ? p.map((q) => q.impl).join(" + ") : p.impl,
      );
    }
  }
  return out;
}

const ALLOCATE = Deno.UnsafePointer.create(0xffffffffffffffffn);

function memory(dnnl: OneDNN, md: Ptr, allocate: boolean): Ptr {
  const cell = new BigUint64Array(1);
  check(
    dnnl.sym.dnnl_memory_create(cell, md, dnnl.engine, allocate ? ALLOCATE : null),
    "memory_create",
  );
  return outPointer(cell);
}

function implInfo(dnnl: OneDNN, pd: Ptr): string {
  const cell = new BigUint64Array(1);
  if (dnnl.sym.dnnl_primitive_desc_query(pd, D.qImplInfo, 0, cell) !== D.success) return "?";
  const p = outPointer(cell);
  return p === null ? "?" : Deno.UnsafePointerView.getCString(p);
}

/**
 * Creates the primitive of op descriptor `op` (or of the already created primitive
 * descriptor `pd`), with memories for `specs`. Takes ownership of `pd`.
 */
export function createPrimitive(
  dnnl: OneDNN,
  what: string,
  source: { op: Uint8Array; attr?: Ptr; hint?: Ptr } | { pd: Ptr },
  specs: ArgSpec[],
): Primitive {
  const cell = new BigUint64Array(1);
  let pd: Ptr;
  if ("pd" in source) {
    pd = source.pd;
  } else {
    check(
      dnnl.sym.dnnl_primitive_desc_create(
        cell,
        Deno.UnsafePointer.of(source.op),
        source.attr ?? null,
        dnnl.engine,
        source.hint ?? null,
      ),
      `${what}: primitive_desc_create`,
    );
    pd = outPointer(cell);
  }
  check(dnnl.sym.dnnl_primitive_create(cell, pd), `${what}: primitive_create`);
  const prim = outPointer(cell);
  const impl = implInfo(dnnl, pd);
  const entry: Primitive = {
    prim,
    userMems: [],
    before: [],
    after: [],
    args: new Uint8Array(D.execArgBytes * specs.length),
    argsPtr: null,
    nargs: specs.length,
    own: new Map(),
    bytes: 0,
    impl,
  };
  const view = new DataView(entry.args.buffer);
  specs.forEach((spec, i) => {
    const md = dnnl.sym.dnnl_primitive_desc_query_md(pd, D.qExecArg, spec.arg);
    if (md === null) throw new Error(`oneDNN ${what}: no descriptor for argument ${spec.arg}`);
    let mem: Ptr;
    if (spec.user === null) {
      mem = memory(dnnl, md, true);
      entry.bytes += Number(dnnl.sym.dnnl_memory_desc_get_size(md));
      entry.own.set(spec.arg, mem);
    } else if (dnnl.sym.dnnl_memory_desc_equal(md, spec.user.ptr) === 1) {
      mem = memory(dnnl, spec.user.ptr, false);
      entry.userMems.push(mem);
    } else {
      // The primitive's own layout: a native buffer and a reorder to or from the user's.
      mem = memory(dnnl, md, true);
      entry.bytes += Number(dnnl.sym.dnnl_memory_desc_get_size(md));
      const own = { buf: new Uint8Array(0), ptr: md };
      const r = spec.output ? reorder(dnnl, own, spec.user) : reorder(dnnl, spec.user, own);
      // The reorder's side in the primitive's layout is this entry's buffer.
      const ownMem = spec.output ? r.srcMem : r.dstMem;
      check(dnnl.sym.dnnl_memory_set_data_handle(ownMem, dataHandle(dnnl, mem)), "set handle");
      entry.userMems.push(spec.output ? r.p.userMems[1] : r.p.userMems[0]);
      (spec.output ? entry.after : entry.before).push(r.p);
    }
    view.setInt32(i * D.execArgBytes, spec.arg, true);
    view.setBigUint64(
      i * D.execArgBytes + 8,
      BigInt(Deno.UnsafePointer.value(mem)),
      true,
    );
  });
  entry.argsPtr = Deno.UnsafePointer.of(entry.args);
  dnnl.sym.dnnl_primitive_desc_destroy(pd);
  allocated += entry.bytes;
  primitives++;
  return entry;
}

function dataHandle(dnnl: OneDNN, mem: Ptr): Ptr {
  const cell = new BigUint64Array(1);
  check(dnnl.sym.dnnl_memory_get_data_handle(mem, cell), "memory_get_data_handle");
  return outPointer(cell);
}

/** Points argument `toArg` of `to` at the own memory of `fromArg` of `from` (a shared workspace). */
export function shareOwn(
  dnnl: OneDNN,
  from: Primitive,
  fromArg: number,
  to: Primitive,
  toArg: number,
) {
  const src = from.own.get(fromArg), dst = to.own.get(toArg);
  if (src == null || dst == null) throw new Error("oneDNN shareOwn: no such own memory");
  check(dnnl.sym.dnnl_memory_set_data_handle(dst, dataHandle(dnnl, src)), "memory_set_data_handle");
}

/** A reorder between two layouts of the same dims; its two user arrays are (src, dst). */
export function reorder(
  dnnl: OneDNN,
  src: MemoryDesc,
  dst: MemoryDesc,
): { p: Primitive; srcMem: Ptr; dstMem: Ptr } {
  const cell = new BigUint64Array(1);
  check(
    dnnl.sym.dnnl_reorder_primitive_desc_create(
      cell,
      src.ptr,
      dnnl.engine,
      dst.ptr,
      dnnl.engine,
      null,
    ),
    "reorder_primitive_desc_create",
  );
  const p = createPrimitive(dnnl, "reorder", { pd: outPointer(cell) }, [
    { arg: D.argSrc, user: src },
    { arg: D.argDst, user: dst },
  ]);
  return { p, srcMem: p.userMems[0], dstMem: p.userMems[1] };
}

/** A pointer into `data` at element `offset`, off the V8 heap (so it cannot move). */
export function pointerOf(data: Float32Array, offset = 0): Ptr {
  void data.buffer; // moves a small on-heap array's storage off the heap for good
  const p = Deno.UnsafePointer.of(data);
  return offset === 0 ? p : Deno.UnsafePointer.offset(p!, offset * 4);
}

/**
 * Executes `p` with its user arguments pointing at `arrays` (each an array, or a pointer
 * from {@link pointerOf} for a view at an offset), running its reorders around it.
 */
export function run(dnnl: OneDNN, p: Primitive, arrays: (Float32Array | Ptr)[]): void {
  if (arrays.length !== p.userMems.length) {
    throw new Error(`oneDNN run: ${arrays.length} arrays for ${p.userMems.length} arguments`);
  }
  for (let i = 0; i < arrays.length; i++) {
    const a = arrays[i];
    const ptr = a instanceof Float32Array ? pointerOf(a) : a;
    check(dnnl.sym.dnnl_memory_set_data_handle(p.userMems[i], ptr), "memory_set_data_handle");
  }
  for (const r of p.before) execute(dnnl, r);
  execute(dnnl, p);
  for (const r of p.after) execute(dnnl, r);
}

function execute(dnnl: OneDNN, p: Primitive): void {
  check(dnnl.sym.dnnl_primitive_execute(p.prim, dnnl.stream, p.nargs, p.argsPtr), "execute");
  check(dnnl.sym.dnnl_stream_wait(dnnl.stream), "stream_wait");
}

/** A zeroed op-descriptor buffer (the largest 2.6 descriptor fits). */
export function opDesc(): { buf: Uint8Array; ptr: Ptr } {
  const buf = new Uint8Array(D.opDescBytes);
  return { buf, ptr: Deno.UnsafePointer.of(buf) };
}

/** dims array for the C API (int64[12]). */
export function dims(values: readonly number[]): BigInt64Array {
  return dimsArray(values);
}
