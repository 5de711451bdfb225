/**
 * tfjs kernels of the `onednn` backend: the work of an FC-DenseNet training step (convolutions
 * and both their gradients, batch normalisation, ELU/ReLU and their gradients, the broadcasting
 * arithmetic of batch-norm statistics and dropout, per-channel sums, max pooling, concat and its
 * split) run as oneDNN primitives, or our C where given (`native_kernels.ts`: a dense block's
 * 3x3 convolutions, batch norm, the per-pixel softmax, argmax and loss), on the `cpu` backend's
 * own `Float32Array`s. A kernel hands
 * the call to the stock `cpu` kernel when its case is not one of those (another dtype, a layout
 * or dilation oneDNN is not given here, a broadcast on both sides) or when the tensor is so small
 * that a native call costs more than the JS loop.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Deferred, PooledCPUBackend } from "./pooled_cpu_backend.ts";
import { D, type OneDNN } from "./onednn_ffi.ts";
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from "./batchnorm_train.ts";
import { isResizeX2, resizeX2, resizeX2Grad } from "./resize_x2_kernels.ts";
import { isMaxPool2x2, maxPool2x2, maxPool2x2Grad } from "./maxpool_2x2_kernels.ts";
import type {
  BatchNormKernels,
  ClassKernels,
  ConcatKernels,
  Conv3x3Kernels,
  X2Kernels,
} from "./native_kernels.ts";
import { clip, compare, type Comparison, logicalAnd, select } from "./clip_kernels.ts";
import { RELU_GRAD } from "./relu_grad.ts";
import { SOFTMAX_GRAD } from "./softmax_grad.ts";
import { useStockWeightedCE, WEIGHTED_CE, WEIGHTED_CE_GRAD } from "./weighted_ce.ts";
import { ADAM_UPDATE, type AdamConstants, adamUpdateCpu } from "./adam_update.ts";
import {
  batchNormInference,
  batchNormTraining,
  batchNormTrainingBackward,
  binary,
  convBackwardData,
  convBackwardFilter,
  convForward,
  type ConvGeometry,
  copyColumns,
  eltwise,
  eltwiseBackward,
  filterGrad1x1,
  maxPool,
  maxPoolBackward,
  softmax,
  sumAxis,
} from "./onednn_ops.ts";

/**
 * Below `size` values an element-wise, reduction or copy kernel runs the stock JS loop (a
 * native call costs a few µs); tests set it to 0 to run every case natively.
 */
export const nativeMin = { size: 4096 };

/**
 * Our paths of this backend that {@link setOneDNNStock} can turn off: the C 3x3 convolutions
 * and batch norm, the 1x1 filter gradient as a matrix product, the C softmax and argmax over a
 * pixel's classes (`classRows`; stock: oneDNN's softmax, cpu's argmax), and the fused weighted
 * cross-entropy (`weightedCE`; stock: the loss as tf ops).
 */
export const OUR_PATHS = [
  "conv3x3",
  "batchNorm",
  "filterGrad1x1",
  "classRows",
  "weightedCE",
] as const;
const stockPaths = new Set<string>();

/**
 * Runs oneDNN's own primitives instead of our paths `names` (`stock` true), or ours again
 * (false), to measure what each gains in the same run (`bench/train_step.ts --stock`). Other
 * names are ignored.
 * @example
 * setOneDNNStock(["conv3x3"], true); // time...; then setOneDNNStock(["conv3x3"], false)
 */
export function setOneDNNStock(names: readonly string[], stock: boolean): void {
  for (const name of names) {
    if (!(OUR_PATHS as readonly string[]).includes(name)) continue;
    // The fused loss's switch lives with it (`weighted_ce.ts`): the loss picks its kernels.
    if (name === "weightedCE") useStockWeightedCE(stock);
    else if (stock) stockPaths.add(name);
    else stockPaths.delete(name);
  }
}

type Info = tf.TensorInfo;
type Args = Parameters<tf.KernelFunc>[0];

function values(backend: PooledCPUBackend, t: Info): Float32Array | null {
  if (t.dtype !== "float32") return null;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : null;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function output(backend: PooledCPUBackend, shape: number[], data: Float32Array): Info {
  return backend.makeTensorInfo(shape, "float32", data);
}

const calls = new Map<string, { native: number; stock: number }>();

/** How often each replaced kernel ran natively and how often it handed over to `cpu`. */
export function kernelCalls(): Map<string, { native: number; stock: number }> {
  return calls;
}

/** A kernel that tries `native` and falls back to the `cpu` kernel when it returns null. */
function kernel(name: string, native: (args: Args) => Info | Info[] | null): tf.KernelConfig {
  const count = { native: 0, stock: 0 };
  calls.set(name, count);
  return {
    kernelName: name,
    backendName: "onednn",
    kernelFunc: (args) => {
      const out = native(args);
      if (out !== null) {
        count.native++;
        return out;
      }
      count.stock++;
      const stock = tf.getKernel(name, "cpu");
      if (stock == null) throw new Error(`onednn: no cpu kernel ${name} to fall back to`);
      return stock.kernelFunc(args);
    },
  };
}

function geometry(info: tf.backend_util.Conv2DInfo): ConvGeometry | null {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  if (info.dataFormat !== "channelsLast") return null;
  return info;
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
  dilations: number | [number, number] = 1,
) {
  const format = attrs.dataFormat as string | undefined;
  if (format !== undefined && format !== "NHWC" && format !== "channelsLast") return null;
  return geometry(tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    dilations,
    attrs.pad as "same" | "valid",
    attrs.dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  ));
}

/**
 * oneDNN 2.6.3's `jit_1x1:avx2` filter gradient with a stride above 1 writes past a buffer
 * when the input channels are not a multiple of 8 (glibc's checking malloc aborts; without it
 * a heap corruption, 1 run in 5 of the conv test on an AVX2 machine). The networks have no
 * strided 1x1 convolution; that case goes to the cpu kernel.
 */
function isStrided1x1(c: ConvGeometry): boolean {
  return c.filterHeight === 1 && c.filterWidth === 1 && (c.strideHeight > 1 || c.strideWidth > 1);
}

/** A 1x1 convolution, stride 1, unpadded: a matrix product over the pixels. */
function isPointwise(c: ConvGeometry): boolean {
  const p = c.padInfo;
  return c.filterHeight === 1 && c.filterWidth === 1 && c.strideHeight === 1 &&
    c.strideWidth === 1 && p.top === 0 && p.left === 0 && p.bottom === 0 && p.right === 0;
}

/**
 * A 3x3 convolution, stride 1, "same" padding, with 8k output channels: what `conv3x3` (our C,
 * `native/conv3x3_kernels.c`) computes, and a dense block's layers are. It takes the filter
 * gradient of each such convolution and the forward of those with 8 or 16 outputs: 1.1-1.8x
 * oneDNN's AVX2 speed at the networks' shapes, where for 24 or more outputs oneDNN's forward
 * was faster (0.7-1.0x) and for the input gradient as fast or faster.
 */
function isConv3x3(c: ConvGeometry): boolean {
  const p = c.padInfo;
  return c.filterHeight === 3 && c.filterWidth === 3 && c.strideHeight === 1 &&
    c.strideWidth === 1 && p.top === 1 && p.left === 1 && p.bottom === 1 && p.right === 1 &&
    c.outHeight === c.inHeight && c.outWidth === c.inWidth && c.outChannels % 8 === 0;
}

/**
 * Conv2D and FusedConv2D (bias, linear activation; others go to the cpu kernel), and both
 * gradients; a dense block's 3x3 layers on `conv3x3` when it is given.
 */
function convKernels(dnnl: OneDNN, conv3x3: Conv3x3Kernels | null): tf.KernelConfig[] {
  const forward = (args: Args, fused: boolean): Info | null => {
    const backend = args.backend as PooledCPUBackend;
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, Info>;
    if (fused) {
      const act = args.attrs?.activation ?? "linear";
      if (act !== "linear" || preluActivationWeights != null) return null;
    }
    const c = convInfo(x.shape, filter.shape, args.attrs!, args.attrs!.dilations as number);
    const xv = values(backend, x), fv = values(backend, filter);
    const bv = bias == null ? null : values(backend, bias);
    if (c === null || xv === null || fv === null || (bias != null && bv === null)) return null;
    if (bias != null && size(bias.shape) !== c.outChannels) return null;
    const y = backend.alloc(c.batchSize * c.outHeight * c.outWidth * c.outChannels);
    if (conv3x3 !== null && !stockPaths.has("conv3x3") && isConv3x3(c) && c.outChannels <= 16) {
      conv3x3.forward(xv, x.shape, fv, bv, c.outChannels, y);
    } else {
      convForward(dnnl, c, xv, fv, bv, y);
    }
    return output(backend, [c.batchSize, c.outHeight, c.outWidth, c.outChannels], y);
  };
  return [
    kernel("Conv2D", (a) => forward(a, false)),
    kernel("FusedConv2D", (a) => forward(a, true)),
    kernel("Conv2DBackpropInput", (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { dy, filter } = args.inputs as Record<string, Info>;
      const inputShape = args.attrs!.inputShape as number[];
      const c = convInfo(inputShape, filter.shape, args.attrs!);
      const dyv = values(backend, dy), fv = values(backend, filter);
      if (c === null || dyv === null || fv === null) return null;
      // Deferred to its first reader: tfjs's conv gradient computes dx for every input, and the
      // network's first convolution's (the image's gradient) is disposed unread. The filter is
      // copied: a variable may be replaced before a reader comes.
      const filterCopy = fv.slice();
      return backend.defer([...inputShape], {
        source: dyv,
        compute: (dx) => convBackwardData(dnnl, c, dyv, filterCopy, dx),
      });
    }),
    kernel("Conv2DBackpropFilter", (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { x, dy } = args.inputs as Record<string, Info>;
      const filterShape = args.attrs!.filterShape as number[];
      const c = convInfo(x.shape, filterShape, args.attrs!);
      const xv = values(backend, x), dyv = values(backend, dy);
      if (c === null || xv === null || dyv === null || isStrided1x1(c)) return null;
      const df = backend.alloc(size(filterShape));
      if (conv3x3 !== null && !stockPaths.has("conv3x3") && isConv3x3(c)) {
        conv3x3.filterGrad(xv, dyv, x.shape, c.outChannels, df);
      } else if (!stockPaths.has("filterGrad1x1") && isPointwise(c)) {
        filterGrad1x1(dnnl, xv.length / c.inChannels, c.inChannels, c.outChannels, xv, dyv, df);
      } else {
        convBackwardFilter(dnnl, c, xv, dyv, df);
      }
      return output(backend, [...filterShape], df);
    }),
  ];
}

function poolInfo(xShape: number[], attrs: tf.NamedAttrMap) {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as "same" | "valid",
    attrs.dimRoundingMode as "floor" | undefined,
  );
}

/** The JS references, as {@link X2Kernels} (`resizeX2Grad` zeroes `dx` as the C one does). */
export const JS_X2_KERNELS: X2Kernels = {
  maxPool2x2,
  maxPool2x2Grad,
  resizeX2,
  resizeX2Grad: (dy, shape, dx) => {
    dx.fill(0);
    resizeX2Grad(dy, shape, dx);
  },
};

function poolKernels(dnnl: OneDNN, x2: X2Kernels): tf.KernelConfig[] {
  return [
    kernel("MaxPool", (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { x } = args.inputs as Record<string, Info>;
      const xv = values(backend, x);
      if (xv === null || x.shape.length !== 4) return null;
      const c = geometry(poolInfo(x.shape, args.attrs!));
      if (c === null) return null;
      const y = backend.alloc(c.batchSize * c.outHeight * c.outWidth * c.outChannels);
      if (isMaxPool2x2(c)) x2.maxPool2x2(xv, x.shape, y);
      else maxPool(dnnl, c, xv, y);
      return output(backend, [c.batchSize, c.outHeight, c.outWidth, c.outChannels], y);
    }),
    kernel("MaxPoolGrad", (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { dy, input } = args.inputs as Record<string, Info>;
      const xv = values(backend, input), dyv = values(backend, dy);
      if (xv === null || dyv === null || input.shape.length !== 4) return null;
      const c = geometry(poolInfo(input.shape, args.attrs!));
      if (c === null) return null;
      const dx = backend.alloc(xv.length);
      if (isMaxPool2x2(c)) x2.maxPool2x2Grad(xv, dyv, input.shape, dx);
      else maxPoolBackward(dnnl, c, xv, dyv, dx);
      return output(backend, [...input.shape], dx);
    }),
  ];
}

/** One-input element-wise kernels: name -> oneDNN algorithm, alpha, beta. */
const UNARY: [string, number, number, number][] = [
  ["Elu", D.eltElu, 1, 0],
  ["Relu", D.eltRelu, 0, 0],
  ["Square", D.eltSquare, 0, 0],
  ["Sqrt", D.eltSqrt, 0, 0],
  ["Neg", D.eltLinear, -1, 0],
  ["Exp", D.eltExp, 0, 0],
  ["Log", D.eltLog, 0, 0],
  ["Abs", D.eltAbs, 0, 0],
  ["Sigmoid", D.eltLogistic, 0, 0],
  ["Tanh", D.eltTanh, 0, 0],
];

function unaryKernels(dnnl: OneDNN, bn: BatchNormKernels | null): tf.KernelConfig[] {
  const unary = UNARY.map(([name, alg, alpha, beta]) =>
    kernel(name, (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { x } = args.inputs as Record<string, Info>;
      // A batch norm's output not computed yet: normalise and activate in one pass.
      const act = name === "Elu" ? "elu" : name === "Relu" ? "relu" : null;
      const norm = act !== null && bn !== null ? normalisationOf(backend, x) : undefined;
      if (norm !== undefined) {
        const y = backend.alloc(norm.source.length);
        bn!.affine(norm.source, norm.channels, norm.mean, norm.scale, norm.shift, act!, y);
        return output(backend, [...x.shape], y);
      }
      const xv = values(backend, x);
      if (xv === null || xv.length < nativeMin.size) return null;
      const y = backend.alloc(xv.length);
      eltwise(dnnl, alg, alpha, beta, xv, y);
      return output(backend, [...x.shape], y);
    })
  );
  const eluGrad = kernel("EluGrad", (args) => {
    const backend = args.backend as PooledCPUBackend;
    const { dy, y } = args.inputs as Record<string, Info>;
    const dyv = values(backend, dy), yv = values(backend, y);
    if (dyv === null || yv === null || dyv.length < nativeMin.size) return null;
    if (dyv.length !== yv.length) return null;
    const dx = backend.alloc(dyv.length);
    eltwiseBackward(dnnl, D.eltEluDst, 1, dyv, yv, dx);
    return output(backend, [...dy.shape], dx);
  });
  // Whatever the size: the cpu backend has no kernel of this name to hand over to.
  const reluGrad = kernel(RELU_GRAD, (args) => {
    const backend = args.backend as PooledCPUBackend;
    const { dy, x } = args.inputs as Record<string, Info>;
    const dyv = values(backend, dy)!, xv = values(backend, x)!;
    const dx = backend.alloc(dyv.length);
    eltwiseBackward(dnnl, D.eltRelu, 0, dyv, xv, dx);
    return output(backend, [...dy.shape], dx);
  });
  return [...unary, eluGrad, reluGrad];
}

/**
 * Shapes of a broadcast a op b for oneDNN, which broadcasts its second input only: the output
 * dims and the second input's, with adjacent dims of the same broadcast merged (fewer distinct
 * primitives), and whether the inputs must be swapped. Null when both sides broadcast.
 */
export function broadcastDims(
  aShape: readonly number[],
  bShape: readonly number[],
): { out: number[]; a: number[]; b: number[]; swap: boolean } | null {
  const outShape = tf.backend_util.assertAndGetBroadcastShape([...aShape], [...bShape]);
  const r = outShape.length;
  const pad = (s: readonly number[]) => [...new Array(r - s.length).fill(1), ...s];
  let a = pad(aShape), b = pad(bShape);
  const aBroad = a.some((d, i) => d !== outShape[i]);
  const bBroad = b.some((d, i) => d !== outShape[i]);
  if (aBroad && bBroad) return null;
  const swap = aBroad;
  if (swap) [a, b] = [b, a];
  // Merge runs of dims where b is either full or 1 alike.
  const outDims: number[] = [], bDims: number[] = [];
  let lastFull: boolean | null = null;
  for (let i = 0; i < r; i++) {
    if (outShape[i] === 1) continue;
    const full = b[i] === outShape[i];
    if (full === lastFull) {
      outDims[outDims.length - 1] *= outShape[i];
      bDims[bDims.length - 1] *= b[i];
    } else {
      outDims.push(outShape[i]);
      bDims.push(b[i]);
      lastFull = full;
    }
  }
  if (outDims.length === 0) return { out: outShape, a: [1], b: [1], swap };
  return { out: outShape, a: outDims, b: bDims, swap };
}

/** Two-input kernels: name -> algorithm, and whether a op b = b op a. */
const BINARY: [string, number, boolean][] = [
  ["Add", D.binAdd, true],
  ["Multiply", D.binMul, true],
  ["Sub", D.binSub, false],
  ["RealDiv", D.binDiv, false],
  ["Maximum", D.binMax, true],
  ["Minimum", D.binMin, true],
];

/**
 * out [rows, cols] = a [rows, cols] * b [rows]: the gradient of a sum over the last axis
 * (tfjs multiplies dy [B, S, S, 1] by ones [B, S, S, 2] in the loss), where oneDNN took 7-30 ms
 * for [4, 256, 256, 2] (14-60 ns a value, in every layout tried) and this loop 4-5 ms. The
 * product of two floats rounded to float32 is the bits oneDNN and tfjs give.
 */
function multiplyRows(cols: number, a: Float32Array, b: Float32Array, out: Float32Array): void {
  for (let r = 0, i = 0; r < b.length; r++) {
    const v = b[r];
    for (let j = 0; j < cols; j++, i++) out[i] = a[i] * v;
  }
}

function binaryKernels(dnnl: OneDNN): tf.KernelConfig[] {
  return BINARY.map(([name, alg, commutes]) =>
    kernel(name, (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { a, b } = args.inputs as Record<string, Info>;
      let av = values(backend, a), bv = values(backend, b);
      if (av === null || bv === null) return null;
      const shapes = broadcastDims(a.shape, b.shape);
      if (shapes === null || (shapes.swap && !commutes)) return null;
      const n = size(shapes.out);
      if (n < nativeMin.size) return null;
      if (shapes.swap) [av, bv] = [bv, av];
      const out = backend.alloc(n);
      const [rows, cols] = shapes.a;
      if (
        name === "Multiply" && shapes.a.length === 2 && shapes.b[0] === rows && shapes.b[1] === 1
      ) {
        multiplyRows(cols, av, bv, out);
        return output(backend, shapes.out, out);
      }
      // A per-channel [rows, C] x [1, C] as N x C x 1 x 1: oneDNN's kernel for that layout
      // runs twice as fast as for the 2-D shape.
      const perChannel = shapes.a.length === 2 && shapes.b[0] === 1;
      const aDims = perChannel ? [...shapes.a, 1, 1] : shapes.a;
      const bDims = perChannel ? [...shapes.b, 1, 1] : shapes.b;
      binary(dnnl, alg, aDims, bDims, av, bv, out);
      return output(backend, shapes.out, out);
    })
  );
}

/**
 * A reduction over `axes` of `shape` as [outer, reduced, inner] (dims of size 1 dropped),
 * or null when the reduced axes are not adjacent.
 */
export function reductionDims(
  shape: readonly number[],
  axes: readonly number[],
): { outer: number; reduced: number; inner: number } | null {
  const kept = shape.map((d, i) => [d, axes.includes(i)] as const).filter(([d]) => d !== 1);
  const first = kept.findIndex(([, r]) => r);
  if (first < 0) return { outer: size(kept.map(([d]) => d)), reduced: 1, inner: 1 };
  let last = first;
  while (last + 1 < kept.length && kept[last + 1][1]) last++;
  if (kept.slice(last + 1).some(([, r]) => r)) return null;
  const prod = (part: (readonly [number, boolean])[]) => size(part.map(([d]) => d));
  return {
    outer: prod(kept.slice(0, first)),
    reduced: prod(kept.slice(first, last + 1)),
    inner: prod(kept.slice(last + 1)),
  };
}

function reductionKernels(dnnl: OneDNN): tf.KernelConfig[] {
  const make = (name: string, mean: boolean) =>
    kernel(name, (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { x } = args.inputs as Record<string, Info>;
      const xv = values(backend, x);
      if (xv === null || xv.length < nativeMin.size) return null;
      const axes = tf.util.parseAxisParam(args.attrs!.axis as number | number[], x.shape);
      const dims = reductionDims(x.shape, axes);
      if (dims === null) return null;
      const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
      const shape = args.attrs!.keepDims
        ? tf.backend_util.expandShapeToKeepDim(outShape, axes)
        : outShape;
      const out = backend.alloc(size(shape));
      sumAxis(dnnl, dims.outer, dims.reduced, dims.inner, mean, xv, out);
      return output(backend, shape, out);
    });
  return [make("Sum", false), make("Mean", true)];
}

/** A batch norm's y = (x - mean) * scale + shift over the last axis, deferred to its reader. */
interface Normalisation extends Deferred {
  normalisation: true;
  channels: number;
  mean: Float32Array;
  scale: Float32Array;
  shift: Float32Array;
}

/**
 * The batch norm output of x's shape as a deferred tensor (`PooledCPUBackend.defer`): an ELU
 * or ReLU reading it folds the normalisation into its own pass (`bn_affine`), any other reader
 * computes it. The statistics and parameters are copied: a variable may be replaced meanwhile.
 */
function deferNormalisation(
  backend: PooledCPUBackend,
  bn: BatchNormKernels,
  x: Info,
  source: Float32Array,
  mean: Float32Array,
  scale: Float32Array,
  shift: Float32Array,
): Info {
  const channels = x.shape[x.shape.length - 1];
  const recipe: Normalisation = {
    normalisation: true,
    source,
    channels,
    mean: mean.slice(),
    scale,
    shift: shift.slice(),
    compute: (out) => bn.affine(source, channels, recipe.mean, scale, recipe.shift, "none", out),
  };
  return backend.defer([...x.shape], recipe);
}

function normalisationOf(backend: PooledCPUBackend, t: Info): Normalisation | undefined {
  const d = backend.deferred<Normalisation>(t.dataId);
  return d?.normalisation === true && t.dtype === "float32" ? d : undefined;
}

/** scale / sqrt(variance + eps) per channel (scale 1 when absent). */
function normalisingScale(variance: Float32Array, scale: Float32Array | null, eps: number) {
  return variance.map((v, c) => (scale === null ? 1 : scale[c]) / Math.sqrt(v + eps));
}

function batchNormKernel(dnnl: OneDNN, bn: BatchNormKernels | null): tf.KernelConfig {
  return kernel("FusedBatchNorm", (args) => {
    const backend = args.backend as PooledCPUBackend;
    const { x, mean, variance, scale, offset } = args.inputs as Record<string, Info>;
    const xv = values(backend, x);
    if (xv === null || xv.length < nativeMin.size) return null;
    const channels = x.shape[x.shape.length - 1];
    // Only per-channel statistics over the last axis.
    const perChannel = (t: Info | undefined) =>
      t == null ? null : size(t.shape) === channels ? values(backend, t) : undefined;
    const m = perChannel(mean), v = perChannel(variance);
    const s = perChannel(scale), o = perChannel(offset);
    if (!m || !v || s === undefined || o === undefined) return null;
    const eps = (args.attrs!.varianceEpsilon as number) ?? 1e-3;
    if (bn !== null && !stockPaths.has("batchNorm")) {
      const shift = o ?? new Float32Array(channels);
      return deferNormalisation(backend, bn, x, xv, m, normalisingScale(v, s, eps), shift);
    }
    const y = backend.alloc(xv.length);
    batchNormInference(
      dnnl,
      xv.length / channels,
      channels,
      eps,
      xv,
      m,
      v,
      s ?? new Float32Array(channels).fill(1),
      o ?? new Float32Array(channels),
      y,
    );
    return output(backend, [...x.shape], y);
  });
}

/**
 * `BatchNormTrain` and its gradient (see `batchnorm_train.ts`): our C when given (the
 * normalisation deferred to its reader), else oneDNN's fused batch norm.
 */
function trainingBatchNormKernels(dnnl: OneDNN, bn: BatchNormKernels | null): tf.KernelConfig[] {
  const forward = kernel(BATCH_NORM_TRAIN, (args) => {
    const backend = args.backend as PooledCPUBackend;
    const { x, gamma, beta, mm, mv } = args.inputs as Record<string, Info>;
    const [xv, g, b, m0, v0] = [x, gamma, beta, mm, mv].map((t) => values(backend, t));
    if (!xv || !g || !b || !m0 || !v0) throw new Error("onednn BatchNormTrain: float32 only");
    const channels = x.shape[x.shape.length - 1];
    const rows = xv.length / channels;
    const mean = new Float32Array(channels), variance = new Float32Array(channels);
    const eps = args.attrs!.epsilon as number;
    let y: Info;
    if (bn !== null && !stockPaths.has("batchNorm") && bn.stats(xv, channels, mean, variance)) {
      y = deferNormalisation(backend, bn, x, xv, mean, normalisingScale(variance, g, eps), b);
    } else {
      const yv = backend.alloc(xv.length);
      batchNormTraining(dnnl, rows, channels, eps, xv, g, b, yv, mean, variance);
      y = output(backend, [...x.shape], yv);
    }
    const decay = args.attrs!.decay as number;
    const mmNew = m0.map((v, c) => v - (v - mean[c]) * decay);
    const mvNew = v0.map((v, c) => v - (v - variance[c]) * decay);
    return [y, ...[mean, variance, mmNew, mvNew].map((a) => output(backend, [channels], a))];
  });
  const backward = kernel(BATCH_NORM_TRAIN_GRAD, (args) => {
    const backend = args.backend as PooledCPUBackend;
    const { dy, x, gamma, mean, variance } = args.inputs as Record<string, Info>;
    const [dyv, xv, g, m, v] = [dy, x, gamma, mean, variance].map((t) => values(backend, t));
    if (!dyv || !xv || !g || !m || !v) throw new Error("onednn BatchNormTrainGrad: float32 only");
    const channels = x.shape[x.shape.length - 1];
    const dx = backend.alloc(xv.length);
    const dg = new Float32Array(channels), db = new Float32Array(channels);
    const eps = args.attrs!.epsilon as number;
    const ours = bn !== null && !stockPaths.has("batchNorm");
    if (!ours || !bn.backward(dyv, xv, channels, eps, g, m, v, dx, dg, db)) {
      batchNormTrainingBackward(
        dnnl,
        xv.length / channels,
        channels,
        eps,
        dyv,
        xv,
        g,
        m,
        v,
        dx,
        dg,
        db,
      );
    }
    return [
      output(backend, [...x.shape], dx),
      output(backend, [channels], dg),
      output(backend, [channels], db),
    ];
  });
  return [forward, backward];
}

/** Concat and SplitV: the C row copies of `copies` when built, else oneDNN's strided copies. */
function concatKernels(dnnl: OneDNN, copies: ConcatKernels | null): tf.KernelConfig[] {
  return [
    kernel("Concat", (args) => {
      const backend = args.backend as PooledCPUBackend;
      const xs = (args.inputs as unknown as Info[]).filter((t) => size(t.shape) > 0);
      if (xs.length < 2) return null;
      const vs = xs.map((t) => values(backend, t));
      if (vs.some((v) => v === null)) return null;
      const axis = tf.util.parseAxisParam(args.attrs!.axis as number, xs[0].shape)[0];
      const outer = size(xs[0].shape.slice(0, axis));
      const inners = xs.map((t) => size(t.shape.slice(axis)));
      const total = inners.reduce((a, b) => a + b, 0);
      if (outer * total < nativeMin.size) return null;
      const out = backend.alloc(outer * total);
      if (copies !== null) {
        copies.concat(vs as Float32Array[], outer, inners, out);
      } else {
        let start = 0;
        inners.forEach((inner, i) => {
          copyColumns(dnnl, outer, total, start, inner, vs[i]!, out, true);
          start += inner;
        });
      }
      const shape = [...xs[0].shape];
      shape[axis] = xs.reduce((a, t) => a + t.shape[axis], 0);
      return output(backend, shape, out);
    }),
    kernel("SplitV", (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { x } = args.inputs as Record<string, Info>;
      const xv = values(backend, x);
      if (xv === null || xv.length < nativeMin.size) return null;
      const axis = tf.util.parseAxisParam(args.attrs!.axis as number, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(
        x as unknown as tf.Tensor,
        args.attrs!.numOrSizeSplits as number | number[],
        axis,
      );
      const outer = size(x.shape.slice(0, axis));
      const unit = size(x.shape.slice(axis + 1));
      const total = x.shape[axis] * unit;
      const outs = sizes.map((s) => backend.alloc(outer * s * unit));
      if (copies !== null) {
        copies.split(xv, outer, sizes.map((s) => s * unit), outs);
      } else {
        let start = 0;
        outs.forEach((out) => {
          if (out.length > 0) copyColumns(dnnl, outer, total, start, out.length / outer, xv, out);
          start += out.length / outer;
        });
      }
      return sizes.map((s, i) => {
        const shape = [...x.shape];
        shape[axis] = s;
        return output(backend, shape, outs[i]);
      });
    }),
  ];
}

/**
 * Slice along one axis (the loss's `probs.slice` of the foreground channel): one strided copy.
 * The stock kernel copies a non-contiguous slice value by value through `TensorBuffer`
 * (7 of 46 s of a tumor run's first epoch); contiguous and multi-axis slices stay stock.
 */
function sliceKernel(dnnl: OneDNN): tf.KernelConfig {
  return kernel("Slice", (args) => {
    const backend = args.backend as PooledCPUBackend;
    const { x } = args.inputs as Record<string, Info>;
    const xv = values(backend, x);
    if (xv === null || xv.length < nativeMin.size) return null;
    const [begin, sizes] = tf.slice_util.parseSliceParams(
      x as unknown as tf.Tensor,
      args.attrs!.begin as number[],
      args.attrs!.size as number[],
    );
    if (tf.slice_util.isSliceContinous(x.shape, begin, sizes)) return null;
    const cut = sizes.flatMap((s, i) => (s === x.shape[i] ? [] : [i]));
    if (cut.length !== 1) return null;
    const axis = cut[0];
    const unit = size(x.shape.slice(axis + 1));
    const out = backend.alloc(size(sizes));
    if (out.length > 0) {
      const outer = size(x.shape.slice(0, axis));
      copyColumns(
        dnnl,
        outer,
        x.shape[axis] * unit,
        begin[axis] * unit,
        sizes[axis] * unit,
        xv,
        out,
      );
    }
    return output(backend, sizes, out);
  });
}

/** Rows of at most this many classes run `class_kernels.c` (oneDNN sets its softmax up per row). */
const SHORT_ROW = 16;

function softmaxKernel(dnnl: OneDNN, rows: ClassKernels | null): tf.KernelConfig {
  return kernel("Softmax", (args) => {
    const backend = args.backend as PooledCPUBackend;
    const { logits } = args.inputs as Record<string, Info>;
    const xv = values(backend, logits);
    const rank = logits.shape.length;
    const dim = args.attrs!.dim as number;
    if (xv === null || xv.length < nativeMin.size || (dim !== -1 && dim !== rank - 1)) return null;
    const classes = logits.shape[rank - 1];
    const y = backend.alloc(xv.length);
    if (rows !== null && classes <= SHORT_ROW && !stockPaths.has("classRows")) {
      rows.softmax(xv, classes, y);
    } else softmax(dnnl, xv.length / classes, classes, xv, y);
    return output(backend, [...logits.shape], y);
  });
}

/** The softmax gradient over the last axis (`softmax_grad.ts`). */
function softmaxGradKernel(rows: ClassKernels): tf.KernelConfig {
  return kernel(SOFTMAX_GRAD, (args) => {
    const backend = args.backend as PooledCPUBackend;
    const { dy, y } = args.inputs as Record<string, Info>;
    const dyv = values(backend, dy), yv = values(backend, y);
    const classes = y.shape[y.shape.length - 1];
    if (dyv === null || yv === null || dyv.length !== yv.length || !(classes > 0)) {
      throw new Error(
        `onednn SoftmaxGrad: dy [${dy.shape}] and y [${y.shape}] must be float32 alike`,
      );
    }
    const dx = backend.alloc(yv.length);
    rows.softmaxGrad(dyv, yv, classes, dx);
    return output(backend, [...y.shape], dx);
  });
}

/** ArgMax over the last axis (each pixel's predicted class); other axes go to cpu's kernel. */
function argMaxKernel(rows: ClassKernels): tf.KernelConfig {
  return kernel("ArgMax", (args) => {
    const backend = args.backend as PooledCPUBackend;
    const { x } = args.inputs as Record<string, Info>;
    const xv = values(backend, x);
    const rank = x.shape.length;
    const attr = args.attrs!.axis as number | number[];
    const axis = Array.isArray(attr) ? (attr.length === 1 ? attr[0] : NaN) : attr;
    const last = axis === rank - 1 || axis === -1;
    if (xv === null || xv.length < nativeMin.size || !last || stockPaths.has("classRows")) {
      return null;
    }
    const out = new Int32Array(xv.length / x.shape[rank - 1]);
    rows.argMax(xv, x.shape[rank - 1], out);
    return backend.makeTensorInfo(x.shape.slice(0, -1), "int32", out);
  });
}

/** The weighted cross-entropy and its gradient (`weighted_ce.ts`), one C pass each. */
function weightedCEKernels(rows: ClassKernels): tf.KernelConfig[] {
  const inputsOf = (args: Args) => {
    const backend = args.backend as PooledCPUBackend;
    const { labels, probs, weights } = args.inputs as Record<string, Info>;
    const [g, p, w] = [labels, probs, weights].map((t) => values(backend, t));
    const classes = probs.shape[probs.shape.length - 1];
    if (g === null || p === null || w === null) {
      throw new Error("onednn weighted cross-entropy: labels, probs and weights must be float32");
    }
    if (g.length !== p.length || w.length * classes !== p.length) {
      throw new Error(
        `onednn weighted cross-entropy: labels [${labels.shape}], probs [${probs.shape}] and ` +
          `weights [${weights.shape}] do not match`,
      );
    }
    return { backend, g, p, w, classes, probs, lo: args.attrs!.floor as number };
  };
  return [
    kernel(WEIGHTED_CE, (args) => {
      const { backend, g, p, w, classes, lo } = inputsOf(args);
      const sum = rows.weightedCESum(g, p, w, classes, lo);
      return backend.makeTensorInfo([], "float32", Float32Array.of(sum / w.length));
    }),
    kernel(WEIGHTED_CE_GRAD, (args) => {
      const { backend, g, p, w, classes, lo, probs } = inputsOf(args);
      const dy = values(backend, (args.inputs as Record<string, Info>).dy);
      if (dy === null || dy.length !== 1) {
        throw new Error("onednn weighted cross-entropy gradient: dy must be a float32 scalar");
      }
      const dp = backend.alloc(p.length);
      rows.weightedCEGrad(g, p, w, classes, lo, dy[0], dp);
      return output(backend, [...probs.shape], dp);
    }),
  ];
}

/** The fused Adam + L2 update (`adam_update.ts`): one JS pass instead of a dozen kernels. */
function adamKernel(): tf.KernelConfig {
  return kernel(ADAM_UPDATE, (args) => {
    const backend = args.backend as PooledCPUBackend;
    const { w, g, m, v } = args.inputs as Record<string, Info>;
    const [wv, gv, mv, vv] = [w, g, m, v].map((t) => values(backend, t));
    if (!wv || !gv || !mv || !vv) throw new Error("onednn AdamUpdate: float32 only");
    const out = {
      w: backend.alloc(wv.length),
      m: backend.alloc(wv.length),
      v: backend.alloc(wv.length),
    };
    adamUpdateCpu(wv, gv, mv, vv, args.attrs as unknown as AdamConstants, out);
    return [out.w, out.m, out.v].map((a) => output(backend, [...w.shape], a));
  });
}

/** Bilinear x2 up-sampling and its gradient (`resize_x2_kernels.ts`). */
function resizeKernels(x2: X2Kernels): tf.KernelConfig[] {
  return [
    kernel("ResizeBilinear", (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { images } = args.inputs as Record<string, Info>;
      const xv = values(backend, images);
      const size = args.attrs!.size as number[];
      if (xv === null || !isResizeX2(images.shape, size, args.attrs!)) return null;
      const out = backend.alloc(xv.length * 4);
      x2.resizeX2(xv, images.shape, out);
      const [b, , , c] = images.shape;
      return output(backend, [b, size[0], size[1], c], out);
    }),
    kernel("ResizeBilinearGrad", (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { images, dy } = args.inputs as Record<string, Info>;
      const dyv = values(backend, dy);
      // The gradient is tfjs's corner-aligned one whatever halfPixelCenters says, as on cpu.
      const attrs = { ...args.attrs!, halfPixelCenters: false };
      if (dyv === null || !isResizeX2(images.shape, dy.shape.slice(1, 3), attrs)) return null;
      const dx = backend.alloc(size(images.shape));
      x2.resizeX2Grad(dyv, images.shape, dx);
      return output(backend, [...images.shape], dx);
    }),
  ];
}

/** `clipByValue` and its gradient's kernels (`clip_kernels.ts`): equal shapes or a scalar. */
function clipKernels(): tf.KernelConfig[] {
  const bools = (backend: PooledCPUBackend, t: Info): Uint8Array | null => {
    const v = backend.data.get(t.dataId).values;
    return t.dtype === "bool" && v instanceof Uint8Array ? v : null;
  };
  const comparison = (name: Comparison) =>
    kernel(name, (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { a, b } = args.inputs as Record<string, Info>;
      const [av, bv] = [values(backend, a), values(backend, b)];
      if (av === null || bv === null) return null;
      const out = compare(name, av, bv);
      if (out === null) return null;
      const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      if (size(shape) !== out.length) return null;
      return backend.makeTensorInfo(shape, "bool", out);
    });
  return [
    kernel("ClipByValue", (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { x } = args.inputs as Record<string, Info>;
      const xv = values(backend, x);
      if (xv === null) return null;
      const y = backend.alloc(xv.length);
      clip(xv, args.attrs!.clipValueMin as number, args.attrs!.clipValueMax as number, y);
      return output(backend, [...x.shape], y);
    }),
    comparison("GreaterEqual"),
    comparison("LessEqual"),
    kernel("LogicalAnd", (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { a, b } = args.inputs as Record<string, Info>;
      const [av, bv] = [bools(backend, a), bools(backend, b)];
      if (av === null || bv === null || !tf.util.arraysEqual(a.shape, b.shape)) return null;
      return backend.makeTensorInfo([...a.shape], "bool", logicalAnd(av, bv));
    }),
    kernel("Select", (args) => {
      const backend = args.backend as PooledCPUBackend;
      const { condition, t, e } = args.inputs as Record<string, Info>;
      const [cv, tv, ev] = [bools(backend, condition), values(backend, t), values(backend, e)];
      if (cv === null || tv === null || ev === null) return null;
      if (
        !tf.util.arraysEqual(condition.shape, t.shape) || !tf.util.arraysEqual(t.shape, e.shape)
      ) {
        return null;
      }
      const out = backend.alloc(tv.length);
      select(cv, tv, ev, out);
      return output(backend, [...t.shape], out);
    }),
  ];
}

/** Every kernel of the `onednn` backend that is not the stock `cpu` one. */
export function oneDNNKernels(
  dnnl: OneDNN,
  x2: X2Kernels = JS_X2_KERNELS,
  copies: ConcatKernels | null = null,
  conv3x3: Conv3x3Kernels | null = null,
  bn: BatchNormKernels | null = null,
  rows: ClassKernels | null = null,
): tf.KernelConfig[] {
  return [
    ...convKernels(dnnl, conv3x3),
    ...poolKernels(dnnl, x2),
    ...unaryKernels(dnnl, bn),
    ...binaryKernels(dnnl),
    ...reductionKernels(dnnl),
    batchNormKernel(dnnl, bn),
    ...trainingBatchNormKernels(dnnl, bn),
    ...concatKernels(dnnl, copies),
    sliceKernel(dnnl),
    softmaxKernel(dnnl, rows),
    ...(rows === null
      ? []
      : [argMaxKernel(rows), softmaxGradKernel(rows), ...weightedCEKernels(rows)]),
    ...resizeKernels(x2),
    ...clipKernels(),
    adamKernel(),
  ];
}
