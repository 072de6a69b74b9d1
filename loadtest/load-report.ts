import { summarize, type LatencySummary } from "../scripts/bench/latency-stats.js";
import { formatTable } from "../scripts/bench/report-table.js";
import type { EngineLoadFigures } from "./metrics-scraper.js";
import type { LoadOptions } from "./load-options.js";
import { formatVideoSummary, mergeVideo, type VideoResult, type VideoRunContext } from "./video-report.js";
import type { WorkerReport } from "./worker-protocol.js";

/** Everything one load run measured; written as JSON, summarized as a table. */
export interface LoadResult {
  started_at: string;
  parameters: {
    sessions: number;
    participants: number;
    speakers: number;
    duration_ms: number;
    workers: number;
    audio: string;
    audio_duration_ms: number;
    utterances_in_audio: number;
    latency_bound_ms: number;
    engine: string;
  };
  clients: { expected: number; joined: number; join_failures: Record<string, number> };
  join_latency: LatencySummary;
  /** First speech frame sent → `speaking` true in the speaker's state. */
  speaking_latency: LatencySummary;
  /** Last speech frame sent → final transcript received, by the speaker and by a listener. */
  transcript_latency_speaker: LatencySummary;
  transcript_latency_listener: LatencySummary;
  /** First speech frame sent → the speaker's first interim caption (`final: false`) of the utterance. */
  interim_latency_speaker: LatencySummary;
  utterances: {
    sent: number;
    heard_by_all: number;
    /** Final transcripts received ÷ (utterances sent × participants). */
    delivery_ratio: number;
    missing_deliveries: number;
    missing: WorkerReport["missing"];
    late_at_speaker: number;
    speaking_missed: number;
    /** Utterances the speaker saw no interim caption of (skipped under load, too short, or interims off). */
    interims_missed: number;
    unmatched_transcripts: number;
    duplicate_transcripts: number;
    /** Engine's end_ms − the generator's, at the speaker (VAD end precision plus clock alignment). */
    end_alignment: LatencySummary;
    /** Utterances per second the run asked the engine to transcribe, and those it transcribed for every participant. */
    offered_per_s: number;
    transcribed_per_s: number;
    /**
     * Steady state (utterances ending after a warm-up, until the stop): offered = those utterances per second of the
     * window; sustained = those transcribed ÷ the time the engine took for them (the window, stretched by however
     * much the last transcript came later than the fastest one did). Equal while the engine keeps up; past saturation
     * the backlog stretches the time and sustained is what the engine manages.
     */
    sustained_per_s: number;
    window_offered_per_s: number;
  };
  errors: Record<string, number>;
  disconnects: Record<string, number>;
  audio_rejected: number;
  /**
   * memory_per_session_mb: (peak − idle RSS) ÷ sessions — noisy, RSS is mostly the models and onnxruntime's arenas;
   * heap_per_session_mb: the same on the JS heap of the engine's main thread (rooms, clients, buffers), steadier.
   */
  engine: EngineLoadFigures & { memory_per_session_mb: number; heap_per_session_mb: number; metrics_scrape_failures: number };
  generator: { processes: number; cpu_cores: number; max_lag_ms: number; frames_sent: number };
  /** Every participant's camera (`--video-fps`); null without. */
  video: VideoResult | null;
  /** The machine's 1-minute load average when the run started and ended (others' work shares the cores); null when not taken. */
  load_average: { start: number; end: number } | null;
  elapsed_ms: number;
}

export function mergeReports(
  options: LoadOptions,
  reports: WorkerReport[],
  engine: LoadResult["engine"],
  context: {
    startedAt: Date;
    audio: string;
    audioDurationMs: number;
    utterancesInAudio: number;
    engineLabel: string;
    elapsedMs: number;
    streamMs: number;
    loadAverage?: { start: number; end: number };
  },
  video: VideoRunContext | null = null,
): LoadResult {
  const sum = (pick: (r: WorkerReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
  const all = (pick: (r: WorkerReport) => number[]) => reports.flatMap(pick);
  const counts = (pick: (r: WorkerReport) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const r of reports) for (const [k, v] of Object.entries(pick(r))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const errors = counts((r) => r.errors);
  const sent = sum((r) => r.utterances_sent);
  const expected = sum((r) => r.deliveries_expected);
  const received = sum((r) => r.deliveries_received);
  const streamS = Math.max(context.streamMs, 1) / 1000;
  const cpuMs = sum((r) => r.cpu_ms);
  const wallMs = reports.reduce((m, r) => Math.max(m, r.wall_ms), 1);
  return {
    started_at: context.startedAt.toISOString(),
    parameters: {
      sessions: options.sessions,
      participants: options.participants,
      speakers: options.speakers,
      duration_ms: options.durationMs,
      workers: reports.length,
      audio: context.audio,
      audio_duration_ms: context.audioDurationMs,
      utterances_in_audio: context.utterancesInAudio,
      latency_bound_ms: options.latencyBoundMs,
      engine: context.engineLabel,
    },
    clients: {
      expected: options.sessions * options.participants,
      joined: sum((r) => r.joins_ok),
      join_failures: counts((r) => r.join_failures),
    },
    join_latency: summarize(all((r) => r.join_ms)),
    speaking_latency: summarize(all((r) => r.speaking_ms)),
    transcript_latency_speaker: summarize(all((r) => r.speaker_transcript_ms)),
    transcript_latency_listener: summarize(all((r) => r.listener_transcript_ms)),
    interim_latency_speaker: summarize(all((r) => r.speaker_interim_ms)),
    utterances: {
      sent,
      heard_by_all: sum((r) => r.utterances_heard_by_all),
      delivery_ratio: expected === 0 ? 0 : Math.round((received / expected) * 1000) / 1000,
      missing_deliveries: expected - received,
      missing: reports.flatMap((r) => r.missing).slice(0, 20),
      late_at_speaker: all((r) => r.speaker_transcript_ms).filter((ms) => ms > options.latencyBoundMs).length,
      speaking_missed: sum((r) => r.speaking_missed),
      interims_missed: sum((r) => r.interims_missed),
      unmatched_transcripts: sum((r) => r.unmatched_transcripts),
      duplicate_transcripts: sum((r) => r.duplicate_transcripts),
      end_alignment: summarize(all((r) => r.alignment_ms)),
      offered_per_s: Math.round((sent / streamS) * 100) / 100,
      transcribed_per_s: Math.round((sum((r) => r.utterances_heard_by_all) / streamS) * 100) / 100,
      ...steadyState(reports),
    },
    errors,
    disconnects: counts((r) => r.disconnects),
    audio_rejected: sum((r) => r.audio_errors),
    engine,
    generator: {
      processes: reports.length,
      cpu_cores: Math.round((cpuMs / wallMs) * 100) / 100,
      max_lag_ms: reports.reduce((m, r) => Math.max(m, r.max_lag_ms), 0),
      frames_sent: sum((r) => r.frames_sent),
    },
    video: video === null ? null : mergeVideo(reports, video),
    load_average: context.loadAverage ?? null,
    elapsed_ms: Math.round(context.elapsedMs),
  };
}

/** Every generator shares one window (one start and stop), so their utterances add up over it. */
function steadyState(reports: WorkerReport[]): { sustained_per_s: number; window_offered_per_s: number } {
  const fromMs = reports.reduce((m, r) => Math.max(m, r.window_from_ms), 0);
  const windowMs = reports.reduce((m, r) => Math.max(m, r.window_ms), 0);
  const utterances = reports.flatMap((r) => r.window_utterances);
  if (windowMs <= 0 || utterances.length === 0) return { sustained_per_s: 0, window_offered_per_s: 0 };
  const heard = utterances.flatMap((u) => (u.heard_ms === null ? [] : [u.heard_ms]));
  const latencies = utterances.flatMap((u) => (u.heard_ms === null ? [] : [u.heard_ms - u.end_sent_ms]));
  // The steady latency (the fastest answers) is not backlog: take it off the last arrival. What remains past the
  // window is how far the engine fell behind.
  const floor = latencies.reduce((m, l) => Math.min(m, l), Infinity);
  const last = heard.reduce((m, t) => Math.max(m, t), 0);
  const spanMs = Math.max(windowMs, last - floor - fromMs);
  const rate = (count: number, ms: number) => Math.round((count / (ms / 1000)) * 100) / 100;
  return { sustained_per_s: rate(heard.length, spanMs), window_offered_per_s: rate(utterances.length, windowMs) };
}

function latencyRow(name: string, l: LatencySummary): (string | number)[] {
  return [name, l.count, Math.round(l.p50_ms), Math.round(l.p95_ms), Math.round(l.p99_ms), Math.round(l.max_ms)];
}

export function formatSummary(r: LoadResult): string {
  const lines = [
    `Load: ${r.parameters.sessions} sessions × ${r.parameters.participants} participants (${r.parameters.speakers} speaking), ` +
      `${r.parameters.duration_ms / 1000} s, ${r.generator.processes} generator processes; audio: ${r.parameters.audio}`,
    `Clients joined ${r.clients.joined}/${r.clients.expected}` +
      (Object.keys(r.clients.join_failures).length > 0 ? ` (failures: ${JSON.stringify(r.clients.join_failures)})` : ""),
    "",
    formatTable(
      ["latency (ms)", "n", "p50", "p95", "p99", "max"],
      [
        latencyRow("join", r.join_latency),
        latencyRow("speech sent → speaking", r.speaking_latency),
        latencyRow("utterance end → transcript (speaker)", r.transcript_latency_speaker),
        latencyRow("utterance end → transcript (listener)", r.transcript_latency_listener),
        latencyRow("speech sent → first interim (speaker)", r.interim_latency_speaker),
      ],
    ),
    "",
    `Utterances sent ${r.utterances.sent}, heard by every participant ${r.utterances.heard_by_all} ` +
      `(deliveries ${(r.utterances.delivery_ratio * 100).toFixed(1)} %, missing ${r.utterances.missing_deliveries}), ` +
      `late (> ${r.parameters.latency_bound_ms} ms) ${r.utterances.late_at_speaker}, unmatched transcripts ${r.utterances.unmatched_transcripts}, ` +
      `speaking missed ${r.utterances.speaking_missed}, no interim caption ${r.utterances.interims_missed}`,
    `Throughput: offered ${r.utterances.offered_per_s} utt/s, transcribed for all ${r.utterances.transcribed_per_s} utt/s, steady state ${r.utterances.window_offered_per_s} offered → ${r.utterances.sustained_per_s} transcribed utt/s`,
    `Errors ${JSON.stringify(r.errors)}, disconnects ${JSON.stringify(r.disconnects)}, audio rejected ${r.audio_rejected}`,
    `Engine: CPU ${r.engine.cpu_cores_mean} cores mean / ${r.engine.cpu_cores_max} peak, RSS ${r.engine.rss_mb_idle} → ${r.engine.rss_mb_peak} MB ` +
      `(${r.engine.memory_per_session_mb} MB/session; heap ${r.engine.heap_mb_idle} → ${r.engine.heap_mb_peak} MB, ${r.engine.heap_per_session_mb} MB/session), ASR queue max ${r.engine.asr_queue_max}, VAD queue max ${r.engine.vad_queue_max}, ` +
      `mean VAD batch ${r.engine.vad_mean_batch}`,
    `Engine stages (mean per utterance): ASR queue ${r.engine.stage_mean_ms.asr_queue_wait} ms, ASR run ${r.engine.stage_mean_ms.asr_run} ms, ` +
      `speech end detected → transcript sent ${r.engine.stage_mean_ms.speech_end_to_transcript} ms`,
    `Generator: ${r.generator.cpu_cores} cores, max lag ${r.generator.max_lag_ms} ms, ${r.generator.frames_sent} frames` +
      (r.load_average === null ? "" : `; machine load average ${r.load_average.start.toFixed(2)} → ${r.load_average.end.toFixed(2)} (1 min)`),
    ...(r.video === null ? [] : formatVideoSummary(r.video)),
  ];
  return lines.join("\n");
}
