/**
 * HTML reports of executed notebooks with nbconvert (Debian's `jupyter-nbconvert`,
 * run with `/usr/bin/python3`, whose site-packages hold it), and signing them
 * (`jupyter trust`) so that Jupyter on this machine shows their HTML outputs (the
 * inline SVG charts) instead of stripping them as it does for unsigned notebooks.
 *
 * @example
 * ```ts
 * await exportHtml("results/notebooks/01_preprocessing.ipynb", "results/reports/01_preprocessing.html");
 * await trustNotebook("results/notebooks/01_preprocessing.ipynb");
 * ```
 * @module
 */
import { basename, join } from "node:path";
import { writeTextAtomic } from "../util/atomic.ts";

/** The Python that has nbconvert (the `python3` on PATH may be another one). */
export const NBCONVERT_PYTHON = "/usr/bin/python3";

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const out = await new Deno.Command(NBCONVERT_PYTHON, { args, stdout: "null", stderr: "piped" })
      .output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } catch (err) {
    return { code: -1, stderr: (err as Error).message };
  }
}

/** Whether nbconvert can be run (cached after the first check). */
let available: Promise<boolean> | undefined;
export function nbconvertAvailable(): Promise<boolean> {
  return (available ??= run(["-c", "import nbconvert"]).then((r) => r.code === 0));
}

/**
 * Convert an executed notebook to a standalone HTML page, written atomically to
 * `htmlPath`. Throws a clear message when nbconvert is missing.
 */
export async function exportHtml(ipynbPath: string, htmlPath: string): Promise<void> {
  if (!(await nbconvertAvailable())) {
    throw new Error(
      `cannot export ${ipynbPath} to HTML: nbconvert is not installed for ${NBCONVERT_PYTHON}; ` +
        "install it with `apt-get install jupyter-nbconvert`",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "nbconvert-" });
  try {
    const { code, stderr } = await run([
      "-m",
      "nbconvert",
      "--to",
      "html",
      "--output-dir",
      dir,
      "--output",
      "report",
      ipynbPath,
    ]);
    if (code !== 0) throw new Error(`nbconvert failed on ${ipynbPath} (exit ${code}):\n${stderr}`);
    await writeTextAtomic(htmlPath, await Deno.readTextFile(join(dir, "report.html")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Sign an executed notebook for this user's Jupyter (nbformat's signature store),
 * as `jupyter trust` does; returns false when nbformat is not installed. The
 * signature covers the content, so sign after the last write.
 */
export async function trustNotebook(ipynbPath: string): Promise<boolean> {
  if (!(await nbconvertAvailable())) return false;
  const { code, stderr } = await run([
    "-c",
    "from nbformat.sign import TrustNotebookApp; TrustNotebookApp.launch_instance()",
    ipynbPath,
  ]);
  if (code !== 0) {
    throw new Error(`jupyter trust failed on ${ipynbPath} (exit ${code}):\n${stderr}`);
  }
  return true;
}

/** The report path of a notebook: `<reportsDir>/<name>.html`. */
export function reportPath(ipynbPath: string, reportsDir = "results/reports"): string {
  return join(reportsDir, basename(ipynbPath).replace(/\.ipynb$/, "") + ".html");
}
