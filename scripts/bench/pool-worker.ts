import { parentPort, workerData } from "node:worker_threads";
import { z } from "zod";
import { startPoolServer } from "../../src/inference/grpc/pool-server.js";
import { InferencePool } from "../../src/inference/pool.js";
import { createLogger } from "../../src/logger.js";

/**
 * Worker-thread entry for the bench's VAD-only pool: the pool and its gRPC server on their own thread, as the engine
 * runs them (src/inference/pool-thread.ts), with the bench's segmenter settings so that no utterance reaches ASR.
 * Posts `listening` (with the address) once both models are loaded, `failed` otherwise; `close` stops it.
 */
const settings = z
  .object({
    modelsDir: z.string(),
    logLevel: z.string(),
    minSpeechMs: z.number(),
    maxStreams: z.number().int().positive(),
    token: z.string().min(32),
  })
  .parse(workerData);

export type PoolWorkerMessage =
  | { type: "listening"; address: string }
  | { type: "failed"; message: string }
  | { type: "closed" };

async function run(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("pool-worker runs as a worker thread");
  const post = (message: PoolWorkerMessage) => port.postMessage(message);
  const logger = createLogger(settings.logLevel).child({ thread: "bench-pool" });
  const pool = new InferencePool({
    modelsDir: settings.modelsDir,
    logger,
    segmenter: { paddingMs: 300, minSpeechMs: settings.minSpeechMs },
    // Every stream of a pass goes over one call: the per-call bounds are lifted to the pool-wide one.
    vad: { maxStreams: settings.maxStreams, maxStreamsPerGroup: settings.maxStreams },
    maxStreamsPerCall: settings.maxStreams,
  });
  const models = await pool.ready();
  const failed = models.filter((model) => !model.loaded);
  if (failed.length > 0) {
    await pool.close();
    post({ type: "failed", message: `models not loaded: ${failed.map((m) => m.name).join(", ")}` });
    return;
  }
  const server = await startPoolServer(pool, logger, { host: "127.0.0.1", port: 0, token: settings.token });
  port.on("message", (message: unknown) => {
    if (!z.object({ type: z.literal("close") }).safeParse(message).success) return;
    void (async () => {
      await server.close();
      await pool.close();
      post({ type: "closed" });
    })();
  });
  post({ type: "listening", address: server.address });
}

run().catch((error: unknown) => {
  parentPort?.postMessage({
    type: "failed",
    message: error instanceof Error ? error.message : String(error),
  } satisfies PoolWorkerMessage);
});
