/**
 * The one error type of NIfTI and dataset I/O: its message always names the
 * file (or case) and the problem, e.g.
 * `data/volume-3.nii.gz: truncated: 1048576 data bytes expected after offset 352, 4000 found`.
 * @module
 */

/** A problem with a NIfTI file, segmentation or dataset folder. */
export class NiftiError extends Error {
  /** The file (or case name) concerned. */
  readonly path: string;
  /** What is wrong, without the path. */
  readonly problem: string;

  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`${path}: ${problem}`, options);
    this.name = "NiftiError";
    this.path = path;
    this.problem = problem;
  }
}
