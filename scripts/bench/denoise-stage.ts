/**
 * RNNoise as the pool runs it: the `denoise` stage of streams opened with `stages: ["denoise"]`, through the pool's
 * own path (InferencePool.openAudioSession: resampling, the stage, VAD chunking, the VAD batcher), measured two ways
 * at each stream count:
 *
 * - `stage_self_ms_per_audio_s`: the time the pool's stage spent in its runs (GetStatus `denoise` batch
 *   `run_ms_total`: the Denoiser's resamplers and RNNoise's frames, timed around each call on the pool's thread),
 *   per second of audio per stream. It is wall time on one thread: on a busy machine it includes time the thread
 *   waited for a core.
 * - `stage_cpu_ms_per_audio_s`: the process's CPU time (user + system) of a pass with the stage minus that of the
 *   same pass without it, per second of audio per stream: what the stage adds, whatever thread pays for it. The VAD's
 *   share cancels out, but its run-to-run spread does not: read it with `other_processes_cores` beside it.
 *
 * Each pass opens N streams on one call, pushes every stream's audio as fast as the pool takes it (20 ms chunks,
 * the streams interleaved), closes them and waits for every `closed`. Segmentation never confirms speech, so ASR
 * is not in the measure (not even loaded). Medians over `repetitions` passes, after one warm-up pass of each kind.
 *
 *   npx tsx scripts/bench/denoise-stage.ts [--streams 1,8] [--repetitions 3] [--seconds 20] [--json out.json]
 *
 * or from another bench: `await measureDenoiseStage({ modelsDir, logger, audio16k, streamCounts: [1, 8] })`.
 */
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { InferencePool } from "../../src/inference/pool.js";
import { MODEL_SAMPLE_RATE, type AudioStage, type PoolOutput } from "../../src/inference/pool-types.js";
import { createLogger, type Logger } from "../../src/logger.js";
import { startCpuMeter } from "./cpu-meter.js";
import { round } from "./latency-stats.js";
import { NEVER_CONFIRM_SPEECH_MS } from "./vad-pool-stream.js";

export interface DenoiseStageBenchOptions {
  modelsDir: string;
  logger: Logger;
  /** One stream's audio (16 kHz mono); every stream sends the same. */
  audio16k: Float32Array;
  streamCounts: readonly number[];
  repetitions: number;
  /** Audio per message, as a room sends it. */
  chunkMs: number;
}

export const DEFAULT_DENOISE_STAGE_BENCH_OPTIONS: Pick<DenoiseStageBenchOptions, "streamCounts" | "repetitions" | "chunkMs"> = {
  streamCounts: [1, 8],
  repetitions: 3,
  chunkMs: 20,
};

export interface DenoiseStageEntry {
  streams: number;
  /** The stage's own run time, per second of audio per stream (median over repetitions). */
  stage_self_ms_per_audio_s: number;
  /** CPU of a pass with the stage minus one without, per second of audio per stream (median of the differences). */
  stage_cpu_ms_per_audio_s: number;
  /** `stage_self_ms_per_audio_s` as a share of one core while a stream runs in real time. */
  stage_core_percent: number;
  /** CPU per second of audio per stream of the whole pass with the stage, and without (medians). */
  pass_cpu_ms_per_audio_s: { with_stage: number; without: number };
  /** Median cores' worth other processes used during the passes (null off Linux). */
  other_processes_cores: number | null;
  /** The pool's denoise states after the passes: `open` 0 and `opened` = `freed_on_close` say none leaked. */
  states_after: { open: number; opened: number; freed_on_close: number; freed_idle: number };
}

export interface DenoiseStageReport {
  model: string;
  audio_s_per_stream: number;
  chunk_ms: number;
  repetitions: number;
  entries: DenoiseStageEntry[];
}

interface Pass {
  cpuMs: number;
  stageMs: number;
  others: number | null;
}

export async function measureDenoiseStage(
  options: Partial<DenoiseStageBenchOptions> & Pick<DenoiseStageBenchOptions, "modelsDir" | "logger" | "audio16k">,
): Promise<DenoiseStageReport> {
  const settings = { ...DEFAULT_DENOISE_STAGE_BENCH_OPTIONS, ...options };
  const audioMs = (settings.audio16k.length / MODEL_SAMPLE_RATE) * 1000;
  const pool = new InferencePool({
    modelsDir: settings.modelsDir,
    logger: settings.logger,
    models: ["silero_vad_v5", "rnnoise"],
    segmenter: { minSpeechMs: NEVER_CONFIRM_SPEECH_MS },
    // Every stream's audio is pushed at once: the backlog holds all of it.
    maxBacklogMs: audioMs + 10_000,
  });
  try {
    const models = await pool.ready();
    const denoise = models.find((m) => m.task === "denoise");
    if (denoise?.loaded !== true) throw new Error(`the denoise model did not load: ${denoise?.error ?? "not configured"}`);
    const chunks = pcmChunks(settings.audio16k, settings.chunkMs);
    const entries: DenoiseStageEntry[] = [];
    for (const streams of settings.streamCounts) {
      await runPass(pool, chunks, streams, ["denoise"]);
      await runPass(pool, chunks, streams, []);
      const withStage: Pass[] = [];
      const without: Pass[] = [];
      for (let r = 0; r < settings.repetitions; r++) {
        withStage.push(await runPass(pool, chunks, streams, ["denoise"]));
        without.push(await runPass(pool, chunks, streams, []));
      }
      const perStreamSecond = (ms: number) => ms / streams / (audioMs / 1000);
      const self = median(withStage.map((p) => perStreamSecond(p.stageMs)));
      const others = [...withStage, ...without].flatMap((p) => (p.others === null ? [] : [p.others]));
      const states = pool.status().models.find((m) => m.task === "denoise")?.streamStates;
      entries.push({
        streams,
        stage_self_ms_per_audio_s: round(self, 2),
        stage_cpu_ms_per_audio_s: round(median(withStage.map((p, i) => perStreamSecond(p.cpuMs - (without[i]?.cpuMs ?? 0)))), 2),
        stage_core_percent: round(self / 10, 2),
        pass_cpu_ms_per_audio_s: {
          with_stage: round(median(withStage.map((p) => perStreamSecond(p.cpuMs))), 2),
          without: round(median(without.map((p) => perStreamSecond(p.cpuMs))), 2),
        },
        other_processes_cores: others.length === 0 ? null : round(median(others), 2),
        states_after: { open: states?.open ?? 0, opened: states?.opened ?? 0, freed_on_close: states?.freedOnClose ?? 0, freed_idle: states?.freedIdle ?? 0 },
      });
    }
    return { model: denoise.name, audio_s_per_stream: round(audioMs / 1000, 2), chunk_ms: settings.chunkMs, repetitions: settings.repetitions, entries };
  } finally {
    await pool.close();
  }
}

function pcmChunks(audio16k: Float32Array, chunkMs: number): Uint8Array[] {
  const pcm = float32ToPcm16(audio16k);
  const bytes = ((MODEL_SAMPLE_RATE * chunkMs) / 1000) * 2;
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < pcm.byteLength; at += bytes) chunks.push(pcm.subarray(at, Math.min(pcm.byteLength, at + bytes)));
  return chunks;
}

/** One call, `streams` streams asking for `stages`, all audio pushed, all closed and acknowledged. */
async function runPass(pool: InferencePool, chunks: readonly Uint8Array[], streams: number, stages: readonly AudioStage[]): Promise<Pass> {
  const stageMsBefore = stageRunMs(pool);
  let closed = 0;
  const failures: string[] = [];
  let allClosed: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allClosed = resolve));
  const onOutput = (output: PoolOutput) => {
    if (output.kind === "error") failures.push(`${output.code}: ${output.message}`);
    if (output.kind === "closed" && ++closed === streams) allClosed();
  };
  const started = performance.now();
  const meter = startCpuMeter();
  const session = pool.openAudioSession(onOutput);
  const ids = Array.from({ length: streams }, (_, i) => `s${i}`);
  for (const streamId of ids) session.open({ streamId, sessionId: "bench", participantId: streamId, sampleRate: 16_000, stages });
  for (let seq = 0; seq < chunks.length; seq++) {
    const chunk = chunks[seq];
    if (chunk !== undefined) for (const streamId of ids) session.chunk(streamId, seq + 1, chunk);
  }
  for (const streamId of ids) session.close(streamId);
  await done;
  const figures = meter(performance.now() - started);
  session.end();
  if (failures.length > 0) throw new Error(`the pass failed: ${failures.slice(0, 3).join("; ")}`);
  return { cpuMs: figures.process_cpu_ms, stageMs: stageRunMs(pool) - stageMsBefore, others: figures.other_processes_cores };
}

function stageRunMs(pool: InferencePool): number {
  return pool.status().models.find((m) => m.task === "denoise")?.batch?.runMsTotal ?? 0;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Speech in 5 dB white noise from the test support (eSpeak NG, seeded noise), cut or looped to `seconds`. */
export async function noisySpeech(seconds: number): Promise<Float32Array> {
  const { mixAtSnr, speechTrack, whiteNoise } = await import("../../test/support/noisy-speech.js");
  const { createSpeechSynthesizer } = await import("../../test/support/speech.js");
  const track = await speechTrack(createSpeechSynthesizer());
  const length = Math.round(seconds * MODEL_SAMPLE_RATE);
  const speech = new Float32Array(length);
  for (let i = 0; i < length; i++) speech[i] = track.samples[i % track.samples.length] ?? 0;
  return mixAtSnr(speech, whiteNoise(length, 1), 5);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      streams: { type: "string", default: "1,8" },
      repetitions: { type: "string", default: "3" },
      seconds: { type: "string", default: "20" },
      json: { type: "string" },
    },
  });
  const streamCounts = values.streams.split(",").map(Number);
  const repetitions = Number(values.repetitions);
  const seconds = Number(values.seconds);
  if (streamCounts.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(repetitions) || repetitions < 1 || !(seconds > 0)) {
    throw new Error("--streams takes whole numbers ≥ 1 (comma-separated), --repetitions a whole number ≥ 1, --seconds a positive number");
  }
  const audio16k = await noisySpeech(seconds);
  const report = await measureDenoiseStage({
    modelsDir: process.env["MODELS_DIR"] ?? join(tmpdir(), "engine-bench-models"),
    logger: createLogger(process.env["LOG_LEVEL"] ?? "warn"),
    audio16k,
    streamCounts,
    repetitions,
  });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  if (values.json !== undefined) await writeFile(values.json, text);
  process.stdout.write(text);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
