/**
 * oneDNN (Debian's `libdnnl2`, 2.6) through Deno's FFI: the library handle, the few enum values
 * and struct sizes the `onednn` backend needs, and a loader that names the library and what to
 * install when it is missing or of another version.
 *
 * Why these constants are written out: oneDNN's C API passes op descriptors as structs and
 * selects everything by enum, and Deno's FFI has no C headers. The values below were read from
 * the 2.6 headers (`libdnnl-dev`) with a C program; the loader refuses any other major.minor
 * version, so a header change cannot go unnoticed. Memory descriptors are always built from
 * strides (never from format tags, whose numbering changes between minor versions), and struct
 * buffers are sized from the same headers with room to spare.
 *
 * @example
 * ```ts
 * const dnnl = loadOneDNN();
 * if (typeof dnnl === "string") console.error(dnnl); // why the native path is off
 * ```
 * @module
 */

/** The sonames tried, in order. */
export const ONEDNN_LIBRARIES = ["libdnnl.so.2", "libdnnl.so"];
/** What to install when the library is missing (Debian package names). */
export const ONEDNN_INSTALL_HINT = "apt-get install libdnnl2 (Debian 12: oneDNN 2.6)";

/** oneDNN enum values and sizes (2.6 headers). */
export const D = {
  success: 0,
  f32: 3,
  formatAny: 1,
  cpuEngine: 1,
  streamDefault: 1,
  maxDims: 12,
  // prop kinds
  forwardTraining: 64,
  forwardInference: 96,
  backward: 128,
  backwardData: 160,
  backwardWeights: 192,
  // algorithms
  convDirect: 1,
  eltRelu: 31,
  eltElu: 63,
  eltEluDst: 258,
  eltSquare: 79,
  eltSqrt: 111,
  eltLinear: 127,
  eltExp: 191,
  eltLog: 239,
  eltAbs: 95,
  eltLogistic: 175,
  eltTanh: 47,
  binAdd: 131056,
  binMul: 131057,
  binMax: 131058,
  binMin: 131059,
  binDiv: 131060,
  binSub: 131061,
  poolMax: 511,
  redSum: 196596,
  redMax: 196594,
  redMean: 196598,
  // batch-norm flags
  bnGlobalStats: 1,
  bnScale: 8,
  bnShift: 16,
  // queries
  qSrc: 129,
  qDiffSrc: 130,
  qWeights: 131,
  qDiffWeights: 132,
  qDst: 133,
  qDiffDst: 134,
  qWorkspace: 135,
  qImplInfo: 8,
  qExecArg: 255,
  // execution arguments
  argSrc: 1,
  argSrc1: 2,
  argDst: 17,
  argWeights: 33,
  argBias: 41,
  argMean: 49,
  argVariance: 50,
  argScale: 51,
  argShift: 52,
  argWorkspace: 64,
  argDiffSrc: 129,
  argDiffDst: 145,
  argDiffWeights: 161,
  argDiffBias: 169,
  argDiffScale: 255,
  argDiffShift: 256,
  argMultipleSrc: 1024,
  // sizes in bytes (sizeof in the 2.6 headers: memory desc 696, the largest op desc 5976)
  memoryDescBytes: 696,
  opDescBytes: 8192,
  execArgBytes: 16,
} as const;

const SYMBOLS = {
  dnnl_version: { parameters: [], result: "pointer" },
  dnnl_get_effective_cpu_isa: { parameters: [], result: "i32" },
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "pointer", "u32"], result: "i32" },
  dnnl_stream_wait: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_desc_init_by_strides: {
    parameters: ["pointer", "i32", "buffer", "i32", "buffer"],
    result: "i32",
  },
  dnnl_memory_desc_init_by_tag: {
    parameters: ["pointer", "i32", "buffer", "i32", "i32"],
    result: "i32",
  },
  dnnl_memory_desc_equal: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_memory_desc_get_size: { parameters: ["pointer"], result: "usize" },
  dnnl_memory_create: { parameters: ["buffer", "pointer", "pointer", "pointer"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_memory_get_data_handle: { parameters: ["pointer", "buffer"], result: "i32" },
  dnnl_memory_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_desc_create: {
    parameters: ["buffer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_primitive_desc_query: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  dnnl_primitive_desc_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_create: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_primitive_execute: { parameters: ["pointer", "pointer", "i32", "pointer"], result: "i32" },
  dnnl_primitive_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_attr_create: { parameters: ["buffer"], result: "i32" },
  dnnl_primitive_attr_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_attr_set_post_ops: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_post_ops_create: { parameters: ["buffer"], result: "i32" },
  dnnl_post_ops_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_post_ops_append_eltwise: {
    parameters: ["pointer", "f32", "i32", "f32", "f32"],
    result: "i32",
  },
  dnnl_reorder_primitive_desc_create: {
    parameters: ["buffer", "pointer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_concat_primitive_desc_create: {
    parameters: ["buffer", "pointer", "i32", "i32", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_convolution_forward_desc_init: {
    parameters: [
      "pointer",
      "i32",
      "i32",
      "pointer",
      "pointer",
      "pointer",
      "pointer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_convolution_backward_data_desc_init: {
    parameters: ["pointer", "i32", "pointer", "pointer", "pointer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_convolution_backward_weights_desc_init: {
    parameters: [
      "pointer",
      "i32",
      "pointer",
      "pointer",
      "pointer",
      "pointer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_eltwise_forward_desc_init: {
    parameters: ["pointer", "i32", "i32", "pointer", "f32", "f32"],
    result: "i32",
  },
  dnnl_eltwise_backward_desc_init: {
    parameters: ["pointer", "i32", "pointer", "pointer", "f32", "f32"],
    result: "i32",
  },
  dnnl_binary_desc_init: {
    parameters: ["pointer", "i32", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_reduction_desc_init: {
    parameters: ["pointer", "i32", "pointer", "pointer", "f32", "f32"],
    result: "i32",
  },
  dnnl_pooling_forward_desc_init: {
    parameters: [
      "pointer",
      "i32",
      "i32",
      "pointer",
      "pointer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_pooling_backward_desc_init: {
    parameters: ["pointer", "i32", "pointer", "pointer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_softmax_forward_desc_init: {
    parameters: ["pointer", "i32", "pointer", "i32"],
    result: "i32",
  },
  dnnl_matmul_desc_init: {
    parameters: ["pointer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_batch_normalization_forward_desc_init: {
    parameters: ["pointer", "i32", "pointer", "f32", "u32"],
    result: "i32",
  },
  dnnl_batch_normalization_backward_desc_init: {
    parameters: ["pointer", "i32", "pointer", "pointer", "f32", "u32"],
    result: "i32",
  },
} as const;

/** The opened library's functions. */
export type OneDNNSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** An opened oneDNN with one CPU engine and stream. */
export interface OneDNN {
  sym: OneDNNSymbols;
  engine: Deno.PointerValue;
  stream: Deno.PointerValue;
  /** e.g. "2.6.3" */
  version: string;
  /** Which soname was opened. */
  library: string;
  /** Whether oneDNN's kernels use AVX-512 (`dnnl_get_effective_cpu_isa`, avx512_core or above). */
  avx512: boolean;
}

/** dnnl_cpu_isa_avx512_core; the ISAs above it carry its bits. */
const ISA_AVX512_CORE = 0x27;

const STATUS = [
  "success",
  "out of memory",
  "invalid arguments",
  "unimplemented",
  "iterator ends",
  "runtime error",
  "not required",
];

/** Throws with the call's name and oneDNN's status in words unless `status` is success. */
export function check(status: number, what: string): void {
  if (status !== D.success) {
    throw new Error(`oneDNN ${what}: ${STATUS[status] ?? `status ${status}`}`);
  }
}

/** Reads a pointer written by the library into an 8-byte out-parameter. */
export function outPointer(cell: BigUint64Array): Deno.PointerValue {
  return Deno.UnsafePointer.create(cell[0]);
}

let loaded: OneDNN | string | undefined;

/**
 * Opens oneDNN once, checks its version (2.6.x: the constants above) and sets its OpenMP
 * thread count to `threads`. Returns the library, or a sentence saying why it is not used
 * (missing, wrong version), naming the library and what to install.
 */
export function loadOneDNN(threads?: number): OneDNN | string {
  if (loaded === undefined) loaded = openOneDNN(ONEDNN_LIBRARIES, threads);
  return loaded;
}

/** {@link loadOneDNN} from a list of candidate library names, uncached. */
export function openOneDNN(candidates: readonly string[], threads?: number): OneDNN | string {
  if (threads !== undefined) setOmpThreads(threads);
  let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;
  let name = "";
  const errors: string[] = [];
  for (const candidate of candidates) {
    try {
      lib = Deno.dlopen(candidate, SYMBOLS);
      name = candidate;
      break;
    } catch (err) {
      errors.push(`${candidate}: ${err instanceof Error ? err.message.split("\n")[0] : err}`);
    }
  }
  if (lib === undefined) {
    return `oneDNN not found (${errors.join("; ")}); install it with ${ONEDNN_INSTALL_HINT}`;
  }
  const v = new Deno.UnsafePointerView(lib.symbols.dnnl_version()!);
  const major = v.getInt32(0), minor = v.getInt32(4), patch = v.getInt32(8);
  const version = `${major}.${minor}.${patch}`;
  if (major !== 2 || minor !== 6) {
    lib.close();
    return `${name} is oneDNN ${version}; the onednn backend is written for 2.6 ` +
      `(${ONEDNN_INSTALL_HINT})`;
  }
  const cell = new BigUint64Array(1);
  check(lib.symbols.dnnl_engine_create(cell, D.cpuEngine, 0n), "engine_create");
  const engine = outPointer(cell);
  check(lib.symbols.dnnl_stream_create(cell, engine, D.streamDefault), "stream_create");
  const avx512 = (lib.symbols.dnnl_get_effective_cpu_isa() & ISA_AVX512_CORE) === ISA_AVX512_CORE;
  return { sym: lib.symbols, engine, stream: outPointer(cell), version, library: name, avx512 };
}

const GOMP_SYMBOLS = {
  omp_set_num_threads: { parameters: ["i32"], result: "void" },
  omp_get_max_threads: { parameters: [], result: "i32" },
} as const;
let gomp: Deno.DynamicLibrary<typeof GOMP_SYMBOLS>["symbols"] | null | undefined;

/** libgomp's functions, opened once; null when it cannot be opened. */
function openGomp() {
  if (gomp === undefined) {
    try {
      gomp = Deno.dlopen("libgomp.so.1", GOMP_SYMBOLS).symbols;
    } catch {
      gomp = null;
    }
  }
  return gomp;
}

/**
 * oneDNN runs its parallel loops on OpenMP (Debian builds it so); the pool size is set through
 * libgomp, first before the library loads and again whenever a caller asks for another count.
 */
export function setOmpThreads(threads: number): void {
  const omp = openGomp();
  if (omp !== null) omp.omp_set_num_threads(threads);
  else Deno.env.set("OMP_NUM_THREADS", String(threads));
}

/** OpenMP's current pool size (1 when libgomp cannot be opened). */
export function ompThreads(): number {
  return openGomp()?.omp_get_max_threads() ?? 1;
}
