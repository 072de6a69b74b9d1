import { SileroVad } from "../../src/inference/models/silero-vad.js";
import type { Logger } from "../../src/logger.js";
import type { BenchAudio } from "./bench-audio.js";
import type { BenchOptions } from "./bench-options.js";
import type { PhaseRunner } from "./phase-runner.js";
import { medianRepetition, type WithRepetitions } from "./repetitions.js";
import { startPoolWorker } from "./pool-worker-handle.js";
import { servePool } from "./served-pool.js";
import { runVadBaseline, runVadBatched, type VadBaselineResult, type VadBatchedResult } from "./vad-in-process.js";
import { NEVER_CONFIRM_SPEECH_MS, runPoolStreamPass, type PoolStreamResult } from "./vad-pool-stream.js";

/** Chunks of the baseline's warm-up runs (first runs allocate). */
const BASELINE_WARM_UP_CHUNKS = 300;

export interface VadFigures {
  baseline: WithRepetitions<VadBaselineResult> | null;
  batched: WithRepetitions<VadBatchedResult>[];
  sessions: WithRepetitions<PoolStreamResult>[];
  grpc: WithRepetitions<PoolStreamResult>[];
  grpcWorker: WithRepetitions<PoolStreamResult>[];
}

/**
 * Parts 1 and 2: standalone SileroVads (the baseline's on this thread, the VadBatcher's on a model thread as the pool
 * runs it), a VAD-only pool served over gRPC on this thread, and the same pool on a worker thread (as the engine runs
 * it), all loaded for the whole phase so that, per stream count, the paths run interleaved repetition by repetition.
 */
export async function benchVad(
  options: BenchOptions,
  audio: BenchAudio,
  logger: Logger,
  runner: PhaseRunner,
): Promise<VadFigures> {
  const maxStreams = Math.max(1024, 2 * Math.max(...options.streamCounts));
  // The baseline is a plain in-thread session.run per chunk: a model thread would add a thread hop to every chunk.
  const baselineVad = await SileroVad.load({ thread: "current" });
  const vad = await SileroVad.load().catch(async (error: unknown) => {
    await baselineVad.close();
    throw error;
  });
  const served = await servePool({
    modelsDir: options.modelsDir,
    logger,
    // See NEVER_CONFIRM_SPEECH_MS: VAD and segmenter run on every chunk, no utterance reaches ASR.
    segmenter: { paddingMs: 300, minSpeechMs: NEVER_CONFIRM_SPEECH_MS },
    // The bench drives every stream over one call: the per-call bounds are lifted to the pool-wide one.
    vad: { maxStreams, maxStreamsPerGroup: maxStreams },
    maxStreamsPerCall: maxStreams,
  });
  const worker = await startPoolWorker({
    modelsDir: options.modelsDir,
    logLevel: options.logLevel,
    minSpeechMs: NEVER_CONFIRM_SPEECH_MS,
    maxStreams,
  }).catch(async (error: unknown) => {
    await served.close();
    await vad.close();
    await baselineVad.close();
    throw error;
  });
  const { chunks, pcm16Chunks } = audio.track;
  const w = options.windowChunks;
  const k = options.chunksPerMessage;
  const measured = { maxMs: options.vadPassMaxMs, maxChunks: options.vadPassMaxChunks };
  const warmUp = { maxMs: options.vadWarmUpMs, maxChunks: options.vadPassMaxChunks };
  const figures: VadFigures = { baseline: null, batched: [], sessions: [], grpc: [], grpcWorker: [] };
  try {
    figures.baseline = await runner.run("vad_baseline", async () => {
      runner.progress(`VAD baseline: one run per chunk, ${options.vadBaselineStreams} streams round-robin`);
      const streams = options.vadBaselineStreams;
      await runVadBaseline(baselineVad, chunks, streams, {
        maxMs: options.vadWarmUpMs,
        maxChunks: BASELINE_WARM_UP_CHUNKS,
      });
      const reps: VadBaselineResult[] = [];
      for (let rep = 0; rep < options.repetitions; rep++) {
        reps.push(
          await runVadBaseline(baselineVad, chunks, streams, {
            maxMs: options.vadBaselineMaxMs,
            maxChunks: options.vadBaselineMaxChunks,
          }),
        );
      }
      return medianRepetition(reps, (r) => r.chunks_per_s);
    });

    for (const n of options.streamCounts) {
      await runner.run(`vad_${n}_streams`, async () => {
        runner.progress(`VAD, ${n} streams: VadBatcher, pool session, gRPC, gRPC to a worker × ${options.repetitions}`);
        const sessionTarget = { transport: "session", pool: served.pool } as const;
        // The engine's AudioLink merging (ChunkCoalescer) on both gRPC paths: the figure is the engine's.
        const coalesce = { coalesceMaxDelayMs: options.coalesceMaxDelayMs };
        const grpcTarget = { transport: "grpc", pool: served.pool, client: served.client, coalesce } as const;
        const workerTarget = { transport: "grpc_worker", client: worker.client, coalesce } as const;
        await runVadBatched(vad, chunks, n, w, warmUp);
        await runPoolStreamPass(sessionTarget, pcm16Chunks, n, w, k, warmUp, `sw${n}`);
        await runPoolStreamPass(grpcTarget, pcm16Chunks, n, w, k, warmUp, `gw${n}`);
        await runPoolStreamPass(workerTarget, pcm16Chunks, n, w, k, warmUp, `ww${n}`);
        const batched: VadBatchedResult[] = [];
        const sessions: PoolStreamResult[] = [];
        const grpc: PoolStreamResult[] = [];
        const grpcWorker: PoolStreamResult[] = [];
        for (let rep = 0; rep < options.repetitions; rep++) {
          batched.push(await runVadBatched(vad, chunks, n, w, measured));
          sessions.push(await runPoolStreamPass(sessionTarget, pcm16Chunks, n, w, k, measured, `s${n}r${rep}`));
          grpc.push(await runPoolStreamPass(grpcTarget, pcm16Chunks, n, w, k, measured, `g${n}r${rep}`));
          grpcWorker.push(await runPoolStreamPass(workerTarget, pcm16Chunks, n, w, k, measured, `w${n}r${rep}`));
        }
        const byThroughput = (r: { chunks_per_s: number }) => r.chunks_per_s;
        const medianBatched = medianRepetition(batched, byThroughput);
        const medianSession = medianRepetition(sessions, byThroughput);
        const medianGrpc = medianRepetition(grpc, byThroughput);
        const medianWorker = medianRepetition(grpcWorker, byThroughput);
        if (medianBatched !== null) figures.batched.push(medianBatched);
        if (medianSession !== null) figures.sessions.push(medianSession);
        if (medianGrpc !== null) figures.grpc.push(medianGrpc);
        if (medianWorker !== null) figures.grpcWorker.push(medianWorker);
      });
    }
  } finally {
    await worker.close();
    await served.close();
    await vad.close();
    await baselineVad.close();
  }
  return figures;
}
