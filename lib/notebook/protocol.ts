/**
 * The Jupyter messaging protocol (v5.3) wire format: HMAC-SHA256-signed
 * multipart messages, as exchanged with a kernel over ZeroMQ.
 *
 * @example
 * ```ts
 * const msg = newMessage("execute_request", { code: "1 + 1" }, "session-1");
 * const frames = serialize(msg, key);
 * ```
 * @module
 */
import { createHmac, randomUUID } from "node:crypto";

/** Protocol version we speak. */
export const PROTOCOL_VERSION = "5.3";

const DELIMITER = "<IDS|MSG>";

/** A message header. */
export interface Header {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

/** A decoded message (content types vary per msg_type). */
export interface Message {
  header: Header;
  parent_header: Partial<Header>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers?: Uint8Array[];
}

/** A new message with a fresh msg_id. */
export function newMessage(
  msgType: string,
  content: Record<string, unknown>,
  session: string,
): Message {
  return {
    header: {
      msg_id: randomUUID(),
      msg_type: msgType,
      session,
      username: "workbench",
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    },
    parent_header: {},
    metadata: {},
    content,
  };
}

/** Hex HMAC-SHA256 of the four JSON frames ("" when the key is empty: signing disabled). */
export function sign(key: string, frames: string[]): string {
  if (key === "") return "";
  const hmac = createHmac("sha256", key);
  for (const f of frames) hmac.update(f);
  return hmac.digest("hex");
}

/** Frames to send from a DEALER socket: delimiter, signature, header, parent, metadata, content. */
export function serialize(msg: Message, key: string): string[] {
  const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((p) =>
    JSON.stringify(p)
  );
  return [DELIMITER, sign(key, parts), ...parts];
}

/**
 * Decode received frames (routing identities first, as a SUB socket sees the topic),
 * checking the signature. Throws on a missing delimiter or a bad signature.
 */
export function deserialize(frames: Uint8Array[], key: string): Message {
  const decoder = new TextDecoder();
  const idx = frames.findIndex((f) => decoder.decode(f) === DELIMITER);
  if (idx < 0 || frames.length < idx + 6) {
    throw new Error(`malformed Jupyter message: ${frames.length} frames, no "${DELIMITER}"`);
  }
  const [sig, ...parts] = frames.slice(idx + 1, idx + 6).map((f) => decoder.decode(f));
  const expected = sign(key, parts);
  if (sig !== expected) throw new Error("Jupyter message signature does not match the key");
  const [header, parent_header, metadata, content] = parts.map((p) => JSON.parse(p));
  return { header, parent_header, metadata, content, buffers: frames.slice(idx + 6) };
}
