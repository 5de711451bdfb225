/**
 * The oneDNN primitives the `onednn` backend's kernels use, each built once per shape and
 * cached (`onednn_primitives.ts`): convolution forward and both gradients on NHWC activations
 * and HWIO filters, element-wise functions and their gradients, broadcasting binary
 * operations, reductions, max pooling and its gradient, inference-form batch normalisation,
 * concatenation and strided copies (split). Each function runs the primitive on the arrays it
 * is given and allocates nothing on the JS side.
 *
 * @example
 * ```ts
 * binary(dnnl, D.binMul, [n], [n], a, b, out); // out = a * b
 * ```
 * @module
 */
import { check, D, type OneDNN, outPointer } from "./onednn_ffi.ts";
import {
  anyDesc,
  type ArgSpec,
  cached,
  createPrimitive,
  denseDesc,
  dims,
  type MemoryDesc,
  nhwcDesc,
  opDesc,
  pointerOf,
  type Primitive,
  reorder,
  run,
  shareOwn,
  stridedDesc,
} from "./onednn_primitives.ts";

/** The geometry of a 2-D convolution over NHWC input (tfjs's `Conv2DInfo` fields we use). */
export interface ConvGeometry {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padInfo: { top: number; left: number; bottom: number; right: number };
}

function convKey(c: ConvGeometry): string {
  const p = c.padInfo;
  return [
    c.batchSize,
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.outHeight,
    c.outWidth,
    c.outChannels,
    c.filterHeight,
    c.filterWidth,
    c.strideHeight,
    c.strideWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
  ].join(",");
}

interface ConvDescs {
  src: ReturnType<typeof nhwcDesc>;
  dst: ReturnType<typeof nhwcDesc>;
  /** The user's HWIO filter as oneDNN's OIHW dims. */
  weightsUser: ReturnType<typeof stridedDesc>;
  weightsAny: ReturnType<typeof anyDesc>;
  srcAny: ReturnType<typeof anyDesc>;
  dstAny: ReturnType<typeof anyDesc>;
  bias: ReturnType<typeof denseDesc>;
  strides: BigInt64Array;
  padL: BigInt64Array;
  padR: BigInt64Array;
}

function convDescs(dnnl: OneDNN, c: ConvGeometry): ConvDescs {
  const { inChannels: ic, outChannels: oc, filterHeight: kh, filterWidth: kw } = c;
  return {
    src: nhwcDesc(dnnl, [c.batchSize, c.inHeight, c.inWidth, ic]),
    dst: nhwcDesc(dnnl, [c.batchSize, c.outHeight, c.outWidth, oc]),
    weightsUser: stridedDesc(dnnl, [oc, ic, kh, kw], [1, oc, kw * ic * oc, ic * oc]),
    weightsAny: anyDesc(dnnl, [oc, ic, kh, kw]),
    srcAny: anyDesc(dnnl, [c.batchSize, ic, c.inHeight, c.inWidth]),
    dstAny: anyDesc(dnnl, [c.batchSize, oc, c.outHeight, c.outWidth]),
    bias: denseDesc(dnnl, [oc]),
    strides: dims([c.strideHeight, c.strideWidth]),
    padL: dims([c.padInfo.top, c.padInfo.left]),
    padR: dims([c.padInfo.bottom, c.padInfo.right]),
  };
}

/**
 * The forward primitive descriptor, also the hint both gradients need; with `any`, x and y in
 * the layouts oneDNN prefers (the filter gradient's).
 */
function convForwardDesc(
  dnnl: OneDNN,
  d: ConvDescs,
  bias: boolean,
  prop: number,
  any = false,
) {
  const op = opDesc();
  check(
    dnnl.sym.dnnl_convolution_forward_desc_init(
      op.ptr,
      prop,
      D.convDirect,
      (any ? d.srcAny : d.src).ptr,
      d.weightsAny.ptr,
      bias ? d.bias.ptr : null,
      (any ? d.dstAny : d.dst).ptr,
      d.strides,
      d.padL,
      d.padR,
    ),
    "convolution_forward_desc_init",
  );
  return op;
}

function primitiveDesc(dnnl: OneDNN, op: Uint8Array, what: string): Deno.PointerValue {
  const cell = new BigUint64Array(1);
  check(
    dnnl.sym.dnnl_primitive_desc_create(cell, Deno.UnsafePointer.of(op), null, dnnl.engine, null),
    `${what}: primitive_desc_create`,
  );
  return outPointer(cell);
}

/**
 * A backward primitive of op descriptor `op`, created with the hint oneDNN asks for: the
 * primitive descriptor of the forward op `forwardOp`.
 */
function backwardPrimitive(
  dnnl: OneDNN,
  forwardOp: Uint8Array,
  what: string,
  op: Uint8Array,
  specs: ArgSpec[],
): Primitive {
  const hint = primitiveDesc(dnnl, forwardOp, `${what} (hint)`);
  try {
    return createPrimitive(dnnl, what, { op, hint }, specs);
  } finally {
    dnnl.sym.dnnl_primitive_desc_destroy(hint);
  }
}

/** y = conv(x, filter) (+ bias): x NHWC, filter HWIO, y NHWC. */
export function convForward(
  dnnl: OneDNN,
  c: ConvGeometry,
  x: Float32Array,
  filter: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
): void {
  const p = cached(`conv:fwd:${bias != null}:${convKey(c)}`, () => {
    const d = convDescs(dnnl, c);
    const op = convForwardDesc(dnnl, d, bias != null, D.forwardTraining);
    return createPrimitive(dnnl, "convolution forward", { op: op.buf }, [
      { arg: D.argSrc, user: d.src },
      { arg: D.argWeights, user: d.weightsUser },
      ...(bias != null ? [{ arg: D.argBias, user: d.bias }] : []),
      { arg: D.argDst, user: d.dst, output: true },
    ]);
  });
  run(dnnl, p, bias != null ? [x, filter, bias, y] : [x, filter, y]);
}

/** dx = the input gradient of conv(x, filter) for output gradient dy. */
export function convBackwardData(
  dnnl: OneDNN,
  c: ConvGeometry,
  dy: Float32Array,
  filter: Float32Array,
  dx: Float32Array,
): void {
  const p = cached(`conv:bwd_data:${convKey(c)}`, () => {
    const d = convDescs(dnnl, c);
    const op = opDesc();
    check(
      dnnl.sym.dnnl_convolution_backward_data_desc_init(
        op.ptr,
        D.convDirect,
        d.src.ptr,
        d.weightsAny.ptr,
        d.dst.ptr,
        d.strides,
        d.padL,
        d.padR,
      ),
      "convolution_backward_data_desc_init",
    );
    return backwardPrimitive(
      dnnl,
      convForwardDesc(dnnl, d, false, D.forwardTraining).buf,
      "convolution backward data",
      op.buf,
      [
        { arg: D.argDiffDst, user: d.dst },
        { arg: D.argWeights, user: d.weightsUser },
        { arg: D.argDiffSrc, user: d.src, output: true },
      ],
    );
  });
  run(dnnl, p, [dy, filter, dx]);
}

/**
 * dFilter (HWIO) of conv(x, ·) for output gradient dy. On AVX2, x and dy are reordered to the
 * layouts oneDNN picks (blocked by 8 channels): on NHWC its filter gradient took 2x as long at
 * the paper's width (48 + 16k channels; 700 against 330 ms of a 2-thread step, the reorders
 * included), and the same at the cpu profile's (16 + 8k). With AVX-512 NHWC is faster: the
 * reorders to 16-channel blocks cost more than they save (a 1-thread step 530 against 476 ms
 * at the cpu profile's width, 1348 against 1254 ms at the paper's).
 */
export function convBackwardFilter(
  dnnl: OneDNN,
  c: ConvGeometry,
  x: Float32Array,
  dy: Float32Array,
  dFilter: Float32Array,
): void {
  const p = cached(`conv:bwd_filter:${convKey(c)}`, () => {
    const d = convDescs(dnnl, c);
    const blocked = !dnnl.avx512;
    const op = opDesc();
    check(
      dnnl.sym.dnnl_convolution_backward_weights_desc_init(
        op.ptr,
        D.convDirect,
        (blocked ? d.srcAny : d.src).ptr,
        d.weightsAny.ptr,
        null,
        (blocked ? d.dstAny : d.dst).ptr,
        d.strides,
        d.padL,
        d.padR,
      ),
      "convolution_backward_weights_desc_init",
    );
    return backwardPrimitive(
      dnnl,
      convForwardDesc(dnnl, d, false, D.forwardTraining, blocked).buf,
      "convolution backward weights",
      op.buf,
      [
        { arg: D.argSrc, user: d.src },
        { arg: D.argDiffDst, user: d.dst },
        { arg: D.argDiffWeights, user: d.weightsUser, output: true },
      ],
    );
  });
  run(dnnl, p, [x, dy, dFilter]);
}

/**
 * dFilter [cin, cout] of a 1x1, stride-1, unpadded convolution of x [rows, cin] (NHWC pixels
 * as rows) for dy [rows, cout]: the matrix product x^T dy, with x read transposed in place.
 * oneDNN's convolution filter gradient reordered x and dy to blocked layouts first: 9.4
 * against 4.1 ms for the liver classifier (24 -> 2 at 4 x 256 x 256), 7.3 against 3.8 ms for a
 * transition down (40 -> 40 at 4 x 128 x 128), 1 thread.
 */
export function filterGrad1x1(
  dnnl: OneDNN,
  rows: number,
  cin: number,
  cout: number,
  x: Float32Array,
  dy: Float32Array,
  dFilter: Float32Array,
): void {
  const p = cached(`conv:bwd_filter_1x1:${rows}:${cin}:${cout}`, () =>
    matmulPrimitive(
      dnnl,
      "1x1 filter gradient (matmul)",
      stridedDesc(dnnl, [cin, rows], [1, cin]),
      denseDesc(dnnl, [rows, cout]),
      denseDesc(dnnl, [cin, cout]),
    ));
  run(dnnl, p, [x, dy, dFilter]);
}

/** y = f(x) element-wise over `n` values (oneDNN's alpha/beta conventions). */
export function eltwise(
  dnnl: OneDNN,
  alg: number,
  alpha: number,
  beta: number,
  x: Float32Array,
  y: Float32Array,
): void {
  const n = x.length;
  const p = cached(`elt:${alg}:${alpha}:${beta}:${n}`, () => {
    const md = denseDesc(dnnl, [n]);
    const op = opDesc();
    check(
      dnnl.sym.dnnl_eltwise_forward_desc_init(op.ptr, D.forwardTraining, alg, md.ptr, alpha, beta),
      "eltwise_forward_desc_init",
    );
    return createPrimitive(dnnl, "eltwise", { op: op.buf }, [
      { arg: D.argSrc, user: md },
      { arg: D.argDst, user: md },
    ]);
  });
  run(dnnl, p, [x, y]);
}

/**
 * dx = f'(·) * dy element-wise, where `data` is the forward input, or its output for the
 * `*_use_dst_for_bwd` algorithms.
 */
export function eltwiseBackward(
  dnnl: OneDNN,
  alg: number,
  alpha: number,
  dy: Float32Array,
  data: Float32Array,
  dx: Float32Array,
): void {
  const n = dy.length;
  const p = cached(`elt_bwd:${alg}:${alpha}:${n}`, () => {
    const md = denseDesc(dnnl, [n]);
    const fwd = opDesc();
    check(
      dnnl.sym.dnnl_eltwise_forward_desc_init(fwd.ptr, D.forwardTraining, alg, md.ptr, alpha, 0),
      "eltwise_forward_desc_init",
    );
    const op = opDesc();
    check(
      dnnl.sym.dnnl_eltwise_backward_desc_init(op.ptr, alg, md.ptr, md.ptr, alpha, 0),
      "eltwise_backward_desc_init",
    );
    const dataArg = alg === D.eltEluDst ? D.argDst : D.argSrc;
    return backwardPrimitive(dnnl, fwd.buf, "eltwise backward", op.buf, [
      { arg: D.argDiffDst, user: md },
      { arg: dataArg, user: md },
      { arg: D.argDiffSrc, user: md },
    ]);
  });
  run(dnnl, p, [dy, data, dx]);
}

/**
 * out = a op b, where `aDims` is the output's dims and `bDims` equal or 1 in each of them
 * (oneDNN broadcasts its second input only).
 */
export function binary(
  dnnl: OneDNN,
  alg: number,
  aDims: readonly number[],
  bDims: readonly number[],
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
): void {
  const p = cached(`bin:${alg}:${aDims}:${bDims}`, () => {
    const mdA = denseDesc(dnnl, aDims);
    const mdB = denseDesc(dnnl, bDims);
    const op = opDesc();
    check(
      dnnl.sym.dnnl_binary_desc_init(op.ptr, alg, mdA.ptr, mdB.ptr, mdA.ptr),
      "binary_desc_init",
    );
    return createPrimitive(dnnl, "binary", { op: op.buf }, [
      { arg: D.argSrc, user: mdA },
      { arg: D.argSrc1, user: mdB },
      { arg: D.argDst, user: mdA },
    ]);
  });
  run(dnnl, p, [a, b, out]);
}

/** c = a b for row-major a [batch?, m, k] and b [batch?, k, n] (a batch of 1 broadcasts). */
function matmul(
  dnnl: OneDNN,
  aDims: readonly number[],
  bDims: readonly number[],
  cDims: readonly number[],
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
): void {
  const p = cached(`matmul:${aDims}:${bDims}`, () =>
    matmulPrimitive(
      dnnl,
      "matmul",
      denseDesc(dnnl, aDims),
      denseDesc(dnnl, bDims),
      denseDesc(dnnl, cDims),
    ));
  run(dnnl, p, [a, b, c]);
}

/** oneDNN's matmul dst = src weights over the memory descriptors given (any strides). */
function matmulPrimitive(
  dnnl: OneDNN,
  what: string,
  src: MemoryDesc,
  weights: MemoryDesc,
  dst: MemoryDesc,
): Primitive {
  const op = opDesc();
  check(
    dnnl.sym.dnnl_matmul_desc_init(op.ptr, src.ptr, weights.ptr, null, dst.ptr),
    "matmul_desc_init",
  );
  return createPrimitive(dnnl, what, { op: op.buf }, [
    { arg: D.argSrc, user: src },
    { arg: D.argWeights, user: weights },
    { arg: D.argDst, user: dst },
  ]);
}

const constants = new Map<string, Float32Array>();
function filled(n: number, value: number): Float32Array {
  const key = `${n}:${value}`;
  let a = constants.get(key);
  if (a === undefined) {
    a = new Float32Array(n).fill(value);
    constants.set(key, a);
  }
  return a;
}

/**
 * Sum (or mean) over one group of adjacent dims: `inDims` [outer, reduced, inner] with the
 * reduced group in the middle, `outer` and `inner` 1 when absent. Run as a product with a
 * vector of ones (or of 1/n): oneDNN 2.6's reduction primitive has only a reference loop for
 * these shapes, its matrix product is vectorised and threaded.
 */
export function sumAxis(
  dnnl: OneDNN,
  outer: number,
  reduced: number,
  inner: number,
  mean: boolean,
  x: Float32Array,
  out: Float32Array,
): void {
  const w = filled(reduced, mean ? 1 / reduced : 1);
  if (inner === 1) {
    matmul(dnnl, [outer, reduced], [reduced, 1], [outer, 1], x, w, out);
  } else if (outer === 1) {
    matmul(dnnl, [1, reduced], [reduced, inner], [1, inner], w, x, out);
  } else {
    matmul(dnnl, [1, 1, reduced], [outer, reduced, inner], [outer, 1, inner], w, x, out);
  }
}

/** The geometry of a 2-D pooling over NHWC input (from tfjs's `Conv2DInfo`). */
export type PoolGeometry = ConvGeometry;

function poolDescs(dnnl: OneDNN, c: PoolGeometry) {
  return {
    src: nhwcDesc(dnnl, [c.batchSize, c.inHeight, c.inWidth, c.inChannels]),
    dst: nhwcDesc(dnnl, [c.batchSize, c.outHeight, c.outWidth, c.outChannels]),
    strides: dims([c.strideHeight, c.strideWidth]),
    kernel: dims([c.filterHeight, c.filterWidth]),
    padL: dims([c.padInfo.top, c.padInfo.left]),
    padR: dims([c.padInfo.bottom, c.padInfo.right]),
  };
}

function maxPoolForwardOp(dnnl: OneDNN, d: ReturnType<typeof poolDescs>, prop: number) {
  const op = opDesc();
  check(
    dnnl.sym.dnnl_pooling_forward_desc_init(
      op.ptr,
      prop,
      D.poolMax,
      d.src.ptr,
      d.dst.ptr,
      d.strides,
      d.kernel,
      d.padL,
      d.padR,
    ),
    "pooling_forward_desc_init",
  );
  return op;
}

/** y = max-pool(x), NHWC. */
export function maxPool(dnnl: OneDNN, c: PoolGeometry, x: Float32Array, y: Float32Array): void {
  const p = cached(`pool:fwd:${convKey(c)}`, () => {
    const d = poolDescs(dnnl, c);
    const op = maxPoolForwardOp(dnnl, d, D.forwardInference);
    return createPrimitive(dnnl, "max pooling", { op: op.buf }, [
      { arg: D.argSrc, user: d.src },
      { arg: D.argDst, user: d.dst },
    ]);
  });
  run(dnnl, p, [x, y]);
}

/**
 * dx of max-pool(x) for output gradient dy: each window's gradient goes to the first position
 * of its maximum, as in tfjs. The forward runs again to record those positions (oneDNN's
 * workspace), which costs less than keeping them from the forward pass across the tape.
 */
export function maxPoolBackward(
  dnnl: OneDNN,
  c: PoolGeometry,
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
): void {
  const key = convKey(c);
  const pair = cached(`pool:bwd:${key}`, () => {
    const d = poolDescs(dnnl, c);
    const fwdOp = maxPoolForwardOp(dnnl, d, D.forwardTraining);
    const fwd = createPrimitive(dnnl, "max pooling (workspace)", { op: fwdOp.buf }, [
      { arg: D.argSrc, user: d.src },
      { arg: D.argDst, user: null },
      { arg: D.argWorkspace, user: null },
    ]);
    const hint = primitiveDesc(dnnl, fwdOp.buf, "pooling hint");
    const op = opDesc();
    check(
      dnnl.sym.dnnl_pooling_backward_desc_init(
        op.ptr,
        D.poolMax,
        d.src.ptr,
        d.dst.ptr,
        d.strides,
        d.kernel,
        d.padL,
        d.padR,
      ),
      "pooling_backward_desc_init",
    );
    try {
      const bwd = createPrimitive(dnnl, "max pooling backward", { op: op.buf, hint }, [
        { arg: D.argDiffDst, user: d.dst },
        { arg: D.argWorkspace, user: null },
        { arg: D.argDiffSrc, user: d.src },
      ]);
      shareOwn(dnnl, fwd, D.argWorkspace, bwd, D.argWorkspace);
      return [fwd, bwd];
    } finally {
      dnnl.sym.dnnl_primitive_desc_destroy(hint);
    }
  });
  run(dnnl, pair[0], [x]);
  run(dnnl, pair[1], [dy, dx]);
}

/**
 * y = (x - mean) / sqrt(variance + eps) * scale + offset over the last axis of a
 * [rows, channels] array, with per-channel statistics given (tfjs's FusedBatchNorm).
 */
export function batchNormInference(
  dnnl: OneDNN,
  rows: number,
  channels: number,
  eps: number,
  x: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  scale: Float32Array,
  offset: Float32Array,
  y: Float32Array,
): void {
  const p = cached(`bn:${rows}:${channels}:${eps}`, () => {
    // [rows, C] as oneDNN's N x C x 1 x 1 with channels innermost: its vectorised batch norm
    // takes this layout; given a 2-D N x C it ran a generic loop 30 times slower.
    const data = stridedDesc(dnnl, [rows, channels, 1, 1], [channels, 1, channels, channels]);
    const op = opDesc();
    check(
      dnnl.sym.dnnl_batch_normalization_forward_desc_init(
        op.ptr,
        D.forwardInference,
        data.ptr,
        eps,
        D.bnGlobalStats | D.bnScale | D.bnShift,
      ),
      "batch_normalization_forward_desc_init",
    );
    const stat = denseDesc(dnnl, [channels]);
    return createPrimitive(dnnl, "batch normalization", { op: op.buf }, [
      { arg: D.argSrc, user: data },
      { arg: D.argMean, user: stat },
      { arg: D.argVariance, user: stat },
      { arg: D.argScale, user: stat },
      { arg: D.argShift, user: stat },
      { arg: D.argDst, user: data },
    ]);
  });
  run(dnnl, p, [x, mean, variance, scale, offset, y]);
}

/**
 * The columns [start, start + width) of a row-major [outer, total] array, copied out of `x`
 * into a dense [outer, width] `out` (`into` false: one part of a split), or from a dense `x`
 * into those columns of `out` (`into` true: one input of a concat). A concat is one such copy
 * per input: oneDNN's concat primitive ran at half the speed of these reorders.
 */
export function copyColumns(
  dnnl: OneDNN,
  outer: number,
  total: number,
  start: number,
  width: number,
  x: Float32Array,
  out: Float32Array,
  into = false,
): void {
  const p = cached(`cols:${into}:${outer}:${total}:${width}`, () => {
    const strided = stridedDesc(dnnl, [outer, width], [total, 1]);
    const dense = denseDesc(dnnl, [outer, width]);
    return (into ? reorder(dnnl, dense, strided) : reorder(dnnl, strided, dense)).p;
  });
  run(dnnl, p, into ? [x, pointerOf(out, start)] : [pointerOf(x, start), out]);
}

/** y = softmax(x) over the last axis of a row-major [rows, classes] array. */
export function softmax(
  dnnl: OneDNN,
  rows: number,
  classes: number,
  x: Float32Array,
  y: Float32Array,
): void {
  const p = cached(`softmax:${rows}:${classes}`, () => {
    const md = denseDesc(dnnl, [rows, classes]);
    const op = opDesc();
    check(
      dnnl.sym.dnnl_softmax_forward_desc_init(op.ptr, D.forwardTraining, md.ptr, 1),
      "softmax_forward_desc_init",
    );
    return createPrimitive(dnnl, "softmax", { op: op.buf }, [
      { arg: D.argSrc, user: md },
      { arg: D.argDst, user: md },
    ]);
  });
  run(dnnl, p, [x, y]);
}

function trainingBatchNormDescs(dnnl: OneDNN, rows: number, channels: number, eps: number) {
  const data = stridedDesc(dnnl, [rows, channels, 1, 1], [channels, 1, channels, channels]);
  const stat = denseDesc(dnnl, [channels]);
  const fwd = opDesc();
  check(
    dnnl.sym.dnnl_batch_normalization_forward_desc_init(
      fwd.ptr,
      D.forwardTraining,
      data.ptr,
      eps,
      D.bnScale | D.bnShift,
    ),
    "batch_normalization_forward_desc_init",
  );
  return { data, stat, fwd };
}

/**
 * Batch normalisation in training over a [rows, channels] array (channels last): the batch
 * mean and biased variance per channel, and y = (x - mean) / sqrt(var + eps) * scale + shift,
 * in one oneDNN primitive.
 */
export function batchNormTraining(
  dnnl: OneDNN,
  rows: number,
  channels: number,
  eps: number,
  x: Float32Array,
  scale: Float32Array,
  shift: Float32Array,
  y: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
): void {
  const p = cached(`bn_train:${rows}:${channels}:${eps}`, () => {
    const { data, stat, fwd } = trainingBatchNormDescs(dnnl, rows, channels, eps);
    return createPrimitive(dnnl, "batch normalization (training)", { op: fwd.buf }, [
      { arg: D.argSrc, user: data },
      { arg: D.argScale, user: stat },
      { arg: D.argShift, user: stat },
      { arg: D.argDst, user: data },
      { arg: D.argMean, user: stat },
      { arg: D.argVariance, user: stat },
    ]);
  });
  run(dnnl, p, [x, scale, shift, y, mean, variance]);
}

/** dx, dscale, dshift of {@link batchNormTraining} for output gradient dy (batch statistics). */
export function batchNormTrainingBackward(
  dnnl: OneDNN,
  rows: number,
  channels: number,
  eps: number,
  dy: Float32Array,
  x: Float32Array,
  scale: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  dx: Float32Array,
  dscale: Float32Array,
  dshift: Float32Array,
): void {
  const p = cached(`bn_train_bwd:${rows}:${channels}:${eps}`, () => {
    const { data, stat, fwd } = trainingBatchNormDescs(dnnl, rows, channels, eps);
    const op = opDesc();
    check(
      dnnl.sym.dnnl_batch_normalization_backward_desc_init(
        op.ptr,
        D.backward,
        data.ptr,
        data.ptr,
        eps,
        D.bnScale | D.bnShift,
      ),
      "batch_normalization_backward_desc_init",
    );
    return backwardPrimitive(dnnl, fwd.buf, "batch normalization backward", op.buf, [
      { arg: D.argDiffDst, user: data },
      { arg: D.argSrc, user: data },
      { arg: D.argScale, user: stat },
      // 2.6 asks for the shift, though the gradient does not depend on it.
      { arg: D.argShift, user: stat },
      { arg: D.argMean, user: stat },
      { arg: D.argVariance, user: stat },
      { arg: D.argDiffSrc, user: data },
      { arg: D.argDiffScale, user: stat },
      { arg: D.argDiffShift, user: stat },
    ]);
  });
  run(dnnl, p, [dy, x, scale, filled(channels, 0), mean, variance, dx, dscale, dshift]);
}
