import type { ModelState } from "./pool-service.js";
import type { PoolThreadMessage } from "./pool-thread.js";
import { startModuleWorker } from "./worker-entry.js";

export interface PoolThreadOptions {
  modelsDir: string;
  device: "cpu" | "cuda";
  /** Models to load by name; null → every known model this machine can run. */
  models: readonly string[] | null;
  /** Whisper lanes and threads per lane; null → sized to the cores. */
  asr: { lanes: number | null; threadsPerLane: number | null };
  /** Loopback port of its gRPC server (0 = any free port). */
  port: number;
  /** INFERENCE_TOKEN its gRPC server requires on every call. */
  token: string;
  logLevel: string;
  /** How long `close()` waits for a clean stop before terminating the thread. */
  closeTimeoutMs: number;
}

export interface PoolThread {
  address: string;
  /** Resolves once every configured model has loaded or failed. */
  ready(): Promise<ModelState[]>;
  close(): Promise<void>;
}

/** Starts the inference pool in a worker thread of this process, serving gRPC on 127.0.0.1. */
export function startPoolThread(options: PoolThreadOptions): Promise<PoolThread> {
  const workerData = {
    modelsDir: options.modelsDir,
    device: options.device,
    models: options.models,
    asr: options.asr,
    port: options.port,
    logLevel: options.logLevel,
    token: options.token,
  };
  const worker = startModuleWorker(import.meta.url, "./pool-thread", { workerData });
  let resolveReady: (models: ModelState[]) => void = () => {};
  const ready = new Promise<ModelState[]>((resolve) => (resolveReady = resolve));
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  worker.once("exit", () => resolveClosed());

  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.on("message", (message: PoolThreadMessage) => {
      switch (message.type) {
        case "listening":
          resolve({
            address: message.address,
            ready: () => ready,
            close: async () => {
              worker.postMessage({ type: "close" });
              let timer: NodeJS.Timeout | undefined;
              const timeout = new Promise<void>((done) => (timer = setTimeout(done, options.closeTimeoutMs)));
              await Promise.race([closed, timeout]);
              clearTimeout(timer);
              await worker.terminate();
            },
          });
          return;
        case "ready":
          resolveReady(message.models);
          return;
        case "failed":
          reject(new Error(`inference thread failed: ${message.message}`));
          void worker.terminate();
          return;
        case "closed":
          void worker.terminate();
          return;
      }
    });
  });
}
