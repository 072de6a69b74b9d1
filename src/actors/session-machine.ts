import { assertEvent, assign, emit, setup, type SnapshotFrom } from "xstate";
import type { EndReason, ParticipantRole, SessionKind, SessionStatus } from "../domain.js";
import type { FrameFace, FrameTimings, PoolOutput } from "../inference/pool-types.js";
import type { RoomErrorCode } from "../protocol/error-codes.js";

/** A result of the pool, resolved to the participant whose media it concerns; offsets are session-relative ms. */
export type ParticipantResult =
  | { kind: "speech"; participantId: string; speaking: boolean }
  /** The pool's transcript with session-relative times, and when (`performance.now()`) the engine received it. */
  | (Omit<Extract<PoolOutput, { kind: "transcript" }>, "streamId"> & { participantId: string; receivedAtMs: number })
  /**
   * One camera frame's faces, best first; `atMs` is its capture time (session-relative), `ageMs` how long after it the
   * answer reached the room, `receivedAtMs` (`performance.now()`) when that was.
   */
  | { kind: "faces"; participantId: string; atMs: number; faces: FrameFace[]; timings: FrameTimings; ageMs: number; receivedAtMs: number }
  /** A refusal of the participant's audio or video, for their connection. */
  | { kind: "error"; participantId: string; media: "audio" | "video"; code: RoomErrorCode; message: string };

export interface SessionMachineInput {
  sessionId: string;
  kind: SessionKind;
  idleTimeoutMs: number;
  maxDurationMs: number;
}

export interface SessionMachineContext extends SessionMachineInput {
  /** Participant ids with a live connection (a dropped client waiting to reconnect is not connected). */
  connected: string[];
  endReason: EndReason | null;
  /** Set when flushing writes failed while draining; the session still ends. */
  flushError: string | null;
}

export type SessionMachineEvent =
  | { type: "session.open" }
  | { type: "session.end"; reason: EndReason }
  | { type: "client.join"; participantId: string; role: ParticipantRole }
  | { type: "client.drop"; participantId: string }
  | { type: "client.reconnect"; participantId: string }
  | { type: "client.leave"; participantId: string }
  /** A participant's audio message (16-bit PCM), already validated by the room. */
  | { type: "audio.chunk"; participantId: string; pcm16: Uint8Array }
  /** A participant's camera frame (a JPEG the room has size-checked). */
  | { type: "video.frame"; participantId: string; jpeg: Uint8Array }
  /** A result of the inference pool for one participant's audio or video. */
  | { type: "inference.result"; result: ParticipantResult }
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
  /** Persist every pending write, then answer `writes.flushed` (or `writes.flush_failed`). */
  | { type: "writes.flush" };

/**
 * A session's lifecycle: created → waiting → live → draining → ended.
 * `open` is parallel: `phase` (waiting/live) and `presence` (empty/occupied) so the idle timer runs only while
 * nobody is connected, in both phases. A tutoring turn sub-machine will nest under `phase.live`.
 */
export const sessionMachine = setup({
  types: {
    input: {} as SessionMachineInput,
    context: {} as SessionMachineContext,
    events: {} as SessionMachineEvent,
    emitted: {} as SessionMachineEmitted,
  },
  guards: {
    /** Meeting: the first non-observer participant. Tutoring: the student. */
    startsSession: ({ context, event }) => {
      assertEvent(event, "client.join");
      return context.kind === "meeting" ? event.role !== "observer" : event.role === "student";
    },
    anyoneConnected: ({ context }) => context.connected.length > 0,
    nobodyConnected: ({ context }) => context.connected.length === 0,
  },
  actions: {
    markConnected: assign({
      connected: ({ context, event }) => {
        assertEvent(event, ["client.join", "client.reconnect"]);
        return context.connected.includes(event.participantId) ? context.connected : [...context.connected, event.participantId];
      },
    }),
    markDisconnected: assign({
      connected: ({ context, event }) => {
        assertEvent(event, ["client.drop", "client.leave"]);
        return context.connected.filter((id) => id !== event.participantId);
      },
    }),
    recordEndRequest: assign({
      endReason: ({ event }) => {
        assertEvent(event, "session.end");
        return event.reason;
      },
    }),
    recordIdleTimeout: assign({ endReason: "idle_timeout" as const }),
    recordMaxDuration: assign({ endReason: "max_duration" as const }),
    forwardAudio: emit(({ event }) => {
      assertEvent(event, "audio.chunk");
      return { type: "audio.forward" as const, participantId: event.participantId, pcm16: event.pcm16 };
    }),
    refuseAudio: emit(({ event }) => {
      assertEvent(event, "audio.chunk");
      return { type: "audio.refused" as const, participantId: event.participantId };
    }),
    forwardVideo: emit(({ event }) => {
      assertEvent(event, "video.frame");
      return { type: "video.forward" as const, participantId: event.participantId, jpeg: event.jpeg };
    }),
    refuseVideo: emit(({ event }) => {
      assertEvent(event, "video.frame");
      return { type: "video.refused" as const, participantId: event.participantId };
    }),
    deliverResult: emit(({ event }) => {
      assertEvent(event, "inference.result");
      return { type: "result.deliver" as const, result: event.result };
    }),
    requestFlush: emit({ type: "writes.flush" as const }),
    recordFlushError: assign({
      flushError: ({ event }) => {
        assertEvent(event, "writes.flush_failed");
        return event.message;
      },
    }),
  },
  delays: {
    idleTimeout: ({ context }) => context.idleTimeoutMs,
    maxDuration: ({ context }) => context.maxDurationMs,
  },
}).createMachine({
  id: "session",
  initial: "created",
  context: ({ input }) => ({ ...input, connected: [], endReason: null, flushError: null }),
  on: {
    "audio.chunk": { actions: "refuseAudio" },
    "video.frame": { actions: "refuseVideo" },
    // Results keep arriving while draining: in-flight utterances finish then.
    "inference.result": { actions: "deliverResult" },
  },
  states: {
    created: {
      on: {
        "session.open": { target: "open" },
        "session.end": { target: "draining", actions: "recordEndRequest" },
      },
    },
    open: {
      type: "parallel",
      after: { maxDuration: { target: "draining", actions: "recordMaxDuration" } },
      on: {
        "session.end": { target: "draining", actions: "recordEndRequest" },
        "client.join": { actions: "markConnected" },
        "client.reconnect": { actions: "markConnected" },
        "client.drop": { actions: "markDisconnected" },
        "client.leave": { actions: "markDisconnected" },
        "audio.chunk": { actions: "forwardAudio" },
        "video.frame": { actions: "forwardVideo" },
      },
      states: {
        phase: {
          initial: "waiting",
          states: {
            waiting: {
              on: { "client.join": { guard: "startsSession", target: "live", actions: "markConnected" } },
            },
            live: {},
          },
        },
        presence: {
          initial: "empty",
          states: {
            empty: {
              always: { guard: "anyoneConnected", target: "occupied" },
              after: { idleTimeout: { target: "#session.draining", actions: "recordIdleTimeout" } },
            },
            occupied: {
              always: { guard: "nobodyConnected", target: "empty" },
            },
          },
        },
      },
    },
    draining: {
      entry: "requestFlush",
      on: {
        "writes.flushed": { target: "ended" },
        "writes.flush_failed": { target: "ended", actions: "recordFlushError" },
      },
    },
    ended: { type: "final" },
  },
});

export type SessionMachineSnapshot = SnapshotFrom<typeof sessionMachine>;

/** The lifecycle status a snapshot stands for. */
export function lifecycleStatus(snapshot: SessionMachineSnapshot): SessionStatus {
  if (snapshot.matches("created")) return "created";
  if (snapshot.matches("draining")) return "draining";
  if (snapshot.matches("ended")) return "ended";
  return snapshot.matches({ open: { phase: "live" } }) ? "live" : "waiting";
}
