import { z } from "zod";

/** Messages between the load run (parent) and its generator processes, over Node's IPC channel. */

const ticket = z.object({
  sessionId: z.string(),
  createdAtMs: z.number(),
  participants: z.array(z.object({ participantId: z.string(), token: z.string() })),
});

export const workerAssignment = z.object({
  type: z.literal("start"),
  engineUrl: z.string(),
  /** Raw 16 kHz PCM16 of the looped audio, and its utterances (ms in the audio). */
  pcmPath: z.string(),
  utterances: z.array(z.object({ startMs: z.number(), endMs: z.number() })),
  sessions: z.array(ticket),
  speakers: z.number().int().min(0),
  /** Index of this worker's first speaker among all speakers: spreads start positions across workers. */
  firstSpeakerIndex: z.number().int().min(0),
  /** All speakers of the run: speaker i starts i/total of the way into the audio, so utterance ends spread evenly. */
  totalSpeakers: z.number().int().min(0),
  joinTimeoutMs: z.number(),
  settleMs: z.number(),
});
export type WorkerAssignment = z.infer<typeof workerAssignment>;

export const workerGo = z.object({
  type: z.literal("go"),
  /** Wall-clock ms: streaming starts then (all workers at once) and stops taking new utterances at `stopAtMs`. */
  startAtMs: z.number(),
  stopAtMs: z.number(),
});

export const parentMessage = z.discriminatedUnion("type", [workerAssignment, workerGo, z.object({ type: z.literal("abort") })]);
export type ParentMessage = z.infer<typeof parentMessage>;

export interface WorkerProgress {
  frames_sent: number;
  utterances_sent: number;
  transcripts_received: number;
  errors: number;
}

/** One generator process's measurements; the parent merges them. Latencies are raw samples (bounded by the run). */
export interface WorkerReport {
  joins_ok: number;
  join_failures: Record<string, number>;
  join_ms: number[];
  utterances_sent: number;
  /** Utterances whose final transcript reached every participant of the session. */
  utterances_heard_by_all: number;
  deliveries_expected: number;
  deliveries_received: number;
  speaking_ms: number[];
  speaking_missed: number;
  speaker_transcript_ms: number[];
  listener_transcript_ms: number[];
  /** The first utterances some participant never got a transcript for (at most 20), to look into. */
  missing: { session_id: string; speaker: string; expected_end_ms: number; heard_by: string[] }[];
  unmatched_transcripts: number;
  duplicate_transcripts: number;
  alignment_ms: number[];
  errors: Record<string, number>;
  /** Room errors about `audio` messages: audio the engine refused or could not process. */
  audio_errors: number;
  disconnects: Record<string, number>;
  frames_sent: number;
  /**
   * Steady-state window (after a warm-up, up to the stop): the utterances whose end was sent in it, each with when
   * its speaker got the final transcript (null: never). Offered and sustained throughput are computed from these.
   */
  window_from_ms: number;
  window_ms: number;
  window_utterances: { end_sent_ms: number; heard_ms: number | null }[];
  /** Most the generator fell behind real time (ms): > a frame or two means the generator, not the engine, limited. */
  max_lag_ms: number;
  cpu_ms: number;
  wall_ms: number;
}

export type WorkerMessage =
  | { type: "ready"; joined: number; failed: number }
  | { type: "progress"; progress: WorkerProgress }
  | { type: "report"; report: WorkerReport }
  | { type: "failed"; message: string };
