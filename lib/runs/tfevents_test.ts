import assert from "node:assert/strict";
import { join } from "node:path";
import type { EpochMetrics } from "./folder.ts";
import {
  crc32c,
  encodeEvent,
  maskedCrc32c,
  tfEventsBytes,
  tfRecord,
  writeTfEvents,
} from "./tfevents.ts";

/** Read a TFRecord stream back, checking both CRCs of every record. */
function readRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let p = 0; p < bytes.length;) {
    const len = Number(view.getBigUint64(p, true));
    assert.equal(view.getUint32(p + 8, true), maskedCrc32c(bytes.subarray(p, p + 8)), "length CRC");
    const data = bytes.subarray(p + 12, p + 12 + len);
    assert.equal(view.getUint32(p + 12 + len, true), maskedCrc32c(data), "data CRC");
    out.push(data);
    p += 16 + len;
  }
  return out;
}

type Field = { field: number; wire: number; value: number | bigint | Uint8Array };

/** Decode one protobuf message into its fields (varint, fixed64, bytes, fixed32). */
function fields(msg: Uint8Array): Field[] {
  const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const out: Field[] = [];
  let p = 0;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = msg[p++];
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) return v;
    }
  };
  while (p < msg.length) {
    const key = Number(varint());
    const [field, wire] = [key >> 3, key & 7];
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 1) out.push({ field, wire, value: view.getFloat64((p += 8) - 8, true) });
    else if (wire === 5) out.push({ field, wire, value: view.getFloat32((p += 4) - 4, true) });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ field, wire, value: msg.subarray(p, p += len) });
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}
const text = (v: Field["value"]) => new TextDecoder().decode(v as Uint8Array);

function epoch(n: number, valDice: number): EpochMetrics {
  return {
    epoch: n,
    step: 40 * n,
    trainLoss: 1 / n,
    trainDice: 0.5,
    valLoss: 2 / n,
    valDice,
    isBest: true,
    bestValDice: valDice,
    trainSeconds: 1,
    valSeconds: 1,
    slicesPerSecond: 3,
    time: `2026-11-26T00:0${n}:00.000Z`,
    backend: "cpu",
  };
}

Deno.test("crc32c matches the standard check value; the mask is TFRecord's", () => {
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // RFC 3720 B.4: 32 zero bytes
  const c = crc32c(new Uint8Array([1, 2, 3]));
  assert.equal(
    maskedCrc32c(new Uint8Array([1, 2, 3])),
    (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0,
  );
});

Deno.test("encodeEvent writes the Event and Summary fields TensorBoard reads", () => {
  const version = fields(encodeEvent(1.5, 0, { fileVersion: "brain.Event:2" }));
  assert.deepEqual(version.map((f) => [f.field, f.wire]), [[1, 1], [2, 0], [3, 2]]);
  assert.equal(version[0].value, 1.5);
  assert.equal(text(version[2].value), "brain.Event:2");
  // A step past 2^31 still encodes as a varint.
  const big = fields(encodeEvent(0, 2 ** 40 + 3, { scalars: [] }));
  assert.equal(big[1].value, 2n ** 40n + 3n);
  // A 1-byte record round-trips through tfRecord.
  assert.deepEqual(readRecords(tfRecord(new Uint8Array([7]))), [new Uint8Array([7])]);
});

Deno.test("writeTfEvents: one event file per run, read back record by record", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const metrics = [epoch(1, 0.25), epoch(2, 0.5)];
    await writeTfEvents(dir, metrics.slice(0, 1));
    const path = await writeTfEvents(dir, metrics); // rewritten after the next epoch
    assert.equal(
      path,
      join(dir, `events.out.tfevents.${Date.parse(metrics[0].time) / 1000}.workbench`),
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [path.split("/").at(-1)]);
    const bytes = await Deno.readFile(path);
    assert.deepEqual(bytes, tfEventsBytes(metrics));
    const events = readRecords(bytes).map(fields);
    assert.equal(events.length, 3);
    assert.equal(text(events[0].find((f) => f.field === 3)!.value), "brain.Event:2");
    const second = events[2];
    assert.equal(second.find((f) => f.field === 1)!.value, Date.parse(metrics[1].time) / 1000);
    assert.equal(second.find((f) => f.field === 2)!.value, 2n); // step = epoch
    const values = fields(second.find((f) => f.field === 5)!.value as Uint8Array)
      .map((v) => fields(v.value as Uint8Array))
      .map(([tag, simple]) => [text(tag.value), simple.value]);
    assert.deepEqual(values, [
      ["loss/train", 0.5],
      ["loss/validation", 1],
      ["dice/train", 0.5],
      ["dice/validation", 0.5],
      ["dice/best_validation", 0.5],
      ["speed/slices_per_second", 3],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** protobuf's own decoder, given the Event and Summary fields of TensorFlow's .proto files. */
const PY_READER = `
import struct, sys, json
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
f = descriptor_pb2.FileDescriptorProto(name="e.proto", package="tensorflow", syntax="proto3")
v = f.message_type.add(name="Value")
v.field.add(name="tag", number=1, type=9, label=1)
v.field.add(name="simple_value", number=2, type=2, label=1)
s = f.message_type.add(name="Summary")
s.field.add(name="value", number=1, type=11, label=3, type_name=".tensorflow.Value")
e = f.message_type.add(name="Event")
e.field.add(name="wall_time", number=1, type=1, label=1)
e.field.add(name="step", number=2, type=3, label=1)
e.field.add(name="file_version", number=3, type=9, label=1, oneof_index=0)
e.field.add(name="summary", number=5, type=11, label=1, type_name=".tensorflow.Summary", oneof_index=0)
e.oneof_decl.add(name="what")
pool = descriptor_pool.DescriptorPool()
pool.Add(f)
Event = message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName("tensorflow.Event"))
data, p, out = open(sys.argv[1], "rb").read(), 0, []
while p < len(data):
    (n,) = struct.unpack("<Q", data[p:p + 8])
    ev = Event()
    ev.ParseFromString(data[p + 12:p + 12 + n])
    out.append([ev.step, ev.wall_time, ev.file_version, {x.tag: x.simple_value for x in ev.summary.value}])
    p += 16 + n
print(json.dumps(out))
`;

Deno.test("Python's protobuf decoder reads the event file (when Debian's python3-protobuf is there)", async () => {
  const python = "/usr/bin/python3";
  const has = await new Deno.Command(python, { args: ["-c", "import google.protobuf"] }).output()
    .then((o) => o.success, () => false);
  if (!has) return console.warn("skipped: python3-protobuf is not installed");
  const dir = await Deno.makeTempDir();
  try {
    const metrics = [epoch(1, 0.25), epoch(2, 0.5)];
    const path = await writeTfEvents(dir, metrics);
    const out = await new Deno.Command(python, { args: ["-c", PY_READER, path] }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const events = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(events.length, 3);
    assert.equal(events[0][2], "brain.Event:2");
    assert.deepEqual(events.slice(1).map((e: unknown[]) => e[0]), [1, 2]);
    assert.equal(events[2][1], Date.parse(metrics[1].time) / 1000);
    assert.equal(events[2][3]["dice/validation"], 0.5);
    assert.equal(events[1][3]["loss/validation"], 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
