import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { spawnUntilLogged } from "./spawn-until-logged.js";

export interface PoolProcess {
  child: ChildProcess;
  /** `host:port` it listens on. */
  address: string;
  /** Every stdout line and stderr chunk so far. */
  output: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** INFERENCE_TOKEN of every pool the tests start (and of engines pointed at them). */
export const TEST_INFERENCE_TOKEN = "test-inference-token-0123456789-abcdefghij";

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

/**
 * Starts `src/inference-main.ts` in its own process, as `npm run inference` would, and waits until it listens. One
 * Whisper lane, as the in-process test engine has (startTestEngine).
 */
export async function spawnPool(env: Record<string, string>, timeoutMs = 30_000): Promise<PoolProcess> {
  const { child, value: address, output, exited } = await spawnUntilLogged(
    "src/inference-main.ts",
    { ...process.env, INFERENCE_HOST: "127.0.0.1", LOG_LEVEL: "info", MODELS_DIR: join(tmpdir(), "engine-test-models"), ASR_LANES: "1", ASR_INTERIM: "false", INFERENCE_TOKEN: TEST_INFERENCE_TOKEN, ...env },
    listening.transform((line) => line.address),
    "inference pool",
    timeoutMs,
  );
  return { child, address, output, exited };
}

/** Ends the process with `signal` (if still running) and waits for it to exit. */
export async function stopPool(pool: PoolProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  if (pool.child.exitCode === null && pool.child.signalCode === null) pool.child.kill(signal);
  return pool.exited;
}
