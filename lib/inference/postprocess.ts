/**
 * The paper's liver post-processing [P]: binary erosion -> largest 3D
 * connected component (26-connectivity) -> binary dilation, and the cascade's
 * rule that tumor outside the liver is background.
 *
 * @example
 * ```ts
 * const liver = postprocessLiver(rawLiver, vol.spacing,
 *   { erosionRadius: 2, dilationRadius: 5, anisotropic: false });
 * ```
 * @module
 */
import type { Vec3 } from "../data/volume.ts";
import type { ExperimentConfig, PostprocessConfig } from "../config/experiment.ts";
import { largestComponent } from "../masks/components.ts";
import {
  type BinaryMask,
  boundingBox,
  checkMask,
  cropMask,
  growBox,
  pasteMask,
} from "../masks/mask.ts";
import { ballReach, dilateBall, erodeBall } from "../masks/morphology.ts";

/** The post-processing of a liver model's config (a tumor experiment has none). */
export function liverPostprocess(
  cfg: Pick<ExperimentConfig, "name" | "postprocess">,
): PostprocessConfig {
  if (cfg.postprocess === undefined) {
    throw new Error(`${cfg.name}: no postprocess settings (the liver experiment's are needed)`);
  }
  return cfg.postprocess;
}

/**
 * Erosion -> largest 26-connected component -> dilation. Radii are voxels, or
 * mm with `spacing` when `cfg.anisotropic`.
 */
export function postprocessLiver(
  mask: BinaryMask,
  spacing: Vec3,
  cfg: PostprocessConfig,
): BinaryMask {
  checkMask(mask, "liver mask");
  const s: Vec3 = cfg.anisotropic ? spacing : [1, 1, 1];
  const out: BinaryMask = { data: new Uint8Array(mask.data.length), shape: [...mask.shape] };
  const bb = boundingBox(mask);
  if (!bb) return out;
  // Work in the mask's box grown by the dilation's reach (+1 of background for the erosion);
  // voxels beyond the array are 0 in the crop, as the full-size operations would see them.
  const margin = ballReach(cfg.dilationRadius, s).map((m) => m + 1) as Vec3;
  const box = growBox(bb, margin);
  const part = cropMask(mask, box);
  const eroded = cfg.erosionRadius > 0 ? erodeBall(part, cfg.erosionRadius, s) : part;
  const largest = largestComponent(eroded, 26);
  const dilated = cfg.dilationRadius > 0 ? dilateBall(largest, cfg.dilationRadius, s) : largest;
  pasteMask(dilated, box, out);
  return out;
}

/** Set `labels` to 0 wherever `liver` is 0 (in place); returns `labels`. */
export function maskByLiver(labels: Uint8Array, liver: BinaryMask): Uint8Array {
  if (labels.length !== liver.data.length) {
    throw new RangeError(
      `labels (${labels.length}) and liver (${liver.data.length}) differ in size`,
    );
  }
  for (let i = 0; i < labels.length; i++) if (liver.data[i] === 0) labels[i] = 0;
  return labels;
}
