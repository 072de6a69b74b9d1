import { describe, expect, it } from "vitest";
import type { EngineSample } from "../../loadtest/metrics-scraper.js";
import { VIDEO_STAGES, type VideoSample } from "../../loadtest/video-metrics.js";
import { formatVideoSummary, mergeVideo } from "../../loadtest/video-report.js";
import type { CameraReport, WorkerReport } from "../../loadtest/worker-protocol.js";

const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, Infinity];

/** A scrape at `atMs` with these totals so far; every analysed frame took `latencyS` (one bucket). */
function sample(atMs: number, totals: { received: number; refused?: number; analysed: number; stale: number }, latencyS: number): EngineSample {
  const histogram = { buckets: BOUNDS.map((le) => ({ le, count: le >= latencyS ? totals.analysed : 0 })), sum: totals.analysed * latencyS, count: totals.analysed };
  const video: VideoSample = {
    frames: { received: totals.received, refused: totals.refused ?? 0, analysed: totals.analysed, dropped_stale: totals.stale },
    stages: Object.fromEntries(VIDEO_STAGES.map((stage) => [stage, histogram])) as VideoSample["stages"],
    face_models_loaded: 2,
    face_queue: 0,
    pool_errors: {},
  };
  const stages = { asr_queue_wait: { sum: 0, count: 0 }, asr_run: { sum: 0, count: 0 }, speech_end_to_transcript: { sum: 0, count: 0 } };
  return { at_ms: atMs, cpu_seconds: 0, rss_bytes: 0, heap_bytes: 0, vad_queue: 0, asr_queue: 0, vad_batches: 0, vad_batch_items: 0, asr_rejected: 0, connected_clients: 0, models_loaded: 4, stages, video };
}

function workerWith(camera: Partial<CameraReport>): Pick<WorkerReport, "video"> {
  const video: CameraReport = {
    cameras: 4,
    frames_sent: 240,
    frames_skipped: 0,
    errors: {},
    expression_messages: 64,
    expression_with_face: 64,
    no_face_messages: 0,
    receivers: 4,
    expression_ms: [90, 110, 130],
    expressions_warm_up: 1,
    unmatched_expressions: 0,
    max_lag_ms: 12,
    ...camera,
  };
  return { video };
}

const frame = { kind: "webcam" as const, width: 640, height: 480, jpeg: new Uint8Array(50_000), source: "test" };

describe("the load run's video section", () => {
  it("judges the steady state (after the warm-up) against the targets, and reports the whole run beside it", () => {
    // 30 s from t = 0: the warm-up's slow frames (2 s each) are before the 10 s scrape; afterwards every frame takes 200 ms.
    const idle = sample(-1_000, { received: 0, analysed: 0, stale: 0 }, 2);
    const warm = sample(10_500, { received: 80, analysed: 60, stale: 20 }, 2);
    const end = sample(32_000, { received: 240, analysed: 220, stale: 20 }, 2);
    // The end's histogram: 60 slow frames then 160 fast ones.
    const endVideo = end.video;
    if (endVideo === undefined) throw new Error("no video");
    const mixed = {
      buckets: BOUNDS.map((le) => ({ le, count: (le >= 0.25 ? 160 : 0) + (le >= 2 ? 60 : 0) })),
      sum: 160 * 0.2 + 60 * 2,
      count: 220,
    };
    endVideo.stages = Object.fromEntries(VIDEO_STAGES.map((stage) => [stage, mixed])) as VideoSample["stages"];
    const v = mergeVideo([workerWith({})], { fps: 2, intervalMs: 510, frame, idle, samples: [warm, end], startAtMs: 0, streamMs: 30_000 });
    expect(v.steady_state?.from_ms_after_start).toBe(10_500);
    expect(v.steady_state?.frames).toEqual({ received: 160, refused: 0, analysed: 160, dropped_stale: 0 });
    expect(v.steady_state?.stages.frame_to_result.p99_ms).toBeLessThanOrEqual(250);
    expect(v.verdict).toMatchObject({ ok: true, stale_share: 0, refused: 0, within_bound_share: 1 });
    // The whole run carries the warm-up: a fifth of the slow frames' share, and its stale frames.
    expect(v.engine.stale_share).toBe(0.083);
    expect(v.engine.stages.frame_to_result.p99_ms).toBeGreaterThan(1_000);
    expect(v.sent_fps_per_camera).toBe(2);
    expect(v.client.expression_messages_per_participant).toBe(16);
    expect(v.client.frame_to_expression.p50_ms).toBe(110);
    const summary = formatVideoSummary(v).join("\n");
    expect(summary).toContain("steady state, from 11 s");
    expect(summary).toMatch(/Targets: .*: met$/m);
  });

  it("fails on refused or stale frames, and falls back to the whole run when there is no steady state", () => {
    const idle = sample(-1_000, { received: 0, analysed: 0, stale: 0 }, 0.1);
    const end = sample(6_000, { received: 100, refused: 3, analysed: 80, stale: 20 }, 0.1);
    const v = mergeVideo([workerWith({ errors: { rate_limited: 3 } })], { fps: 2, intervalMs: 510, frame, idle, samples: [end], startAtMs: 0, streamMs: 5_000 });
    expect(v.steady_state).toBeNull();
    expect(v.verdict.ok).toBe(false);
    expect(v.verdict.why).toBe("20.0 % dropped as stale, 3 frames refused");
    expect(v.client.errors).toEqual({ rate_limited: 3 });
    expect(formatVideoSummary(v).join("\n")).toContain("whole run");
  });
});
