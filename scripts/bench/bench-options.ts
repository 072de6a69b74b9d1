import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_CHUNK_COALESCER_OPTIONS } from "../../src/inference/grpc/chunk-coalescer.js";
import { defaultJpegDecoderThreads } from "../../src/inference/video/jpeg-decoder.js";

/** The bench's parts: `--only` runs some of them. */
export const BENCH_PARTS = ["vad", "asr", "window", "face", "denoise", "wer", "tts", "enhance"] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

/** Everything the inference bench can be told; quick mode is the same shape with smaller bounds. */
export interface BenchOptions {
  mode: "full" | "quick";
  /** The parts to run (default all); the JSON keeps every section, empty for a part left out. */
  parts: BenchPart[];
  jsonPath: string;
  modelsDir: string;
  logLevel: string;
  /** Stream counts of the batched and gRPC VAD passes. */
  streamCounts: number[];
  /** Chunks each stream keeps outstanding (enqueued, not yet resolved); below the batcher's 64 pending per stream. */
  windowChunks: number;
  /** 512-sample chunks per AudioChunk message in the gRPC and pool-session passes. */
  chunksPerMessage: number;
  /** The gRPC passes' ChunkCoalescer delay (the engine's AudioLink default); 0: one message per chunk handed over. */
  coalesceMaxDelayMs: number;
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
  /** Streams of the in-process face pipeline passes (each with one frame in flight). */
  faceStreamCounts: number[];
  /** JPEG decoding threads of those passes, each stream count with each; the largest also serves the live passes. */
  faceDecoderThreads: number[];
  /** Bounds of each measured face pipeline or expression pass, and the warm-up pass before each path. */
  facePassMaxMs: number;
  facePassMaxFrames: number;
  faceWarmUpMs: number;
  /** The face pipeline's largest batch in its passes and the live pool; null: the pool's default. */
  faceMaxBatch: number | null;
  /** Streams of the expression-model passes (the target is at 64). */
  faceExpressionStreams: number;
  /** Camera counts of the live StreamVideo ramp, their frame rate, and cameras per call (a room's share one). */
  faceLiveStreams: number[];
  faceLiveFps: number;
  faceStreamsPerCall: number;
  faceLiveWarmUpMs: number;
  /** The measured window of each live step. */
  faceLiveMs: number;
  /** Sentences measured per TTS case (short, long, longest × each in-flight count). */
  ttsSentences: number;
  /** Synthesize requests kept in flight, one case each. */
  ttsInFlight: number[];
}

const FULL_OPTIONS: Omit<BenchOptions, "jsonPath" | "modelsDir" | "logLevel"> = {
  mode: "full",
  parts: [...BENCH_PARTS],
  streamCounts: [1, 16, 64, 128, 256],
  windowChunks: 32,
  chunksPerMessage: 1,
  coalesceMaxDelayMs: DEFAULT_CHUNK_COALESCER_OPTIONS.coalesceMaxDelayMs,
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
  faceStreamCounts: [1, 16, 64],
  faceDecoderThreads: [...new Set([1, defaultJpegDecoderThreads()])],
  facePassMaxMs: 2_000,
  facePassMaxFrames: 2_000,
  faceWarmUpMs: 500,
  faceMaxBatch: null,
  faceExpressionStreams: 64,
  faceLiveStreams: [25, 50, 100],
  faceLiveFps: 2,
  faceStreamsPerCall: 4,
  faceLiveWarmUpMs: 2_000,
  faceLiveMs: 6_000,
  ttsSentences: 24,
  ttsInFlight: [1, 4],
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
  facePassMaxMs: 1_000,
  faceWarmUpMs: 200,
  faceLiveWarmUpMs: 1_000,
  faceLiveMs: 3_000,
  ttsSentences: 8,
};

export const DEFAULT_JSON_PATH = "bench-results/inference.json";

export const USAGE = `Usage: npm run bench:inference -- [--quick] [--only vad,asr,face] [--json PATH] [--models-dir DIR]
  --quick         ~20 s smoke run (same passes, shorter bounds)
  --only LIST     parts to run: vad, asr (Whisper: fitted vs 30 s window, the pool over gRPC and in process),
                  window (Whisper's window vs word errors on recorded speech, ≈ 3 min), face, denoise (RNNoise stage cost), wer (streamed vs whole WER),
                  tts (Synthesize: ms per sentence, real-time factor, 1 and 4 in flight),
                  enhance (ESRGAN super-resolution: ms per frame, PSNR vs bicubic and nearest on photos) (default all)
  --json PATH     where the JSON report goes (default ${DEFAULT_JSON_PATH})
  --models-dir    prepared Whisper cache (default $MODELS_DIR or \${DATA_DIR:-./data}/models)
  --streams LIST  stream counts of the VAD passes (default 1,16,64,128,256)
  --window N      chunks each stream keeps outstanding (default 32, at most 64)
  --chunks-per-message N   512-sample chunks per gRPC AudioChunk (default 1)
  --coalesce-ms N          longest a chunk waits to be merged on a congested gRPC call, as the engine's AudioLink
                           (default ${DEFAULT_CHUNK_COALESCER_OPTIONS.coalesceMaxDelayMs}; 0: no merging)
  --repetitions N interleaved repetitions of every measured pass (default 3, quick 1)
  --face-streams LIST     streams of the in-process face pipeline passes (default 1,16,64)
  --decoder-threads LIST  JPEG decoding threads of those passes (default 1 and the machine's default)
  --live-streams LIST     cameras of the live StreamVideo ramp at 2 fps (default 25,50,100)
  --face-batch N          the face pipeline's largest batch in those passes and the live pool (default the pool's)
  --live-ms N             measured window of each live step (default 6000, quick 3000)
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
      "coalesce-ms": { type: "string" },
      repetitions: { type: "string" },
      only: { type: "string" },
      "face-streams": { type: "string" },
      "decoder-threads": { type: "string" },
      "live-streams": { type: "string" },
      "live-ms": { type: "string" },
      "face-batch": { type: "string" },
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
  if (values["coalesce-ms"] !== undefined) options.coalesceMaxDelayMs = parseWholeNumber(values["coalesce-ms"], "--coalesce-ms", 1_000);
  if (values.repetitions !== undefined) options.repetitions = parsePositiveInt(values.repetitions, "--repetitions", 9);
  if (values.only !== undefined) options.parts = parseParts(values.only);
  if (values["face-streams"] !== undefined) options.faceStreamCounts = parseCounts(values["face-streams"], "--face-streams", 256);
  if (values["decoder-threads"] !== undefined) options.faceDecoderThreads = parseCounts(values["decoder-threads"], "--decoder-threads", 16);
  if (values["live-streams"] !== undefined) options.faceLiveStreams = parseCounts(values["live-streams"], "--live-streams", 500);
  if (values["face-batch"] !== undefined) options.faceMaxBatch = parsePositiveInt(values["face-batch"], "--face-batch", 64);
  if (values["live-ms"] !== undefined) options.faceLiveMs = parsePositiveInt(values["live-ms"], "--live-ms", 120_000);
  return options;
}

function parseStreamCounts(text: string): number[] {
  return parseCounts(text, "--streams", 1024);
}

function parseCounts(text: string, flag: string, max: number): number[] {
  const counts = text.split(",").map((part) => parsePositiveInt(part.trim(), flag, max));
  return [...new Set(counts)].sort((a, b) => a - b);
}

function parseParts(text: string): BenchPart[] {
  const parts = text.split(",").map((part) => part.trim());
  const known = new Set<string>(BENCH_PARTS);
  const unknown = parts.filter((part) => !known.has(part));
  if (unknown.length > 0 || parts.length === 0) {
    throw new BenchUsageError(`--only takes ${BENCH_PARTS.join(", ")}; got "${text}"`);
  }
  return BENCH_PARTS.filter((part) => parts.includes(part));
}

function parsePositiveInt(text: string, flag: string, max: number): number {
  return parseWholeNumber(text, flag, max, 1);
}

function parseWholeNumber(text: string, flag: string, max: number, min = 0): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BenchUsageError(`${flag} needs whole numbers from ${min} to ${max}, got "${text}"`);
  }
  return value;
}
