/**
 * A stable digest of a value: SHA-256 of its canonical JSON (object keys sorted, undefined
 * members left out), so that equal settings give equal keys whatever order they were built in.
 *
 * @example
 * ```ts
 * await digestOf({ b: 1, a: [2] }) === await digestOf({ a: [2], b: 1 }); // true
 * ```
 * @module
 */

/** SHA-256 hex digest of a value's canonical JSON (object keys sorted). */
export async function digestOf(value: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(value));
  const hash = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
