import { assertEvent, assign, fromPromise, setup, type SnapshotFrom } from "xstate";
import type { EndReason, ParticipantRole, SessionKind, SessionStatus } from "../domain.js";
import type { ParticipantResult } from "../rooms/room-audio.js";

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
  /** A result of the inference pool for one participant's audio. */
  | { type: "inference.result"; result: ParticipantResult };

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
    /** Provided by the room: hand the chunk to the inference pool. */
    forwardAudio: () => {},
    /** Provided by the room: tell the sender its audio was not taken (the session is not open). */
    refuseAudio: () => {},
    /** Provided by the room: broadcast, persist, or report a pool result. */
    deliverResult: () => {},
    recordFlushError: assign({
      flushError: ({ event }) => ("error" in event && event.error instanceof Error ? event.error.message : "flush failed"),
    }),
  },
  actors: {
    /** Provided by the room: resolves once every pending write of the session is persisted. */
    flushWrites: fromPromise<void>(async () => {}),
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
      invoke: {
        src: "flushWrites",
        onDone: { target: "ended" },
        onError: { target: "ended", actions: "recordFlushError" },
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
