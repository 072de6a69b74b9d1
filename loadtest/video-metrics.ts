import { VIDEO_FRAME_OUTCOMES, type VideoFrameOutcome } from "../src/metrics/engine-metrics.js";
import type { KnownModelName } from "../src/inference/registry/model-names.js";
import { metricValue, type PromSample } from "../test/support/prometheus.js";

/**
 * The engine's camera figures from `/metrics`: `engine_video_frames_total{outcome}` and the histogram
 * `engine_video_stage_latency_seconds{stage}`. Histograms only give bucket counts, so quantiles are interpolated
 * within a bucket (linearly, as Prometheus' `histogram_quantile` does): a p99 of 380 ms means "in the 250–500 ms
 * bucket"; the share of frames within a bound that is a bucket edge (500 ms is one) is exact.
 */
export const VIDEO_STAGES = ["queue", "decode", "detect", "expression", "frame_to_result"] as const;
export type VideoStage = (typeof VIDEO_STAGES)[number];
/** The face pipeline's models: a camera run waits until both are loaded. */
export const FACE_MODELS: readonly KnownModelName[] = ["blazeface_front_128", "human_emotion"];

/** A cumulative histogram as scraped: `le` in seconds (the last is +Infinity), counts cumulative. */
export interface HistogramSample {
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

export interface VideoSample {
  frames: Record<VideoFrameOutcome, number>;
  stages: Record<VideoStage, HistogramSample>;
  face_models_loaded: number;
  /** Frames waiting for the face models (their queue depth gauges, live lane). */
  face_queue: number;
  /** `engine_errors_total{source="pool"}` by code (audio and video alike). */
  pool_errors: Record<string, number>;
}

function histogram(samples: readonly PromSample[], name: string, labels: Record<string, string>): HistogramSample {
  const buckets = samples
    .filter((s) => s.name === `${name}_bucket` && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .map((s) => ({ le: s.labels["le"] === "+Inf" ? Infinity : Number(s.labels["le"]), count: s.value }))
    .filter((b) => !Number.isNaN(b.le))
    .sort((a, b) => a.le - b.le);
  return { buckets, sum: metricValue(samples, `${name}_sum`, labels) ?? 0, count: metricValue(samples, `${name}_count`, labels) ?? 0 };
}

export function readVideoSample(samples: readonly PromSample[]): VideoSample {
  const poolErrors: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== "engine_errors_total" || s.labels["source"] !== "pool") continue;
    const code = s.labels["code"] ?? "unknown";
    poolErrors[code] = (poolErrors[code] ?? 0) + s.value;
  }
  return {
    frames: Object.fromEntries(
      VIDEO_FRAME_OUTCOMES.map((outcome) => [outcome, metricValue(samples, "engine_video_frames_total", { outcome }) ?? 0]),
    ) as Record<VideoFrameOutcome, number>,
    stages: Object.fromEntries(
      VIDEO_STAGES.map((stage) => [stage, histogram(samples, "engine_video_stage_latency_seconds", { stage })]),
    ) as Record<VideoStage, HistogramSample>,
    face_models_loaded: FACE_MODELS.filter((model) => (metricValue(samples, "engine_inference_model_loaded", { model }) ?? 0) >= 1).length,
    face_queue: FACE_MODELS.reduce((n, model) => n + (metricValue(samples, "engine_inference_model_queue_depth", { model, lane: "live" }) ?? 0), 0),
    pool_errors: poolErrors,
  };
}

/** What was observed between two scrapes (a counter reset, an engine restart, reads as nothing). */
export function histogramDelta(from: HistogramSample, to: HistogramSample): HistogramSample {
  const before = new Map(from.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: to.buckets.map((b) => ({ le: b.le, count: Math.max(0, b.count - (before.get(b.le) ?? 0)) })),
    sum: Math.max(0, to.sum - from.sum),
    count: Math.max(0, to.count - from.count),
  };
}

/**
 * The q-quantile in ms, interpolated linearly inside its bucket (from 0 for the first); null with no observation.
 * One in the +Inf bucket is reported as the highest finite bound (it is "more than that").
 */
export function histogramQuantileMs(h: HistogramSample, q: number): number | null {
  const total = h.buckets[h.buckets.length - 1]?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return Math.round(lowerLe * 1000);
      const within = b.count - lowerCount;
      const fraction = within <= 0 ? 1 : (rank - lowerCount) / within;
      return Math.round((lowerLe + (b.le - lowerLe) * fraction) * 1000);
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return Math.round(lowerLe * 1000);
}

/** Share of observations at or under `boundMs`: exact when the bound is a bucket edge, else interpolated. */
export function shareWithinMs(h: HistogramSample, boundMs: number): number | null {
  const total = h.buckets[h.buckets.length - 1]?.count ?? 0;
  if (total <= 0) return null;
  const bound = boundMs / 1000;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of h.buckets) {
    if (b.le >= bound) {
      const within = b.le === Infinity ? 0 : ((bound - lowerLe) / (b.le - lowerLe)) * (b.count - lowerCount);
      return round3((lowerCount + within) / total);
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return 1;
}

export interface StageFigures {
  count: number;
  mean_ms: number;
  /** Interpolated from the histogram's buckets (see above). */
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

export interface VideoEngineFigures {
  frames: Record<VideoFrameOutcome, number>;
  /** dropped_stale ÷ received: frames the room took that the pool skipped because a newer one of that camera came. */
  stale_share: number;
  stages: Record<VideoStage, StageFigures>;
  /** Share of frame → result at or under `bound_ms` (exact when the bound is a bucket edge, as 500 ms is). */
  frame_to_result_within_bound: { bound_ms: number; share: number | null };
  face_queue_max: number;
  pool_errors: Record<string, number>;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function stageFigures(h: HistogramSample): StageFigures {
  return {
    count: h.count,
    mean_ms: h.count <= 0 ? 0 : Math.round((h.sum / h.count) * 1000 * 10) / 10,
    p50_ms: histogramQuantileMs(h, 0.5),
    p95_ms: histogramQuantileMs(h, 0.95),
    p99_ms: histogramQuantileMs(h, 0.99),
  };
}

/** The engine's camera figures between two scrapes; `during` are the scrapes in between (for the gauges' peaks). */
export function videoFigures(from: VideoSample, to: VideoSample, during: readonly VideoSample[], boundMs: number): VideoEngineFigures {
  const frames = Object.fromEntries(
    VIDEO_FRAME_OUTCOMES.map((outcome) => [outcome, Math.max(0, to.frames[outcome] - from.frames[outcome])]),
  ) as Record<VideoFrameOutcome, number>;
  const deltas = Object.fromEntries(VIDEO_STAGES.map((stage) => [stage, histogramDelta(from.stages[stage], to.stages[stage])])) as Record<
    VideoStage,
    HistogramSample
  >;
  const poolErrors: Record<string, number> = {};
  for (const [code, value] of Object.entries(to.pool_errors)) {
    const delta = value - (from.pool_errors[code] ?? 0);
    if (delta > 0) poolErrors[code] = delta;
  }
  return {
    frames,
    stale_share: frames.received <= 0 ? 0 : round3(frames.dropped_stale / frames.received),
    stages: Object.fromEntries(VIDEO_STAGES.map((stage) => [stage, stageFigures(deltas[stage])])) as Record<VideoStage, StageFigures>,
    frame_to_result_within_bound: { bound_ms: boundMs, share: shareWithinMs(deltas.frame_to_result, boundMs) },
    face_queue_max: [from, ...during, to].reduce((m, s) => Math.max(m, s.face_queue), 0),
    pool_errors: poolErrors,
  };
}
