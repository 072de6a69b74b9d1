import { parentPort, workerData } from "node:worker_threads";
import { z } from "zod";
import { createLogger } from "../logger.js";
import { startPoolServer } from "./grpc/pool-server.js";
import { asrLayoutOverrides } from "./asr/asr-lanes.js";
import { InferencePool } from "./pool.js";

/**
 * Worker-thread entry of the in-process pool. onnxruntime-node runs a model synchronously on the calling thread,
 * so the pool gets its own: the engine's event loop (rooms, WebSockets) never waits for a Whisper run.
 */
const settingsSchema = z.object({
  modelsDir: z.string(),
  device: z.enum(["cpu", "cuda"]),
  models: z.array(z.string()).nullable(),
  asr: z.object({ lanes: z.number().int().min(1).nullable(), threadsPerLane: z.number().int().min(1).nullable() }),
  interim: z.boolean(),
  port: z.number().int().min(0).max(65_535),
  logLevel: z.string(),
  /** INFERENCE_TOKEN, from the engine (never logged). */
  token: z.string().min(32),
});

export type PoolThreadMessage =
  | { type: "listening"; address: string }
  | { type: "ready"; models: { name: string; loaded: boolean; error: string | null }[] }
  | { type: "failed"; message: string }
  | { type: "closed" };

async function run(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("pool-thread runs as a worker thread");
  const post = (message: PoolThreadMessage) => port.postMessage(message);
  const settings = settingsSchema.parse(workerData);
  const logger = createLogger(settings.logLevel).child({ thread: "inference" });
  const pool = new InferencePool({ modelsDir: settings.modelsDir, device: settings.device, models: settings.models, asr: asrLayoutOverrides(settings.asr), interim: { enabled: settings.interim }, logger });
  // Loopback only, and still behind the token: any local user can reach a loopback port.
  const server = await startPoolServer(pool, logger, { host: "127.0.0.1", port: settings.port, token: settings.token });
  post({ type: "listening", address: server.address });
  void pool.ready().then((models) => post({ type: "ready", models: models.map(({ name, loaded, error }) => ({ name, loaded, error })) }));
  port.on("message", (message: unknown) => {
    if (z.object({ type: z.literal("close") }).safeParse(message).success) {
      void (async () => {
        await server.close();
        await pool.close();
        post({ type: "closed" });
      })();
    }
  });
}

run().catch((error: unknown) => {
  parentPort?.postMessage({ type: "failed", message: error instanceof Error ? error.message : String(error) } satisfies PoolThreadMessage);
});
