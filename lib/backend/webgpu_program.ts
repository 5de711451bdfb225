/**
 * Our own WGSL compute shaders, dispatched through tfjs's webgpu backend (4.22) so that they
 * share its command encoder, its deferred submits, its buffer pool and its timestamp queries
 * (`tf.profile` times them under their `name`). Unlike tfjs's programs, a shader here may
 * write several outputs (the Adam update writes w, m and v in one dispatch) and declares
 * its own bindings: outputs `read_write`, inputs `read`, then one uniform struct `u`.
 *
 * @example
 * ```ts
 * const spec = { name: "Double", outputs: ["y"], inputs: ["x"], uniforms: { n: "u32" },
 *   body: "let i = gid.x; if (i < u.n) { y[i] = 2.0 * x[i]; }" };
 * const [y] = runShader(tf.backend(), spec, [Math.ceil(n / 64), 1, 1], [[n]], [x], { n });
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

type Info = tf.TensorInfo;

/** A shader: its bindings by name and the body of `main` (workgroup size 64 unless given). */
export interface ShaderSpec {
  /** Shown by `tf.profile` and the benchmarks. */
  name: string;
  outputs: string[];
  inputs: string[];
  /** Uniform fields in order, with their WGSL scalar type. */
  uniforms: Record<string, "f32" | "i32" | "u32">;
  /** Body of `main(gid, lid, wid)`; may be preceded by `prelude` (helpers, shared memory). */
  body: string;
  prelude?: string;
  workgroupSize?: number;
}

/** The parts of tfjs's WebGPUBackend used here (tfjs-backend-webgpu 4.22). */
interface WebGPUInternals {
  device: GPUDevice;
  makeTensorInfo(shape: number[], dtype: tf.DataType): Info;
  uploadToGPU(dataId: unknown): void;
  recordAndSubmit(
    program: unknown,
    output: Info,
    inputs: Info[],
    uniforms: { type: string; data: number[] }[],
  ): void;
}

const pipelines = new WeakMap<GPUDevice, Map<ShaderSpec, GPUComputePipeline>>();

/** The WGSL of `spec`: bindings in the order tfjs binds them (output, inputs, uniforms). */
export function shaderCode(spec: ShaderSpec): string {
  const buffers = [...spec.outputs, ...spec.inputs].map((name, i) =>
    `@group(0) @binding(${i}) var<storage, ${
      i < spec.outputs.length ? "read_write" : "read"
    }> ${name}: array<f32>;`
  );
  // tfjs puts the output's strides first; a rank-1 output gives one i32.
  const fields = ["_strides: i32", ...Object.entries(spec.uniforms).map(([k, t]) => `${k}: ${t}`)];
  const size = spec.workgroupSize ?? 64;
  return `${buffers.join("\n")}
struct Uniforms { ${fields.join(", ")} }
@group(0) @binding(${buffers.length}) var<uniform> u: Uniforms;
${spec.prelude ?? ""}
@compute @workgroup_size(${size})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(workgroup_id) wid: vec3<u32>) {
${spec.body}
}`;
}

function pipeline(device: GPUDevice, spec: ShaderSpec): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (cache == null) pipelines.set(device, cache = new Map());
  let p = cache.get(spec);
  if (p == null) {
    const module = device.createShaderModule({ code: shaderCode(spec) });
    p = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
    cache.set(spec, p);
  }
  return p;
}

/**
 * Records one dispatch of `spec` with `workgroups` workgroups; returns new float32 tensors of
 * `outputShapes` (owned by the caller). Every uniform of the spec must be given.
 */
export function runShader(
  backend: tf.KernelBackend,
  spec: ShaderSpec,
  workgroups: [number, number, number],
  outputShapes: number[][],
  inputs: Info[],
  uniforms: Record<string, number>,
): Info[] {
  const b = backend as unknown as WebGPUInternals;
  const outputs = outputShapes.map((shape) => b.makeTensorInfo(shape, "float32"));
  for (const t of [...outputs, ...inputs]) b.uploadToGPU(t.dataId);
  const uniformData = Object.entries(spec.uniforms).map(([k, type]) => {
    const value = uniforms[k];
    if (value === undefined) throw new Error(`${spec.name}: uniform '${k}' not given`);
    return {
      type: type === "f32" ? "float32" : type === "i32" ? "int32" : "uint32",
      data: [value],
    };
  });
  // A program object as tfjs's recordAndSubmit reads it: `pixelsOpType` set (not DRAW) means
  // no shape uniforms but the output's strides; the constructor's name labels timings.
  const program = {
    constructor: { name: spec.name },
    pipeline: pipeline(b.device, spec),
    dispatch: workgroups,
    pixelsOpType: 0,
  };
  const out0 = { ...outputs[0], shape: [outputs[0].shape.reduce((x, y) => x * y, 1)] };
  b.recordAndSubmit(program, out0, [...outputs.slice(1), ...inputs], uniformData);
  return outputs;
}

/**
 * Workgroup counts for `threads` threads of `perGroup` each, folded into two dimensions when
 * over WebGPU's 65535 per dimension; the shader's linear index is `gid.x + gid.y * stride`
 * with `stride` = the returned x count times `perGroup`.
 */
export function grid1d(threads: number, perGroup = 64): [number, number, number] {
  const groups = Math.max(1, Math.ceil(threads / perGroup));
  if (groups <= 65535) return [groups, 1, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}
