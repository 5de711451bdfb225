/**
 * Named points in multi-step writes where the kill-safety tests end the process with
 * SIGKILL, as a `kill -9` or a power cut would at that moment: `LITS_KILL_AT=NAME:N` kills
 * the process the N-th time (default 1) it reaches `NAME`. Unset (always, outside tests),
 * a kill point does nothing.
 *
 * @example
 * ```ts
 * await Deno.rename(dir, `${dir}.old`);
 * killPoint("checkpoint last: old renamed");
 * ```
 * @module
 */

let target: { name: string; count: number } | null | undefined;
const seen = new Map<string, number>();

function parseTarget(): { name: string; count: number } | null {
  let spec: string | undefined;
  try {
    spec = Deno.env.get("LITS_KILL_AT");
  } catch {
    return null; // no env permission: not under the kill test
  }
  if (!spec) return null;
  const m = /^(.*?)(?::(\d+))?$/.exec(spec)!;
  return { name: m[1], count: m[2] ? Number(m[2]) : 1 };
}

/** Kill this process here if `LITS_KILL_AT` names this point (and this is its N-th pass). */
export function killPoint(name: string): void {
  target ??= parseTarget();
  if (!target || target.name !== name) return;
  const n = (seen.get(name) ?? 0) + 1;
  seen.set(name, n);
  if (n === target.count) Deno.kill(Deno.pid, "SIGKILL");
}
