import { join } from "node:path";
import { parseArgs } from "node:util";

/** Everything the inference bench can be told; quick mode is the same shape with smaller bounds. */
export interface BenchOptions {
  mode: "full" | "quick";
  jsonPath: string;
  modelsDir: string;
  logLevel: string;
  /** Stream counts of the batched and gRPC VAD passes. */
  streamCounts: number[];
  /** Chunks each stream keeps outstanding (enqueued, not yet resolved); below the batcher's 64 pending per stream. */
  windowChunks: number;
  /** 512-sample chunks per AudioChunk message in the gRPC and pool-session passes. */
  chunksPerMessage: number;
  /**
   * Each measured pass runs this many times, interleaved (baseline; then per N: batched, session, gRPC; ASR: raw,
   * gRPC, in process) so that compared figures share the machine's conditions; the median repetition is reported.
   */
  repetitions: number;
  /** Warm-up before the measured VAD passes of each N and path (fresh streams, same N). Bounds below: per repetition. */
  vadWarmUpMs: number;
  vadBaselineMaxMs: number;
  vadBaselineMaxChunks: number;
  /** Streams the baseline round-robins over, each with its own state. */
  vadBaselineStreams: number;
  vadPassMaxMs: number;
  vadPassMaxChunks: number;
  /** Utterances run (and discarded) before each ASR measurement. */
  asrWarmUpUtterances: number;
  asrMaxMs: number;
  asrMaxUtterances: number;
  /** Requests kept in flight against the pool so its ASR queue never runs dry. */
  asrPoolConcurrency: number;
}

const FULL_OPTIONS: Omit<BenchOptions, "jsonPath" | "modelsDir" | "logLevel"> = {
  mode: "full",
  streamCounts: [1, 16, 64, 128, 256],
  windowChunks: 32,
  chunksPerMessage: 1,
  repetitions: 3,
  vadWarmUpMs: 400,
  vadBaselineMaxMs: 1_000,
  vadBaselineMaxChunks: 20_000,
  vadBaselineStreams: 128,
  vadPassMaxMs: 1_000,
  vadPassMaxChunks: 60_000,
  asrWarmUpUtterances: 2,
  asrMaxMs: 3_500,
  asrMaxUtterances: 30,
  asrPoolConcurrency: 4,
};

/** About 20 s on 2 cores: same passes, shorter bounds. */
const QUICK_OVERRIDES: Partial<BenchOptions> = {
  mode: "quick",
  repetitions: 1,
  vadWarmUpMs: 100,
  vadBaselineMaxMs: 400,
  vadBaselineMaxChunks: 5_000,
  vadPassMaxMs: 350,
  vadPassMaxChunks: 12_000,
  asrWarmUpUtterances: 1,
  asrMaxMs: 1_500,
  asrMaxUtterances: 10,
};

export const DEFAULT_JSON_PATH = "bench-results/inference.json";

export const USAGE = `Usage: npm run bench:inference -- [--quick] [--json PATH] [--models-dir DIR] [--streams 1,16,64]
  --quick         ~20 s smoke run (same passes, shorter bounds)
  --json PATH     where the JSON report goes (default ${DEFAULT_JSON_PATH})
  --models-dir    prepared Whisper cache (default $MODELS_DIR or \${DATA_DIR:-./data}/models)
  --streams LIST  stream counts of the VAD passes (default 1,16,64,128,256)
  --window N      chunks each stream keeps outstanding (default 32, at most 64)
  --chunks-per-message N   512-sample chunks per gRPC AudioChunk (default 1)
  --repetitions N interleaved repetitions of every measured pass (default 3, quick 1)
  LOG_LEVEL       pool logs (default silent)`;

export class BenchUsageError extends Error {
  override readonly name = "BenchUsageError";
}

export function parseBenchOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      json: { type: "string" },
      "models-dir": { type: "string" },
      streams: { type: "string" },
      window: { type: "string" },
      "chunks-per-message": { type: "string" },
      repetitions: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return "help";
  const options: BenchOptions = {
    ...FULL_OPTIONS,
    ...(values.quick ? QUICK_OVERRIDES : {}),
    jsonPath: values.json ?? DEFAULT_JSON_PATH,
    modelsDir: values["models-dir"] ?? env["MODELS_DIR"] ?? join(env["DATA_DIR"] ?? "./data", "models"),
    logLevel: env["LOG_LEVEL"] ?? "silent",
  };
  if (values.streams !== undefined) options.streamCounts = parseStreamCounts(values.streams);
  if (values.window !== undefined) options.windowChunks = parsePositiveInt(values.window, "--window", 64);
  if (values["chunks-per-message"] !== undefined) {
    options.chunksPerMessage = parsePositiveInt(values["chunks-per-message"], "--chunks-per-message", 32);
  }
  if (values.repetitions !== undefined) options.repetitions = parsePositiveInt(values.repetitions, "--repetitions", 9);
  return options;
}

function parseStreamCounts(text: string): number[] {
  const counts = text.split(",").map((part) => parsePositiveInt(part.trim(), "--streams", 1024));
  return [...new Set(counts)].sort((a, b) => a - b);
}

function parsePositiveInt(text: string, flag: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new BenchUsageError(`${flag} needs whole numbers from 1 to ${max}, got "${text}"`);
  }
  return value;
}
