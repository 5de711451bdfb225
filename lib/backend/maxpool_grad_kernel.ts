/**
 * A correct `MaxPoolGrad` for the `wasm` backend. The stock kernel routes the gradient to the
 * wrong element when every value of a window is negative (FC-DenseNet gradients came out up
 * to 15% off). Same rule as the `cpu` backend: each output's gradient goes to the first
 * strict maximum of its window, in row-major window order; padding never wins.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapF32, type Info } from "./wasm_util.ts";

interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

function maxPoolGrad(
  args: {
    inputs: { dy: Info; input: Info };
    backend: BackendWasm;
    attrs: MaxPoolGradAttrs;
  },
): Info {
  const { inputs: { dy, input }, backend, attrs } = args;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const out = backend.makeOutput(input.shape, "float32");
  const dx = heapF32(backend, out);
  const x = heapF32(backend, input);
  const g = heapF32(backend, dy);
  dx.fill(0);
  // Per output pixel, scan the window once with all channels in the inner loop.
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        best.fill(-Infinity);
        where.fill(-1);
        for (let fy = 0; fy < filterHeight; fy++) {
          const y = y0 + fy;
          if (y < 0 || y >= inHeight) continue;
          for (let fx = 0; fx < filterWidth; fx++) {
            const xx = x0 + fx;
            if (xx < 0 || xx >= inWidth) continue;
            const base = ((b * inHeight + y) * inWidth + xx) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch];
              if (v > best[ch]) {
                best[ch] = v;
                where[ch] = base + ch;
              }
            }
          }
        }
        const gBase = ((b * outHeight + oy) * outWidth + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          if (where[ch] >= 0) dx[where[ch]] += g[gBase + ch];
        }
      }
    }
  }
  return out;
}

/** Kernel config to register for `wasm` (it replaces the stock one). */
export const maxPoolGradKernel: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: "wasm",
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};
