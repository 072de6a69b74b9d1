import type { BenchUtterance } from "./bench-audio.js";
import { startCpuMeter, type CpuFigures } from "./cpu-meter.js";
import {
  LatencyRecorder,
  perSecond,
  round,
  startEventLoopMonitor,
  type EventLoopDelaySummary,
  type LatencySummary,
} from "./latency-stats.js";

/** What one request returns, whichever path served it. */
export interface AsrAnswer {
  text: string;
  /** Time in the Whisper run(s) as the serving side measured it. */
  asrMs: number;
  /** Utterances the request was transcribed as (the pool's VAD may split or drop audio; the raw model never does). */
  segments: number;
}

export interface AsrBounds {
  maxMs: number;
  maxUtterances: number;
  warmUpUtterances: number;
}

export interface AsrPathResult {
  path: string;
  concurrency: number;
  utterances: number;
  /** Mean length of the submitted audio (speech plus its silence padding). */
  mean_audio_ms: number;
  elapsed_ms: number;
  utterances_per_s: number;
  /** Seconds of audio transcribed per second. */
  audio_s_per_s: number;
  /** Submit → answer; with concurrency > 1 it includes the wait in the pool's ASR queue. */
  latency: LatencySummary;
  /** The Whisper run alone, per request. */
  asr_run: LatencySummary;
  segments: number;
  errors: number;
  first_error: string | null;
  /** What came back for each sentence the first time: proof that real speech was recognised. */
  sample_texts: { expected: string; got: string }[];
  event_loop_delay: EventLoopDelaySummary;
  cpu: CpuFigures;
}

/**
 * Submits the utterances round-robin, `concurrency` at a time, until `maxUtterances` were started or `maxMs` passed,
 * and waits for those in flight. Warm-up requests run first, one at a time, and are not counted.
 */
export async function runAsrPath(
  path: string,
  submit: (utterance: BenchUtterance) => Promise<AsrAnswer>,
  utterances: readonly BenchUtterance[],
  concurrency: number,
  bounds: AsrBounds,
): Promise<AsrPathResult> {
  const pick = (i: number): BenchUtterance => {
    const utterance = utterances[i % utterances.length];
    if (utterance === undefined) throw new Error("no utterances to transcribe");
    return utterance;
  };
  for (let i = 0; i < bounds.warmUpUtterances; i++) await submit(pick(i));

  const latency = new LatencyRecorder(bounds.maxUtterances);
  const asrRun = new LatencyRecorder(bounds.maxUtterances);
  const samples = new Map<string, string>();
  let started = 0;
  let completed = 0;
  let segments = 0;
  let audioMs = 0;
  let errors = 0;
  let firstError: string | null = null;
  const stopMonitor = startEventLoopMonitor();
  const stopCpu = startCpuMeter();
  const startedMs = performance.now();
  const deadlineMs = startedMs + bounds.maxMs;

  const worker = async () => {
    while (started < bounds.maxUtterances && performance.now() < deadlineMs) {
      const utterance = pick(started);
      started += 1;
      const submittedMs = performance.now();
      try {
        const answer = await submit(utterance);
        latency.record(performance.now() - submittedMs);
        asrRun.record(answer.asrMs);
        completed += 1;
        segments += answer.segments;
        audioMs += utterance.durationMs;
        if (!samples.has(utterance.text)) samples.set(utterance.text, answer.text);
      } catch (error) {
        errors += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  const elapsedMs = performance.now() - startedMs;
  return {
    path,
    concurrency,
    utterances: completed,
    mean_audio_ms: completed === 0 ? 0 : round(audioMs / completed, 0),
    elapsed_ms: round(elapsedMs, 1),
    utterances_per_s: perSecond(completed, elapsedMs),
    audio_s_per_s: perSecond(audioMs / 1000, elapsedMs),
    latency: latency.summary(),
    asr_run: asrRun.summary(),
    segments,
    errors,
    first_error: firstError,
    sample_texts: [...samples].map(([expected, got]) => ({ expected, got })),
    event_loop_delay: stopMonitor(),
    cpu: stopCpu(elapsedMs),
  };
}
