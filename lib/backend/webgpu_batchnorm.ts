/**
 * Batch normalisation in training (tfjs-layers' `BatchNormalization`, NHWC, channels last)
 * as six webgpu dispatches, three forward and three backward. tfjs computes it with
 * `tf.moments` and autodiff through it: each mean is a transpose and a reduction, and the
 * gradient flows back through the mean, the squared deviation and the variance, about 44
 * dispatches a layer (1,500 of a paper liver step's 2,100 once Adam and the filter gradient
 * were fused). Same quantities: the batch mean and biased variance, y = (x - mean) *
 * rsqrt(var + eps) * gamma + beta, the moving averages moving - (moving - batch) * (1 -
 * momentum), and the exact gradient of y,
 * dx = gamma rsqrt(var + eps) (dy - mean(dy) - xhat mean(dy xhat)).
 *
 * Per channel statistics are summed in chunks of rows (many workgroups) and the chunks
 * combined in order (Chan et al.'s pairwise mean and variance), so results are deterministic.
 *
 * @example
 * ```ts
 * registerWebGPUBatchNorm(); // then BatchNormalization layers train through it on webgpu
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { grid1d, runShader, type ShaderSpec } from "./webgpu_program.ts";
import {
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  routeTrainingBatchNorm,
} from "./batchnorm_train.ts";

type Info = tf.TensorInfo;

/** Columns (channels) and row lanes of a statistics workgroup. */
const COLS = 16;
const LANES = 16;
/** Workgroups wanted for a statistics pass: enough to fill a large GPU. */
const TARGET_GROUPS = 1024;

/** Sums the workgroup's `red` over its 16 lanes; lane 0's slot `col` then holds the total. */
const REDUCE_LANES = `
var<workgroup> red: array<f32, ${COLS * LANES}>;
fn laneSum(t: u32, v: f32) -> f32 {
  red[t] = v;
  workgroupBarrier();
  for (var s = ${LANES / 2}u; s > 0u; s = s / 2u) {
    if (t / ${COLS}u < s) { red[t] = red[t] + red[t + s * ${COLS}u]; }
    workgroupBarrier();
  }
  let total = red[t % ${COLS}u];
  workgroupBarrier();
  return total;
}`;

/** Chunk s of the rows: its mean and sum of squared deviations per channel (two passes). */
const STATS: ShaderSpec = {
  name: "BatchNormStats",
  outputs: ["part"],
  inputs: ["x"],
  uniforms: { rows: "u32", c: "u32", chunk: "u32" },
  workgroupSize: COLS * LANES,
  prelude: REDUCE_LANES,
  body: `
  let t = lid.x;
  let col = wid.x * ${COLS}u + t % ${COLS}u;
  let lane = t / ${COLS}u;
  let r0 = wid.y * u.chunk;
  let r1 = min(r0 + u.chunk, u.rows);
  var s = 0.0;
  if (col < u.c) {
    for (var r = r0 + lane; r < r1; r = r + ${LANES}u) { s = s + x[r * u.c + col]; }
  }
  let mean = laneSum(t, s) / f32(r1 - r0);
  var q = 0.0;
  if (col < u.c) {
    for (var r = r0 + lane; r < r1; r = r + ${LANES}u) {
      let d = x[r * u.c + col] - mean;
      q = q + d * d;
    }
  }
  let m2 = laneSum(t, q);
  if (lane == 0u && col < u.c) {
    part[(2u * wid.y) * u.c + col] = mean;
    part[(2u * wid.y + 1u) * u.c + col] = m2;
  }`,
};

/** Combines the chunks in order: batch mean and variance, and the new moving averages. */
const COMBINE: ShaderSpec = {
  name: "BatchNormCombine",
  outputs: ["mean", "variance", "mmOut", "mvOut"],
  inputs: ["part", "mm", "mv"],
  uniforms: { rows: "u32", c: "u32", chunk: "u32", chunks: "u32", decay: "f32" },
  body: `
  let col = gid.x;
  if (col >= u.c) { return; }
  var n = 0.0;
  var m = 0.0;
  var m2 = 0.0;
  for (var s = 0u; s < u.chunks; s = s + 1u) {
    let nb = f32(min(u.chunk, u.rows - s * u.chunk));
    let mb = part[(2u * s) * u.c + col];
    let delta = mb - m;
    let total = n + nb;
    m = m + delta * (nb / total);
    m2 = m2 + part[(2u * s + 1u) * u.c + col] + delta * delta * (n * nb / total);
    n = total;
  }
  let v = m2 / f32(u.rows);
  mean[col] = m;
  variance[col] = v;
  mmOut[col] = mm[col] - (mm[col] - m) * u.decay;
  mvOut[col] = mv[col] - (mv[col] - v) * u.decay;`,
};

/** y = (x - mean) * rsqrt(var + eps) * gamma + beta, as tfjs's batch norm program. */
const NORMALIZE: ShaderSpec = {
  name: "BatchNormNormalize",
  outputs: ["y"],
  inputs: ["x", "mean", "variance", "gamma", "beta"],
  uniforms: { size: "u32", c: "u32", stride: "u32", eps: "f32" },
  body: `
  let i = gid.x + gid.y * u.stride;
  if (i >= u.size) { return; }
  let col = i % u.c;
  y[i] = (x[i] - mean[col]) * inverseSqrt(variance[col] + u.eps) * gamma[col] + beta[col];`,
};

/** Chunk s of the rows: sum of dy and of dy (x - mean) per channel. */
const GRAD_SUMS: ShaderSpec = {
  name: "BatchNormGradSums",
  outputs: ["part"],
  inputs: ["dy", "x", "mean"],
  uniforms: { rows: "u32", c: "u32", chunk: "u32" },
  workgroupSize: COLS * LANES,
  prelude: REDUCE_LANES,
  body: `
  let t = lid.x;
  let col = wid.x * ${COLS}u + t % ${COLS}u;
  let lane = t / ${COLS}u;
  let r0 = wid.y * u.chunk;
  let r1 = min(r0 + u.chunk, u.rows);
  var s = 0.0;
  var q = 0.0;
  if (col < u.c) {
    let m = mean[col];
    for (var r = r0 + lane; r < r1; r = r + ${LANES}u) {
      let g = dy[r * u.c + col];
      s = s + g;
      q = q + g * (x[r * u.c + col] - m);
    }
  }
  let sdy = laneSum(t, s);
  let sdyx = laneSum(t, q);
  if (lane == 0u && col < u.c) {
    part[(2u * wid.y) * u.c + col] = sdy;
    part[(2u * wid.y + 1u) * u.c + col] = sdyx;
  }`,
};

/**
 * Sums the chunks in order: dbeta = sum dy, dgamma = rsqrt(var + eps) sum dy (x - mean), and
 * per channel the factors of dx: coef = [gamma inv, mean(dy), inv dgamma / rows, mean].
 */
const GRAD_COMBINE: ShaderSpec = {
  name: "BatchNormGradCombine",
  outputs: ["dgamma", "dbeta", "coef"],
  inputs: ["part", "variance", "gamma", "mean"],
  uniforms: { rows: "u32", c: "u32", chunks: "u32", eps: "f32" },
  body: `
  let col = gid.x;
  if (col >= u.c) { return; }
  var sdy = 0.0;
  var sdyx = 0.0;
  for (var s = 0u; s < u.chunks; s = s + 1u) {
    sdy = sdy + part[(2u * s) * u.c + col];
    sdyx = sdyx + part[(2u * s + 1u) * u.c + col];
  }
  let inv = inverseSqrt(variance[col] + u.eps);
  let dg = sdyx * inv;
  dgamma[col] = dg;
  dbeta[col] = sdy;
  coef[col] = gamma[col] * inv;
  coef[u.c + col] = sdy / f32(u.rows);
  coef[2u * u.c + col] = inv * dg / f32(u.rows);
  coef[3u * u.c + col] = mean[col];`,
};

/** dx = gamma inv (dy - mean(dy) - (x - mean) inv dgamma / rows). */
const GRAD_INPUT: ShaderSpec = {
  name: "BatchNormGradInput",
  outputs: ["dx"],
  inputs: ["dy", "x", "coef"],
  uniforms: { size: "u32", c: "u32", stride: "u32" },
  body: `
  let i = gid.x + gid.y * u.stride;
  if (i >= u.size) { return; }
  let col = i % u.c;
  dx[i] = coef[col] * (dy[i] - coef[u.c + col] - (x[i] - coef[3u * u.c + col]) * coef[2u * u.c + col]);`,
};

/** Rows per chunk and chunk count of a statistics pass over `rows` x `c`. */
function chunking(rows: number, c: number): { chunk: number; chunks: number } {
  const wanted = Math.max(1, Math.ceil(TARGET_GROUPS / Math.ceil(c / COLS)));
  const chunks0 = Math.min(Math.ceil(rows / 256), wanted, 65535);
  const chunk = Math.ceil(rows / Math.max(1, chunks0));
  return { chunk, chunks: Math.ceil(rows / chunk) };
}

function free(backend: tf.KernelBackend, ...infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** x [.., c], gamma, beta, moving mean/variance [c] -> y, mean, variance, new moving stats. */
function forward(
  backend: tf.KernelBackend,
  inputs: Record<string, Info>,
  eps: number,
  decay: number,
) {
  const { x, gamma, beta, mm, mv } = inputs;
  const c = x.shape[x.shape.length - 1];
  const size = x.shape.reduce((a, b) => a * b, 1);
  const rows = size / c;
  const { chunk, chunks } = chunking(rows, c);
  const [part] = runShader(backend, STATS, [Math.ceil(c / COLS), chunks, 1], [[2 * chunks * c]], [
    x,
  ], { rows, c, chunk });
  const stats = runShader(backend, COMBINE, grid1d(c), [[c], [c], [c], [c]], [part, mm, mv], {
    rows,
    c,
    chunk,
    chunks,
    decay,
  });
  free(backend, part);
  const groups = grid1d(size);
  const [y] = runShader(
    backend,
    NORMALIZE,
    groups,
    [x.shape],
    [x, stats[0], stats[1], gamma, beta],
    {
      size,
      c,
      stride: groups[0] * 64,
      eps,
    },
  );
  return [y, ...stats];
}

/** dy, x, gamma, mean, variance -> dx, dgamma, dbeta. */
function backward(backend: tf.KernelBackend, inputs: Record<string, Info>, eps: number) {
  const { dy, x, gamma, mean, variance } = inputs;
  const c = x.shape[x.shape.length - 1];
  const size = x.shape.reduce((a, b) => a * b, 1);
  const rows = size / c;
  const { chunk, chunks } = chunking(rows, c);
  const [part] = runShader(
    backend,
    GRAD_SUMS,
    [Math.ceil(c / COLS), chunks, 1],
    [[
      2 * chunks * c,
    ]],
    [dy, x, mean],
    { rows, c, chunk },
  );
  const [dgamma, dbeta, coef] = runShader(
    backend,
    GRAD_COMBINE,
    grid1d(c),
    [[c], [c], [4 * c]],
    [part, variance, gamma, mean],
    { rows, c, chunks, eps },
  );
  const groups = grid1d(size);
  const [dx] = runShader(backend, GRAD_INPUT, groups, [x.shape], [dy, x, coef], {
    size,
    c,
    stride: groups[0] * 64,
  });
  free(backend, part, coef);
  return [dx, dgamma, dbeta];
}

let registered = false;

/**
 * Registers the kernels as webgpu's `BatchNormTrain` pair and routes training batch norms
 * through them (`batchnorm_train.ts`). Idempotent.
 */
export function registerWebGPUBatchNorm(): void {
  if (registered) return;
  tf.registerKernel({
    kernelName: BATCH_NORM_TRAIN,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend, attrs }) =>
      forward(
        backend as tf.KernelBackend,
        inputs as Record<string, Info>,
        attrs!.epsilon as number,
        attrs!.decay as number,
      ),
  });
  tf.registerKernel({
    kernelName: BATCH_NORM_TRAIN_GRAD,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend, attrs }) =>
      backward(
        backend as tf.KernelBackend,
        inputs as Record<string, Info>,
        attrs!.epsilon as number,
      ),
  });
  routeTrainingBatchNorm();
  registered = true;
}
