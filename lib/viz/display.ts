/**
 * Deno's Jupyter display protocol: an object with a `Symbol.for("Jupyter.display")`
 * method returning a MIME bundle is rendered by the Deno kernel, whether it is the
 * last expression of a cell or passed to `Deno.jupyter.display(obj)`.
 *
 * Charts go out as `text/html` holding the `<svg>` (nbconvert's HTML sanitiser
 * blanks bare `image/svg+xml`), images as `image/png` (base64).
 *
 * @example
 * ```ts
 * const note = { [JUPYTER_DISPLAY]: () => ({ "text/plain": "hello" }) };
 * ```
 * @module
 */
import { Buffer } from "node:buffer";

/** The symbol the Deno kernel looks for on displayed values. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/** MIME type -> data (text, or base64 for binary types). */
export type MimeBundle = Record<string, string>;

/** A value the Deno Jupyter kernel can render. */
export interface Displayable {
  [JUPYTER_DISPLAY](): MimeBundle;
}

/** Base64 of bytes, as MIME bundles carry binary data. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** The lower-cased extension of a path, without the dot ("" when none). */
export function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : "";
}
