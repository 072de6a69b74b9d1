import { join } from "node:path";
import { z } from "zod";
import { booleanFlag, ConfigError, decimal, intFrom, listOf, logLevelField, mergeSet, optionalText, parseEnv } from "./env-fields.js";
import { KNOWN_MODEL_NAMES } from "./inference/registry/model-names.js";
import { llmConfigDefaults, type LlmConfig } from "./tutor/llm/llm-config.js";
import { DEFAULT_TUTOR_INSTANCES_OPTIONS } from "./tutor/tutor-instances.js";
import { defaultTutorProfile, type TutorSettingsOverrides } from "./tutor/tutor-profile.js";

export { ConfigError };

/** Engine settings. Every time value is in milliseconds. */
export interface EngineConfig extends LlmConfig {
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
  /**
   * On SIGTERM, how long the process keeps answering (503 `draining` to new sessions, 503 on `/ready`) before its
   * sessions drain and it closes: long enough for a load balancer's readiness probe to take it out of rotation.
   */
  drainDelayMs: number;
  /**
   * Reverse proxies in front of this process whose `X-Forwarded-For` is believed (Express' `trust proxy` hop count):
   * 0 → the connection's address is the caller's. Behind one proxy, 1: else every caller shares one request budget.
   */
  trustProxyHops: number;
  /** Key prefix of the background job queues on Redis: engines of one deployment share it, others must not. */
  jobsPrefix: string;
  /** With Redis, how often a process looks for sessions of processes that died beside it (0: only at start). */
  resumeSweepMs: number;
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
  /** ASR_INTERIM: interim captions of speech still going on, on spare Whisper lanes (default on). */
  asrInterim: boolean;
  /** Bearer token `GET /metrics` requires; null → the endpoint is open (it carries no personal data). */
  metricsToken: string | null;
  /**
   * ASR_API_OPEN: the replaced ASR service's routes (`/api/asr/*`, `/api/llm/*`, `/api/status`) answer callers
   * without the admin key (its clients send none); the request limiter still applies. `/api/health` is always open.
   */
  asrApiOpen: boolean;
  /** CORS_ORIGINS: exact origins (`https://app.example.com`) whose pages may call the API and matchmaking; empty → no CORS headers. */
  corsOrigins: string[];
  /** TUTOR_IDLE_MS: a tutor's instance without sessions is evicted after this long. */
  tutorIdleMs: number;
  /** TUTOR_MAX_INSTANCES: past this many, the least recently used instance without sessions is evicted. */
  tutorMaxInstances: number;
  /** TUTOR_*: the default tutor profile's settings, over the built-in ones (sessions whose tutor has no profile). */
  defaultTutor: TutorSettingsOverrides;
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
  drainDelayMs: 0,
  trustProxyHops: 0,
  jobsPrefix: "engine",
  resumeSweepMs: 15_000,
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
  asrInterim: true,
  metricsToken: null,
  corsOrigins: [],
  asrApiOpen: false,
  ...llmConfigDefaults,
  tutorIdleMs: DEFAULT_TUTOR_INSTANCES_OPTIONS.idleMs,
  tutorMaxInstances: DEFAULT_TUTOR_INSTANCES_OPTIONS.maxInstances,
  defaultTutor: {},
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
  /** The virtual tutor server's name for the same, in seconds. */
  SESSION_TIMEOUT_SECONDS: intFrom(1, 7 * 24 * 3600),
  RECONNECT_WINDOW_MS: intFrom(0, 10 * 60_000),
  DRAIN_DELAY_MS: intFrom(0, 60_000),
  TRUST_PROXY: intFrom(0, 10),
  SESSION_RESUME_SWEEP_MS: intFrom(0, 10 * 60_000),
  JOBS_PREFIX: optionalText.pipe(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, _ or -, at most 64").optional()),
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
  ASR_INTERIM: booleanFlag,
  METRICS_TOKEN: optionalText.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  CORS_ORIGINS: optionalText.pipe(
    z
      .string()
      .transform((value) => value.split(",").map((origin) => origin.trim()).filter((origin) => origin !== ""))
      .pipe(z.array(z.string().refine(isExactOrigin, "each entry is an exact origin, scheme://host[:port], without path or wildcard")))
      .optional(),
  ),
  ASR_API_OPEN: booleanFlag,
  INFERENCE_TOKEN: optionalText.pipe(z.string().min(32, "must be at least 32 characters").optional()),
  LLM_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: "an http(s) base URL, /v1 included (e.g. http://localhost:11434/v1)" }).optional()),
  LLM_MODEL: optionalText,
  LLM_API_KEY: optionalText,
  LLM_FIRST_TOKEN_TIMEOUT_MS: intFrom(100, 10 * 60_000),
  LLM_TIMEOUT_MS: intFrom(1_000, 60 * 60_000),
  TUTOR_IDLE_MS: intFrom(1_000, DAY_MS),
  TUTOR_MAX_INSTANCES: intFrom(1, 100_000),
  TUTOR_NAME: optionalText,
  TUTOR_SYSTEM_PROMPT: optionalText,
  TUTOR_GREETING: z.string().optional(),
  TUTOR_VOICE: optionalText,
  TUTOR_RATE_WPM: intFrom(1, 10_000),
  TUTOR_TEMPERATURE: decimal,
  TUTOR_MAX_TOKENS: intFrom(1, 1_000_000),
  TUTOR_VAD_THRESHOLD: decimal,
  TUTOR_END_OF_TURN_SILENCE_MS: intFrom(1, 1_000_000),
  TUTOR_MIN_INTERRUPTION_MS: intFrom(1, 1_000_000),
}).superRefine((e, ctx) => {
  // Remote pools check the token; an engine that cannot present one would only ever be refused.
  // Every OpenAI-compatible server needs a model name; a profile's `llm.model` overrides this one.
  if (e.LLM_URL !== undefined && e.LLM_MODEL === undefined) {
    ctx.addIssue({ code: "custom", path: ["LLM_MODEL"], message: "required when LLM_URL is set (the model the endpoint serves, e.g. llama3.2:3b)" });
  }
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
    maxDurationMs: e.SESSION_TIMEOUT_MS ?? secondsToMs(e.SESSION_TIMEOUT ?? e.SESSION_TIMEOUT_SECONDS),
    reconnectWindowMs: e.RECONNECT_WINDOW_MS,
    drainDelayMs: e.DRAIN_DELAY_MS,
    trustProxyHops: e.TRUST_PROXY,
    jobsPrefix: e.JOBS_PREFIX,
    resumeSweepMs: e.SESSION_RESUME_SWEEP_MS,
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
    asrInterim: e.ASR_INTERIM,
    metricsToken: e.METRICS_TOKEN,
    corsOrigins: e.CORS_ORIGINS,
    asrApiOpen: e.ASR_API_OPEN,
    llmUrl: e.LLM_URL,
    llmModel: e.LLM_MODEL,
    llmApiKey: e.LLM_API_KEY,
    llmFirstTokenTimeoutMs: e.LLM_FIRST_TOKEN_TIMEOUT_MS,
    llmTimeoutMs: e.LLM_TIMEOUT_MS,
    tutorIdleMs: e.TUTOR_IDLE_MS,
    tutorMaxInstances: e.TUTOR_MAX_INSTANCES,
    defaultTutor: {
      name: e.TUTOR_NAME,
      system_prompt: e.TUTOR_SYSTEM_PROMPT,
      // Set to an empty value, the default tutor does not greet.
      greeting: e.TUTOR_GREETING,
      voice: { name: e.TUTOR_VOICE, rate_wpm: e.TUTOR_RATE_WPM },
      llm: { temperature: e.TUTOR_TEMPERATURE, max_tokens: e.TUTOR_MAX_TOKENS },
      turn: {
        vad_threshold: e.TUTOR_VAD_THRESHOLD,
        end_of_turn_silence_ms: e.TUTOR_END_OF_TURN_SILENCE_MS,
        min_interruption_ms: e.TUTOR_MIN_INTERRUPTION_MS,
      },
    },
  };
  const config = withDefaults(overrides);
  checkDefaultTutor(config.defaultTutor);
  return config;
}

function secondsToMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : seconds * 1000;
}

/** The variable each default-tutor field comes from, for errors. */
const TUTOR_VARIABLES: Record<string, string> = {
  name: "TUTOR_NAME",
  system_prompt: "TUTOR_SYSTEM_PROMPT",
  greeting: "TUTOR_GREETING",
  "voice.name": "TUTOR_VOICE",
  "voice.rate_wpm": "TUTOR_RATE_WPM",
  "llm.temperature": "TUTOR_TEMPERATURE",
  "llm.max_tokens": "TUTOR_MAX_TOKENS",
  "turn.vad_threshold": "TUTOR_VAD_THRESHOLD",
  "turn.end_of_turn_silence_ms": "TUTOR_END_OF_TURN_SILENCE_MS",
  "turn.min_interruption_ms": "TUTOR_MIN_INTERRUPTION_MS",
};

/** The default tutor is checked like a profile sent over the API, at start-up: a bad one names its variable. */
function checkDefaultTutor(overrides: TutorSettingsOverrides): void {
  try {
    defaultTutorProfile(overrides);
    return;
  } catch (error) {
    if (!(error instanceof z.ZodError)) throw error;
    const problems = error.issues.map((issue) => {
      const path = issue.path.join(".");
      return `${TUTOR_VARIABLES[path] ?? path}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
}

export function modelsDirOf(config: EngineConfig): string {
  return config.modelsDir ?? join(config.dataDir, "models");
}

/** Merges the set fields of `overrides` over `DEFAULT_CONFIG`. */
export function withDefaults(overrides: Partial<EngineConfig>): EngineConfig {
  return mergeSet(DEFAULT_CONFIG, overrides);
}
