/**
 * Streamed as well as whole: the word error rate of the engine's live transcripts (a recording streamed through the
 * pool's StreamAudio path in 20 ms chunks, as a room streams a participant) against the same recording transcribed
 * whole (InferencePool.transcribe, what the REST speech routes run), with the same Silero VAD and Whisper tiny.en.
 *
 *   npx tsx scripts/bench/streamed-wer.ts [--json out.json] [--real-time] [--lead-ins-ms 0,8,16,24,1000]
 *                                         [--recordings cards,goforward,librivox,librivox_run_on,loadtest]
 *
 * Recordings: Debian's pocketsphinx-testdata (test/support/pocketsphinx-recordings.ts: `cards`, `goforward`,
 * `librivox`, each with the package's reference), `librivox_run_on` (those five sentences with their pauses cut to
 * 0.2 s, twice: 45 s of reading without a pause long enough to end an utterance, so the 30 s cut is exercised), and
 * `loadtest` (the load test's eSpeak NG sentences, loadtest/speech-script.ts). Each recording is streamed once per
 * lead-in: silence before it moves the speech off the VAD's 32 ms chunk grid, as the speech in a room's stream is;
 * `streamed_wer` pools the errors of all lead-ins. `--real-time` paces at 1× (default 10×: the pool applies a
 * stream's chunks in order, so the pace does not change the cuts).
 */
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { DEFAULT_INFERENCE_POOL_OPTIONS } from "../../src/inference/pool-options.js";
import { InferencePool } from "../../src/inference/pool.js";
import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";
import { combineWordErrorRates, wordErrorRate, type WordErrorRate } from "../../src/inference/quality/word-error-rate.js";
import { DEFAULT_SEGMENTER_OPTIONS, type SegmenterOptions } from "../../src/inference/vad/segmenter.js";
import { createLogger } from "../../src/logger.js";
import { DEFAULT_SENTENCES, loadSpeechScript } from "../../loadtest/speech-script.js";
import { createRecordings, type Recording } from "../../test/support/pocketsphinx-recordings.js";
import { streamRecording } from "../../test/support/streamed-transcription.js";
import { summarize, type LatencySummary } from "./latency-stats.js";
import { machineInfo, type MachineInfo } from "./machine-info.js";

export const BENCH_RECORDINGS = ["cards", "goforward", "librivox", "librivox_run_on", "loadtest"] as const;
export type BenchRecordingName = (typeof BENCH_RECORDINGS)[number];

export interface StreamedWerOptions {
  recordings: readonly BenchRecordingName[];
  /** Silence streamed before the recording, one streaming per value. */
  leadInsMs: readonly number[];
  /** Audio ms per wall ms while streaming (1 = real time). */
  speed: number;
  /** A pool to measure; null → one is made (with `segmenter`) and closed after. */
  pool: InferencePool | null;
  /** The pool's segmentation options (reported; and used when the bench makes the pool): the engine's by default. */
  segmenter: Partial<SegmenterOptions>;
  modelsDir: string;
  /** Progress lines (stderr by default). */
  log: (line: string) => void;
}

export const DEFAULT_STREAMED_WER_OPTIONS: StreamedWerOptions = {
  recordings: BENCH_RECORDINGS,
  leadInsMs: [0, 8, 16, 24, 1000],
  speed: 10,
  pool: null,
  segmenter: DEFAULT_INFERENCE_POOL_OPTIONS.segmenter,
  modelsDir: join(tmpdir(), "engine-test-models"),
  log: (line) => console.error(line),
};

interface Errors {
  substitutions: number;
  deletions: number;
  insertions: number;
}

export interface StreamedRun {
  lead_in_ms: number;
  wer: number;
  errors: Errors;
  utterances: number;
  /** The same utterances (start and end) as the whole transcription. */
  same_cuts: boolean;
  stream_errors: string[];
  text: string;
}

export interface RecordingResult {
  name: BenchRecordingName;
  source: string;
  seconds: number;
  words: number;
  whole_wer: number;
  /** Errors of every lead-in's streaming pooled (÷ words × lead-ins). */
  streamed_wer: number;
  /** streamed − whole, in WER points (percent). */
  gap_points: number;
  whole_errors: Errors;
  whole_utterances: { start_ms: number; end_ms: number }[];
  whole_text: string;
  reference: string;
  streamed: StreamedRun[];
}

export interface StreamedWerReport {
  machine: MachineInfo;
  parameters: { lead_ins_ms: number[]; speed: number; chunk_ms: number; segmenter: SegmenterOptions };
  recordings: RecordingResult[];
  pooled: { words: number; whole_wer: number; streamed_wer: number; gap_points: number };
  /** Every recording's streamed WER within 1 point of its whole WER. */
  within_one_point: boolean;
  /**
   * End of speech → final transcript of the streamed utterances: the hangover that ends an utterance plus what
   * the pool reports from its detection to the transcript (queue + Whisper), on an otherwise idle pool. Only at
   * real time (null otherwise): streamed faster, utterances queue behind each other for Whisper.
   */
  transcript_latency_ms: (LatencySummary & { hangover_ms: number }) | null;
  duration_ms: number;
}

interface BenchRecording {
  name: BenchRecordingName;
  source: string;
  pcm16: Uint8Array;
  reference: string;
}

const CHUNK_MS = 20;

export async function measureStreamedWer(options: Partial<StreamedWerOptions> = {}): Promise<StreamedWerReport> {
  const o = { ...DEFAULT_STREAMED_WER_OPTIONS, ...options };
  const startedMs = performance.now();
  const machine = machineInfo();
  const recordings = await loadBenchRecordings(o.recordings);
  const pool = o.pool ?? new InferencePool({ modelsDir: o.modelsDir, logger: createLogger("silent"), asr: { lanes: 1 }, segmenter: o.segmenter });
  const segmenter: SegmenterOptions = { ...DEFAULT_SEGMENTER_OPTIONS, ...o.segmenter };
  const results: RecordingResult[] = [];
  const latencies: number[] = [];
  try {
    await pool.ready();
    for (const recording of recordings) {
      const whole = await pool.transcribe(recording.pcm16, MODEL_SAMPLE_RATE);
      const wholeWer = wordErrorRate(recording.reference, whole.text);
      const cuts = whole.segments.map((s) => [s.startMs, s.endMs].join("-"));
      const runs: StreamedRun[] = [];
      const streamedWers: WordErrorRate[] = [];
      for (const leadInMs of o.leadInsMs) {
        const streamed = await streamRecording(pool, recording.pcm16, { leadInMs, speed: o.speed, chunkMs: CHUNK_MS });
        const wer = wordErrorRate(recording.reference, streamed.text);
        streamedWers.push(wer);
        for (const s of streamed.segments) latencies.push(segmenter.hangoverMs + s.timings.totalMs);
        const streamedCuts = streamed.segments.map((s) => [s.startMs, s.endMs].join("-"));
        runs.push({
          lead_in_ms: leadInMs,
          wer: round(wer.wer),
          errors: errorsOf(wer),
          utterances: streamed.segments.length,
          same_cuts: streamedCuts.join(" ") === cuts.join(" "),
          stream_errors: streamed.errors.map((e) => `${e.code}: ${e.message}`),
          text: streamed.text,
        });
        o.log(`${recording.name} lead-in ${leadInMs} ms: streamed ${pct(wer.wer)} % (${streamed.segments.length} utterances), whole ${pct(wholeWer.wer)} %`);
      }
      const streamedWer = combineWordErrorRates(streamedWers).wer;
      results.push({
        name: recording.name,
        source: recording.source,
        seconds: round(recording.pcm16.byteLength / 2 / MODEL_SAMPLE_RATE),
        words: wholeWer.referenceWords,
        whole_wer: round(wholeWer.wer),
        streamed_wer: round(streamedWer),
        gap_points: round((streamedWer - wholeWer.wer) * 100),
        whole_errors: errorsOf(wholeWer),
        whole_utterances: whole.segments.map((s) => ({ start_ms: s.startMs, end_ms: s.endMs })),
        whole_text: whole.text,
        reference: recording.reference,
        streamed: runs,
      });
    }
  } finally {
    if (o.pool === null) await pool.close();
  }
  const words = results.reduce((sum, r) => sum + r.words, 0);
  const weighted = (pick: (r: RecordingResult) => number) => results.reduce((sum, r) => sum + pick(r) * r.words, 0) / Math.max(1, words);
  const wholePooled = weighted((r) => r.whole_wer);
  const streamedPooled = weighted((r) => r.streamed_wer);
  return {
    machine,
    parameters: { lead_ins_ms: [...o.leadInsMs], speed: o.speed, chunk_ms: CHUNK_MS, segmenter },
    recordings: results,
    pooled: { words, whole_wer: round(wholePooled), streamed_wer: round(streamedPooled), gap_points: round((streamedPooled - wholePooled) * 100) },
    within_one_point: results.every((r) => r.gap_points <= 1),
    transcript_latency_ms: o.speed <= 1 ? { ...summarize(latencies), hangover_ms: segmenter.hangoverMs } : null,
    duration_ms: Math.round(performance.now() - startedMs),
  };
}

async function loadBenchRecordings(names: readonly BenchRecordingName[]): Promise<BenchRecording[]> {
  const media = createRecordings();
  const out: BenchRecording[] = [];
  for (const name of names) {
    if (name === "loadtest") {
      const script = await loadSpeechScript(null);
      out.push({ name, source: script.source, pcm16: script.pcm16, reference: DEFAULT_SENTENCES.join(" ") });
    } else if (name === "librivox_run_on") {
      out.push(runOn(await media.recording("librivox"), 2));
    } else {
      const recording = await media.recording(name);
      out.push({ name, source: `pocketsphinx-testdata ${name} (${recording.parts.length} files)`, pcm16: recording.pcm16, reference: recording.reference });
    }
  }
  return out;
}

/** The recording's parts with their pauses cut to `marginMs` each side of the voiced audio, back to back, `times` over. */
function runOn(recording: Recording, times: number, marginMs = 100): BenchRecording {
  const pieces = recording.parts.map((part) => {
    const from = Math.round((part.startMs * MODEL_SAMPLE_RATE) / 1000);
    return voiced(recording.samples.subarray(from, Math.round((part.endMs * MODEL_SAMPLE_RATE) / 1000)), marginMs);
  });
  const once = pieces.reduce((sum, piece) => sum + piece.length, 0);
  const samples = new Float32Array(once * times);
  let at = 0;
  for (let i = 0; i < times; i++) {
    for (const piece of pieces) {
      samples.set(piece, at);
      at += piece.length;
    }
  }
  const reference = Array.from({ length: times }, () => recording.reference).join(" ");
  return { name: "librivox_run_on", source: `pocketsphinx-testdata librivox, pauses cut to ${2 * marginMs} ms, ×${times}`, pcm16: float32ToPcm16(samples), reference };
}

/** From the first to the last 20 ms frame above −35 dBFS, with `marginMs` either side. */
function voiced(samples: Float32Array, marginMs: number): Float32Array {
  const frame = (MODEL_SAMPLE_RATE * 20) / 1000;
  let first = -1;
  let last = -1;
  for (let start = 0; start + frame <= samples.length; start += frame) {
    let sum = 0;
    for (let i = start; i < start + frame; i++) sum += (samples[i] ?? 0) ** 2;
    if (sum / frame > 10 ** (-35 / 10)) {
      if (first < 0) first = start;
      last = start + frame;
    }
  }
  if (first < 0) return samples;
  const margin = (MODEL_SAMPLE_RATE * marginMs) / 1000;
  return samples.subarray(Math.max(0, first - margin), Math.min(samples.length, last + margin));
}

function errorsOf(wer: WordErrorRate): Errors {
  return { substitutions: wer.substitutions, deletions: wer.deletions, insertions: wer.insertions };
}

function round(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000;
}

function pct(value: number): string {
  return (value * 100).toFixed(1);
}

/** The report as a text table, for the console and the README. */
export function streamedWerTable(report: StreamedWerReport): string {
  const header = ["recording", "seconds", "words", "whole WER %", "streamed WER %", "gap (points)", ...report.parameters.lead_ins_ms.map((ms) => `+${ms} ms`)];
  const rows = report.recordings.map((r) => [
    r.name,
    r.seconds.toFixed(1),
    String(r.words),
    pct(r.whole_wer),
    pct(r.streamed_wer),
    r.gap_points.toFixed(1),
    ...r.streamed.map((s) => `${pct(s.wer)}${s.same_cuts ? "" : "*"}`),
  ]);
  const p = report.pooled;
  rows.push(["all", "", String(p.words), pct(p.whole_wer), pct(p.streamed_wer), p.gap_points.toFixed(1), ...report.parameters.lead_ins_ms.map(() => "")]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  const l = report.transcript_latency_ms;
  const latency =
    l === null
      ? "End of speech → transcript: measured with --real-time only."
      : `End of speech → transcript (streamed at real time): p50 ${l.p50_ms} ms, p95 ${l.p95_ms} ms, max ${l.max_ms} ms (${l.hangover_ms} ms of it the hangover).`;
  return [
    line(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.map(line),
    "",
    `+N ms: streamed WER % with N ms of silence before the recording; * = cuts differ from the whole transcription's.`,
    latency,
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      json: { type: "string" },
      "real-time": { type: "boolean", default: false },
      "lead-ins-ms": { type: "string" },
      recordings: { type: "string" },
    },
  });
  const recordings = values.recordings?.split(",").map((name) => {
    const known = BENCH_RECORDINGS.find((r) => r === name);
    if (known === undefined) throw new Error(`unknown recording ${name}; known: ${BENCH_RECORDINGS.join(", ")}`);
    return known;
  });
  const report = await measureStreamedWer({
    ...(recordings === undefined ? {} : { recordings }),
    ...(values["lead-ins-ms"] === undefined ? {} : { leadInsMs: values["lead-ins-ms"].split(",").map(Number) }),
    speed: values["real-time"] ? 1 : DEFAULT_STREAMED_WER_OPTIONS.speed,
  });
  console.log(streamedWerTable(report));
  if (values.json !== undefined) await writeFile(values.json, JSON.stringify(report, null, 2));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main();
