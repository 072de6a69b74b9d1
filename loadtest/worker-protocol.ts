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

const count = z.number().int().min(0);
const counts = z.record(z.string(), count);
const samples = z.array(z.number());

const workerProgress = z.object({
  frames_sent: count,
  utterances_sent: count,
  transcripts_received: count,
  errors: count,
});
export type WorkerProgress = z.infer<typeof workerProgress>;

/** One generator process's measurements; the parent merges them. Latencies are raw samples (bounded by the run). */
const workerReport = z.object({
  joins_ok: count,
  join_failures: counts,
  join_ms: samples,
  utterances_sent: count,
  /** Utterances whose final transcript reached every participant of the session. */
  utterances_heard_by_all: count,
  deliveries_expected: count,
  deliveries_received: count,
  speaking_ms: samples,
  speaking_missed: count,
  speaker_transcript_ms: samples,
  listener_transcript_ms: samples,
  /** The first utterances some participant never got a transcript for (at most 20), to look into. */
  missing: z.array(z.object({ session_id: z.string(), speaker: z.string(), expected_end_ms: z.number(), heard_by: z.array(z.string()) })),
  unmatched_transcripts: count,
  duplicate_transcripts: count,
  alignment_ms: samples,
  errors: counts,
  /** Room errors about `audio` messages: audio the engine refused or could not process. */
  audio_errors: count,
  disconnects: counts,
  frames_sent: count,
  /**
   * Steady-state window (after a warm-up, up to the stop): the utterances whose end was sent in it, each with when
   * its speaker got the final transcript (null: never). Offered and sustained throughput are computed from these.
   */
  window_from_ms: z.number(),
  window_ms: z.number(),
  window_utterances: z.array(z.object({ end_sent_ms: z.number(), heard_ms: z.number().nullable() })),
  /** Most the generator fell behind real time (ms): > a frame or two means the generator, not the engine, limited. */
  max_lag_ms: z.number(),
  cpu_ms: z.number(),
  wall_ms: z.number(),
});
export type WorkerReport = z.infer<typeof workerReport>;

/** What a generator process tells the run; checked on arrival like any other message. */
export const workerMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), joined: count, failed: count }),
  z.object({ type: z.literal("progress"), progress: workerProgress }),
  z.object({ type: z.literal("report"), report: workerReport }),
  z.object({ type: z.literal("failed"), message: z.string() }),
]);
export type WorkerMessage = z.infer<typeof workerMessage>;
