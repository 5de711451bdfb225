/**
 * Packs the GPU benchmarks for a machine with a GPU that has neither Deno nor a registry (the
 * H200 of the device tool): `bench/gpu_step.ts` and `bench/gpu_proxy.ts` bundled with their
 * npm packages, `bench/train_step.py` beside them (gpu_step runs PyTorch from its own folder),
 * this Deno, gzipped, and the Vulkan loader's Debian packages in `.gl/`, plus
 * `.carry/gpu/run.sh`, which on that machine runs, in one go: gpu_step with tfjs's stock
 * kernels, the per-kernel GPU profile and PyTorch (both paper models), then the gpu proxy at
 * the paper's input (dispatches and CPU per step where submits do not run the kernels).
 *
 * `deno run -A bench/gpu_pack.ts` then, with the device tool:
 * `run({ command: "bash .carry/gpu/run.sh", carry: [".carry/gpu", ".gl"], timeout_s: 600 })`.
 * The outputs come back as `gpu_step.json` and a log per part (`gpu_step.log`, `gpu_proxy.log`,
 * `gpu_step_mm.log`, `gpu_proxy_submit64.log`).
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, ".carry", "gpu");
const GL = join(ROOT, ".gl");
/** The Vulkan and EGL loaders that the device tool's notes say to bring. */
const GL_PACKAGES = [
  "libvulkan1",
  "libegl1",
  "libglvnd0",
  "libopengl0",
  "libgl1",
  "libglx0",
  "libgles2",
];

async function sh(cmd: string, args: string[], cwd = ROOT): Promise<void> {
  const { code, stderr } = await new Deno.Command(cmd, {
    args,
    cwd,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (code !== 0) {
    throw new Error(
      `gpu_pack: ${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(stderr)}`,
    );
  }
}

// In order of what matters, each under its own limit so that what ran comes back: the table
// (ours, stock, PyTorch, GPU time per kernel), the paper-size count and CPU per dispatch, then
// two tfjs flags (the matrix-product input gradient, fewer submits).
const RUN_SH = `#!/usr/bin/env bash
# Written by bench/gpu_pack.ts: the GPU measurements of issue 10 in one call (at most 9 minutes).
set -uo pipefail
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; fi
export XDG_RUNTIME_DIR="$(mktemp -d)"
gzip -dc .carry/gpu/deno.gz >/tmp/deno && chmod +x /tmp/deno
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
step() { local name=$1 limit=$2; shift 2; echo "== $name"; timeout "$limit" /tmp/deno run -A "$@" 2>&1 | tee "$OUT/$name.log"; }
step gpu_step 300 .carry/gpu/gpu_step.js --stock --profile --python python3 --json "$OUT/gpu_step.json"
step gpu_proxy 90 .carry/gpu/gpu_proxy.js --input 256
step gpu_step_mm 90 .carry/gpu/gpu_step.js --steps 3 --no-torch --flags WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE=false
step gpu_proxy_submit64 60 .carry/gpu/gpu_proxy.js --input 256 --flags WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64
`;

if (import.meta.main) {
  await Deno.mkdir(OUT, { recursive: true });
  for (const name of ["gpu_step", "gpu_proxy"]) {
    console.log(`bundling bench/${name}.ts`);
    await sh(Deno.execPath(), [
      "bundle",
      "--platform",
      "deno",
      "-o",
      join(OUT, `${name}.js`),
      `bench/${name}.ts`,
    ]);
  }
  await Deno.copyFile(join(ROOT, "bench", "train_step.py"), join(OUT, "train_step.py"));
  console.log(`compressing ${Deno.execPath()} (Deno ${Deno.version.deno})`);
  await sh("sh", ["-c", `gzip -9 -c "${Deno.execPath()}" > "${join(OUT, "deno.gz.tmp")}"`]);
  await Deno.rename(join(OUT, "deno.gz.tmp"), join(OUT, "deno.gz"));
  await Deno.mkdir(GL, { recursive: true });
  const debs = [...Deno.readDirSync(GL)].filter((e) => e.name.endsWith(".deb"));
  if (debs.length < GL_PACKAGES.length) {
    console.log(`downloading ${GL_PACKAGES.join(", ")} (amd64) into .gl/`);
    const o = [
      "-oAPT::Architecture=amd64",
      "-oAPT::Architectures=amd64",
      "-oDir::State::Lists=/tmp/amd64",
    ];
    await Deno.mkdir("/tmp/amd64/partial", { recursive: true });
    await sh("apt-get", [...o, "-qq", "update"]);
    await sh("apt-get", [...o, "-qq", "download", ...GL_PACKAGES], GL);
  }
  await Deno.writeTextFile(join(OUT, "run.sh"), RUN_SH);
  let bytes = 0;
  for (const dir of [OUT, GL]) {
    for (const e of Deno.readDirSync(dir)) bytes += Deno.statSync(join(dir, e.name)).size;
  }
  console.log(
    `packed ${(bytes / 2 ** 20).toFixed(1)} MiB in .carry/gpu and .gl (limit 64 MiB with the tree)`,
  );
  console.log(
    `device run: command "bash .carry/gpu/run.sh", carry [".carry/gpu", ".gl"], timeout_s 600`,
  );
}
