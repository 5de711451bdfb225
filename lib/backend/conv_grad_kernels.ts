/**
 * Fast convolution gradients for the `wasm` backend, both as forward XNNPACK convolutions:
 * - `Conv2DBackpropFilter` (missing in tfjs-backend-wasm 4.22): a convolution of the input
 *   with the output gradient, batch and channel axes swapped, the stride becoming a dilation
 *   (im2col + matMul measured 8x slower); at stride 1, one GEMM of the taps of x stacked by
 *   contiguous copies against dy (paper width: Conv2D time -32%).
 * - `Conv2DBackpropInput` (the stock kernel runs at ~2 GFLOP/s): a convolution of the
 *   zero-inserted output gradient with the flipped, transposed filter. It is also the forward
 *   of transposed convolutions.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { filterGradGrid } from "./filter_grad_grid.ts";
import { convPadded, free, heapF32, type Info, runWasm, transpose } from "./wasm_util.ts";

interface ConvGradAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

function checkNHWC(kernel: string, dataFormat: string): void {
  if (dataFormat !== "NHWC") {
    throw new Error(`wasm ${kernel}: only NHWC is supported, got dataFormat '${dataFormat}'`);
  }
}

/** dW[kh,kw,ci,co] = sum over b,y,x of x[b, y*s+kh-pt, x*s+kw-pl, ci] * dy[b,y,x,co]. */
function conv2DBackpropFilter(
  args: { inputs: { x: Info; dy: Info }; backend: BackendWasm; attrs: ConvGradAttrs },
): Info {
  const { inputs: { x, dy }, backend, attrs } = args;
  const filterShape = (attrs as unknown as { filterShape: [number, number, number, number] })
    .filterShape;
  checkNHWC("Conv2DBackpropFilter", attrs.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [kh, kw] = filterShape;
  const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  if (sh === 1 && sw === 1) return backpropFilterStride1(backend, x, dy, info);
  const bottom = kh + (oh - 1) * sh - info.inHeight - top;
  const right = kw + (ow - 1) * sw - info.inWidth - left;
  // x as a batch of ci images with B channels; dy as an (oh x ow) filter from B to co.
  const xT = transpose(backend, x, [3, 1, 2, 0]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  const out = convPadded(backend, xT, dyT, [sh, sw], [top, bottom, left, right]);
  const dW = transpose(backend, out, [1, 2, 0, 3]);
  free(backend, xT, dyT, out);
  return dW;
}

/**
 * Stride-1 filter gradient as one GEMM with a long contiguous inner dimension. On a grid of
 * n x Hp x Wp pixels (Hp = oh + kh - 1), dy sits at the top-left and x at (top, left), both
 * zero elsewhere; then dW[a,b] = sum over q of xG[q + a*Wp + b] * dyG[q]. With x transposed to
 * [ci, grid], tap (a, b) is one contiguous slice of it at offset a*Wp + b (reads past a row's
 * end meet finite values times dy = 0), so the 9 taps stack into [kh*kw*ci, P] with 9 copies,
 * and a 1x1 convolution with dyG as the weights [1, 1, P, co] gives [kh, kw, ci, co] directly
 * (by ranges of input channels when the stack would be large).
 * XNNPACK then runs a plain GEMM instead of an indirect one over P taps of `batch` channels,
 * and only dy (few channels) is repacked as weights.
 */
function backpropFilterStride1(
  backend: BackendWasm,
  x: Info,
  dy: Info,
  info: tf.backend_util.Conv2DInfo,
): Info {
  const { n, h, w, ci, co, kh, kw, oh, ow, top, left, hp, wp } = filterGradGrid(
    x.shape,
    dy.shape,
    info,
  );
  const p = n * hp * wp, taps = kh * kw;
  const pad = (t: Info, paddings: number[][]) =>
    runWasm("PadV2", backend, { x: t }, { paddings, constantValue: 0 });
  const xT = transpose(backend, x, [3, 0, 1, 2]);
  const grid = top === 0 && left === 0 && hp === h && wp === w;
  const xG = grid ? xT : pad(xT, [[0, 0], [0, 0], [top, hp - h - top], [left, wp - w - left]]);
  if (xG !== xT) free(backend, xT);
  const dyG = hp === oh && wp === ow ? dy : pad(dy, [[0, 0], [0, hp - oh], [0, wp - ow], [0, 0]]);
  const dW = taps === 1 && grid
    ? gemm1x1(backend, xG, dyG, ci, p)
    : stackedGemm(backend, xG, dyG, [kh, kw, ci, co], wp, p);
  free(backend, xG);
  if (dyG !== dy) free(backend, dyG);
  return dW;
}

/**
 * Cap on the stacked taps, in floats: 64 MiB (paper width at 256x256 would stack ~0.8 GiB at
 * once). Tests lower it to exercise the chunking.
 */
export const stackLimit = { floats: 2 ** 24 };

/**
 * dW [kh, kw, ci, co] from the grid-laid x `xG` [ci, P] and `dyG` [P, co], the taps of a
 * range of input channels at a time so that the stack stays under {@link stackLimit}.
 */
function stackedGemm(
  backend: BackendWasm,
  xG: Info,
  dyG: Info,
  shape: [number, number, number, number],
  wp: number,
  p: number,
): Info {
  const [kh, kw, ci, co] = shape, taps = kh * kw;
  const chunk = Math.max(1, Math.min(ci, Math.floor(stackLimit.floats / (taps * p))));
  const dW = chunk < ci ? backend.makeOutput(shape, "float32") : null;
  for (let c0 = 0; c0 < ci; c0 += chunk) {
    const cc = Math.min(chunk, ci - c0), block = cc * p;
    const stack = backend.makeOutput([1, 1, taps * cc, p], "float32");
    const dst = heapF32(backend, stack); // views after makeOutput: the heap may have grown
    const src = heapF32(backend, xG);
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const from = c0 * p + a * wp + b, at = (a * kw + b) * block;
        const end = Math.min(from + block, src.length);
        dst.set(src.subarray(from, end), at);
        dst.fill(0, at + end - from, at + block); // past the end: nothing to read
      }
    }
    const part = gemm1x1(backend, stack, dyG, taps * cc, p);
    free(backend, stack);
    if (dW == null) return { ...part, shape };
    const out = heapF32(backend, dW), got = heapF32(backend, part);
    for (let k = 0; k < taps; k++) {
      out.set(got.subarray(k * cc * co, (k + 1) * cc * co), (k * ci + c0) * co);
    }
    free(backend, part);
  }
  return dW!;
}

/** `rows` [m, p] times `dyG` [p, co] as an XNNPACK 1x1 convolution: [1, 1, m, co]. */
function gemm1x1(backend: BackendWasm, rows: Info, dyG: Info, m: number, p: number): Info {
  const co = dyG.shape[dyG.shape.length - 1];
  return runWasm("Conv2D", backend, {
    x: { ...rows, shape: [1, 1, m, p] },
    filter: { ...dyG, shape: [1, 1, p, co] },
  }, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1] });
}

/** Zero-inserts `dy` [n,h,w,c] by the strides: [n, (h-1)*sh+1, (w-1)*sw+1, c]. */
function zeroInsert(backend: BackendWasm, dy: Info, sh: number, sw: number): Info {
  const [n, h, w, c] = dy.shape;
  const uh = (h - 1) * sh + 1, uw = (w - 1) * sw + 1;
  const up = backend.makeOutput([n, uh, uw, c], "float32");
  const dst = heapF32(backend, up);
  const src = heapF32(backend, dy);
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const s = ((b * h + y) * w + xx) * c;
        dst.set(src.subarray(s, s + c), ((b * uh + y * sh) * uw + xx * sw) * c);
      }
    }
  }
  return up;
}

/** Wf[a,b,co,ci] = W[kh-1-a, kw-1-b, ci, co]. */
function flipTransposeFilter(backend: BackendWasm, filter: Info): Info {
  const [kh, kw, ci, co] = filter.shape;
  const out = backend.makeOutput([kh, kw, co, ci], "float32");
  const dst = heapF32(backend, out);
  const src = heapF32(backend, filter);
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const s = ((kh - 1 - a) * kw + (kw - 1 - b)) * ci * co;
      const d = (a * kw + b) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) dst[d + o * ci + i] = src[s + i * co + o];
      }
    }
  }
  return out;
}

function conv2DBackpropInput(
  args: { inputs: { dy: Info; filter: Info }; backend: BackendWasm; attrs: ConvGradAttrs },
): Info {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const inputShape = (attrs as unknown as { inputShape: [number, number, number, number] })
    .inputShape;
  checkNHWC("Conv2DBackpropInput", attrs.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [kh, kw] = filter.shape;
  const { strideHeight: sh, strideWidth: sw, inHeight, inWidth } = info;
  const up = sh === 1 && sw === 1 ? dy : zeroInsert(backend, dy, sh, sw);
  const wf = flipTransposeFilter(backend, filter);
  const top = kh - 1 - info.padInfo.top, left = kw - 1 - info.padInfo.left;
  const bottom = inHeight - 1 + kh - up.shape[1] - top;
  const right = inWidth - 1 + kw - up.shape[2] - left;
  const dx = convPadded(backend, up, wf, [1, 1], [top, bottom, left, right]);
  if (up !== dy) free(backend, up);
  free(backend, wf);
  return dx;
}

/** Kernel configs to register for `wasm` (they need no setup of their own). */
export const convGradKernels: tf.KernelConfig[] = [
  {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: "wasm",
    kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
  },
  {
    kernelName: tf.Conv2DBackpropInput,
    backendName: "wasm",
    kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
  },
];
