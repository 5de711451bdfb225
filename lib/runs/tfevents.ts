/**
 * Training curves in TensorBoard's event format, beside `metrics.jsonl`: a file
 * `events.out.tfevents.<seconds>.workbench` in the run folder, so `tensorboard
 * --logdir results/runs` shows the loss and Dice per epoch of every run.
 *
 * The file is a TFRecord stream (each record: little-endian uint64 length, its
 * masked CRC32C, the bytes, their masked CRC32C) of `Event` protos: the first
 * holds `file_version = "brain.Event:2"`, the others a `Summary` of scalar values
 * (`simple_value`) at step = epoch. The few protobuf fields needed are encoded
 * here by hand (no protobuf dependency).
 *
 * @example
 * ```ts
 * await writeTfEvents("results/runs/liver/cpu-1", metrics); // after each epoch
 * ```
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic.ts";
import type { EpochMetrics } from "./folder.ts";

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli) of `bytes`. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15, add a constant. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** A protobuf message under construction: tags and values in field order. */
class ProtoWriter {
  #parts: number[] = [];
  #varint(v: number) {
    // Non-negative integers below 2^53 (steps, lengths).
    while (v >= 0x80) {
      this.#parts.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.#parts.push(v);
  }
  #tag(field: number, wire: number) {
    this.#varint(field * 8 + wire);
  }
  uint(field: number, v: number): this {
    this.#tag(field, 0);
    this.#varint(v);
    return this;
  }
  double(field: number, v: number): this {
    this.#tag(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.#parts.push(...b);
    return this;
  }
  float(field: number, v: number): this {
    this.#tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.#parts.push(...b);
    return this;
  }
  bytes(field: number, v: Uint8Array): this {
    this.#tag(field, 2);
    this.#varint(v.length);
    this.#parts.push(...v);
    return this;
  }
  string(field: number, v: string): this {
    return this.bytes(field, new TextEncoder().encode(v));
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.#parts);
  }
}

/** One TensorBoard scalar. */
export interface Scalar {
  tag: string;
  value: number;
}

/**
 * An `Event` proto: wall_time (1, double), step (2, int64), then file_version (3)
 * or a summary (5) of `Summary.Value { tag = 1, simple_value = 2 }`.
 */
export function encodeEvent(
  wallTime: number,
  step: number,
  body: { fileVersion: string } | { scalars: Scalar[] },
): Uint8Array {
  const event = new ProtoWriter().double(1, wallTime).uint(2, step);
  if ("fileVersion" in body) return event.string(3, body.fileVersion).finish();
  const summary = new ProtoWriter();
  for (const s of body.scalars) {
    summary.bytes(1, new ProtoWriter().string(1, s.tag).float(2, s.value).finish());
  }
  return event.bytes(5, summary.finish()).finish();
}

/** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** The scalars of one epoch, as TensorBoard tags. */
export function epochScalars(m: EpochMetrics): Scalar[] {
  return [
    { tag: "loss/train", value: m.trainLoss },
    { tag: "loss/validation", value: m.valLoss },
    { tag: "dice/train", value: m.trainDice },
    { tag: "dice/validation", value: m.valDice },
    { tag: "dice/best_validation", value: m.bestValDice },
    { tag: "speed/slices_per_second", value: m.slicesPerSecond },
  ].filter((s) => Number.isFinite(s.value));
}

/** The whole event file of a run's epochs (step = epoch, wall time = the epoch's end). */
export function tfEventsBytes(metrics: EpochMetrics[]): Uint8Array {
  const start = metrics.length ? Date.parse(metrics[0].time) / 1000 : 0;
  const records = [
    tfRecord(encodeEvent(start, 0, { fileVersion: "brain.Event:2" })),
    ...metrics.map((m) =>
      tfRecord(encodeEvent(Date.parse(m.time) / 1000, m.epoch, { scalars: epochScalars(m) }))
    ),
  ];
  const out = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of records) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

/** The event file's name: named by the first epoch's time, so rewrites keep one file. */
export function tfEventsName(metrics: EpochMetrics[]): string {
  const seconds = metrics.length ? Math.floor(Date.parse(metrics[0].time) / 1000) : 0;
  return `events.out.tfevents.${seconds}.workbench`;
}

/** Write (atomically, whole) the run's event file from its epochs; returns its path. */
export async function writeTfEvents(runDir: string, metrics: EpochMetrics[]): Promise<string> {
  const path = join(runDir, tfEventsName(metrics));
  await writeFileAtomic(path, tfEventsBytes(metrics));
  return path;
}
