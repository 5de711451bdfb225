/**
 * LiTS lesion detection for one case: 6-connected components of each lesion
 * mask, an overlap graph linking predicted and reference components that share
 * a voxel, each connected group merged into one predicted and one reference
 * object, detected at threshold t when IoU(merged) > t.
 *
 * @example
 * ```ts
 * const det = detectLesions(predLesion, refLesion, spacing);
 * console.log(det.tp, det.fp, det.fn, det.detectedMetrics.length);
 * ```
 * @module
 */
import type { Vec3 } from "../data/volume.ts";
import { labelComponents } from "../masks/components.ts";
import { objectPairMetrics, type PairMetrics } from "./lits_metrics.ts";
import {
  type BinaryMask,
  boundingBox,
  type Box,
  boxShape,
  checkMask,
  cropMask,
  unionBox,
} from "../masks/mask.ts";

/** IoU threshold of the official precision and recall. */
export const DETECTION_IOU = 0.5;

/** One case's detection counts after merging. */
export interface LesionDetection {
  /** Predicted objects: groups + predicted components overlapping nothing. */
  predObjects: number;
  /** Reference objects: groups + reference components overlapping nothing. */
  refObjects: number;
  /** Groups of the overlap graph (each has IoU > 0). */
  groups: number;
  /** IoU of every group, in order of first voxel. */
  groupIou: number[];
  /** Counts at IoU > 0.5. */
  tp: number;
  fp: number;
  fn: number;
  /** Counts at IoU > 0 (any overlap). */
  tpAny: number;
  fpAny: number;
  fnAny: number;
  /** Object-pair metrics of every group detected at IoU > 0.5. */
  detectedMetrics: PairMetrics[];
}

/** Detection counts and per-detection metrics of a predicted vs a reference lesion mask. */
export function detectLesions(pred: BinaryMask, ref: BinaryMask, spacing: Vec3): LesionDetection {
  checkMask(pred, "prediction");
  checkMask(ref, "reference");
  const box = unionBox(boundingBox(pred), boundingBox(ref));
  if (!box) return counts(0, 0, [], []);
  const p = labelComponents(cropMask(pred, box), 6);
  const r = labelComponents(cropMask(ref, box), 6);
  const lp = p.labels, lr = r.labels;
  const np = p.count, nodes = np + r.count;

  // Union-find over components: predicted id i is node i-1, reference id j is node np+j-1.
  const parent = new Int32Array(nodes);
  for (let i = 0; i < nodes; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  const linked = new Uint8Array(nodes);
  for (let i = 0; i < lp.length; i++) {
    if (lp[i] === 0 || lr[i] === 0) continue;
    const a = find(lp[i] - 1), b = find(np + lr[i] - 1);
    linked[lp[i] - 1] = linked[np + lr[i] - 1] = 1;
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }

  // Per group (root node): merged sizes and intersection.
  const predSize = new Float64Array(nodes), refSize = new Float64Array(nodes);
  const inter = new Float64Array(nodes);
  for (let i = 1; i <= np; i++) predSize[find(i - 1)] += p.sizes[i];
  for (let j = 1; j <= r.count; j++) refSize[find(np + j - 1)] += r.sizes[j];
  for (let i = 0; i < lp.length; i++) {
    if (lp[i] !== 0 && lr[i] !== 0) inter[find(lp[i] - 1)]++;
  }
  const roots: number[] = [];
  for (let n = 0; n < nodes; n++) if (find(n) === n && linked[n]) roots.push(n);
  const iou = roots.map((g) => inter[g] / (predSize[g] + refSize[g] - inter[g]));
  let unmatchedPred = 0, unmatchedRef = 0;
  for (let n = 0; n < np; n++) if (!linked[n]) unmatchedPred++;
  for (let n = np; n < nodes; n++) if (!linked[n]) unmatchedRef++;

  const detected = roots.filter((_, k) => iou[k] > DETECTION_IOU);
  const boxes = groupBoxes(boxShape(box), lp, lr, np, find, nodes);
  const metrics = detected.map((g) => {
    const gb = boxes(g);
    const inGroup = (offset: number) => (v: number) => v !== 0 && find(offset + v - 1) === g;
    const shape = boxShape(box);
    const a = cropMask({ data: lp, shape }, gb, inGroup(0));
    const b = cropMask({ data: lr, shape }, gb, inGroup(np));
    return objectPairMetrics(a, b, spacing);
  });
  return counts(roots.length + unmatchedPred, roots.length + unmatchedRef, iou, metrics);
}

function counts(
  predObjects: number,
  refObjects: number,
  groupIou: number[],
  detectedMetrics: PairMetrics[],
): LesionDetection {
  const tp = detectedMetrics.length, tpAny = groupIou.length;
  return {
    predObjects,
    refObjects,
    groups: groupIou.length,
    groupIou,
    tp,
    fp: predObjects - tp,
    fn: refObjects - tp,
    tpAny,
    fpAny: predObjects - tpAny,
    fnAny: refObjects - tpAny,
    detectedMetrics,
  };
}

/** Bounding box of every group (by root node), in the cropped array. */
function groupBoxes(
  shape: Vec3,
  lp: Int32Array,
  lr: Int32Array,
  np: number,
  find: (n: number) => number,
  nodes: number,
): (g: number) => Box {
  const lo = new Int32Array(nodes * 3).fill(2 ** 30), hi = new Int32Array(nodes * 3).fill(-1);
  const [nx, ny, nz] = shape;
  for (let z = 0, i = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const n = lp[i] !== 0 ? lp[i] - 1 : lr[i] !== 0 ? np + lr[i] - 1 : -1;
        if (n < 0) continue;
        const g = find(n) * 3;
        if (x < lo[g]) lo[g] = x;
        if (x > hi[g]) hi[g] = x;
        if (y < lo[g + 1]) lo[g + 1] = y;
        if (y > hi[g + 1]) hi[g + 1] = y;
        if (z < lo[g + 2]) lo[g + 2] = z;
        if (z > hi[g + 2]) hi[g + 2] = z;
      }
    }
  }
  return (g) => ({
    lo: [lo[3 * g], lo[3 * g + 1], lo[3 * g + 2]],
    hi: [hi[3 * g] + 1, hi[3 * g + 1] + 1, hi[3 * g + 2] + 1],
  });
}
