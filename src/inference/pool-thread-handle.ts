import { orAfter } from "../or-after.js";
import type { Worker } from "node:worker_threads";
import { createLogger, type Logger } from "../logger.js";
import type { ModelState } from "./pool-service.js";
import type { PoolThreadMessage } from "./pool-thread.js";
import { startModuleWorker } from "./worker-entry.js";

export interface PoolThreadRestart {
  /** Wait before the first restart after a death; doubled for each restart that dies before its models are ready. */
  minMs: number;
  maxMs: number;
}

export const DEFAULT_POOL_THREAD_RESTART: PoolThreadRestart = { minMs: 250, maxMs: 30_000 };

export interface PoolThreadOptions {
  modelsDir: string;
  device: "cpu" | "cuda";
  /** Models to load by name; null → every known model this machine can run. */
  models: readonly string[] | null;
  /** Whisper lanes and threads per lane; null → sized to the cores. */
  asr: { lanes: number | null; threadsPerLane: number | null };
  /** Interim captions on spare Whisper lanes (ASR_INTERIM); default on, as the pool's own default. */
  interim?: boolean;
  /** Loopback port of its gRPC server (0 = any free port; a restarted thread takes the port the first one got). */
  port: number;
  /** INFERENCE_TOKEN its gRPC server requires on every call. */
  token: string;
  logLevel: string;
  /** How long `close()` waits for a clean stop before terminating the thread. */
  closeTimeoutMs: number;
  restart?: Partial<PoolThreadRestart>;
  /** The supervisor's log lines (deaths and restarts); default: a logger at `logLevel`. */
  logger?: Logger;
  /** Each restart of a thread that died after start-up (metrics: `FailoverMetrics.threadRestarted`). */
  onRestart?: () => void;
}

export interface PoolThread {
  /** `127.0.0.1:port`: the same for every restarted thread. */
  address: string;
  /** Resolves once every configured model of the first thread has loaded or failed. */
  ready(): Promise<ModelState[]>;
  /** Threads started again after a death so far. */
  readonly restarts: number;
  /**
   * Ends the running thread abruptly, as a crash would, and resolves once it is gone: it is restarted like a thread
   * that crashed (operators' drills, and the tests of the restart).
   */
  terminate(): Promise<void>;
  close(): Promise<void>;
}

/** One thread started: its worker, and its address once it listens. */
interface Started {
  worker: Worker;
  listening: Promise<string>;
  ready: Promise<ModelState[]>;
  exited: Promise<number>;
}

/** A thread's own answers; a thread that dies first rejects `listening`. */
function spawn(options: PoolThreadOptions, port: number): Started {
  const workerData = {
    modelsDir: options.modelsDir,
    device: options.device,
    models: options.models,
    asr: options.asr,
    interim: options.interim ?? true,
    port,
    logLevel: options.logLevel,
    token: options.token,
  };
  const worker = startModuleWorker(import.meta.url, "./pool-thread", { workerData });
  let resolveListening: (address: string) => void = () => {};
  let rejectListening: (error: Error) => void = () => {};
  const listening = new Promise<string>((resolve, reject) => ((resolveListening = resolve), (rejectListening = reject)));
  let resolveReady: (models: ModelState[]) => void = () => {};
  const ready = new Promise<ModelState[]>((resolve) => (resolveReady = resolve));
  const exited = new Promise<number>((resolve) => worker.once("exit", resolve));
  worker.once("error", (error) => rejectListening(error));
  void exited.then((code) => rejectListening(new Error(`inference thread exited (code ${code}) before it listened`)));
  worker.on("message", (message: PoolThreadMessage) => {
    switch (message.type) {
      case "listening":
        return resolveListening(message.address);
      case "ready":
        return resolveReady(message.models);
      case "failed":
        rejectListening(new Error(`inference thread failed: ${message.message}`));
        void worker.terminate();
        return;
      case "closed":
        void worker.terminate();
        return;
    }
  });
  return { worker, listening, ready, exited };
}

/**
 * Starts the inference pool in a worker thread of this process, serving gRPC on 127.0.0.1, and keeps it running: a
 * thread that dies after start-up (an exception it did not catch, out of memory, terminated) is started again on the
 * same port after a bounded backoff, so the gateway's address stays valid and its links reconnect there (replaying
 * what the dead thread had not transcribed). Each death is logged and counted. A port taken meanwhile by another
 * process fails the restart, which is tried again with the backoff.
 */
export async function startPoolThread(options: PoolThreadOptions): Promise<PoolThread> {
  const restart = { ...DEFAULT_POOL_THREAD_RESTART, ...options.restart };
  const log = (options.logger ?? createLogger(options.logLevel)).child({ component: "pool-thread" });
  const first = spawn(options, options.port);
  const address = await first.listening.catch(async (error: unknown) => {
    await first.worker.terminate();
    throw error;
  });
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  let current: Started = first;
  let closing = false;
  let restarts = 0;
  let attempt = 0;
  let timer: NodeJS.Timeout | null = null;

  const supervise = (started: Started) => {
    void started.ready.then(() => {
      if (current === started) attempt = 0;
    });
    started.worker.on("error", (error) => log.error({ err: error }, "inference thread failed"));
    void started.exited.then((code) => {
      if (closing || current !== started) return;
      const delayMs = Math.min(restart.maxMs, restart.minMs * 2 ** attempt);
      attempt += 1;
      log.error({ exit_code: code, restart_in_ms: delayMs }, "inference thread died; restarting it");
      timer = setTimeout(() => {
        timer = null;
        if (!closing) startAgain();
      }, delayMs);
    });
  };

  const startAgain = () => {
    const next = spawn(options, port);
    current = next;
    restarts += 1;
    options.onRestart?.();
    next.listening.then(
      (at) => log.info({ address: at, restarts }, "inference thread restarted"),
      (error: unknown) => log.error({ err: error }, "inference thread restart failed"),
    );
    supervise(next);
  };

  supervise(first);
  return {
    address,
    ready: () => first.ready,
    get restarts() {
      return restarts;
    },
    terminate: async () => {
      await current.worker.terminate();
    },
    close: async () => {
      closing = true;
      if (timer !== null) clearTimeout(timer);
      const { worker, exited } = current;
      worker.postMessage({ type: "close" });
      await orAfter(exited, options.closeTimeoutMs, undefined);
      await worker.terminate();
    },
  };
}
