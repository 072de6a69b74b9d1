import { Worker } from "node:worker_threads";
import { generateInferenceToken } from "../../src/inference/grpc/pool-auth.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import type { PoolWorkerMessage } from "./pool-worker.js";

export interface PoolWorkerSettings {
  modelsDir: string;
  logLevel: string;
  minSpeechMs: number;
  maxStreams: number;
}

export interface PoolWorker {
  client: PoolClient;
  close(): Promise<void>;
}

/** How long `close()` waits for the worker to stop cleanly before terminating it. */
const CLOSE_TIMEOUT_MS = 10_000;
/** How long the worker may take to load the models and listen. */
const START_TIMEOUT_MS = 120_000;

/**
 * Starts `pool-worker.ts` in a worker thread of this process and connects a client to it. The bench runs under
 * tsx, whose loader a worker does not inherit: a small bootstrap registers it first (as src/inference does).
 */
export function startPoolWorker(settings: PoolWorkerSettings): Promise<PoolWorker> {
  const source = new URL("./pool-worker.ts", import.meta.url).href;
  const bootstrap = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`;
  // A fresh token per run, handed to the worker's server and used by this side's client.
  const token = generateInferenceToken();
  const worker = new Worker(bootstrap, { eval: true, workerData: { ...settings, token } });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));

  return new Promise<PoolWorker>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the pool worker did not start within ${START_TIMEOUT_MS} ms`));
      void worker.terminate();
    }, START_TIMEOUT_MS);
    worker.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    worker.on("message", (message: PoolWorkerMessage) => {
      if (message.type === "failed") {
        clearTimeout(timer);
        reject(new Error(`pool worker failed: ${message.message}`));
        void worker.terminate();
      } else if (message.type === "listening") {
        clearTimeout(timer);
        const client = new PoolClient(message.address, { token });
        resolve({
          client,
          async close() {
            client.close();
            worker.postMessage({ type: "close" });
            let closeTimer: NodeJS.Timeout | undefined;
            const timeout = new Promise<void>((done) => (closeTimer = setTimeout(done, CLOSE_TIMEOUT_MS)));
            await Promise.race([exited, timeout, waitForClosed(worker)]);
            clearTimeout(closeTimer);
            await worker.terminate();
          },
        });
      }
    });
  });
}

function waitForClosed(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    worker.on("message", (message: PoolWorkerMessage) => {
      if (message.type === "closed") resolve();
    });
  });
}
