import { formatTable } from "../scripts/bench/report-table.js";
import type { LoadResult } from "./load-report.js";

/** One step of the capacity ramp (one load run at one session count), judged against the latency bound. */
export interface StepVerdict {
  sessions: number;
  ok: boolean;
  why: string;
  p99_ms: number;
  /** Speech start → the speaker's first interim caption (not judged: interims are skipped under load by design). */
  interim_p50_ms: number;
  interim_p95_ms: number;
  offered_per_s: number;
  sustained_per_s: number;
  audio_rejected: number;
  missing_deliveries: number;
  engine_cpu_cores: number;
  rss_mb_peak: number;
  memory_per_session_mb: number;
  heap_per_session_mb: number;
  generator_cpu_cores: number;
}

export function verdict(r: LoadResult, boundMs: number): StepVerdict {
  const p99 = r.transcript_latency_speaker.p99_ms;
  const reasons: string[] = [];
  if (r.audio_rejected > 0) reasons.push(`${r.audio_rejected} audio rejections`);
  if (r.utterances.missing_deliveries > 0) reasons.push(`${r.utterances.missing_deliveries} transcripts never arrived`);
  if (r.clients.joined < r.clients.expected) reasons.push(`${r.clients.expected - r.clients.joined} joins failed`);
  if (p99 > boundMs) reasons.push(`p99 ${p99} ms > ${boundMs} ms`);
  if (r.utterances.sent === 0) reasons.push("no utterance sent");
  return {
    sessions: r.parameters.sessions,
    ok: reasons.length === 0,
    why: reasons.join(", ") || "within bound",
    p99_ms: p99,
    interim_p50_ms: Math.round(r.interim_latency_speaker.p50_ms),
    interim_p95_ms: Math.round(r.interim_latency_speaker.p95_ms),
    offered_per_s: r.utterances.window_offered_per_s,
    sustained_per_s: r.utterances.sustained_per_s,
    audio_rejected: r.audio_rejected,
    missing_deliveries: r.utterances.missing_deliveries,
    engine_cpu_cores: r.engine.cpu_cores_mean,
    rss_mb_peak: r.engine.rss_mb_peak,
    memory_per_session_mb: r.engine.memory_per_session_mb,
    heap_per_session_mb: r.engine.heap_per_session_mb,
    generator_cpu_cores: r.generator.cpu_cores,
  };
}

/** The ramp's steps, one row each, in the order they ran. */
export function formatStepTable(steps: readonly StepVerdict[]): string {
  return formatTable(
    ["sessions", "ok", "p99 ms", "interim p50 ms", "interim p95 ms", "offered/s", "sustained/s", "engine cores", "RSS MB", "MB/session", "heap MB/session", "generator cores", "why"],
    steps.map((v) => [
      v.sessions,
      v.ok ? "yes" : "no",
      v.p99_ms,
      v.interim_p50_ms,
      v.interim_p95_ms,
      v.offered_per_s,
      v.sustained_per_s,
      v.engine_cpu_cores,
      v.rss_mb_peak,
      v.memory_per_session_mb,
      v.heap_per_session_mb,
      v.generator_cpu_cores,
      v.why,
    ]),
  );
}
