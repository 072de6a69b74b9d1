import type { EngineSample } from "./metrics-scraper.js";
import type { WorkerProgress } from "./worker-protocol.js";

/** Rates are taken over this much of the recent past: per-second deltas of utterances are mostly 0 or 1. */
const RATE_WINDOW_MS = 10_000;

export interface ProgressView {
  elapsedMs: number;
  /** Cumulative since streaming started, summed over the generator processes. */
  counts: WorkerProgress;
  /** Per second over the recent window. */
  rates: { frames: number; utterances: number; transcripts: number; camera_frames?: number };
  engine: EngineSample | undefined;
}

export function formatProgress(v: ProgressView): string {
  const { counts: c, rates: r } = v;
  // Cameras (a run with `--video-fps`): their frames and the expressions heard, and the face models' queue.
  const filming = c.camera_frames_sent !== undefined;
  const cameraText = filming
    ? `, camera frames ${c.camera_frames_sent ?? 0} (${(r.camera_frames ?? 0).toFixed(0)}/s), expressions ${c.expressions_received ?? 0}`
    : "";
  const faceQueue = filming && v.engine?.video !== undefined ? `, face queue ${v.engine.video.face_queue}` : "";
  const engineText =
    v.engine === undefined
      ? ""
      : ` | engine RSS ${(v.engine.rss_bytes / 2 ** 20).toFixed(0)} MB, ASR queue ${v.engine.asr_queue}, VAD queue ${v.engine.vad_queue}${faceQueue}, clients ${v.engine.connected_clients}`;
  return (
    `[${Math.max(0, v.elapsedMs / 1000).toFixed(0)}s] frames ${c.frames_sent} (${r.frames.toFixed(0)}/s), ` +
    `utterances ${c.utterances_sent} (${r.utterances.toFixed(1)}/s), transcripts ${c.transcripts_received} (${r.transcripts.toFixed(1)}/s), ` +
    `errors ${c.errors}${cameraText}${engineText}`
  );
}

interface Sample {
  atMs: number;
  counts: WorkerProgress;
}

/** The run's progress line: cumulative counters as the generators report them, and their recent rates. */
export class ProgressMeter {
  readonly #startAtMs: number;
  /** Oldest first; the first is the rates' baseline. Starts at zero at the stream's start. */
  readonly #samples: Sample[];

  constructor(startAtMs: number) {
    this.#startAtMs = startAtMs;
    this.#samples = [{ atMs: startAtMs, counts: { frames_sent: 0, utterances_sent: 0, transcripts_received: 0, errors: 0 } }];
  }

  line(nowMs: number, counts: WorkerProgress, engine: EngineSample | undefined): string {
    this.#samples.push({ atMs: nowMs, counts });
    // Keep the newest sample at least a window old as the baseline, so the rate covers a whole window.
    while ((this.#samples[1]?.atMs ?? nowMs) <= nowMs - RATE_WINDOW_MS) this.#samples.shift();
    const base = this.#samples[0] ?? { atMs: nowMs, counts };
    const seconds = (nowMs - base.atMs) / 1000;
    const rate = (pick: (c: WorkerProgress) => number) => (seconds <= 0 ? 0 : Math.max(0, pick(counts) - pick(base.counts)) / seconds);
    return formatProgress({
      elapsedMs: nowMs - this.#startAtMs,
      counts,
      rates: {
        frames: rate((c) => c.frames_sent),
        utterances: rate((c) => c.utterances_sent),
        transcripts: rate((c) => c.transcripts_received),
        camera_frames: rate((c) => c.camera_frames_sent ?? 0),
      },
      engine,
    });
  }
}
