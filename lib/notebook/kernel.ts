/**
 * A Deno Jupyter kernel process and a ZeroMQ client for it: the runner starts
 * `deno jupyter --kernel --conn <file>` itself, so no kernel spec needs to be
 * installed. (For Jupyter Lab, install the spec once with `deno jupyter --install`.)
 *
 * Shell and control use DEALER sockets, iopub a SUB socket (our own ZMTP client,
 * see zmtp.ts); every message is signed with HMAC-SHA256 using the key of the
 * connection file.
 *
 * @example
 * ```ts
 * const kernel = await startKernel({ cwd: "notebooks" });
 * kernel.onIopub((msg) => console.log(msg.header.msg_type));
 * const { reply } = kernel.send("shell", "execute_request", { code: "1 + 1" });
 * await reply;
 * await kernel.shutdown();
 * ```
 * @module
 */
import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { deserialize, type Message, newMessage, serialize } from "./protocol.ts";
import { connectZmtp, type ZmtpSocket } from "./zmtp.ts";

/** The JSON connection file a kernel is started with. */
export interface ConnectionInfo {
  ip: string;
  transport: "tcp";
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: "hmac-sha256";
  kernel_name: string;
}

/** Options of {@link startKernel}. */
export interface KernelOptions {
  /** Working directory of the kernel: relative imports in cells resolve from here. */
  cwd: string;
  /** The deno executable (default: the one running this code). */
  deno?: string;
  /** Extra environment variables of the kernel's process. */
  env?: Record<string, string>;
  /** How long the kernel may take to answer its first kernel_info_request (default 60 s). */
  startTimeoutMs?: number;
}

/** A running kernel. */
export interface Kernel {
  connection: ConnectionInfo;
  /** Send a request; `reply` resolves with the kernel's reply on the same channel. */
  send(
    channel: "shell" | "control",
    msgType: string,
    content: Record<string, unknown>,
  ): { msgId: string; reply: Promise<Message> };
  /** Receive every iopub message (handlers route by `parent_header.msg_id`). */
  onIopub(handler: (msg: Message) => void): void;
  /** Milliseconds since the epoch of the last iopub message. */
  lastIopubAt(): number;
  /** Resolves with the exit code when the kernel process ends. */
  exited: Promise<number>;
  /** The last few kB of the kernel's stderr and stdout (for error messages). */
  log(): string;
  /** shutdown_request, then kill the process if it lingers; closes the sockets. */
  shutdown(): Promise<void>;
}

/**
 * A runner killed outright (`kill -9`) cannot shut its kernel down, which would run on
 * forever: a small watchdog process ends the kernel (and removes its connection folder) once
 * this process is gone, and ends itself with the kernel. Without `sh` (Windows) there is no
 * watchdog.
 */
function watchKernel(kernelPid: number, connDir: string): void {
  const script = 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
    'kill -9 "$2" 2>/dev/null; rm -rf "$3"';
  try {
    new Deno.Command("sh", {
      args: ["-c", script, "kernel-watchdog", String(Deno.pid), String(kernelPid), connDir],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn().unref();
  } catch {
    // no sh here: a killed runner leaves its kernel, as before
  }
}

async function freePorts(n: number): Promise<number[]> {
  // Hold all listeners open together so the n ports differ.
  const listeners = Array.from(
    { length: n },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  listeners.forEach((l) => l.close());
  await Promise.resolve();
  return ports;
}

/** Resolve `promise`, or reject with `message` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const LOG_LIMIT = 8192;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start a Deno kernel in `options.cwd` and wait until it answers. */
export async function startKernel(options: KernelOptions): Promise<Kernel> {
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freePorts(5);
  const connection: ConnectionInfo = {
    ip: "127.0.0.1",
    transport: "tcp",
    shell_port,
    iopub_port,
    stdin_port,
    control_port,
    hb_port,
    key: randomBytes(16).toString("hex"),
    signature_scheme: "hmac-sha256",
    kernel_name: "deno",
  };
  const dir = await Deno.makeTempDir({ prefix: "kernel-" });
  const connFile = join(dir, "connection.json");
  await Deno.writeTextFile(connFile, JSON.stringify(connection));

  const child = new Deno.Command(options.deno ?? Deno.execPath(), {
    args: ["jupyter", "--kernel", "--conn", connFile],
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let logText = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      logText = (logText + decoder.decode(chunk, { stream: true })).slice(-LOG_LIMIT);
    }
  };
  const pumps = Promise.all([collect(child.stdout), collect(child.stderr)]).catch(() => {});
  const exited = child.status.then((s) => s.code);
  watchKernel(child.pid, dir);

  const session = randomUUID();
  // The kernel binds its ports a moment after it starts: retry until it listens.
  const connectWhenUp = async (port: number, type: "DEALER" | "SUB"): Promise<ZmtpSocket> => {
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    while (true) {
      try {
        return await connectZmtp(connection.ip, port, type);
      } catch (err) {
        const exitedEarly = await Promise.race([
          exited.then(() => true),
          sleep(100).then(() => false),
        ]);
        if (exitedEarly || Date.now() > deadline) {
          try {
            child.kill("SIGKILL");
          } catch { /* already gone */ }
          await exited;
          await pumps;
          await Deno.remove(dir, { recursive: true }).catch(() => {});
          throw new Error(
            `Deno kernel did not accept connections on port ${port} (${
              (err as Error).message
            }):\n${logText}`,
          );
        }
      }
    }
  };
  const settled = await Promise.allSettled([
    connectWhenUp(shell_port, "DEALER"),
    connectWhenUp(control_port, "DEALER"),
    connectWhenUp(iopub_port, "SUB"),
  ]);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) {
    for (const s of settled) if (s.status === "fulfilled") s.value.close();
    throw failed.reason;
  }
  const [shell, control, iopub] = settled.map((s) =>
    (s as PromiseFulfilledResult<ZmtpSocket>).value
  );
  const sockets = { shell, control };

  const pending = new Map<string, (msg: Message) => void>();
  const handlers: ((msg: Message) => void)[] = [];
  let lastIopub = 0;
  let closed = false;

  const readLoop = async (socket: ZmtpSocket, onMessage: (m: Message) => void) => {
    for await (const frames of socket) {
      let msg: Message;
      try {
        msg = deserialize(frames, connection.key);
      } catch (err) {
        console.error(`kernel: dropped a message: ${(err as Error).message}`);
        continue;
      }
      onMessage(msg);
    }
  };
  const onReply = (msg: Message) => {
    const id = msg.parent_header.msg_id;
    if (id && pending.has(id)) {
      pending.get(id)!(msg);
      pending.delete(id);
    }
  };
  const loops = [
    readLoop(sockets.shell, onReply),
    readLoop(sockets.control, onReply),
    readLoop(iopub, (msg) => {
      lastIopub = Date.now();
      for (const h of handlers) h(msg);
    }),
  ];

  const send: Kernel["send"] = (channel, msgType, content) => {
    const msg = newMessage(msgType, content, session);
    const reply = new Promise<Message>((resolve) => pending.set(msg.header.msg_id, resolve));
    sockets[channel].send(serialize(msg, connection.key)).catch((err: Error) => {
      console.error(`kernel: could not send ${msgType}: ${err.message}`);
    });
    return { msgId: msg.header.msg_id, reply };
  };

  const close = async () => {
    closed = true;
    shell.close();
    control.close();
    iopub.close();
    await Promise.all(loops);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  const kernel: Kernel = {
    connection,
    send,
    onIopub: (h) => void handlers.push(h),
    lastIopubAt: () => lastIopub,
    exited,
    log: () => logText,
    async shutdown() {
      if (closed) return;
      const running = await Promise.race([exited.then(() => false), sleep(0).then(() => true)]);
      const stopped = !running || await withTimeout(
        Promise.race([send("control", "shutdown_request", { restart: false }).reply, exited]),
        3000,
        "no reply",
      )
        .then(() => withTimeout(exited, 2000, "still running"))
        .then(() => true, () => false);
      if (!stopped) {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
        await exited;
      }
      await pumps;
      await close();
    },
  };

  // Ready when kernel_info is answered and iopub delivers (SUB sockets join late,
  // so ask again until a status message for one of our requests arrives).
  const start = Date.now();
  const timeout = options.startTimeoutMs ?? 60_000;
  const ids = new Set<string>();
  let iopubReady = false;
  kernel.onIopub((msg) => {
    if (ids.has(msg.parent_header.msg_id ?? "")) iopubReady = true;
  });
  let replied = false;
  while (!(replied && iopubReady)) {
    if (Date.now() - start > timeout) {
      await kernel.shutdown();
      throw new Error(`Deno kernel did not answer within ${timeout} ms:\n${logText}`);
    }
    const { msgId, reply } = send("shell", "kernel_info_request", {});
    ids.add(msgId);
    const outcome = await Promise.race([
      reply.then(() => "reply" as const),
      exited.then(() => "exit" as const),
      new Promise<"wait">((r) => setTimeout(() => r("wait"), 500)),
    ]);
    if (outcome === "exit") {
      await close();
      throw new Error(`Deno kernel exited during start-up (code ${await exited}):\n${logText}`);
    }
    if (outcome === "reply") replied = true;
    if (replied && !iopubReady) await new Promise((r) => setTimeout(r, 100));
  }
  return kernel;
}
