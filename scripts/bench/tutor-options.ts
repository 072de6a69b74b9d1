import { join } from "node:path";
import { parseArgs } from "node:util";
import { TUTOR_LIMITS } from "../../src/tutor/tutor-profile.js";

/** Everything the tutor's voice-to-voice bench can be told; quick mode is the same shape with smaller numbers. */
export interface TutorBenchOptions {
  mode: "full" | "quick";
  jsonPath: string;
  modelsDir: string;
  logLevel: string;
  /** Concurrent tutoring sessions of each measured level, in run order. */
  sessionCounts: number[];
  /** Spoken questions per session per level (each a measured turn). */
  turns: number;
  /** Questions per session that speak over the tutor's (long) previous reply; at most `turns - 1`. */
  bargeIns: number;
  /** The stand-in LLM's delay before each token, the first included. */
  tokenIntervalMs: number;
  /** How long after the long reply's first audio the student starts speaking over it. */
  bargeInAfterMs: number;
  /** The student's pause between hearing a reply to its end and the next question. */
  thinkMs: number;
  /** Warm-up questions (one session, unmeasured) before the levels: first model runs and JIT are not charged to them. */
  warmUpTurns: number;
  /** The bench tutors' `turn.end_of_turn_silence_ms`; null: the profile default. */
  endOfTurnSilenceMs: number | null;
  /** The bench tutors' `turn.min_interruption_ms`; null: the profile default. */
  minInterruptionMs: number | null;
  /** The engine's ASR_LANES; null: sized to the cores, as the engine does. */
  asrLanes: number | null;
  /** Seed of the students' start offsets and pauses, so that runs are comparable. */
  seed: number;
}

const FULL_OPTIONS: Omit<TutorBenchOptions, "jsonPath" | "modelsDir" | "logLevel"> = {
  mode: "full",
  sessionCounts: [1, 8],
  turns: 5,
  bargeIns: 2,
  tokenIntervalMs: 20,
  bargeInAfterMs: 800,
  thinkMs: 600,
  warmUpTurns: 2,
  endOfTurnSilenceMs: null,
  minInterruptionMs: null,
  asrLanes: null,
  seed: 1,
};

/** A couple of minutes on 2 cores: both levels, fewer turns. */
const QUICK_OVERRIDES: Partial<TutorBenchOptions> = { mode: "quick", turns: 3, bargeIns: 1, warmUpTurns: 1 };

export const DEFAULT_TUTOR_JSON_PATH = "bench-results/tutor.json";

/** The targets: the engine's share of voice to voice at each level, and barge-in. */
export const TUTOR_TARGETS = { engineShareP50Ms: 700, engineShareP95Ms: 1_000, bargeInP95Ms: 300 } as const;

export const TUTOR_USAGE = `Usage: npm run bench:tutor -- [--quick] [--sessions 1,8] [--turns N] [--json PATH]
  --sessions LIST          concurrent tutoring sessions of each level (default ${FULL_OPTIONS.sessionCounts.join(",")})
  --turns N                spoken questions per session per level (default ${FULL_OPTIONS.turns}, quick ${QUICK_OVERRIDES.turns})
  --barge-ins N            questions per session spoken over the tutor's long reply (default ${FULL_OPTIONS.bargeIns}, quick ${QUICK_OVERRIDES.bargeIns}; < turns)
  --token-interval-ms N    the stand-in LLM's pace: delay before each token (default ${FULL_OPTIONS.tokenIntervalMs})
  --barge-in-after-ms N    the student speaks this long after the long reply's first audio (default ${FULL_OPTIONS.bargeInAfterMs})
  --think-ms N             pause after a reply is heard, before the next question (default ${FULL_OPTIONS.thinkMs})
  --warm-up N              unmeasured questions before the levels (default ${FULL_OPTIONS.warmUpTurns}; 0 skips)
  --end-of-turn-silence-ms N  the bench tutors' turn.end_of_turn_silence_ms (${TUTOR_LIMITS.endOfTurnSilenceMs.min}–${TUTOR_LIMITS.endOfTurnSilenceMs.max}; default the profile's)
  --min-interruption-ms N  the bench tutors' turn.min_interruption_ms (${TUTOR_LIMITS.minInterruptionMs.min}–${TUTOR_LIMITS.minInterruptionMs.max}; default the profile's)
  --asr-lanes N            the engine's ASR_LANES (default: sized to the cores)
  --seed N                 seed of the students' start offsets (default ${FULL_OPTIONS.seed})
  --quick                  ${QUICK_OVERRIDES.turns} turns and ${QUICK_OVERRIDES.bargeIns} barge-in per session
  --json PATH, --out PATH  where the JSON report goes (default ${DEFAULT_TUTOR_JSON_PATH}); the table goes to stdout
  --models-dir DIR         prepared Whisper cache (default $MODELS_DIR or \${DATA_DIR:-./data}/models)
  LOG_LEVEL                engine logs (default silent)`;

export class TutorBenchUsageError extends Error {
  override readonly name = "TutorBenchUsageError";
}

export function parseTutorBenchOptions(argv: string[], env: NodeJS.ProcessEnv): TutorBenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      json: { type: "string" },
      out: { type: "string" },
      "models-dir": { type: "string" },
      sessions: { type: "string" },
      turns: { type: "string" },
      "barge-ins": { type: "string" },
      "token-interval-ms": { type: "string" },
      "barge-in-after-ms": { type: "string" },
      "think-ms": { type: "string" },
      "warm-up": { type: "string" },
      "end-of-turn-silence-ms": { type: "string" },
      "min-interruption-ms": { type: "string" },
      "asr-lanes": { type: "string" },
      seed: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return "help";
  if (values.json !== undefined && values.out !== undefined) throw new TutorBenchUsageError("--json and --out name the same file: give one");
  const options: TutorBenchOptions = {
    ...FULL_OPTIONS,
    ...(values.quick ? QUICK_OVERRIDES : {}),
    jsonPath: values.json ?? values.out ?? DEFAULT_TUTOR_JSON_PATH,
    modelsDir: values["models-dir"] ?? env["MODELS_DIR"] ?? join(env["DATA_DIR"] ?? "./data", "models"),
    logLevel: env["LOG_LEVEL"] ?? "silent",
  };
  if (values.sessions !== undefined) options.sessionCounts = parseSessionCounts(values.sessions);
  if (values.turns !== undefined) options.turns = wholeNumber(values.turns, "--turns", 1, 100);
  if (values["barge-ins"] !== undefined) options.bargeIns = wholeNumber(values["barge-ins"], "--barge-ins", 0, 99);
  if (values["token-interval-ms"] !== undefined) options.tokenIntervalMs = wholeNumber(values["token-interval-ms"], "--token-interval-ms", 0, 2_000);
  if (values["barge-in-after-ms"] !== undefined) options.bargeInAfterMs = wholeNumber(values["barge-in-after-ms"], "--barge-in-after-ms", 0, 10_000);
  if (values["think-ms"] !== undefined) options.thinkMs = wholeNumber(values["think-ms"], "--think-ms", 0, 10_000);
  if (values["warm-up"] !== undefined) options.warmUpTurns = wholeNumber(values["warm-up"], "--warm-up", 0, 20);
  if (values["end-of-turn-silence-ms"] !== undefined) {
    const { min, max } = TUTOR_LIMITS.endOfTurnSilenceMs;
    options.endOfTurnSilenceMs = wholeNumber(values["end-of-turn-silence-ms"], "--end-of-turn-silence-ms", min, max);
  }
  if (values["min-interruption-ms"] !== undefined) {
    const { min, max } = TUTOR_LIMITS.minInterruptionMs;
    options.minInterruptionMs = wholeNumber(values["min-interruption-ms"], "--min-interruption-ms", min, max);
  }
  if (values["asr-lanes"] !== undefined) options.asrLanes = wholeNumber(values["asr-lanes"], "--asr-lanes", 1, 16);
  if (values.seed !== undefined) options.seed = wholeNumber(values.seed, "--seed", 0, 2 ** 31 - 1);
  if (options.bargeIns >= options.turns) {
    throw new TutorBenchUsageError(`--barge-ins must be below --turns (each one speaks over the reply to the question before it); got ${options.bargeIns} with ${options.turns} turns`);
  }
  return options;
}

/** Comma-separated session counts, each once, in the order given (levels run in that order). */
function parseSessionCounts(text: string): number[] {
  const counts = text.split(",").map((part) => wholeNumber(part.trim(), "--sessions", 1, 64));
  return [...new Set(counts)];
}

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
    throw new TutorBenchUsageError(`${flag} needs whole numbers from ${min} to ${max}, got "${text}"`);
  }
  return value;
}
