/**
 * Speech synthesis as the pool serves it: gRPC Synthesize to a pool serving only `espeak_ng` (its threads as the
 * module sizes them for this machine), a short, a long and a longest (1,000-character) sentence, with 1 and 4
 * requests in flight. Per case: ms per sentence (the client's round trip), the synthesis on its thread, the queue
 * wait, the audio made, real-time factors (synthesis ms ÷ audio ms, round trip ÷ audio ms: below 1 is faster than
 * speaking it), sentences a second, CPU, and how long the pool's event loop was held meanwhile (the synthesis runs
 * on its own thread, so this stays near the idle figure).
 *
 *   npx tsx scripts/bench/tts-phase.ts [--sentences 24] [--json out.json]
 *
 * or from bench-inference: `await benchTts({ modelsDir, logger, sentences, inFlight: [1, 4] })`.
 */
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { SynthesisResult } from "../../src/inference/pool-types.js";
import { createLogger, type Logger } from "../../src/logger.js";
import { startCpuMeter, type CpuFigures } from "./cpu-meter.js";
import { perSecond, round, startEventLoopMonitor, summarize, type EventLoopDelaySummary, type LatencySummary } from "./latency-stats.js";
import { servePool } from "./served-pool.js";
import { formatTable } from "./text-table.js";

export interface TtsBenchOptions {
  modelsDir: string;
  logger: Logger;
  /** Sentences measured per case (after one warm-up round of each sentence). */
  sentences: number;
  /** Requests kept in flight, one case each. */
  inFlight: readonly number[];
}

export const DEFAULT_TTS_BENCH_OPTIONS: Pick<TtsBenchOptions, "sentences" | "inFlight"> = { sentences: 24, inFlight: [1, 4] };

/** What a spoken reply's sentences look like: a short one, a long one, and the longest one request takes. */
export const TTS_SENTENCES = {
  short: "The quick brown fox jumps over the lazy dog.",
  long:
    "When you have finished reviewing the quarterly numbers, please send your comments to the whole team before " +
    "Friday, so that we can agree on the budget at the next meeting and publish the final report early next month.",
  max: "The quick brown fox jumps over the lazy dog. ".repeat(23).slice(0, 1_000).trim(),
} as const;
export type TtsSentence = keyof typeof TTS_SENTENCES;

export interface TtsCaseResult {
  sentence: TtsSentence;
  chars: number;
  in_flight: number;
  sentences: number;
  audio_ms_per_sentence: number;
  /** Client round trip per sentence (gRPC, queue, synthesis, the PCM back). */
  round_trip: LatencySummary;
  /** The synthesis on its thread, as the pool reports it. */
  synth: LatencySummary;
  queue: LatencySummary;
  /** Mean synthesis ms ÷ audio ms, and mean round trip ÷ audio ms. */
  rtf_synth: number;
  rtf_round_trip: number;
  sentences_per_s: number;
  cpu: CpuFigures;
  /** The pool's (and client's) event loop during the pass. */
  event_loop: EventLoopDelaySummary;
}

export interface TtsReport {
  model: string;
  /** Synthesis threads of the pool (the model's instances). */
  threads: number;
  load_ms: number | null;
  warmup_ms: number | null;
  /** The event loop with nothing to do, for reading `event_loop` against. */
  idle_event_loop: EventLoopDelaySummary;
  entries: TtsCaseResult[];
}

async function idleLoop(ms: number): Promise<EventLoopDelaySummary> {
  const stop = startEventLoopMonitor();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return stop();
}

export async function benchTts(options: TtsBenchOptions): Promise<TtsReport> {
  const served = await servePool({ modelsDir: options.modelsDir, logger: options.logger, models: ["espeak_ng"], tts: { maxQueued: 64 } });
  try {
    const model = served.pool.status().models.find((m) => m.task === "tts");
    const names = Object.keys(TTS_SENTENCES) as TtsSentence[];
    for (const name of names) await served.client.synthesize({ text: TTS_SENTENCES[name] });
    const entries: TtsCaseResult[] = [];
    for (const name of names) {
      for (const inFlight of options.inFlight) entries.push(await measureCase(served.client, name, inFlight, options.sentences));
    }
    return { model: model?.name ?? "espeak_ng", threads: model?.instances ?? 0, load_ms: round(model?.loadMs ?? 0, 0), warmup_ms: round(model?.warmupMs ?? 0, 0), idle_event_loop: await idleLoop(500), entries };
  } finally {
    await served.close();
  }
}

async function measureCase(client: { synthesize(request: { text: string }): Promise<SynthesisResult> }, sentence: TtsSentence, inFlight: number, count: number): Promise<TtsCaseResult> {
  const text = TTS_SENTENCES[sentence];
  const roundTrips: number[] = [];
  const results: SynthesisResult[] = [];
  let started = 0;
  const stopLoop = startEventLoopMonitor();
  const stopCpu = startCpuMeter();
  const passStart = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (started < count) {
        started += 1;
        const sent = performance.now();
        results.push(await client.synthesize({ text }));
        roundTrips.push(performance.now() - sent);
      }
    }),
  );
  const elapsedMs = performance.now() - passStart;
  const cpu = stopCpu(elapsedMs);
  const eventLoop = stopLoop();
  const audioMs = results.reduce((sum, r) => sum + r.durationMs, 0) / results.length;
  const roundTrip = summarize(roundTrips);
  const synth = summarize(results.map((r) => r.timings.synthMs));
  return {
    sentence,
    chars: text.length,
    in_flight: inFlight,
    sentences: results.length,
    audio_ms_per_sentence: round(audioMs, 0),
    round_trip: roundTrip,
    synth,
    queue: summarize(results.map((r) => r.timings.queueMs)),
    rtf_synth: round(synth.mean_ms / audioMs, 4),
    rtf_round_trip: round(roundTrip.mean_ms / audioMs, 4),
    sentences_per_s: perSecond(results.length, elapsedMs),
    cpu,
    event_loop: eventLoop,
  };
}

export function ttsTable(report: TtsReport): string {
  return formatTable(
    ["sentence", "chars", "in flight", "audio s", "round trip p50 ms", "p95 ms", "synth p50 ms", "queue p50 ms", "RTF synth", "RTF round trip", "sentences/s", "CPU/wall", "loop p99 ms"],
    report.entries.map((e) => [
      e.sentence,
      e.chars,
      e.in_flight,
      round(e.audio_ms_per_sentence / 1000, 1),
      e.round_trip.p50_ms,
      e.round_trip.p95_ms,
      e.synth.p50_ms,
      e.queue.p50_ms,
      // Well below 0.01 for long sentences: two significant digits, not two decimals.
      e.rtf_synth.toPrecision(2),
      e.rtf_round_trip.toPrecision(2),
      e.sentences_per_s,
      e.cpu.cpu_per_wall,
      e.event_loop.p99_ms,
    ]),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sentences: { type: "string" }, json: { type: "string" } } });
  const sentences = values.sentences === undefined ? DEFAULT_TTS_BENCH_OPTIONS.sentences : Number(values.sentences);
  if (!Number.isInteger(sentences) || sentences < 1) throw new Error("--sentences takes a whole number ≥ 1");
  const modelsDir = process.env["MODELS_DIR"] ?? join(tmpdir(), "engine-test-models");
  const report = await benchTts({ modelsDir, logger: createLogger(process.env["LOG_LEVEL"] ?? "silent"), sentences, inFlight: DEFAULT_TTS_BENCH_OPTIONS.inFlight });
  process.stdout.write(`Speech synthesis (${report.model}, ${report.threads} thread(s)); idle loop p99 ${report.idle_event_loop.p99_ms} ms\n${ttsTable(report)}\n`);
  if (values.json !== undefined) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
