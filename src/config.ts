import { join } from "node:path";
import { z } from "zod";
import { intFrom, listOf, logLevelField, mergeSet, optionalText, parseEnv } from "./env-fields.js";
import { KNOWN_MODEL_NAMES } from "./inference/registry/model-names.js";

export { ConfigError } from "./env-fields.js";

/** Engine settings. Every time value is in milliseconds. */
export interface EngineConfig {
  host: string;
  port: number;
  /** Base URL clients use to reach this engine (REST and WebSocket on one port). */
  publicUrl: string | null;
  dataDir: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  /** Colyseus `publicAddress` for multi-process deployments (host:port of this process as clients reach it). */
  publicAddress: string | null;
  adminApiKey: string | null;
  tokenSecret: string | null;
  maxSessions: number;
  idleTimeoutMs: number;
  maxDurationMs: number;
  reconnectWindowMs: number;
  /** A participant whose camera frames show no face for this long gets a `no_face` event. */
  noFaceAfterMs: number;
  tokenTtlMs: number;
  logLevel: string;
  /** Control messages per second per client (token bucket refill rate). */
  messagesPerSecond: number;
  /** Token bucket size: how many control messages a client may send in a burst. */
  messageBurst: number;
  /** Remote pool workers (`host:port`); empty → the pool runs in this process on loopback gRPC. */
  inferenceUrls: string[];
  /** Port of the in-process pool on 127.0.0.1 (0 = any free port). */
  inferencePort: number;
  /**
   * INFERENCE_TOKEN: the pool's shared secret, sent on every gRPC call. Required with INFERENCE_URLS; null on
   * embedded defaults → generated and kept in `DATA_DIR/secrets.json`, handed to the in-process pool.
   */
  inferenceToken: string | null;
  /** Prepared models cache; null → `<dataDir>/models`. */
  modelsDir: string | null;
  inferenceDevice: "cpu" | "cuda";
  /** INFERENCE_MODELS: the models the in-process pool loads; null → every known model this machine can run. */
  inferenceModels: string[] | null;
  /** Whisper sessions the in-process pool runs side by side, and threads of each; null → sized to the cores. */
  asrLanes: number | null;
  asrThreads: number | null;
  /** Bearer token `GET /metrics` requires; null → the endpoint is open (it carries no personal data). */
  metricsToken: string | null;
  /** CORS_ORIGINS: exact origins (`https://app.example.com`) whose pages may call the API and matchmaking; empty → no CORS headers. */
  corsOrigins: string[];
}

export const DEFAULT_CONFIG: EngineConfig = {
  host: "0.0.0.0",
  port: 2567,
  publicUrl: null,
  dataDir: "./data",
  databaseUrl: null,
  redisUrl: null,
  publicAddress: null,
  adminApiKey: null,
  tokenSecret: null,
  maxSessions: 100,
  idleTimeoutMs: 5 * 60_000,
  maxDurationMs: 60 * 60_000,
  reconnectWindowMs: 20_000,
  noFaceAfterMs: 10_000,
  tokenTtlMs: 60 * 60_000,
  logLevel: "info",
  messagesPerSecond: 100,
  messageBurst: 200,
  inferenceUrls: [],
  inferencePort: 0,
  inferenceToken: null,
  modelsDir: null,
  inferenceDevice: "cpu",
  inferenceModels: null,
  asrLanes: null,
  asrThreads: null,
  metricsToken: null,
  corsOrigins: [],
};

const DAY_MS = 24 * 60 * 60_000;

/** Environment variables, each optional; see the README's configuration table. */
const envSchema = z.object({
  HOST: optionalText,
  PORT: intFrom(0, 65_535),
  PUBLIC_URL: optionalText.pipe(z.url().optional()),
  DATA_DIR: optionalText,
  DATABASE_URL: optionalText,
  REDIS_URL: optionalText,
  PUBLIC_ADDRESS: optionalText,
  ADMIN_API_KEY: optionalText.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  TOKEN_SECRET: optionalText.pipe(z.string().min(32, "must be at least 32 characters").optional()),
  MAX_SESSIONS: intFrom(1, 100_000),
  IDLE_TIMEOUT_MS: intFrom(1_000, DAY_MS),
  SESSION_TIMEOUT_MS: intFrom(1_000, 7 * DAY_MS),
  /** Seed-compatible alias of SESSION_TIMEOUT_MS, in seconds. */
  SESSION_TIMEOUT: intFrom(1, 7 * 24 * 3600),
  RECONNECT_WINDOW_MS: intFrom(0, 10 * 60_000),
  NO_FACE_AFTER_MS: intFrom(1_000, 10 * 60_000),
  TOKEN_TTL_MS: intFrom(1_000, 30 * DAY_MS),
  LOG_LEVEL: logLevelField,
  MESSAGES_PER_SECOND: intFrom(1, 10_000),
  MESSAGE_BURST: intFrom(1, 100_000),
  INFERENCE_URLS: optionalText.pipe(
    z
      .string()
      .transform((value) => value.split(",").map((url) => url.trim().replace(/^grpc:\/\//, "")).filter((url) => url !== ""))
      .pipe(z.array(z.string().regex(/^[^\s/]+:\d+$/, "each entry is host:port")))
      .optional(),
  ),
  INFERENCE_PORT: intFrom(0, 65_535),
  MODELS_DIR: optionalText,
  INFERENCE_DEVICE: z.enum(["cpu", "cuda"]).optional(),
  INFERENCE_MODELS: listOf(KNOWN_MODEL_NAMES, "model"),
  ASR_LANES: intFrom(1, 64),
  ASR_THREADS: intFrom(1, 256),
  METRICS_TOKEN: optionalText.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  CORS_ORIGINS: optionalText.pipe(
    z
      .string()
      .transform((value) => value.split(",").map((origin) => origin.trim()).filter((origin) => origin !== ""))
      .pipe(z.array(z.string().refine(isExactOrigin, "each entry is an exact origin, scheme://host[:port], without path or wildcard")))
      .optional(),
  ),
  INFERENCE_TOKEN: optionalText.pipe(z.string().min(32, "must be at least 32 characters").optional()),
}).superRefine((e, ctx) => {
  // Remote pools check the token; an engine that cannot present one would only ever be refused.
  if (e.INFERENCE_URLS !== undefined && e.INFERENCE_TOKEN === undefined) {
    ctx.addIssue({ code: "custom", path: ["INFERENCE_TOKEN"], message: "required when INFERENCE_URLS is set (the pools' INFERENCE_TOKEN)" });
  }
});

/** `https://app.example.com:8443` as a browser sends it in `Origin` (a wildcard or a path would never match one). */
function isExactOrigin(value: string): boolean {
  if (value.includes("*") || !URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
}

/** Reads the environment; throws `ConfigError` naming every bad variable. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const e = parseEnv(envSchema, env);
  const overrides: Partial<EngineConfig> = {
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    publicAddress: e.PUBLIC_ADDRESS,
    adminApiKey: e.ADMIN_API_KEY,
    tokenSecret: e.TOKEN_SECRET,
    maxSessions: e.MAX_SESSIONS,
    idleTimeoutMs: e.IDLE_TIMEOUT_MS,
    maxDurationMs: e.SESSION_TIMEOUT_MS ?? (e.SESSION_TIMEOUT === undefined ? undefined : e.SESSION_TIMEOUT * 1000),
    reconnectWindowMs: e.RECONNECT_WINDOW_MS,
    noFaceAfterMs: e.NO_FACE_AFTER_MS,
    tokenTtlMs: e.TOKEN_TTL_MS,
    logLevel: e.LOG_LEVEL,
    messagesPerSecond: e.MESSAGES_PER_SECOND,
    messageBurst: e.MESSAGE_BURST,
    inferenceUrls: e.INFERENCE_URLS,
    inferencePort: e.INFERENCE_PORT,
    inferenceToken: e.INFERENCE_TOKEN,
    modelsDir: e.MODELS_DIR,
    inferenceDevice: e.INFERENCE_DEVICE,
    inferenceModels: e.INFERENCE_MODELS,
    asrLanes: e.ASR_LANES,
    asrThreads: e.ASR_THREADS,
    metricsToken: e.METRICS_TOKEN,
    corsOrigins: e.CORS_ORIGINS,
  };
  return withDefaults(overrides);
}

export function modelsDirOf(config: EngineConfig): string {
  return config.modelsDir ?? join(config.dataDir, "models");
}

/** Merges the set fields of `overrides` over `DEFAULT_CONFIG`. */
export function withDefaults(overrides: Partial<EngineConfig>): EngineConfig {
  return mergeSet(DEFAULT_CONFIG, overrides);
}
