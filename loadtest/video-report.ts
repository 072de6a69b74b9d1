import { summarize, type LatencySummary } from "../scripts/bench/latency-stats.js";
import { formatTable } from "../scripts/bench/report-table.js";
import { videoSteadyFromMs } from "./camera-stream.js";
import type { EngineSample } from "./metrics-scraper.js";
import { VIDEO_STAGES, videoFigures, type HistogramSample, type StageFigures, type VideoEngineFigures, type VideoSample } from "./video-metrics.js";
import type { VideoFrame } from "./video-frame.js";
import type { CameraReport, WorkerReport } from "./worker-protocol.js";

/** Issue 11's targets for cameras (2-core reference machine): frame → result p99 and the share dropped as stale. */
export const VIDEO_TARGETS = { frameToResultP99Ms: 500, staleShareMax: 0.05 } as const;

/** The camera side of a load run (null in `LoadResult.video` when `--video-fps` is 0). */
export interface VideoResult {
  fps: number;
  interval_ms: number;
  frame: { kind: string; width: number; height: number; bytes: number; source: string };
  cameras: number;
  /** Frames each camera sent per second of streaming (a little under `fps`: see interval_ms). */
  sent_fps_per_camera: number;
  client: {
    frames_sent: number;
    frames_skipped: number;
    /** Error replies to `video` messages by code (`rate_limited`, `invalid_video`, ...): at most 10 a second per client are answered. */
    errors: Record<string, number>;
    expression_messages: number;
    expression_with_face: number;
    no_face_messages: number;
    /** `expression` messages each participant received (from every camera of its session). */
    expression_messages_per_participant: number;
    /** `expression` messages about one camera per second: the room announces changes and a 2 s heartbeat. */
    announced_per_camera_per_s: number;
    /** Frame sent → its `expression` at the sender, announced frames sent in the steady state only (coarse: see camera-stream.ts). */
    frame_to_expression: LatencySummary;
    unmatched_expressions: number;
    max_lag_ms: number;
  };
  /** From `/metrics`, idle → after the run: every frame of the run. */
  engine: VideoEngineFigures;
  /** From `/metrics`, after the warm-up → after the run; null when the run is too short to have one. */
  steady_state: (VideoEngineFigures & { from_ms_after_start: number }) | null;
  /** Against VIDEO_TARGETS, on the steady state when there is one, else the whole run. */
  verdict: { p99_ms: number | null; within_bound_share: number | null; stale_share: number; refused: number; ok: boolean; why: string };
}

export interface VideoRunContext {
  fps: number;
  intervalMs: number;
  frame: VideoFrame;
  idle: EngineSample;
  samples: readonly EngineSample[];
  startAtMs: number;
  streamMs: number;
}

function videoSampleOf(sample: EngineSample | undefined): VideoSample {
  if (sample?.video !== undefined) return sample.video;
  const histogram: HistogramSample = { buckets: [], sum: 0, count: 0 };
  return {
    frames: { received: 0, refused: 0, analysed: 0, dropped_stale: 0 },
    stages: Object.fromEntries(VIDEO_STAGES.map((stage) => [stage, histogram])) as VideoSample["stages"],
    face_models_loaded: 0,
    face_queue: 0,
    pool_errors: {},
  };
}

export function mergeVideo(reports: readonly Pick<WorkerReport, "video">[], context: VideoRunContext): VideoResult {
  const cams = reports.flatMap((r): CameraReport[] => (r.video === undefined ? [] : [r.video]));
  const sum = (pick: (c: CameraReport) => number) => cams.reduce((n, c) => n + pick(c), 0);
  const errors: Record<string, number> = {};
  for (const c of cams) for (const [code, n] of Object.entries(c.errors)) errors[code] = (errors[code] ?? 0) + n;
  const cameras = sum((c) => c.cameras);
  const streamS = Math.max(context.streamMs, 1) / 1000;
  const latencies = cams.flatMap((c) => c.expression_ms);
  const announced = latencies.length + sum((c) => c.unmatched_expressions + c.expressions_warm_up);
  const round2 = (v: number) => Math.round(v * 100) / 100;

  const last = context.samples[context.samples.length - 1] ?? context.idle;
  const to = videoSampleOf(last);
  const during = context.samples.slice(0, -1).map(videoSampleOf);
  const bound = VIDEO_TARGETS.frameToResultP99Ms;
  const engine = videoFigures(videoSampleOf(context.idle), to, during, bound);
  const steadyFromMs = videoSteadyFromMs(context.startAtMs, context.startAtMs + context.streamMs);
  const base = context.samples.find((s) => s.at_ms >= steadyFromMs && s !== last);
  const steady =
    base === undefined
      ? null
      : { ...videoFigures(videoSampleOf(base), to, [], bound), from_ms_after_start: Math.round(base.at_ms - context.startAtMs) };
  const judged = steady ?? engine;
  const refused = judged.frames.refused;
  const p99 = judged.stages.frame_to_result.p99_ms;
  const within = judged.frame_to_result_within_bound.share;
  const reasons: string[] = [];
  if (judged.frames.analysed === 0) reasons.push("no frame analysed");
  if (within !== null && within < 0.99) reasons.push(`p99 frame → result over ${bound} ms (${(within * 100).toFixed(1)} % within)`);
  if (judged.stale_share >= VIDEO_TARGETS.staleShareMax) reasons.push(`${(judged.stale_share * 100).toFixed(1)} % dropped as stale`);
  if (refused > 0) reasons.push(`${refused} frames refused`);
  return {
    fps: context.fps,
    interval_ms: context.intervalMs,
    frame: { kind: context.frame.kind, width: context.frame.width, height: context.frame.height, bytes: context.frame.jpeg.byteLength, source: context.frame.source },
    cameras,
    sent_fps_per_camera: cameras === 0 ? 0 : round2(sum((c) => c.frames_sent) / cameras / streamS),
    client: {
      frames_sent: sum((c) => c.frames_sent),
      frames_skipped: sum((c) => c.frames_skipped),
      errors,
      expression_messages: sum((c) => c.expression_messages),
      expression_with_face: sum((c) => c.expression_with_face),
      no_face_messages: sum((c) => c.no_face_messages),
      expression_messages_per_participant: round2(sum((c) => c.expression_messages) / Math.max(1, sum((c) => c.receivers))),
      announced_per_camera_per_s: cameras === 0 ? 0 : round2(announced / cameras / streamS),
      frame_to_expression: summarize(latencies),
      unmatched_expressions: sum((c) => c.unmatched_expressions),
      max_lag_ms: cams.reduce((m, c) => Math.max(m, c.max_lag_ms), 0),
    },
    engine,
    steady_state: steady,
    verdict: { p99_ms: p99, within_bound_share: within, stale_share: judged.stale_share, refused, ok: reasons.length === 0, why: reasons.join(", ") || "within targets" },
  };
}

function stageRow(name: string, s: StageFigures): (string | number | null)[] {
  return [name, s.count, s.mean_ms, s.p50_ms, s.p95_ms, s.p99_ms];
}

export function formatVideoSummary(v: VideoResult): string[] {
  const judged = v.steady_state ?? v.engine;
  const window = v.steady_state === null ? "whole run" : `steady state, from ${(v.steady_state.from_ms_after_start / 1000).toFixed(0)} s`;
  const f = v.engine.frames;
  const c = v.client;
  const latency = c.frame_to_expression;
  return [
    "",
    `Video: ${v.cameras} cameras at ${v.fps} fps (one frame every ${v.interval_ms} ms, ${v.sent_fps_per_camera} sent/s per camera); ` +
      `frame ${v.frame.width}×${v.frame.height}, ${(v.frame.bytes / 1024).toFixed(1)} KB: ${v.frame.source}`,
    `Frames: sent ${c.frames_sent} (skipped by a late generator ${c.frames_skipped}), engine received ${f.received}, refused ${f.refused}, ` +
      `analysed ${f.analysed}, dropped as stale ${f.dropped_stale} (${(v.engine.stale_share * 100).toFixed(1)} % of received); ` +
      `error replies ${JSON.stringify(c.errors)}, pool errors ${JSON.stringify(v.engine.pool_errors)}`,
    `Expressions: ${c.expression_messages} received (${c.expression_messages_per_participant} per participant, ${c.announced_per_camera_per_s}/s per camera; ` +
      `${c.expression_with_face} with a face), no_face ${c.no_face_messages}; face models' queue max ${v.engine.face_queue_max}`,
    "",
    formatTable(
      [`video latency (ms), ${window}`, "n", "mean", "p50", "p95", "p99"],
      [
        stageRow("frame → result (engine, arrival → applied)", judged.stages.frame_to_result),
        stageRow("  pool queue", judged.stages.queue),
        stageRow("  decode", judged.stages.decode),
        stageRow("  detect (BlazeFace)", judged.stages.detect),
        stageRow("  expression", judged.stages.expression),
        ["frame sent → expression (client, announced only)", latency.count, latency.mean_ms, latency.p50_ms, latency.p95_ms, latency.p99_ms],
      ],
    ),
    "(engine percentiles interpolated within histogram buckets …0.25, 0.5, 1 s…; the share within 500 ms is exact)",
    `Targets: frame → result p99 ${v.verdict.p99_ms ?? "—"} ms < ${VIDEO_TARGETS.frameToResultP99Ms} ms ` +
      `(${v.verdict.within_bound_share === null ? "—" : (v.verdict.within_bound_share * 100).toFixed(1)} % within), ` +
      `stale ${(v.verdict.stale_share * 100).toFixed(1)} % < ${VIDEO_TARGETS.staleShareMax * 100} %: ${v.verdict.ok ? "met" : `not met (${v.verdict.why})`}`,
  ];
}
