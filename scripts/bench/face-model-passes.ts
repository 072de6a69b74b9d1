import { DynamicBatcher } from "../../src/inference/batching/dynamic-batcher.js";
import type { ExpressionScores, FaceCrop } from "../../src/inference/models/face-expression.js";
import type { FaceDetectModel, FaceExpressionModel } from "../../src/inference/registry/model-module.js";
import { DEFAULT_FACE_PIPELINE_OPTIONS } from "../../src/inference/video/face-pipeline.js";
import type { RgbImage } from "../../src/inference/video/rgb-image.js";
import { startCpuMeter, type CpuFigures } from "./cpu-meter.js";
import { cpuPer, type FacePassBounds } from "./face-throughput.js";
import { LatencyRecorder, perSecond, ratio, round, type LatencySummary } from "./latency-stats.js";

/**
 * The face models alone: the expression model one face per run vs through a dynamic batcher, and BlazeFace's shipped
 * graph (batch fixed at 1) vs its opened graph. The pipeline's passes are face-throughput.ts.
 */

const cpuPerFace = ({ cpu, perItem }: { cpu: CpuFigures; perItem: number }) => ({ cpu, cpu_ms_per_face: perItem });

export interface ExpressionPassResult {
  path: "one_at_a_time" | "batcher";
  streams: number;
  max_batch_size: number;
  faces: number;
  elapsed_ms: number;
  faces_per_s: number;
  mean_batch_size: number;
  /** Submit → scores, per face. */
  latency: LatencySummary;
  cpu: CpuFigures;
  cpu_ms_per_face: number;
}

/**
 * The expression model alone on one real face crop: `run([crop])` awaited one at a time, or `streams` streams each
 * with one crop in flight through a dynamic batcher of `maxBatchSize` (the face pipeline's queue delay).
 */
export async function runExpressionPass(
  expression: FaceExpressionModel,
  crop: FaceCrop,
  setup: { path: "one_at_a_time" } | { path: "batcher"; streams: number; maxBatchSize: number },
  bounds: FacePassBounds,
): Promise<ExpressionPassResult> {
  const latency = new LatencyRecorder(bounds.maxFrames + 256);
  let faces = 0;
  const meter = startCpuMeter();
  const startedAtMs = performance.now();
  const more = () => faces < bounds.maxFrames && performance.now() - startedAtMs < bounds.maxMs;
  if (setup.path === "one_at_a_time") {
    while (more()) {
      const sentAtMs = performance.now();
      await expression.run([crop]);
      latency.record(performance.now() - sentAtMs);
      faces += 1;
    }
    const elapsedMs = performance.now() - startedAtMs;
    return {
      path: "one_at_a_time",
      streams: 1,
      max_batch_size: 1,
      faces,
      elapsed_ms: round(elapsedMs, 1),
      faces_per_s: perSecond(faces, elapsedMs),
      mean_batch_size: 1,
      latency: latency.summary(),
      ...cpuPerFace(cpuPer(meter(elapsedMs), faces)),
    };
  }
  const batcher = new DynamicBatcher<FaceCrop, ExpressionScores, "live">((crops) => expression.run(crops), {
    maxBatchSize: setup.maxBatchSize,
    maxQueueDelayMs: DEFAULT_FACE_PIPELINE_OPTIONS.batcher.maxQueueDelayMs ?? 10,
    maxQueueSize: Math.max(256, setup.streams),
    lanes: ["live"],
  });
  const keys = Array.from({ length: setup.streams }, (_, i) => `face-${i}`);
  for (const key of keys) batcher.openStream(key);
  try {
    await Promise.all(
      keys.map(async (key) => {
        while (more()) {
          const sentAtMs = performance.now();
          const outcome = await batcher.submit(crop, { lane: "live", streamKey: key, keepNewest: true });
          if (outcome.kind !== "done") throw new Error(`a face was ${outcome.kind} with one in flight per stream`);
          latency.record(performance.now() - sentAtMs);
          faces += 1;
        }
      }),
    );
    const elapsedMs = performance.now() - startedAtMs;
    const stats = batcher.stats();
    return {
      path: "batcher",
      streams: setup.streams,
      max_batch_size: setup.maxBatchSize,
      faces,
      elapsed_ms: round(elapsedMs, 1),
      faces_per_s: perSecond(faces, elapsedMs),
      mean_batch_size: stats.batchesRun === 0 ? 0 : round(stats.batchSizeSum / stats.batchesRun, 2),
      latency: latency.summary(),
      ...cpuPerFace(cpuPer(meter(elapsedMs), faces)),
    };
  } finally {
    await batcher.close();
  }
}

export interface BlazeFaceGraphResult {
  /** ms per image: `run([image])` awaited one at a time, and `run(batch)`, for the shipped and the opened graph. */
  shipped_one_ms: number;
  shipped_batch_ms: number;
  opened_one_ms: number | null;
  opened_batch_ms: number | null;
  batch: number;
  /** shipped run(batch) ÷ opened run(batch) per image: above 1, the opened graph is faster. */
  opened_speedup: number | null;
}

/** BlazeFace's graphs head to head on decoded frames, `rounds` rounds interleaved, the median round reported. */
export async function runBlazeFaceGraphs(
  shipped: FaceDetectModel,
  opened: FaceDetectModel | null,
  image: RgbImage,
  batch: number,
  rounds: number,
): Promise<BlazeFaceGraphResult> {
  const images = Array.from({ length: batch }, () => image);
  const perImage = async (model: FaceDetectModel, together: boolean) => {
    const startedAtMs = performance.now();
    if (together) await model.run(images);
    else for (const one of images) await model.run([one]);
    return (performance.now() - startedAtMs) / batch;
  };
  const samples: number[][] = [[], [], [], []];
  for (let round = 0; round <= rounds; round++) {
    const figures = [
      await perImage(shipped, false),
      await perImage(shipped, true),
      opened === null ? 0 : await perImage(opened, false),
      opened === null ? 0 : await perImage(opened, true),
    ];
    if (round > 0) figures.forEach((value, i) => samples[i]?.push(value)); // round 0 warms up
  }
  const median = (values: number[] | undefined) => {
    const sorted = [...(values ?? [])].sort((a, b) => a - b);
    return round(sorted[Math.floor((sorted.length - 1) / 2)] ?? 0);
  };
  const [shippedOne, shippedBatch, openedOne, openedBatch] = samples.map(median);
  return {
    shipped_one_ms: shippedOne ?? 0,
    shipped_batch_ms: shippedBatch ?? 0,
    opened_one_ms: opened === null ? null : (openedOne ?? 0),
    opened_batch_ms: opened === null ? null : (openedBatch ?? 0),
    batch,
    opened_speedup: opened === null || !openedBatch ? null : ratio(shippedBatch ?? 0, openedBatch),
  };
}
