import type { AsrFigures, AsrPoolResult } from "./asr-phase.js";
import type { AsrPathResult } from "./asr-throughput.js";
import type { BenchOptions, BenchPart } from "./bench-options.js";
import type { FaceSection } from "./face-report.js";
import { ratio } from "./latency-stats.js";
import type { MachineInfo } from "./machine-info.js";
import type { WithRepetitions } from "./repetitions.js";
import type { VadFigures } from "./vad-phase.js";
import type { VadBaselineResult, VadBatchedResult } from "./vad-in-process.js";
import type { PoolStreamResult } from "./vad-pool-stream.js";
import type { DenoiseStageReport } from "./denoise-stage.js";
import type { StreamedWerReport } from "./streamed-wer.js";
import type { WindowWerReport } from "./window-wer.js";
import type { TtsReport } from "./tts-phase.js";
import type { EnhanceReport } from "./enhance-phase.js";

/** The targets the pool was built to meet. */
export const BENCH_TARGETS = {
  vadBatchedVsBaselineMin: 2.5,
  vadBatchedTargetStreams: 128,
  grpcVsInProcessMin: 0.9,
  asrPoolVsRawMin: 0.8,
  asrFittedVsFullWindowMin: 2,
} as const;

export interface TargetResult {
  id: string;
  description: string;
  /** The figure must be at least `min` (a throughput ratio) or below `max` (a latency, a share): one is set. */
  min: number | null;
  max: number | null;
  /** Null when the figure was not measured (a stream count left out, or a failed phase). */
  actual: number | null;
  pass: boolean | null;
}

export type BatchedVadEntry = WithRepetitions<VadBatchedResult> & { ratio_vs_baseline: number | null };

export type GrpcVadEntry = WithRepetitions<PoolStreamResult> & {
  in_process_chunks_per_s: number | null;
  ratio_vs_in_process: number | null;
  meets_target: boolean | null;
  /** The same pass through `pool.openAudioSession` without gRPC: splits the loss into pool overhead and gRPC. */
  pool_session_chunks_per_s: number | null;
  ratio_vs_pool_session: number | null;
};

export type AsrPoolEntry = WithRepetitions<AsrPoolResult> & {
  ratio_vs_raw: number | null;
  meets_target: boolean | null;
};

export interface BenchReport {
  schema: "bench-inference/1";
  started_at: string;
  finished_at: string;
  duration_ms: number;
  mode: BenchOptions["mode"];
  /** The parts that ran (`--only`); the sections of the others are empty. */
  parts: BenchPart[];
  /** Every phase ran without an exception. */
  ok: boolean;
  /** Every target that was measured is met (null when none was). */
  pass: boolean | null;
  machine: MachineInfo & { load_average_1m_end: number };
  parameters: Record<string, unknown>;
  audio: Record<string, unknown>;
  targets: TargetResult[];
  vad: { baseline: WithRepetitions<VadBaselineResult> | null; batched: BatchedVadEntry[] };
  /** gRPC StreamAudio to a pool (and server) on this thread, as specified: client, server and VAD share it. */
  grpc_vad: GrpcVadEntry[];
  /** gRPC StreamAudio to the same pool on a worker thread (the engine's topology): the client is off its thread. */
  grpc_worker_vad: GrpcVadEntry[];
  /** Decomposition of `grpc_vad`: the pool's audio session in process, same audio and pacing, no gRPC. */
  pool_session_vad: WithRepetitions<PoolStreamResult>[];
  asr: {
    raw: WithRepetitions<AsrPathResult> | null;
    /** Whisper with the shipped 30 s window only (the raw figure before windows were fitted). */
    raw_full_window: WithRepetitions<AsrPathResult> | null;
    /** raw ÷ raw_full_window utterances/s. */
    fitted_vs_full_window: number | null;
    pool_grpc: AsrPoolEntry | null;
    pool_in_process: AsrPoolEntry | null;
  };
  /** The face pipeline (decode, BlazeFace, expression): null when the part did not run or failed. */
  face: FaceSection | null;
  /** RNNoise's cost per stream through the pool (scripts/bench/denoise-stage.ts); null when it did not run. */
  denoise: DenoiseStageReport | null;
  /** Whisper's window vs word errors (scripts/bench/window-wer.ts); null when it did not run. */
  whisper_window: WindowWerReport | null;
  /** Streamed vs whole-file WER on recorded speech (scripts/bench/streamed-wer.ts); null when it did not run. */
  streamed_wer: StreamedWerReport | null;
  /** Speech synthesis through gRPC Synthesize (scripts/bench/tts-phase.ts); null when it did not run. */
  tts: TtsReport | null;
  /** ESRGAN super-resolution: time per frame and PSNR on photos (scripts/bench/enhance-phase.ts); null when it did not run. */
  enhance: EnhanceReport | null;
  phase_errors: { phase: string; message: string }[];
  notes: string[];
  observations: string[];
}

export function vadSections(
  vad: VadFigures,
): Pick<BenchReport, "vad" | "grpc_vad" | "grpc_worker_vad" | "pool_session_vad"> {
  const batched: BatchedVadEntry[] = vad.batched.map((entry) => ({
    ...entry,
    ratio_vs_baseline: vad.baseline === null ? null : ratio(entry.chunks_per_s, vad.baseline.chunks_per_s),
  }));
  const compared = (entry: WithRepetitions<PoolStreamResult>): GrpcVadEntry => {
    const inProcess = vad.batched.find((b) => b.streams === entry.streams);
    const session = vad.sessions.find((b) => b.streams === entry.streams);
    const figure = inProcess === undefined ? null : ratio(entry.chunks_per_s, inProcess.chunks_per_s);
    return {
      ...entry,
      in_process_chunks_per_s: inProcess?.chunks_per_s ?? null,
      ratio_vs_in_process: figure,
      meets_target: figure === null ? null : figure >= BENCH_TARGETS.grpcVsInProcessMin,
      pool_session_chunks_per_s: session?.chunks_per_s ?? null,
      ratio_vs_pool_session: session === undefined ? null : ratio(entry.chunks_per_s, session.chunks_per_s),
    };
  };
  return {
    vad: { baseline: vad.baseline, batched },
    grpc_vad: vad.grpc.map(compared),
    grpc_worker_vad: vad.grpcWorker.map(compared),
    pool_session_vad: vad.sessions,
  };
}

export function asrSection(asr: AsrFigures): BenchReport["asr"] {
  const entry = (path: WithRepetitions<AsrPoolResult> | null): AsrPoolEntry | null => {
    if (path === null) return null;
    const figure = asr.raw === null ? null : ratio(path.utterances_per_s, asr.raw.utterances_per_s);
    return { ...path, ratio_vs_raw: figure, meets_target: figure === null ? null : figure >= BENCH_TARGETS.asrPoolVsRawMin };
  };
  const fitted = asr.raw === null || asr.raw_full_window === null ? null : ratio(asr.raw.utterances_per_s, asr.raw_full_window.utterances_per_s);
  return { raw: asr.raw, raw_full_window: asr.raw_full_window, fitted_vs_full_window: fitted, pool_grpc: entry(asr.pool_grpc), pool_in_process: entry(asr.pool_in_process) };
}

export function evaluateTargets(
  report: Pick<BenchReport, "vad" | "grpc_vad" | "grpc_worker_vad" | "asr">,
): TargetResult[] {
  const n = BENCH_TARGETS.vadBatchedTargetStreams;
  const batchedAtN = report.vad.batched.find((entry) => entry.streams === n)?.ratio_vs_baseline ?? null;
  const grpcAtN = report.grpc_vad.find((entry) => entry.streams === n)?.ratio_vs_in_process ?? null;
  const workerAtN = report.grpc_worker_vad.find((entry) => entry.streams === n)?.ratio_vs_in_process ?? null;
  const target = (id: string, description: string, min: number, actual: number | null): TargetResult => ({
    id,
    description,
    min,
    max: null,
    actual,
    pass: actual === null ? null : actual >= min,
  });
  return [
    target(
      "vad_batched_vs_baseline",
      `VAD chunks/s, VadBatcher with ${n} streams ÷ one session.run per chunk`,
      BENCH_TARGETS.vadBatchedVsBaselineMin,
      batchedAtN,
    ),
    target(
      "vad_grpc_vs_in_process",
      `VAD chunks/s through gRPC StreamAudio (pool on this thread) ÷ in-process VadBatcher, ${n} streams`,
      BENCH_TARGETS.grpcVsInProcessMin,
      grpcAtN,
    ),
    target(
      "vad_grpc_worker_vs_in_process",
      `VAD chunks/s through gRPC StreamAudio (pool on a worker thread) ÷ in-process VadBatcher, ${n} streams`,
      BENCH_TARGETS.grpcVsInProcessMin,
      workerAtN,
    ),
    target(
      "asr_fitted_vs_full_window",
      "Whisper utterances/s with the window fitted to each utterance ÷ with the shipped 30 s window (WhisperAsr in a loop)",
      BENCH_TARGETS.asrFittedVsFullWindowMin,
      report.asr.fitted_vs_full_window,
    ),
    target(
      "asr_pool_grpc_vs_raw",
      "ASR utterances/s through gRPC Transcribe ÷ WhisperAsr.transcribe in a loop",
      BENCH_TARGETS.asrPoolVsRawMin,
      report.asr.pool_grpc?.ratio_vs_raw ?? null,
    ),
    target(
      "asr_pool_in_process_vs_raw",
      "ASR utterances/s through pool.transcribe ÷ WhisperAsr.transcribe in a loop",
      BENCH_TARGETS.asrPoolVsRawMin,
      report.asr.pool_in_process?.ratio_vs_raw ?? null,
    ),
  ];
}

export function overallPass(targets: TargetResult[]): boolean | null {
  const measured = targets.filter((t) => t.pass !== null);
  return measured.length === 0 ? null : measured.every((t) => t.pass === true);
}
