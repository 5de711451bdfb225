import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { exists } from "../util/fs.ts";

const KERNEL = new URL("./kernel.ts", import.meta.url).href;

/** Pids of the processes whose parent is `pid` and whose command line holds `word`. */
function childrenOf(pid: number, word: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const status = Deno.readTextFileSync(`/proc/${e.name}/status`);
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (status.includes(`\nPPid:\t${pid}\n`) && cmd.includes(word)) out.push(Number(e.name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    // A killed kernel may linger as a zombie until init reaps it: count only live states.
    return !/\nState:\s+Z/.test(Deno.readTextFileSync(`/proc/${pid}/status`));
  } catch {
    return false;
  }
};

Deno.test({
  name: "a runner killed with SIGKILL leaves neither its Jupyter kernel nor its connection folder",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const script = join(dir, "runner.ts");
      await Deno.writeTextFile(
        script,
        `import { startKernel } from "${KERNEL}";
await startKernel({ cwd: ${JSON.stringify(dir)} });
console.log("ready");
await new Promise(() => {});
`,
      );
      const runner = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", script],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const reader = runner.stdout.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      assert.match(first, /ready/);
      const [kernel] = childrenOf(runner.pid, "jupyter");
      assert.ok(kernel, "the kernel runs as the runner's child");
      const conn = Deno.readTextFileSync(`/proc/${kernel}/cmdline`).split("\0")
        .find((arg) => arg.endsWith("connection.json"))!;
      runner.kill("SIGKILL");
      await runner.status;
      reader.releaseLock();
      await runner.stdout.cancel().catch(() => {});
      // The watchdog polls every second; far more than that is a kernel left behind.
      for (let i = 0; i < 300 && alive(kernel); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(!alive(kernel), `kernel ${kernel} still runs after its runner was killed`);
      const connDir = dirname(conn);
      for (let i = 0; i < 50 && (await exists(connDir)); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(!(await exists(connDir)), `${connDir} left behind`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
