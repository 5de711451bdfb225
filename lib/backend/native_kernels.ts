/**
 * The `onednn` backend's own native kernels, compiled with the system's C compiler on first
 * use and loaded through Deno's FFI:
 * - `native/x2_kernels.c`: 2x2 max pooling and bilinear x2 up-sampling with their gradients;
 * - `native/concat_kernels.c`: concatenation along the last axis and its split;
 * - `native/conv3x3_kernels.c`: 3x3 stride-1 convolutions with 8k output channels and their
 *   filter gradient (AVX2 and FMA), where oneDNN's AVX2 kernels are slow on a dense block's
 *   few output channels;
 * - `native/batchnorm_kernels.c`: batch normalisation (statistics, normalisation with the ELU
 *   or ReLU after it in the same pass, gradient) at the speed of their passes over memory;
 * - `native/class_kernels.c`: over a pixel's few classes, softmax, argmax, the softmax gradient
 *   and the weighted cross-entropy with its gradient.
 *
 * Why not oneDNN: its pooling on NHWC arrays whose channel counts are not a multiple of 8 took
 * 15-50 ms a call, and its linear resampling samples at pixel centres where tfjs's up-sampling
 * samples at corners. Why not JS: the JS loops (`maxpool_2x2_kernels.ts`,
 * `resize_x2_kernels.ts`) run on one thread and were 25% of a 2-thread liver step (145 of
 * 577 ms of kernels at the cpu width). The C code does the JS loops' arithmetic, so the two
 * give the same bits (tested), on oneDNN's OpenMP threads. The concatenation is oneDNN's
 * strided copies done a row at a time (`concat_kernels.c` says why).
 *
 * Each library is built once per source into the user's cache folder (`$XDG_CACHE_HOME` or
 * `~/.cache`, `lits-workbench/`), written atomically so that runs side by side may build it
 * at once, without `-march=native` so that a shared home serves every node (each kernel is
 * built for AVX-512, AVX2 and plain x86-64, and the CPU picks one when it loads). Without a
 * compiler (`cc`) the backend keeps the JS loops and oneDNN's copies, and its description says
 * why.
 *
 * @example
 * ```ts
 * const k = loadNativeKernels();
 * if (typeof k !== "string") k.maxPool2x2(x, [1, 4, 4, 2], y);
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";

const NATIVE = new URL("./native/", import.meta.url);
const FLAGS = ["-O3", "-fPIC", "-shared", "-fopenmp", "-ffp-contract=off"];
/** Linked after the source: libm for `fmaf` where the CPU has no FMA instruction. */
const LIBS = ["-lm"];
/** What to install when no C compiler is found (Debian package names). */
export const COMPILER_HINT = "apt-get install gcc";

const X2_SYMBOLS = {
  maxpool2x2: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer"],
    result: "void",
  },
  maxpool2x2_grad: {
    parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "buffer"],
    result: "void",
  },
  resize_x2: { parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer"], result: "void" },
  resize_x2_grad: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer"],
    result: "void",
  },
} as const;

const CONCAT_SYMBOLS = {
  concat_last: { parameters: ["buffer", "buffer", "i32", "i64", "buffer"], result: "void" },
  split_last: { parameters: ["buffer", "buffer", "i32", "i64", "buffer"], result: "void" },
} as const;

const CONV3X3_SYMBOLS = {
  conv3x3_forward: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer", "buffer", "i32", "buffer"],
    result: "i32",
  },
  conv3x3_filter_grad: {
    parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  conv3x3_grad_scratch: { parameters: ["i32", "i32", "i32", "i32"], result: "i64" },
} as const;

const BATCH_NORM_SYMBOLS = {
  bn_train_stats: { parameters: ["buffer", "i64", "i32", "buffer", "buffer"], result: "i32" },
  bn_affine: {
    parameters: ["buffer", "i64", "i32", "buffer", "buffer", "buffer", "i32", "buffer"],
    result: "void",
  },
  bn_train_backward: {
    parameters: [
      "buffer",
      "buffer",
      "i64",
      "i32",
      "f32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
} as const;

const CLASS_SYMBOLS = {
  softmax_rows: { parameters: ["buffer", "i64", "i32", "buffer"], result: "void" },
  argmax_rows: { parameters: ["buffer", "i64", "i32", "buffer"], result: "void" },
  softmax_grad_rows: {
    parameters: ["buffer", "buffer", "i64", "i32", "buffer"],
    result: "void",
  },
  weighted_ce_sum: {
    parameters: ["buffer", "buffer", "buffer", "i64", "i32", "f32"],
    result: "f64",
  },
  weighted_ce_grad: {
    parameters: ["buffer", "buffer", "buffer", "i64", "i32", "f32", "f32", "buffer"],
    result: "void",
  },
} as const;

type Shape = readonly number[];

/**
 * The 2x2 pooling and x2 up-sampling loops, with the signatures of their JS references: this
 * module's C ones, or the JS ones (`JS_X2_KERNELS` in `onednn_kernels.ts`).
 */
export interface X2Kernels {
  /** y [b, h/2, w/2, c] = the maximum of each 2x2 window of x [b, h, w, c]. */
  maxPool2x2(x: Float32Array, shape: Shape, y: Float32Array): void;
  /** dx [b, h, w, c] of {@link maxPool2x2} for dy [b, h/2, w/2, c]. */
  maxPool2x2Grad(x: Float32Array, dy: Float32Array, shape: Shape, dx: Float32Array): void;
  /** out [b, 2h, 2w, c] = bilinear x2 of x [b, h, w, c]. */
  resizeX2(x: Float32Array, shape: Shape, out: Float32Array): void;
  /** dx [b, h, w, c] of {@link resizeX2} for dy [b, 2h, 2w, c] (dx need not be zeroed). */
  resizeX2Grad(dy: Float32Array, shape: Shape, dx: Float32Array): void;
}

function cacheRoot(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "lits-workbench");
  const home = Deno.env.get("HOME");
  return join(home ?? Deno.cwd(), ".cache", "lits-workbench");
}

/** Compile `source` to `out` with `cc` (atomically); null when built, else why not. */
function compile(cc: string, source: string, out: string): string | null {
  Deno.mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${Deno.pid}.tmp`;
  let result: Deno.CommandOutput;
  try {
    result = new Deno.Command(cc, {
      args: [...FLAGS, "-o", tmp, source, ...LIBS],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
  } catch (err) {
    return `no C compiler ${cc} (${(err as Error).message.split("\n")[0]}); ` +
      `install one with ${COMPILER_HINT}`;
  }
  if (!result.success) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // the compiler stopped before writing it
    }
    const text = new TextDecoder().decode(result.stderr).trim().split("\n").slice(0, 3).join(" ");
    return `${cc} failed on ${source}: ${text}`;
  }
  Deno.renameSync(tmp, out);
  return null;
}

/**
 * Concatenation along the last axis: row-major pieces [outer, widths[i]] of an
 * [outer, sum of widths] array.
 */
export interface ConcatKernels {
  /** out = the pieces `xs` side by side. */
  concat(
    xs: readonly Float32Array[],
    outer: number,
    widths: readonly number[],
    out: Float32Array,
  ): void;
  /** outs = the pieces of `x`, left to right. */
  split(
    x: Float32Array,
    outer: number,
    widths: readonly number[],
    outs: readonly Float32Array[],
  ): void;
}

/** Where to build: another compiler (default `$CC` or `cc`) or cache folder. */
export interface BuildOptions {
  cc?: string;
  cacheDir?: string;
}

/** A C file's bytes and those of the `#include "..."` headers beside it: what its build depends on. */
function sourceAndHeaders(source: string): Uint8Array[] {
  const code = Deno.readFileSync(source);
  const headers = [...new TextDecoder().decode(code).matchAll(/^#include "([^"]+)"/gm)];
  return [code, ...headers.map((m) => Deno.readFileSync(join(dirname(source), m[1])))];
}

/** The C file `file` of `native/`, built if needed and opened; or why not. */
function openLibrary<S extends Deno.ForeignLibraryInterface>(
  file: string,
  symbols: S,
  opts: BuildOptions,
): Deno.DynamicLibrary<S> | string {
  const url = new URL(file, NATIVE);
  if (url.protocol !== "file:") return `native kernels need a local checkout (${url})`;
  const source = url.pathname;
  const cc = opts.cc ?? Deno.env.get("CC") ?? "cc";
  const hash = createHash("sha256").update([...FLAGS, ...LIBS].join(" "));
  for (const code of sourceAndHeaders(source)) hash.update(code);
  const digest = hash.digest("hex");
  const stem = file.replace(/\.c$/, "");
  const path = join(opts.cacheDir ?? cacheRoot(), `${stem}-${digest.slice(0, 16)}.so`);
  try {
    try {
      Deno.statSync(path);
    } catch {
      const why = compile(cc, source, path);
      if (why !== null) return why;
    }
    return Deno.dlopen(path, symbols);
  } catch (err) {
    return `native kernels ${path}: ${(err as Error).message.split("\n")[0]}`;
  }
}

let loaded: X2Kernels | string | undefined;

/**
 * The pooling and up-sampling kernels, built if needed and opened once; or why they are not
 * available (no compiler, a compile error, a library that does not open), naming what to
 * install.
 */
export function loadNativeKernels(): X2Kernels | string {
  if (loaded === undefined) loaded = openNativeKernels();
  return loaded;
}

/** {@link loadNativeKernels} uncached, with other build options. */
export function openNativeKernels(opts: BuildOptions = {}): X2Kernels | string {
  const lib = openLibrary("x2_kernels.c", X2_SYMBOLS, opts);
  if (typeof lib === "string") return lib;
  const s = lib.symbols;
  return {
    maxPool2x2: (x, [b, h, w, c], y) => s.maxpool2x2(x, b, h, w, c, y),
    maxPool2x2Grad: (x, dy, [b, h, w, c], dx) => s.maxpool2x2_grad(x, dy, b, h, w, c, dx),
    resizeX2: (x, [b, h, w, c], out) => s.resize_x2(x, b, h, w, c, out),
    resizeX2Grad: (dy, [b, h, w, c], dx) => s.resize_x2_grad(dy, b, h, w, c, dx),
  };
}

/** A C array of the arrays' addresses (each moved off V8's heap first, so it stays put). */
function addresses(arrays: readonly Float32Array[]): BigUint64Array {
  return new BigUint64Array(arrays.map((a) => {
    void a.buffer;
    return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(a)));
  }));
}

let loadedConcat: ConcatKernels | string | undefined;

/** The concatenation kernels, built and opened once; or why not (as {@link loadNativeKernels}). */
export function loadConcatKernels(): ConcatKernels | string {
  if (loadedConcat === undefined) loadedConcat = openConcatKernels();
  return loadedConcat;
}

/** {@link loadConcatKernels} uncached, with other build options. */
export function openConcatKernels(opts: BuildOptions = {}): ConcatKernels | string {
  const lib = openLibrary("concat_kernels.c", CONCAT_SYMBOLS, opts);
  if (typeof lib === "string") return lib;
  const s = lib.symbols;
  const widthsOf = (w: readonly number[]) => new BigInt64Array(w.map(BigInt));
  const kernels: ConcatKernels = {
    concat: (xs, outer, widths, out) =>
      s.concat_last(addresses(xs), widthsOf(widths), xs.length, BigInt(outer), out),
    split: (x, outer, widths, outs) =>
      s.split_last(x, widthsOf(widths), outs.length, BigInt(outer), addresses(outs)),
  };
  return kernels;
}

/**
 * 3x3 convolutions, stride 1, zero padding 1, on NHWC activations and HWIO filters, with a
 * multiple of 8 output channels.
 */
export interface Conv3x3Kernels {
  /** y [n, h, w, oc] = conv(x [n, h, w, c], filter [3, 3, c, oc]) + bias [oc] (or none). */
  forward(
    x: Float32Array,
    shape: Shape,
    filter: Float32Array,
    bias: Float32Array | null,
    oc: number,
    y: Float32Array,
  ): void;
  /** dFilter [3, 3, c, oc] of {@link forward} for x and dy [n, h, w, oc]. */
  filterGrad(x: Float32Array, dy: Float32Array, shape: Shape, oc: number, df: Float32Array): void;
}

let loadedConv: Conv3x3Kernels | string | undefined;

/** The 3x3 convolution kernels, built and opened once; or why not (no AVX2 and FMA among them). */
export function loadConv3x3Kernels(): Conv3x3Kernels | string {
  if (loadedConv === undefined) loadedConv = openConv3x3Kernels();
  return loadedConv;
}

/** {@link loadConv3x3Kernels} uncached, with other build options. */
export function openConv3x3Kernels(opts: BuildOptions = {}): Conv3x3Kernels | string {
  const lib = openLibrary("conv3x3_kernels.c", CONV3X3_SYMBOLS, opts);
  if (typeof lib === "string") return lib;
  const s = lib.symbols;
  // The filter gradient's per-block partial sums, reused between calls.
  let scratch = new Float32Array(0);
  const ran = (status: number, what: string) => {
    if (status !== 0) throw new Error(`conv3x3 ${what}: this CPU has no AVX2 and FMA`);
  };
  const probe = s.conv3x3_forward(
    new Float32Array(1),
    1,
    1,
    1,
    1,
    new Float32Array(72),
    null,
    8,
    new Float32Array(8),
  );
  if (probe !== 0) {
    return "3x3 convolutions need AVX2 and FMA, which this CPU lacks";
  }
  return {
    forward: (x, [n, h, w, c], filter, bias, oc, y) =>
      ran(s.conv3x3_forward(x, n, h, w, c, filter, bias, oc, y), "forward"),
    filterGrad: (x, dy, [n, h, w, c], oc, df) => {
      const need = Number(s.conv3x3_grad_scratch(n, h, c, oc));
      if (scratch.length < need) scratch = new Float32Array(need);
      ran(s.conv3x3_filter_grad(x, dy, n, h, w, c, oc, scratch, df), "filter gradient");
    },
  };
}

/** The activations batch norm's normalisation can apply in the same pass. */
export type NormActivation = "none" | "elu" | "relu";
const NORM_ACTIVATIONS: NormActivation[] = ["none", "elu", "relu"];

/**
 * Batch normalisation over a channels-last [rows, c] array (the quantities of
 * `batchnorm_train.ts`): its statistics, its normalisation (with the ELU or ReLU after it, in
 * the same pass) and its gradient. `stats` and `backward` return false, their outputs untouched, when
 * they cannot run (no rows, no memory): the caller keeps oneDNN.
 */
export interface BatchNormKernels {
  /** The batch mean and biased variance per channel of x. */
  stats(x: Float32Array, c: number, mean: Float32Array, variance: Float32Array): boolean;
  /** out = act((x - mean) * scale + shift) per channel: none, ELU (alpha 1) or ReLU. */
  affine(
    x: Float32Array,
    c: number,
    mean: Float32Array,
    scale: Float32Array,
    shift: Float32Array,
    act: NormActivation,
    out: Float32Array,
  ): void;
  /** dx, dgamma, dbeta of batch norm in training for dy, with its batch statistics. */
  backward(
    dy: Float32Array,
    x: Float32Array,
    c: number,
    eps: number,
    gamma: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
  ): boolean;
}

let loadedBatchNorm: BatchNormKernels | string | undefined;

/** The batch-norm kernels, built and opened once; or why not (as {@link loadNativeKernels}). */
export function loadBatchNormKernels(): BatchNormKernels | string {
  if (loadedBatchNorm === undefined) loadedBatchNorm = openBatchNormKernels();
  return loadedBatchNorm;
}

/** {@link loadBatchNormKernels} uncached, with other build options. */
export function openBatchNormKernels(opts: BuildOptions = {}): BatchNormKernels | string {
  const lib = openLibrary("batchnorm_kernels.c", BATCH_NORM_SYMBOLS, opts);
  if (typeof lib === "string") return lib;
  const s = lib.symbols;
  return {
    stats: (x, c, mean, variance) =>
      s.bn_train_stats(x, BigInt(x.length / c), c, mean, variance) === 0,
    affine: (x, c, mean, scale, shift, act, out) =>
      s.bn_affine(
        x,
        BigInt(x.length / c),
        c,
        mean,
        scale,
        shift,
        NORM_ACTIVATIONS.indexOf(act),
        out,
      ),
    backward: (dy, x, c, eps, gamma, mean, variance, dx, dgamma, dbeta) =>
      s.bn_train_backward(
        dy,
        x,
        BigInt(x.length / c),
        c,
        eps,
        gamma,
        mean,
        variance,
        dx,
        dgamma,
        dbeta,
      ) === 0,
  };
}

/**
 * Per-pixel kernels over [rows, classes] arrays (`native/class_kernels.c`): softmax, argmax,
 * the softmax gradient, and the weighted cross-entropy of `weighted_ce.ts` with its gradient.
 */
export interface ClassKernels {
  /** y = the softmax of each row of x. */
  softmax(x: Float32Array, classes: number, y: Float32Array): void;
  /** out[r] = the index of row r's largest value (the first of equals). */
  argMax(x: Float32Array, classes: number, out: Int32Array): void;
  /** dx = the softmax gradient of each row for y = softmax(x) and dy. */
  softmaxGrad(dy: Float32Array, y: Float32Array, classes: number, dx: Float32Array): void;
  /** Sum over rows of w * -sum_c g log(clip(p, lo, 1)) (one weight per row). */
  weightedCESum(
    g: Float32Array,
    p: Float32Array,
    w: Float32Array,
    classes: number,
    lo: number,
  ): number;
  /** dp of the mean of that sum for the loss gradient dy (see `class_kernels.c`). */
  weightedCEGrad(
    g: Float32Array,
    p: Float32Array,
    w: Float32Array,
    classes: number,
    lo: number,
    dy: number,
    dp: Float32Array,
  ): void;
}

let loadedClass: ClassKernels | string | undefined;

/** The class kernels, built and opened once; or why not (as {@link loadNativeKernels}). */
export function loadClassKernels(): ClassKernels | string {
  if (loadedClass === undefined) loadedClass = openClassKernels();
  return loadedClass;
}

/** {@link loadClassKernels} uncached, with other build options. */
export function openClassKernels(opts: BuildOptions = {}): ClassKernels | string {
  const lib = openLibrary("class_kernels.c", CLASS_SYMBOLS, opts);
  if (typeof lib === "string") return lib;
  const s = lib.symbols;
  return {
    softmax: (x, classes, y) => s.softmax_rows(x, BigInt(x.length / classes), classes, y),
    argMax: (x, classes, out) => s.argmax_rows(x, BigInt(out.length), classes, out),
    softmaxGrad: (dy, y, classes, dx) =>
      s.softmax_grad_rows(dy, y, BigInt(y.length / classes), classes, dx),
    weightedCESum: (g, p, w, classes, lo) =>
      s.weighted_ce_sum(g, p, w, BigInt(w.length), classes, lo),
    weightedCEGrad: (g, p, w, classes, lo, dy, dp) =>
      s.weighted_ce_grad(g, p, w, BigInt(w.length), classes, lo, dy, dp),
  };
}
