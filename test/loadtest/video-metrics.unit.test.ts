import { describe, expect, it } from "vitest";
import { histogramDelta, histogramQuantileMs, readVideoSample, shareWithinMs, videoFigures, type HistogramSample } from "../../loadtest/video-metrics.js";
import { parsePrometheus } from "../support/prometheus.js";

/** Cumulative buckets as prom-client writes them, from per-bucket counts over the engine's latency bounds. */
function histogram(perBucket: number[], sum = 0): HistogramSample {
  const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, Infinity];
  let running = 0;
  const buckets = bounds.map((le, i) => ({ le, count: (running += perBucket[i] ?? 0) }));
  return { buckets, sum, count: running };
}

describe("the load run's reading of the engine's video histograms", () => {
  it("interpolates a quantile inside its bucket, from 0 for the first, and stops at the last finite bound", () => {
    // 100 frames: 50 in 100–250 ms, 49 in 250–500 ms, 1 in 0.5–1 s.
    const h = histogram([0, 0, 0, 0, 0, 50, 49, 1]);
    expect(histogramQuantileMs(h, 0.5)).toBe(250);
    expect(histogramQuantileMs(h, 0.25)).toBe(175);
    expect(histogramQuantileMs(h, 0.99)).toBe(500);
    expect(histogramQuantileMs(h, 1)).toBe(1000);
    expect(histogramQuantileMs(histogram([4]), 0.5)).toBe(3); // 2 of 4 in 0–5 ms: half-way, rounded
    expect(histogramQuantileMs(histogram([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]), 0.5)).toBe(16_000);
    expect(histogramQuantileMs(histogram([]), 0.99)).toBeNull();
  });

  it("the share within a bucket edge is exact; between edges it is interpolated", () => {
    const h = histogram([0, 0, 0, 0, 0, 50, 49, 1]);
    expect(shareWithinMs(h, 500)).toBe(0.99);
    expect(shareWithinMs(h, 375)).toBe(0.745);
    expect(shareWithinMs(h, 60_000)).toBe(1);
    expect(shareWithinMs(histogram([]), 500)).toBeNull();
  });

  it("reads frames, stages and the face models from a scrape, and takes what happened between two scrapes", () => {
    const text = (analysed: number, stale: number, slow: number) =>
      [
        `engine_video_frames_total{outcome="received"} ${analysed + stale}`,
        `engine_video_frames_total{outcome="refused"} 0`,
        `engine_video_frames_total{outcome="analysed"} ${analysed}`,
        `engine_video_frames_total{outcome="dropped_stale"} ${stale}`,
        ...["queue", "decode", "detect", "expression", "frame_to_result"].flatMap((stage) => [
          `engine_video_stage_latency_seconds_bucket{le="0.25",stage="${stage}"} ${analysed - slow}`,
          `engine_video_stage_latency_seconds_bucket{le="0.5",stage="${stage}"} ${analysed}`,
          `engine_video_stage_latency_seconds_bucket{le="+Inf",stage="${stage}"} ${analysed}`,
          `engine_video_stage_latency_seconds_sum{stage="${stage}"} ${analysed * 0.2}`,
          `engine_video_stage_latency_seconds_count{stage="${stage}"} ${analysed}`,
        ]),
        `engine_inference_model_loaded{pool="0",model="blazeface_front_128"} 1`,
        `engine_inference_model_loaded{pool="0",model="human_emotion"} 1`,
        `engine_inference_model_queue_depth{pool="0",model="blazeface_front_128",lane="live"} 3`,
        `engine_errors_total{source="pool",code="overloaded"} ${stale}`,
      ].join("\n");
    const before = readVideoSample(parsePrometheus(text(10, 0, 0)));
    const after = readVideoSample(parsePrometheus(text(110, 5, 2)));
    expect(before.face_models_loaded).toBe(2);
    expect(after.face_queue).toBe(3);
    expect(histogramDelta(before.stages.decode, after.stages.decode).count).toBe(100);
    const figures = videoFigures(before, after, [], 500);
    expect(figures.frames).toEqual({ received: 105, refused: 0, analysed: 100, dropped_stale: 5 });
    expect(figures.stale_share).toBe(0.048);
    expect(figures.stages.frame_to_result.count).toBe(100);
    expect(figures.stages.frame_to_result.mean_ms).toBe(200);
    // 98 under 250 ms, 2 in 250–500 ms: p99 half-way through the second bucket.
    expect(figures.stages.frame_to_result.p99_ms).toBe(375);
    expect(figures.frame_to_result_within_bound).toEqual({ bound_ms: 500, share: 1 });
    expect(figures.pool_errors).toEqual({ overloaded: 5 });
  });
});
