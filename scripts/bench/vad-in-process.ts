import type { SileroVad } from "../../src/inference/models/silero-vad.js";
import { VadBatcher } from "../../src/inference/vad/vad-batcher.js";
import { trackOffset } from "./bench-audio.js";
import { startCpuMeter, type CpuFigures } from "./cpu-meter.js";
import {
  LatencyRecorder,
  perSecond,
  round,
  startEventLoopMonitor,
  type EventLoopDelaySummary,
  type LatencySummary,
} from "./latency-stats.js";

/** Bounds of one pass: it stops taking new chunks at whichever comes first. */
export interface VadPassBounds {
  maxMs: number;
  maxChunks: number;
}

export interface VadBaselineResult {
  streams: number;
  chunks: number;
  elapsed_ms: number;
  chunks_per_s: number;
  /** One `session.run` each (call → resolved). */
  latency: LatencySummary;
  event_loop_delay: EventLoopDelaySummary;
  cpu: CpuFigures;
}

/**
 * (a) One `session.run` per chunk: batch of 1, each stream's state kept apart, streams served round-robin. Runs are
 * awaited one by one: onnxruntime-node's run blocks the JS thread, so issuing them concurrently would gain nothing.
 */
export async function runVadBaseline(
  vad: SileroVad,
  chunks: readonly Float32Array[],
  streams: number,
  bounds: VadPassBounds,
): Promise<VadBaselineResult> {
  const states = Array.from({ length: streams }, () => vad.createStreamState());
  const positions = Array.from({ length: streams }, (_, i) => trackOffset(i, chunks.length));
  const latency = new LatencyRecorder(bounds.maxChunks);
  const stopMonitor = startEventLoopMonitor();
  const stopCpu = startCpuMeter();
  const startedMs = performance.now();
  const deadlineMs = startedMs + bounds.maxMs;
  let done = 0;
  let now = startedMs;
  while (done < bounds.maxChunks && now < deadlineMs) {
    const stream = done % streams;
    const position = positions[stream] ?? 0;
    const chunk = chunks[position % chunks.length];
    const state = states[stream];
    if (chunk === undefined || state === undefined) throw new Error("baseline stream out of range");
    const result = await vad.runBatch(chunk, state, 1);
    states[stream] = result.state;
    positions[stream] = position + 1;
    const finishedMs = performance.now();
    latency.record(finishedMs - now);
    now = finishedMs;
    done += 1;
  }
  const elapsedMs = now - startedMs;
  return {
    streams,
    chunks: done,
    elapsed_ms: round(elapsedMs, 1),
    chunks_per_s: perSecond(done, elapsedMs),
    latency: latency.summary(),
    event_loop_delay: stopMonitor(),
    cpu: stopCpu(elapsedMs),
  };
}

export interface VadBatchedResult {
  streams: number;
  window_chunks: number;
  chunks: number;
  elapsed_ms: number;
  chunks_per_s: number;
  /** Wall time per chunk (all on one thread: the path's cost per chunk). */
  wall_us_per_chunk: number;
  /** Enqueue → resolved; includes waiting behind up to window−1 of the stream's own chunks (one per batch). */
  latency: LatencySummary;
  batches: number;
  mean_batch_size: number;
  /** Time inside `runBatch` (the ORT call plus tensor wrapping), and its share of the pass. */
  model_run_ms: number;
  model_share: number;
  /** Chunks per second of model time alone: the ceiling the batcher's overhead is measured against. */
  model_only_chunks_per_s: number;
  errors: number;
  event_loop_delay: EventLoopDelaySummary;
  cpu: CpuFigures;
}

/**
 * (b) The pool's batched path: a `VadBatcher` (default options) over the same `SileroVad`. Each of N streams keeps
 * `windowChunks` real-speech chunks enqueued, refilling as each resolves, all streams at once.
 */
export async function runVadBatched(
  vad: SileroVad,
  chunks: readonly Float32Array[],
  streams: number,
  windowChunks: number,
  bounds: VadPassBounds,
): Promise<VadBatchedResult> {
  const batcher = new VadBatcher(vad, { maxStreams: Math.max(streams, 1) });
  const latency = new LatencyRecorder(bounds.maxChunks);
  const perStream = Math.max(1, Math.floor(bounds.maxChunks / streams));
  let errors = 0;
  const stopMonitor = startEventLoopMonitor();
  const stopCpu = startCpuMeter();
  const startedMs = performance.now();
  const deadlineMs = startedMs + bounds.maxMs;

  const feed = (index: number) =>
    new Promise<void>((resolve) => {
      const streamId = `bench-${index}`;
      batcher.open(streamId);
      const first = trackOffset(index, chunks.length);
      let sent = 0;
      let outstanding = 0;
      const settle = (enqueuedMs: number, ok: boolean) => {
        if (ok) latency.record(performance.now() - enqueuedMs);
        else errors += 1;
        outstanding -= 1;
        pump();
      };
      const pump = () => {
        while (outstanding < windowChunks && sent < perStream && performance.now() < deadlineMs) {
          const chunk = chunks[(first + sent) % chunks.length];
          if (chunk === undefined) break;
          sent += 1;
          outstanding += 1;
          const enqueuedMs = performance.now();
          batcher.enqueue(streamId, chunk).then(
            () => settle(enqueuedMs, true),
            () => settle(enqueuedMs, false),
          );
        }
        if (outstanding === 0) {
          batcher.closeStream(streamId);
          resolve();
        }
      };
      pump();
    });

  await Promise.all(Array.from({ length: streams }, (_, i) => feed(i)));
  const elapsedMs = performance.now() - startedMs;
  const eventLoopDelay = stopMonitor();
  const cpu = stopCpu(elapsedMs);
  const stats = batcher.stats();
  await batcher.close();
  return {
    streams,
    window_chunks: windowChunks,
    chunks: stats.chunksProcessed,
    elapsed_ms: round(elapsedMs, 1),
    chunks_per_s: perSecond(stats.chunksProcessed, elapsedMs),
    wall_us_per_chunk: stats.chunksProcessed === 0 ? 0 : round((elapsedMs * 1000) / stats.chunksProcessed, 1),
    latency: latency.summary(),
    batches: stats.batchesRun,
    mean_batch_size: stats.batchesRun === 0 ? 0 : round(stats.batchSizeSum / stats.batchesRun, 1),
    model_run_ms: round(stats.runMsTotal, 1),
    model_share: elapsedMs <= 0 ? 0 : round(stats.runMsTotal / elapsedMs),
    model_only_chunks_per_s: perSecond(stats.chunksProcessed, stats.runMsTotal),
    errors,
    event_loop_delay: eventLoopDelay,
    cpu,
  };
}
