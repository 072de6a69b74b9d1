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
  /** Every participant's camera (null: none): the JPEG file all of them send, and the pace. */
  video: z
    .object({
      jpegPath: z.string(),
      fps: z.number().int().min(1),
      /** Between two frames of one camera: a little over 1000 / fps, since the room's budget refills by its own clock. */
      intervalMs: z.number().positive(),
    })
    .nullable(),
  /** Index of this worker's first camera among all cameras, and their number: phases spread over the interval. */
  firstCameraIndex: z.number().int().min(0),
  totalCameras: z.number().int().min(0),
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
  /** Absent on a run without cameras. */
  camera_frames_sent: count.optional(),
  expressions_received: count.optional(),
});
export type WorkerProgress = z.infer<typeof workerProgress>;

/** What one generator process's cameras sent and got back (see camera-stream.ts). */
export const cameraReport = z.object({
  cameras: count,
  frames_sent: count,
  /** Frames a camera did not send because the generator was late past its next frame (it sends the newest only). */
  frames_skipped: count,
  /** Error replies about `video` messages, by code (the room answers at most 10 errors a second per connection). */
  errors: counts,
  /** `expression` messages received, summed over every client (each hears every camera of its session). */
  expression_messages: count,
  /** …of which showed a face (faces ≥ 1). */
  expression_with_face: count,
  no_face_messages: count,
  /** Clients that received them (joined clients of the cameras' sessions). */
  receivers: count,
  /**
   * At the camera's own client: frame sent → the `expression` announcing it, matched by time (the frame sent nearest
   * the message's `at_ms` on the session's clock). Only announced frames (changes and the 2 s heartbeat) get one.
   */
  expression_ms: samples,
  /** Announced frames sent before the steady state (not in expression_ms: the first frame of a stream is slower). */
  expressions_warm_up: count,
  unmatched_expressions: count,
  max_lag_ms: z.number(),
});
export type CameraReport = z.infer<typeof cameraReport>;

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
  /** First speech frame sent → the speaker's first interim caption of it (utterances that got one). */
  speaker_interim_ms: samples,
  /** Utterances the speaker got no interim caption for (skipped under load, too short, or interims off). */
  interims_missed: count,
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
  /** Absent on a run without cameras. */
  video: cameraReport.optional(),
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
