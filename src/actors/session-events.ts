import type { EndReason, ParticipantRole, SessionKind } from "../domain.js";
import type { FrameFace, FrameTimings, PoolOutput } from "../inference/pool-types.js";
import type { RoomErrorCode } from "../protocol/error-codes.js";

/** A pool transcript with session-relative times, and when (`performance.now()`) the engine received it. */
export type TranscriptResult = Omit<Extract<PoolOutput, { kind: "transcript" }>, "streamId" | "kind"> & {
  participantId: string;
  receivedAtMs: number;
};

/**
 * One camera frame's faces, best first; `atMs` is its capture time (session-relative), `ageMs` how long after it the
 * answer reached the room, `receivedAtMs` (`performance.now()`) when that was.
 */
export interface FacesResult {
  participantId: string;
  atMs: number;
  faces: FrameFace[];
  timings: FrameTimings;
  ageMs: number;
  receivedAtMs: number;
}

/** An utterance whose final transcript failed (its error goes to the sender): its interim line, if any, is withdrawn. */
export interface TranscriptFailure {
  participantId: string;
  segmentId: string;
}

/** A refusal of the participant's audio or video, for their connection. */
export interface MediaErrorResult {
  participantId: string;
  media: "audio" | "video";
  code: RoomErrorCode;
  message: string;
}

/** A result of the pool, resolved to the participant whose media it concerns; offsets are session-relative ms. */
export type ParticipantResult =
  /** `heardMs`: how much of the speech had reached the engine when the pool confirmed it (or its end). */
  | { kind: "speech"; participantId: string; speaking: boolean; heardMs?: number }
  | ({ kind: "transcript" } & TranscriptResult)
  | ({ kind: "transcript_failed" } & TranscriptFailure)
  | ({ kind: "faces" } & FacesResult)
  | ({ kind: "error" } & MediaErrorResult);

/** What a tutoring session's turn loop needs from its tutor's profile. */
export interface TutorTurnSettings {
  /** Student speech at least this long while the tutor thinks or speaks interrupts it (barge-in). */
  minInterruptionMs: number;
  /** The tutor speaks a greeting when the session goes live. */
  greets: boolean;
}

export interface SessionMachineInput {
  sessionId: string;
  kind: SessionKind;
  idleTimeoutMs: number;
  maxDurationMs: number;
  /** A tutoring session's tutor; absent (or null) for a meeting, whose `live` has no turn loop. */
  tutor?: TutorTurnSettings | null;
}

export interface SessionMachineContext {
  sessionId: string;
  kind: SessionKind;
  idleTimeoutMs: number;
  maxDurationMs: number;
  tutor: TutorTurnSettings | null;
  /** Participant ids with a live connection (a dropped client waiting to reconnect is not connected). */
  connected: string[];
  /** The tutoring session's student, from their first join: only their speech and text drive the turn loop. */
  studentId: string | null;
  /** The tutor's current (or last) turn; 0 before the first. */
  turnId: number;
  endReason: EndReason | null;
  /** Set when flushing writes failed while draining; the session still ends. */
  flushError: string | null;
}

/** Why a tutor turn stopped before its end. */
export type ReplyStopReason = "barge_in" | "text" | "ended";

export type SessionMachineEvent =
  | { type: "session.open" }
  /**
   * The machine restored from its persisted snapshot in a new room, after its process died (`session-resume.ts`):
   * nobody is connected any more, the deadlines run for what is left of them, and a tutor's turn died with the process.
   */
  | { type: "session.resume"; maxDurationLeftMs: number; idleLeftMs: number }
  | { type: "session.end"; reason: EndReason }
  | { type: "client.join"; participantId: string; role: ParticipantRole }
  | { type: "client.drop"; participantId: string }
  | { type: "client.reconnect"; participantId: string }
  | { type: "client.leave"; participantId: string }
  /** A participant's audio message (16-bit PCM), already validated by the room. */
  | { type: "audio.chunk"; participantId: string; pcm16: Uint8Array }
  /** A participant's camera frame (a JPEG the room has size-checked). */
  | { type: "video.frame"; participantId: string; jpeg: Uint8Array }
  /** A participant's text message, accepted and broadcast by the room. */
  | { type: "text.received"; participantId: string; text: string }
  /** The pool's speech detection for a participant. */
  | { type: "speech.started"; participantId: string; heardMs?: number }
  | { type: "speech.ended"; participantId: string }
  | { type: "transcript.final"; transcript: TranscriptResult }
  | { type: "transcript.interim"; transcript: TranscriptResult }
  | { type: "transcript.failed"; failure: TranscriptFailure }
  | { type: "video.faces"; faces: FacesResult }
  | { type: "media.error"; error: MediaErrorResult }
  /** The room's reply runner: the turn's first audio went out / everything was said (and heard) / it failed. */
  | { type: "reply.speaking"; turnId: number }
  | { type: "reply.finished"; turnId: number }
  | { type: "reply.failed"; turnId: number }
  /** The room's answer to `writes.flush`: every pending write was attempted. */
  | { type: "writes.flushed" }
  | { type: "writes.flush_failed"; message: string };

/**
 * What the machine asks of its room, through `actor.on`: one machine serves every room (a per-room `provide` copies
 * the whole machine, ≈ 16 KB a session), and the room answers with events.
 */
export type SessionMachineEmitted =
  /** Hand the chunk to the inference pool. */
  | { type: "audio.forward"; participantId: string; pcm16: Uint8Array }
  /** Tell the sender its audio was not taken (the session is not open). */
  | { type: "audio.refused"; participantId: string }
  /** Hand the frame to the inference pool. */
  | { type: "video.forward"; participantId: string; jpeg: Uint8Array }
  /** Tell the sender its frame was not taken (the session is not open). */
  | { type: "video.refused"; participantId: string }
  /** Broadcast, persist, or report a pool result. */
  | { type: "result.deliver"; result: ParticipantResult }
  /** Start the tutor's turn: speak the greeting, or answer what the student said (`text`). */
  | { type: "reply.start"; turnId: number; kind: "greeting" | "answer"; text: string; cause: "audio" | "text" | null }
  /** Stop the turn if it is still running (abort the LLM, stop synthesis, tell the clients); idempotent. */
  | { type: "reply.stop"; turnId: number; reason: ReplyStopReason }
  /** Persist every pending write, then answer `writes.flushed` (or `writes.flush_failed`). */
  | { type: "writes.flush" };

/** The machine event a pool result arrives as (the room hands results over typed, never as an opaque result). */
export function resultEvent(result: ParticipantResult): SessionMachineEvent {
  switch (result.kind) {
    case "speech":
      if (!result.speaking) return { type: "speech.ended", participantId: result.participantId };
      return { type: "speech.started", participantId: result.participantId, ...(result.heardMs === undefined ? {} : { heardMs: result.heardMs }) };
    case "transcript": {
      const { kind: _kind, ...transcript } = result;
      return { type: transcript.final ? "transcript.final" : "transcript.interim", transcript };
    }
    case "transcript_failed": {
      const { kind: _kind, ...failure } = result;
      return { type: "transcript.failed", failure };
    }
    case "faces": {
      const { kind: _kind, ...faces } = result;
      return { type: "video.faces", faces };
    }
    case "error": {
      const { kind: _kind, ...error } = result;
      return { type: "media.error", error };
    }
  }
}
