import type { DynamicBatcherStats } from "../../src/inference/batching/dynamic-batcher.js";
import type { FaceDetection } from "../../src/inference/models/blazeface.js";
import type { ExpressionScores, FaceCrop } from "../../src/inference/models/face-expression.js";
import type { FaceDetectModel, FaceExpressionModel } from "../../src/inference/registry/model-module.js";
import { FaceAnalyzer } from "../../src/inference/video/face-analysis.js";
import { FacePipeline } from "../../src/inference/video/face-pipeline.js";
import { JpegDecoder } from "../../src/inference/video/jpeg-decoder.js";
import { VIDEO_FRAME_LIMITS } from "../../src/inference/video/jpeg-frame.js";
import type { RgbImage } from "../../src/inference/video/rgb-image.js";
import type { Logger } from "../../src/logger.js";
import { startCpuMeter, type CpuFigures } from "./cpu-meter.js";
import { LatencyRecorder, perSecond, round, type LatencySummary } from "./latency-stats.js";

/**
 * The face pipeline's throughput passes, in process: one frame at a time (decode on a decoding thread, BlazeFace,
 * the expression model, each awaited) vs N streams through `FacePipeline` (the pool's dynamic batcher with
 * keep-newest), and JPEG decoding alone by thread count (the models alone: face-model-passes.ts). Every pass is
 * bounded in time and count; each of N streams keeps one frame in flight and sends its next when answered.
 */

export interface FaceStages {
  /** Each frame's decode on its thread (the thread's own time), mean. */
  decode_ms: number;
  /** Wall time of the batch's decode step, per frame: with several threads below `decode_ms`. */
  decode_wall_ms: number;
  /** BlazeFace's runs (resampling to 128×128 included), per frame. */
  detect_ms: number;
  /** The expression model's runs (face crops included), per frame. */
  expression_ms: number;
}

export interface FacePassResult {
  path: "one_at_a_time" | "batcher";
  streams: number;
  decoder_threads: number;
  detector: "shipped" | "opened";
  frames: number;
  elapsed_ms: number;
  frames_per_s: number;
  faces_per_frame: number;
  mean_batch_size: number;
  stages: FaceStages;
  /** Submit → answer, per frame. */
  latency: LatencySummary;
  cpu: CpuFigures;
  /**
   * This process's CPU time (every thread) per frame: steadier than frames/s on a shared machine; 1000 × cores ÷ it
   * bounds frames/s on a machine of its own.
   */
  cpu_ms_per_frame: number;
}

export interface FacePassBounds {
  maxMs: number;
  maxFrames: number;
  /**
   * Run unmeasured first, at least this long and two batches, so that the decoding threads have started (each
   * thread loads its modules and warms its JIT: a few hundred ms of CPU that is not the steady state).
   */
  warmUpMs: number;
}

/** Adds up the time and items of a model's runs. */
class StageClock {
  ms = 0;
  items = 0;

  async time<T>(items: number, run: () => Promise<T>): Promise<T> {
    const startedAtMs = performance.now();
    try {
      return await run();
    } finally {
      this.ms += performance.now() - startedAtMs;
      this.items += items;
    }
  }
}

function timedDetector(inner: FaceDetectModel, clock: StageClock): FaceDetectModel {
  return { run: (images: readonly RgbImage[]): Promise<FaceDetection[][]> => clock.time(images.length, () => inner.run(images)) };
}

function timedExpression(inner: FaceExpressionModel, clock: StageClock): FaceExpressionModel {
  return { run: (crops: readonly FaceCrop[]): Promise<ExpressionScores[]> => clock.time(crops.length, () => inner.run(crops)) };
}

/** Frames decoded, detected and scored one after another: no batcher, one decoding thread. */
export async function runFaceOneAtATime(
  models: { detector: FaceDetectModel; expression: FaceExpressionModel },
  jpeg: Uint8Array,
  logger: Logger,
  bounds: FacePassBounds,
): Promise<FacePassResult> {
  const decoder = new JpegDecoder(logger, { threads: 1 });
  const detect = new StageClock();
  const express = new StageClock();
  const analyzer = new FaceAnalyzer(timedDetector(models.detector, detect), timedExpression(models.expression, express));
  const latency = new LatencyRecorder(bounds.maxFrames);
  let decodeMs = 0;
  let faces = 0;
  let frames = 0;
  try {
    const warmUpEndMs = performance.now() + bounds.warmUpMs;
    do await analyzer.run([await decoder.decode(jpeg, VIDEO_FRAME_LIMITS)]);
    while (performance.now() < warmUpEndMs);
    const meter = startCpuMeter();
    const startedAtMs = performance.now();
    while (frames < bounds.maxFrames && performance.now() - startedAtMs < bounds.maxMs) {
      const frameAtMs = performance.now();
      const decoded = await decoder.decodeTimed(jpeg, VIDEO_FRAME_LIMITS);
      const [found] = await analyzer.run([decoded.image]);
      latency.record(performance.now() - frameAtMs);
      decodeMs += decoded.decodeMs;
      faces += found?.length ?? 0;
      frames += 1;
    }
    const elapsedMs = performance.now() - startedAtMs;
    const perFrame = (ms: number) => (frames === 0 ? 0 : round(ms / frames));
    return {
      path: "one_at_a_time",
      streams: 1,
      decoder_threads: 1,
      detector: "shipped",
      frames,
      elapsed_ms: round(elapsedMs, 1),
      frames_per_s: perSecond(frames, elapsedMs),
      faces_per_frame: frames === 0 ? 0 : round(faces / frames, 2),
      mean_batch_size: 1,
      stages: {
        decode_ms: perFrame(decodeMs),
        decode_wall_ms: perFrame(elapsedMs - detect.ms - express.ms),
        detect_ms: perFrame(detect.ms),
        expression_ms: perFrame(express.ms),
      },
      latency: latency.summary(),
      ...cpuPerFrame(cpuPer(meter(elapsedMs), frames)),
    };
  } finally {
    await decoder.close();
  }
}

interface MeasuredWindow {
  startedAtMs: number;
  meter: (elapsedMs: number) => CpuFigures;
  detectMs: number;
  expressionMs: number;
  stats: DynamicBatcherStats;
}

/** N streams, each with one frame in flight, through a fresh `FacePipeline` (the pool's batcher settings). */
export async function runFaceBatched(
  models: { detector: FaceDetectModel; expression: FaceExpressionModel; detectorKind: "shipped" | "opened" },
  jpeg: Uint8Array,
  logger: Logger,
  setup: { streams: number; decoderThreads: number; maxBatchSize: number },
  bounds: FacePassBounds,
): Promise<FacePassResult> {
  const detect = new StageClock();
  const express = new StageClock();
  const pipeline = new FacePipeline(timedDetector(models.detector, detect), timedExpression(models.expression, express), logger, {
    decoder: { threads: setup.decoderThreads },
    batcher: { maxBatchSize: setup.maxBatchSize },
  });
  const latency = new LatencyRecorder(bounds.maxFrames + setup.streams);
  const keys = Array.from({ length: setup.streams }, (_, i) => `bench-${i}`);
  for (const key of keys) pipeline.openStream(key);
  let decodeMs = 0;
  let faces = 0;
  let frames = 0;
  let dropped = 0;
  try {
    const warmUpEndMs = performance.now() + bounds.warmUpMs;
    // Set when the warm-up is over: the clock, the CPU meter and the counters the figures are taken against.
    let measured = null as MeasuredWindow | null;
    const startMeasuring = () => {
      const stats = pipeline.stats();
      if (performance.now() < warmUpEndMs || stats.batchesRun < 2) return;
      measured = { startedAtMs: performance.now(), meter: startCpuMeter(), detectMs: detect.ms, expressionMs: express.ms, stats };
    };
    const more = () => measured === null || (frames < bounds.maxFrames && performance.now() - measured.startedAtMs < bounds.maxMs);
    let lastAnswerAtMs = 0;
    await Promise.all(
      keys.map(async (key) => {
        while (more()) {
          const sentAtMs = performance.now();
          const counted = measured !== null;
          const result = await pipeline.analyze(key, jpeg);
          if (!counted) {
            if (measured === null) startMeasuring();
            continue;
          }
          if (result.kind === "dropped") {
            dropped += 1;
            continue;
          }
          lastAnswerAtMs = performance.now();
          latency.record(lastAnswerAtMs - sentAtMs);
          decodeMs += result.timings.decodeMs;
          faces += result.faces.length;
          frames += 1;
        }
      }),
    );
    const window = measured;
    if (window === null) throw new Error("the pass ended before its warm-up did");
    const elapsedMs = lastAnswerAtMs - window.startedAtMs;
    const now = pipeline.stats();
    const stats = {
      batchesRun: now.batchesRun - window.stats.batchesRun,
      batchSizeSum: now.batchSizeSum - window.stats.batchSizeSum,
      runMsTotal: now.runMsTotal - window.stats.runMsTotal,
    };
    const detectMs = detect.ms - window.detectMs;
    const expressionMs = express.ms - window.expressionMs;
    if (dropped > 0) throw new Error(`${dropped} frames dropped with one frame in flight per stream`);
    const perFrame = (ms: number) => (frames === 0 ? 0 : round(ms / frames));
    return {
      path: "batcher",
      streams: setup.streams,
      decoder_threads: setup.decoderThreads,
      detector: models.detectorKind,
      frames,
      elapsed_ms: round(elapsedMs, 1),
      frames_per_s: perSecond(frames, elapsedMs),
      faces_per_frame: frames === 0 ? 0 : round(faces / frames, 2),
      mean_batch_size: stats.batchesRun === 0 ? 0 : round(stats.batchSizeSum / stats.batchesRun, 2),
      stages: {
        decode_ms: perFrame(decodeMs),
        decode_wall_ms: perFrame(stats.runMsTotal - detectMs - expressionMs),
        detect_ms: perFrame(detectMs),
        expression_ms: perFrame(expressionMs),
      },
      latency: latency.summary(),
      ...cpuPerFrame(cpuPer(window.meter(elapsedMs), frames)),
    };
  } finally {
    await pipeline.close();
  }
}

export interface DecodePassResult {
  decoder_threads: number;
  /** Frames kept in flight: two per thread, so a thread never waits for its next frame. */
  in_flight: number;
  frames: number;
  elapsed_ms: number;
  frames_per_s: number;
  /** Each frame's decode on its thread, mean: above the one-thread figure when threads share too few cores. */
  decode_ms: number;
  cpu: CpuFigures;
  cpu_ms_per_frame: number;
}

/** JPEG decoding alone on a fresh `JpegDecoder` of `threads` threads, kept busy. */
export async function runDecodePass(jpeg: Uint8Array, logger: Logger, threads: number, bounds: FacePassBounds): Promise<DecodePassResult> {
  const decoder = new JpegDecoder(logger, { threads });
  const inFlight = 2 * threads;
  try {
    // Every thread started and warmed up before the clock starts.
    await Promise.all(Array.from({ length: inFlight * 2 }, () => decoder.decode(jpeg, VIDEO_FRAME_LIMITS)));
    let frames = 0;
    let decodeMs = 0;
    const meter = startCpuMeter();
    const startedAtMs = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (frames < bounds.maxFrames && performance.now() - startedAtMs < bounds.maxMs) {
          const frame = await decoder.decodeTimed(jpeg, VIDEO_FRAME_LIMITS);
          decodeMs += frame.decodeMs;
          frames += 1;
        }
      }),
    );
    const elapsedMs = performance.now() - startedAtMs;
    return {
      decoder_threads: threads,
      in_flight: inFlight,
      frames,
      elapsed_ms: round(elapsedMs, 1),
      frames_per_s: perSecond(frames, elapsedMs),
      decode_ms: frames === 0 ? 0 : round(decodeMs / frames),
      ...cpuPerFrame(cpuPer(meter(elapsedMs), frames)),
    };
  } finally {
    await decoder.close();
  }
}

const cpuPerFrame = ({ cpu, perItem }: { cpu: CpuFigures; perItem: number }) => ({ cpu, cpu_ms_per_frame: perItem });

/** The pass's CPU figures, and this process's CPU ms per item. */
export function cpuPer(cpu: CpuFigures, items: number): { cpu: CpuFigures; perItem: number } {
  return { cpu, perItem: items === 0 ? 0 : round(cpu.process_cpu_ms / items, 2) };
}
