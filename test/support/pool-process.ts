import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

export interface PoolProcess {
  child: ChildProcess;
  /** `host:port` it listens on. */
  address: string;
  /** Every stdout line and stderr chunk so far. */
  output: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

const listening = z.object({ msg: z.literal("inference pool listening"), address: z.string() });

/** A TCP port free right now on 127.0.0.1 (bound on 0, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port was assigned");
  return address.port;
}

/** Starts `src/inference-main.ts` in its own process, as `npm run inference` would, and waits until it listens. */
export async function spawnPool(env: Record<string, string>, timeoutMs = 30_000): Promise<PoolProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/inference-main.ts"], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      INFERENCE_HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      MODELS_DIR: join(tmpdir(), "engine-test-models"),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`inference pool did not start:\n${output.join("\n")}`)), timeoutMs);
    let buffered = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        output.push(line);
        if (!line.startsWith("{")) continue;
        const parsed = listening.safeParse(JSON.parse(line));
        if (parsed.success) {
          clearTimeout(timer);
          resolve(parsed.data.address);
        }
      }
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => output.push(chunk));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`inference pool exited (${code}) before listening:\n${output.join("\n")}`));
    });
  });
  return { child, address, output, exited };
}

/** Ends the process with `signal` (if still running) and waits for it to exit. */
export async function stopPool(pool: PoolProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  if (pool.child.exitCode === null && pool.child.signalCode === null) pool.child.kill(signal);
  return pool.exited;
}
