/**
 * Adam with L2 weight decay, written out so that its whole state (step count
 * and moments) can be saved and restored bit-exactly for `--resume`.
 *
 * Update (TF1 `AdamOptimizer`, as the prototype used, epsilon 1e-8):
 * g' = g + weightDecay * w for decayed variables (the gradient of
 * weightDecay/2 * sum(w^2), i.e. `weightDecay * tf.nn.l2_loss(w)`);
 * m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
 * w -= lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps).
 * Where the backend has the fused kernel (webgpu, onednn: `lib/backend/adam_update.ts`) each
 * variable's update is one kernel.
 *
 * @example
 * ```ts
 * const adam = createAdam(vars, { weightDecay: 5e-6, decay });
 * adam.apply(grads, 1e-4); // this step's learning rate (the loop's schedule)
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { adamUpdateFused } from "../backend/adam_update.ts";

export interface AdamOptions {
  weightDecay: number;
  /** Per variable: whether L2 weight decay applies to it. */
  decay: boolean[];
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** The optimiser state: step count and first/second moments (one per variable). */
export interface AdamState {
  step: number;
  m: tf.Tensor[];
  v: tf.Tensor[];
}

export interface Adam {
  /** Apply one update with gradients in the order of the variables and this step's rate. */
  apply(grads: tf.Tensor[], learningRate: number): void;
  /** The current state; the tensors stay owned by the optimiser. */
  state(): AdamState;
  /** Replace the state by copies of `state`'s tensors. */
  restore(state: AdamState): void;
  dispose(): void;
}

/** An Adam optimiser over `vars`. */
export function createAdam(vars: tf.Variable[], opts: AdamOptions): Adam {
  if (opts.decay.length !== vars.length) {
    throw new Error(`adam: ${opts.decay.length} decay flags for ${vars.length} variables`);
  }
  const b1 = opts.beta1 ?? 0.9;
  const b2 = opts.beta2 ?? 0.999;
  const eps = opts.epsilon ?? 1e-8;
  let step = 0;
  let m: tf.Tensor[] = vars.map((w) => tf.zerosLike(w));
  let v: tf.Tensor[] = vars.map((w) => tf.zerosLike(w));

  return {
    apply(grads, learningRate) {
      if (grads.length !== vars.length) {
        throw new Error(`adam: ${grads.length} gradients for ${vars.length} variables`);
      }
      step++;
      const lrT = learningRate * Math.sqrt(1 - b2 ** step) / (1 - b1 ** step);
      for (let i = 0; i < vars.length; i++) {
        const decay = opts.decay[i] ? opts.weightDecay : 0;
        const fused = adamUpdateFused(vars[i], grads[i], m[i], v[i], {
          beta1: b1,
          beta2: b2,
          epsilon: eps,
          rate: lrT,
          decay,
        });
        if (fused) {
          vars[i].assign(fused[0]);
          fused[0].dispose();
        }
        const [mi, vi] = fused ? [fused[1], fused[2]] : tf.tidy(() => {
          const g = opts.decay[i] && opts.weightDecay !== 0
            ? grads[i].add(vars[i].mul(opts.weightDecay))
            : grads[i];
          const mNew = m[i].mul(b1).add(g.mul(1 - b1));
          const vNew = v[i].mul(b2).add(g.square().mul(1 - b2));
          vars[i].assign(vars[i].sub(mNew.div(vNew.sqrt().add(eps)).mul(lrT)));
          return [mNew, vNew];
        });
        m[i].dispose();
        v[i].dispose();
        m[i] = mi;
        v[i] = vi;
      }
    },
    state: () => ({ step, m, v }),
    restore(s) {
      if (s.m.length !== vars.length || s.v.length !== vars.length) {
        throw new Error(`adam: state has ${s.m.length} moments for ${vars.length} variables`);
      }
      m.forEach((t) => t.dispose());
      v.forEach((t) => t.dispose());
      step = s.step;
      m = s.m.map((t) => t.clone());
      v = s.v.map((t) => t.clone());
    },
    dispose() {
      m.forEach((t) => t.dispose());
      v.forEach((t) => t.dispose());
    },
  };
}
