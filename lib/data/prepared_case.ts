/**
 * A case reduced to what training reads of it: its selected slices, preprocessed (inputs at
 * `inputSize`, labels at `sliceSize`). Optionally kept on disk between runs, as MONAI's
 * `PersistentDataset` and nnU-Net's preprocessed folder do: the four liver-model runs of
 * `reproduce` (and the runs of a sweep) share one data config, and each spent about 30 s of
 * its first epoch reading and preprocessing the same 42 cases.
 *
 * A cache file is named by the case and a SHA-256 of what it depends on: both files' path,
 * size and modification time, the data settings that shape the slices, the source of the
 * data modules (an edit to the preprocessing invalidates the cache) and the format. Its
 * header repeats that key and its lengths, so a stale, foreign or truncated file is a miss
 * (and is rewritten), never wrong data. Writes are atomic (temp file, then rename), so runs
 * side by side may fill the same cache. The values are the very arrays of a fresh
 * preprocessing, so a cached run draws the same batches.
 *
 * @example
 * ```ts
 * const p = cachedPreparedCase(entry, cfg.data, "results/cache", loadCaseSync);
 * p.count; // selected slices; p.inputs holds count * inputSize² * windows values
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DataConfig } from "../config/experiment.ts";
import { writeFileAtomicSync } from "../util/atomic.ts";
import { fileIdentity, sourceDigest } from "../util/file_identity.ts";
import type { CaseEntry } from "./dataset.ts";
import type { LoadedCase } from "./case_loader.ts";
import { referenceOffset } from "./liver_reference.ts";
import { modelInput } from "./model_input.ts";
import { labelSlice } from "./preprocess.ts";
import { selectSlices } from "./slice_selection.ts";

/** The selected slices of one case, preprocessed. */
export interface PreparedCase {
  count: number;
  /** `count` inputs, each `inputSize`² x windows values (HWC). */
  inputs: Float32Array;
  /** `count` label slices, each `sliceSize`² LiTS labels. */
  labels: Uint8Array;
}

/** The data settings a prepared case depends on. */
type PrepareConfig = Pick<
  DataConfig,
  | "sliceSize"
  | "inputSize"
  | "windows"
  | "histogramEqualize"
  | "selectBy"
  | "sliceMargin"
  | "liverMedianHU"
>;

/** Preprocess the selected slices of one case. */
export function prepareCase(loaded: LoadedCase, data: PrepareConfig): PreparedCase {
  const { volume, segmentation } = loaded;
  const zs = selectSlices(segmentation, data.selectBy, data.sliceMargin);
  // A case without selected slices may have no liver to measure.
  const offsetHU = zs.length === 0 ? 0 : referenceOffset(data, volume, segmentation);
  const inputs = modelInput(volume, data, offsetHU)(zs);
  const labLen = data.sliceSize * data.sliceSize;
  const labels = new Uint8Array(zs.length * labLen);
  zs.forEach((z, k) => labels.set(labelSlice(segmentation, z, data.sliceSize), k * labLen));
  return { count: zs.length, inputs, labels };
}

/** Bump when the layout of a cache file changes. */
const FORMAT = "prepared-case/1";

/** What a cached case depends on, as one string (also stored in the file's header). */
function cacheKey(c: CaseEntry, data: PrepareConfig): string {
  const settings: PrepareConfig = {
    sliceSize: data.sliceSize,
    inputSize: data.inputSize,
    windows: data.windows,
    histogramEqualize: data.histogramEqualize,
    selectBy: data.selectBy,
    sliceMargin: data.sliceMargin,
    liverMedianHU: data.liverMedianHU,
  };
  return JSON.stringify({
    format: FORMAT,
    // An edit to the preprocessing (this folder) makes every cached case a miss.
    code: sourceDigest(new URL(".", import.meta.url)),
    volume: fileIdentity(c.volumePath),
    segmentation: c.segmentationPath ? fileIdentity(c.segmentationPath) : null,
    settings,
  });
}

interface Header {
  key: string;
  count: number;
  inputs: number;
  labels: number;
}

/** Where the inputs start after a header of `n` bytes (its u32 length before it, 4-aligned). */
function dataStart(n: number): number {
  return Math.ceil((4 + n) / 4) * 4;
}

/** File layout: u32 header length, header JSON, padding to 4 bytes, inputs (f32 LE), labels. */
function encode(key: string, p: PreparedCase): Uint8Array {
  const header: Header = { key, count: p.count, inputs: p.inputs.length, labels: p.labels.length };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = dataStart(json.length);
  const out = new Uint8Array(start + p.inputs.byteLength + p.labels.byteLength);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(new Uint8Array(p.inputs.buffer, p.inputs.byteOffset, p.inputs.byteLength), start);
  out.set(p.labels, start + p.inputs.byteLength);
  return out;
}

/** The case in `bytes` when they hold `key` whole; else undefined. */
function decode(bytes: Uint8Array, key: string): PreparedCase | undefined {
  if (bytes.length < 4) return undefined;
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  if (4 + n > bytes.length) return undefined;
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + n)));
  } catch {
    return undefined;
  }
  if (header?.key !== key) return undefined;
  const start = dataStart(n);
  if (bytes.length !== start + header.inputs * 4 + header.labels) return undefined;
  // Copied out, so the cached case owns aligned arrays of its own.
  const inputs = new Float32Array(header.inputs);
  new Uint8Array(inputs.buffer).set(bytes.subarray(start, start + header.inputs * 4));
  const labels = new Uint8Array(bytes.subarray(start + header.inputs * 4));
  return { count: header.count, inputs, labels };
}

function readIfPresent(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Case `c` prepared with `data`'s settings: from `cacheDir` when it holds it, else loaded with
 * `load`, preprocessed and written there for the next run.
 */
export function cachedPreparedCase(
  c: CaseEntry,
  data: PrepareConfig,
  cacheDir: string,
  load: (c: CaseEntry) => LoadedCase,
): PreparedCase {
  const key = cacheKey(c, data);
  const hash = createHash("sha256").update(key).digest("hex").slice(0, 16);
  const path = join(cacheDir, `case-${c.id}-${hash}.bin`);
  const bytes = readIfPresent(path);
  const hit = bytes && decode(bytes, key);
  if (hit) return hit;
  const p = prepareCase(load(c), data);
  writeFileAtomicSync(path, encode(key, p));
  return p;
}
