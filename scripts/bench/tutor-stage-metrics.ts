import { parsePrometheus } from "../../test/support/prometheus.js";
import { round } from "./latency-stats.js";

/**
 * The pool's per-utterance stages as the engine's `/metrics` has them (`engine_stage_latency_seconds{stage}`): the
 * ASR queue wait, the Whisper run, and the VAD's end-of-turn decision → transcript broadcast. Two scrapes around an
 * utterance whose counts grew by exactly one give that utterance's own figures; a level's scrapes give its means.
 */
export const POOL_STAGES = ["asr_queue_wait", "asr_run", "speech_end_to_transcript"] as const;
export type PoolStage = (typeof POOL_STAGES)[number];

export interface StageTotals {
  count: number;
  sumMs: number;
  /** Cumulative counts by upper bound (ms; Infinity last), as Prometheus keeps them. */
  buckets: { leMs: number; count: number }[];
}

export type StageSnapshot = Record<PoolStage, StageTotals>;

const FAMILY = "engine_stage_latency_seconds";

export function stageSnapshot(text: string): StageSnapshot {
  const samples = parsePrometheus(text);
  const totals = (stage: PoolStage): StageTotals => {
    const of = (name: string) => samples.filter((s) => s.name === name && s.labels["stage"] === stage);
    const buckets = of(`${FAMILY}_bucket`)
      .map((s) => ({ leMs: s.labels["le"] === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels["le"]) * 1000, count: s.value }))
      .sort((a, b) => a.leMs - b.leMs);
    return { count: of(`${FAMILY}_count`)[0]?.value ?? 0, sumMs: (of(`${FAMILY}_sum`)[0]?.value ?? 0) * 1000, buckets };
  };
  return { asr_queue_wait: totals("asr_queue_wait"), asr_run: totals("asr_run"), speech_end_to_transcript: totals("speech_end_to_transcript") };
}

/** What was observed between two snapshots of the same engine. */
export function stageDelta(before: StageSnapshot, after: StageSnapshot): StageSnapshot {
  const delta = (stage: PoolStage): StageTotals => {
    const a = after[stage];
    const b = before[stage];
    return {
      count: a.count - b.count,
      sumMs: a.sumMs - b.sumMs,
      buckets: a.buckets.map((bucket) => ({ leMs: bucket.leMs, count: bucket.count - (b.buckets.find((x) => x.leMs === bucket.leMs)?.count ?? 0) })),
    };
  };
  return { asr_queue_wait: delta("asr_queue_wait"), asr_run: delta("asr_run"), speech_end_to_transcript: delta("speech_end_to_transcript") };
}

/** One utterance's pool stages (ms). */
export interface UtteranceStages {
  asrQueueMs: number;
  asrRunMs: number;
  /** The VAD's end-of-turn decision (utterance cut) → the transcript broadcast by the room. */
  speechEndToTranscriptMs: number;
}

/** The delta's stages when it holds exactly one utterance (sums are then that utterance's values); else null. */
export function singleUtterance(delta: StageSnapshot): UtteranceStages | null {
  if (POOL_STAGES.some((stage) => delta[stage].count !== 1)) return null;
  return {
    asrQueueMs: round(delta.asr_queue_wait.sumMs, 1),
    asrRunMs: round(delta.asr_run.sumMs, 1),
    speechEndToTranscriptMs: round(delta.speech_end_to_transcript.sumMs, 1),
  };
}

export interface HistogramSummary {
  count: number;
  /** Exact: the histogram's sum ÷ count. */
  mean_ms: number;
  /** Estimated from the buckets (linear within a bucket, as PromQL's histogram_quantile). */
  p50_ms: number;
  p95_ms: number;
}

export function histogramSummary(totals: StageTotals): HistogramSummary {
  if (totals.count <= 0) return { count: 0, mean_ms: 0, p50_ms: 0, p95_ms: 0 };
  return {
    count: totals.count,
    mean_ms: round(totals.sumMs / totals.count, 1),
    p50_ms: round(bucketQuantile(totals, 0.5), 1),
    p95_ms: round(bucketQuantile(totals, 0.95), 1),
  };
}

/** histogram_quantile: the bucket holding rank q × count, linearly interpolated; +Inf gives the last finite bound. */
export function bucketQuantile(totals: StageTotals, q: number): number {
  const rank = q * totals.count;
  let lowerMs = 0;
  let below = 0;
  for (const bucket of totals.buckets) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.leMs)) return lowerMs;
      const inBucket = bucket.count - below;
      return inBucket <= 0 ? bucket.leMs : lowerMs + ((bucket.leMs - lowerMs) * (rank - below)) / inBucket;
    }
    lowerMs = Number.isFinite(bucket.leMs) ? bucket.leMs : lowerMs;
    below = bucket.count;
  }
  return lowerMs;
}

/** Reads the engine's `/metrics` (open: the bench engine sets no METRICS_TOKEN). */
export async function scrapeStages(httpUrl: string): Promise<StageSnapshot> {
  const response = await fetch(`${httpUrl}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return stageSnapshot(await response.text());
}
