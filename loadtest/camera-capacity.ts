import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { dirname } from "node:path";
import { formatTable } from "../scripts/bench/report-table.js";
import { startEngineUnderTest } from "./engine-under-test.js";
import { DEFAULT_LOAD_OPTIONS, type LoadOptions, type VideoFrameKind } from "./load-options.js";
import { formatSummary, type LoadResult } from "./load-report.js";
import { runLoad } from "./load-run.js";
import { loadSpeechScript } from "./speech-script.js";
import { loadVideoFrame } from "./video-frame.js";
import { VIDEO_TARGETS } from "./video-report.js";

/**
 * `npm run loadtest:capacity -- --cameras 25,50,100`: the camera ramp. One engine; a load run per step of N camera
 * streams (sessions of `perSession` participants, every one filming, nobody talking), each judged on its steady
 * state against issue 11's targets (frame → result p99 < 500 ms, < 5 % dropped as stale, nothing refused); the
 * ramp stops at the first failing step. Then the mixed case: `mixedSessions` talking sessions of 3 (1 speaker each),
 * all participants filming, judged on transcript p99 < 2 s and frame → result p99 < 500 ms.
 */
export interface CameraCapacityOptions {
  /** Camera streams per step, in order. */
  steps: number[];
  fps: number;
  /** Participants (cameras) per session in the ramp; a step's last session is not split, so N rounds up. */
  perSession: number;
  stepDurationMs: number;
  /** Talking sessions of the mixed case (0: skip it), each of `mixedParticipants` with one speaker. */
  mixedSessions: number;
  mixedParticipants: number;
  transcriptBoundMs: number;
  frame: VideoFrameKind;
  audioPath: string | null;
  workers: number;
  jsonPath: string;
}

export const DEFAULT_CAMERA_CAPACITY: CameraCapacityOptions = {
  steps: [25, 50, 100],
  fps: 2,
  perSession: 4,
  stepDurationMs: 30_000,
  mixedSessions: 8,
  mixedParticipants: 3,
  transcriptBoundMs: 2_000,
  frame: "webcam",
  audioPath: null,
  workers: 2,
  jsonPath: "bench-results/capacity-video.json",
};

export interface CameraStepVerdict {
  cameras: number;
  sessions: number;
  ok: boolean;
  why: string;
  /** Steady state (after the warm-up), from the engine's histogram: interpolated in its bucket. */
  p99_ms: number | null;
  within_500ms_share: number | null;
  stale_share: number;
  received: number;
  analysed: number;
  refused: number;
  decode_mean_ms: number;
  queue_mean_ms: number;
  engine_cpu_cores: number;
  rss_mb_peak: number;
  generator_cpu_cores: number;
  generator_max_lag_ms: number;
  /** Mixed case only: end of utterance → final transcript at the speaker. */
  transcript_p99_ms: number | null;
}

export function cameraVerdict(r: LoadResult, transcriptBoundMs: number | null): CameraStepVerdict {
  const v = r.video;
  const judged = v === null ? null : (v.steady_state ?? v.engine);
  const reasons: string[] = [];
  if (v === null || judged === null) reasons.push("no camera");
  else if (!v.verdict.ok) reasons.push(v.verdict.why);
  if (r.clients.joined < r.clients.expected) reasons.push(`${r.clients.expected - r.clients.joined} joins failed`);
  const transcriptP99 = transcriptBoundMs === null ? null : r.transcript_latency_speaker.p99_ms;
  if (transcriptBoundMs !== null) {
    if (r.utterances.sent === 0) reasons.push("no utterance sent");
    if ((transcriptP99 ?? 0) > transcriptBoundMs) reasons.push(`transcript p99 ${transcriptP99} ms > ${transcriptBoundMs} ms`);
    if (r.audio_rejected > 0) reasons.push(`${r.audio_rejected} audio rejections`);
    if (r.utterances.missing_deliveries > 0) reasons.push(`${r.utterances.missing_deliveries} transcripts never arrived`);
  }
  return {
    cameras: v?.cameras ?? 0,
    sessions: r.parameters.sessions,
    ok: reasons.length === 0,
    why: reasons.join(", ") || "within targets",
    p99_ms: judged?.stages.frame_to_result.p99_ms ?? null,
    within_500ms_share: judged?.frame_to_result_within_bound.share ?? null,
    stale_share: judged?.stale_share ?? 0,
    received: judged?.frames.received ?? 0,
    analysed: judged?.frames.analysed ?? 0,
    refused: judged?.frames.refused ?? 0,
    decode_mean_ms: judged?.stages.decode.mean_ms ?? 0,
    queue_mean_ms: judged?.stages.queue.mean_ms ?? 0,
    engine_cpu_cores: r.engine.cpu_cores_mean,
    rss_mb_peak: r.engine.rss_mb_peak,
    generator_cpu_cores: r.generator.cpu_cores,
    generator_max_lag_ms: Math.max(r.generator.max_lag_ms, v?.client.max_lag_ms ?? 0),
    transcript_p99_ms: transcriptP99,
  };
}

export function formatCameraTable(rows: readonly { label: string; verdict: CameraStepVerdict }[]): string {
  const percent = (share: number | null) => (share === null ? null : `${(share * 100).toFixed(1)} %`);
  return formatTable(
    ["step", "cameras", "ok", "p99 ms", "≤ 500 ms", "stale", "analysed", "refused", "queue ms", "decode ms", "transcript p99", "engine cores", "RSS MB", "why"],
    rows.map(({ label, verdict: v }) => [
      label,
      v.cameras,
      v.ok ? "yes" : "no",
      v.p99_ms,
      percent(v.within_500ms_share),
      percent(v.stale_share),
      v.analysed,
      v.refused,
      v.queue_mean_ms,
      v.decode_mean_ms,
      v.transcript_p99_ms,
      v.engine_cpu_cores,
      v.rss_mb_peak,
      v.why,
    ]),
  );
}

export async function runCameraCapacity(options: CameraCapacityOptions, log: (line: string) => void): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAverageStart = loadavg();
  const [script, frame] = await Promise.all([loadSpeechScript(options.audioPath), loadVideoFrame(options.frame)]);
  const sessionsFor = (cameras: number) => Math.ceil(cameras / options.perSession);
  const maxSessions = Math.max(options.mixedSessions, ...options.steps.map(sessionsFor));
  const engine = await startEngineUnderTest(maxSessions);
  const ramp: { verdict: CameraStepVerdict; result: LoadResult }[] = [];
  let mixed: { verdict: CameraStepVerdict; result: LoadResult } | null = null;
  const base: LoadOptions = {
    ...DEFAULT_LOAD_OPTIONS,
    durationMs: options.stepDurationMs,
    audioPath: options.audioPath,
    workers: options.workers,
    progressEveryMs: 0,
    videoFps: options.fps,
    videoFrame: options.frame,
    latencyBoundMs: options.transcriptBoundMs,
  };
  try {
    for (const cameras of options.steps) {
      const sessions = sessionsFor(cameras);
      log(`[capacity] ${sessions * options.perSession} cameras (${sessions} session(s) × ${options.perSession}) at ${options.fps} fps, no audio, ${options.stepDurationMs / 1000} s …`);
      const result = await runLoad({ ...base, sessions, participants: options.perSession, speakers: 0 }, { engine, script, videoFrame: frame });
      const verdict = cameraVerdict(result, null);
      ramp.push({ verdict, result });
      log(`[capacity]   ${verdict.ok ? "ok  " : "FAIL"} p99 ${verdict.p99_ms ?? "—"} ms, stale ${(verdict.stale_share * 100).toFixed(1)} %, engine ${verdict.engine_cpu_cores} cores — ${verdict.why}`);
      if (!verdict.ok) break;
    }
    if (options.mixedSessions > 0) {
      const { mixedSessions: sessions, mixedParticipants: participants } = options;
      log(`[capacity] mixed: ${sessions} talking sessions × ${participants} (1 speaking), all ${sessions * participants} cameras at ${options.fps} fps …`);
      const result = await runLoad({ ...base, sessions, participants, speakers: 1 }, { engine, script, videoFrame: frame });
      mixed = { verdict: cameraVerdict(result, options.transcriptBoundMs), result };
      log(`[capacity]   ${mixed.verdict.ok ? "ok  " : "FAIL"} transcript p99 ${mixed.verdict.transcript_p99_ms ?? "—"} ms, frame → result p99 ${mixed.verdict.p99_ms ?? "—"} ms — ${mixed.verdict.why}`);
    }
  } finally {
    await engine.stop();
  }

  const held = ramp.filter((s) => s.verdict.ok).reduce((m, s) => Math.max(m, s.verdict.cameras), 0);
  const report = {
    started_at: startedAt,
    machine: {
      cpus: availableParallelism(),
      cpu_model: cpus()[0]?.model ?? "unknown",
      memory_gb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      load_average_start: loadAverageStart,
      load_average_end: loadavg(),
    },
    parameters: { ...options, frame: { kind: frame.kind, width: frame.width, height: frame.height, bytes: frame.jpeg.byteLength, source: frame.source } },
    targets: { cameras_min: 100, fps: 2, frame_to_result_p99_ms: VIDEO_TARGETS.frameToResultP99Ms, stale_share_max: VIDEO_TARGETS.staleShareMax, transcript_p99_ms: options.transcriptBoundMs },
    /** The most camera streams of a step within every target. */
    cameras_held: held,
    cameras_target_met: options.fps === 2 && held >= 100,
    mixed_target_met: mixed?.verdict.ok ?? null,
    steps: ramp.map((s) => s.verdict),
    mixed: mixed?.verdict ?? null,
    step_results: ramp.map((s) => s.result),
    mixed_result: mixed?.result ?? null,
  };
  const rows = [...ramp.map((s) => ({ label: `${s.verdict.cameras} cameras`, verdict: s.verdict })), ...(mixed === null ? [] : [{ label: "mixed", verdict: mixed.verdict }])];
  const lines = [
    "",
    formatCameraTable(rows),
    "(p99: steady state, interpolated within the engine's histogram buckets; ≤ 500 ms is exact, 500 ms being a bucket edge)",
    "",
    `Cameras held within targets: ${held} at ${options.fps} fps (target ≥ 100 at 2 fps: ${report.cameras_target_met ? "met" : "not met"})` +
      (mixed === null ? "" : `; mixed ${options.mixedSessions} × ${options.mixedParticipants} talking + filming: ${mixed.verdict.ok ? "met" : `not met (${mixed.verdict.why})`}`),
    `Load average ${loadAverageStart.map((l) => l.toFixed(2)).join(" ")} → ${report.machine.load_average_end.map((l) => l.toFixed(2)).join(" ")} (1, 5, 15 min)`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (mixed !== null) process.stdout.write(`\nMixed case:\n${formatSummary(mixed.result)}\n`);
  await mkdir(dirname(options.jsonPath), { recursive: true });
  await writeFile(options.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`JSON: ${options.jsonPath}\n`);
}
