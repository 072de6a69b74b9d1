import { join } from "node:path";
import { z } from "zod";
import { DEFAULT_CONFIG } from "./config.js";
import { booleanFlag, configOrExit, intFrom, listOf, logLevelField, mergeSet, optionalText, parseEnv } from "./env-fields.js";
import { resolvePoolToken } from "./auth/secrets.js";
import { MIN_INFERENCE_TOKEN_CHARS } from "./inference/grpc/pool-auth.js";
import { startPoolServer, type RunningPoolServer } from "./inference/grpc/pool-server.js";
import { asrLayoutOverrides } from "./inference/asr/asr-lanes.js";
import { InferencePool } from "./inference/pool.js";
import { KNOWN_MODEL_NAMES } from "./inference/registry/model-names.js";
import { createLogger, type Logger } from "./logger.js";
import { guardProcess } from "./process-guards.js";

/** Settings of a standalone pool worker (`npm run inference`), e.g. on a GPU host the engines name in INFERENCE_URLS. */
interface InferenceWorkerConfig {
  host: string;
  port: number;
  /** Prepared models cache; null → `<dataDir>/models`. */
  modelsDir: string | null;
  dataDir: string;
  device: "cpu" | "cuda";
  /** INFERENCE_MODELS: the models to load; null → every known model this machine can run. */
  models: string[] | null;
  /** Whisper lanes and threads per lane; null → sized to the cores. */
  asrLanes: number | null;
  asrThreads: number | null;
  /** ASR_INTERIM: interim captions on spare Whisper lanes (default on). */
  asrInterim: boolean;
  logLevel: string;
  /** INFERENCE_TOKEN; null → generated once and kept in `<dataDir>/inference-secrets.json`. */
  token: string | null;
}

const DEFAULT_INFERENCE_WORKER_CONFIG: InferenceWorkerConfig = {
  // Loopback unless told: a GPU host serving engines elsewhere sets INFERENCE_HOST=0.0.0.0 (the token still guards it).
  host: "127.0.0.1",
  port: 50_051,
  modelsDir: null,
  dataDir: DEFAULT_CONFIG.dataDir,
  device: "cpu",
  models: null,
  asrLanes: null,
  asrThreads: null,
  asrInterim: true,
  logLevel: "info",
  token: null,
};

/** The variables the worker reads; every one optional. */
const workerEnvSchema = z.object({
  INFERENCE_HOST: optionalText,
  INFERENCE_PORT: intFrom(0, 65_535),
  MODELS_DIR: optionalText,
  DATA_DIR: optionalText,
  INFERENCE_DEVICE: z.enum(["cpu", "cuda"]).optional(),
  INFERENCE_MODELS: listOf(KNOWN_MODEL_NAMES, "model"),
  ASR_LANES: intFrom(1, 64),
  ASR_THREADS: intFrom(1, 256),
  ASR_INTERIM: booleanFlag,
  LOG_LEVEL: logLevelField,
  INFERENCE_TOKEN: optionalText.pipe(z.string().min(MIN_INFERENCE_TOKEN_CHARS, `must be at least ${MIN_INFERENCE_TOKEN_CHARS} characters`).optional()),
});

/** Reads the environment; throws `ConfigError` naming every bad variable. */
function workerConfigFromEnv(env: NodeJS.ProcessEnv): InferenceWorkerConfig {
  const e = parseEnv(workerEnvSchema, env);
  const overrides: Partial<InferenceWorkerConfig> = {
    host: e.INFERENCE_HOST,
    port: e.INFERENCE_PORT,
    modelsDir: e.MODELS_DIR,
    dataDir: e.DATA_DIR,
    device: e.INFERENCE_DEVICE,
    models: e.INFERENCE_MODELS,
    asrLanes: e.ASR_LANES,
    asrThreads: e.ASR_THREADS,
    asrInterim: e.ASR_INTERIM,
    logLevel: e.LOG_LEVEL,
    token: e.INFERENCE_TOKEN,
  };
  return mergeSet(DEFAULT_INFERENCE_WORKER_CONFIG, overrides);
}

/** Logs once every configured model has loaded or failed (the pool serves from the start; work waits for them). */
function reportModels(pool: InferencePool, logger: Logger): void {
  pool.ready().then(
    (models) => {
      const failed = models.filter((m) => !m.loaded).map((m) => m.name);
      if (failed.length === 0) logger.info({ models: models.map((m) => m.name) }, "inference models ready");
      else logger.error({ failed }, "inference models unavailable");
    },
    (error: unknown) => logger.error({ err: error }, "inference models unavailable"),
  );
}

/** `npm run inference`: one pool worker serving StreamAudio, Transcribe, GetStatus and health over gRPC. */
async function main(): Promise<void> {
  const config = configOrExit(() => workerConfigFromEnv(process.env));
  const logger = createLogger(config.logLevel);
  const modelsDir = config.modelsDir ?? join(config.dataDir, "models");
  logger.info({ device: config.device, models_dir: modelsDir, models: config.models ?? "all this machine can run" }, "inference pool starting");
  const asr = asrLayoutOverrides({ lanes: config.asrLanes, threadsPerLane: config.asrThreads });
  const { token, file } = await resolvePoolToken({ token: config.token, dataDir: config.dataDir });
  // Where the token is, never the token itself: the operator copies it to the engines' INFERENCE_TOKEN.
  if (file !== null) logger.info({ file }, "inference token kept in the data folder; set INFERENCE_TOKEN on the engines to it");
  // The registry refuses a configuration the environment's check cannot see (two models for one task): exit 2 too.
  const pool = configOrExit(() => new InferencePool({ modelsDir, device: config.device, models: config.models, asr, interim: { enabled: config.asrInterim }, logger }));
  let server: RunningPoolServer;
  try {
    server = await startPoolServer(pool, logger, { host: config.host, port: config.port, token });
  } catch (error) {
    await pool.close().catch(() => undefined);
    throw error;
  }
  reportModels(pool, logger);
  guardProcess({
    stop: async () => {
      await server.close();
      await pool.close();
    },
    logger,
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`inference pool failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
