import { generateInferenceToken } from "../../src/inference/grpc/pool-auth.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { startPoolServer, type RunningPoolServer } from "../../src/inference/grpc/pool-server.js";
import type { InferencePoolOptions } from "../../src/inference/pool-options.js";
import { InferencePool } from "../../src/inference/pool.js";

export interface ServedPool {
  pool: InferencePool;
  server: RunningPoolServer;
  client: PoolClient;
  close(): Promise<void>;
}

/** An `InferencePool` with its gRPC server on 127.0.0.1:<free port> and a client to it, all in this process. */
export async function servePool(
  options: Partial<InferencePoolOptions> & Pick<InferencePoolOptions, "modelsDir" | "logger">,
): Promise<ServedPool> {
  const pool = new InferencePool(options);
  const models = await pool.ready();
  const failed = models.filter((model) => !model.loaded);
  if (failed.length > 0) {
    await pool.close();
    throw new Error(`pool models not loaded: ${failed.map((m) => `${m.name} (${m.error ?? "?"})`).join(", ")}`);
  }
  // A fresh token per run: the server requires one, and nothing else needs to know it.
  const token = generateInferenceToken();
  const server = await startPoolServer(pool, options.logger, { host: "127.0.0.1", port: 0, token });
  const client = new PoolClient(server.address, { token });
  return {
    pool,
    server,
    client,
    async close() {
      client.close();
      await server.close();
      await pool.close();
    },
  };
}
