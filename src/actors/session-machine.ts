import { assertEvent, assign, emit, setup, type SnapshotFrom } from "xstate";
import type { SessionStatus } from "../domain.js";
import type {
  ParticipantResult,
  ReplyStopReason,
  SessionMachineContext,
  SessionMachineEmitted,
  SessionMachineEvent,
  SessionMachineInput,
} from "./session-events.js";

export type * from "./session-events.js";

/** The tutor turn loop's states, as the room state and the database show them. */
export const TURN_STATES = ["listening", "thinking", "speaking"] as const;
export type TurnState = (typeof TURN_STATES)[number];

const TUTOR_LISTENING = "#session.open.phase.live.tutor.listening";

/** The pool result an event carries, as the room applies it. */
function resultOf(event: SessionMachineEvent): ParticipantResult | null {
  switch (event.type) {
    case "speech.started":
    case "speech.ended":
      return { kind: "speech", participantId: event.participantId, speaking: event.type === "speech.started" };
    case "transcript.final":
    case "transcript.interim":
      return { kind: "transcript", ...event.transcript };
    case "transcript.failed":
      return { kind: "transcript_failed", ...event.failure };
    case "video.faces":
      return { kind: "faces", ...event.faces };
    case "media.error":
      return { kind: "error", ...event.error };
    default:
      return null;
  }
}

/** Who an event is from, for the events a participant causes. */
function senderOf(event: SessionMachineEvent): string | null {
  switch (event.type) {
    case "speech.started":
    case "speech.ended":
    case "text.received":
      return event.participantId;
    case "transcript.final":
      return event.transcript.participantId;
    default:
      return null;
  }
}

/** Why leaving `replying` stopped the turn, from the event that left it. */
function stopReasonOf(event: SessionMachineEvent): ReplyStopReason {
  if (event.type === "text.received") return "text";
  // The barge-in delay fires as `xstate.after.<delay>.<state>`.
  if (event.type.startsWith("xstate.after")) return "barge_in";
  return "ended";
}

/**
 * A session's lifecycle: created → waiting → live → draining → ended.
 * `open` is parallel: `phase` (waiting/live), `presence` (empty/occupied) so the idle timer runs only while
 * nobody is connected, in both phases, and `deadline` (the maximum duration). A persisted snapshot carries no timers:
 * a machine restored from one is sent `session.resume`, which re-arms them for the time left. A tutoring session's `live` holds the tutor's turn loop (`tutor`): listening →
 * replying (thinking → speaking) → listening, with barge-in as a parallel region of `replying`; a meeting's `live` has
 * none.
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
    hasTutor: ({ context }) => context.tutor !== null,
    tutorGreets: ({ context }) => context.tutor?.greets === true,
    fromStudent: ({ context, event }) => context.studentId !== null && senderOf(event) === context.studentId,
    /** The student's final transcript with words in it (Whisper hears nothing in some segments). */
    studentSaidWords: ({ context, event }) =>
      event.type === "transcript.final" && event.transcript.participantId === context.studentId && event.transcript.text.trim() !== "",
    currentTurn: ({ context, event }) => {
      assertEvent(event, ["reply.speaking", "reply.finished", "reply.failed"]);
      return event.turnId === context.turnId;
    },
  },
  actions: {
    markConnected: assign({
      connected: ({ context, event }) => {
        assertEvent(event, ["client.join", "client.reconnect"]);
        return context.connected.includes(event.participantId) ? context.connected : [...context.connected, event.participantId];
      },
    }),
    recordStudent: assign({
      studentId: ({ context, event }) => {
        assertEvent(event, "client.join");
        return context.studentId ?? (event.role === "student" ? event.participantId : null);
      },
    }),
    forgetConnections: assign({ connected: () => [] }),
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
      const result = resultOf(event);
      if (result === null) throw new Error(`${event.type} carries no pool result`);
      return { type: "result.deliver" as const, result };
    }),
    nextTurn: assign({ turnId: ({ context }) => context.turnId + 1 }),
    startGreeting: emit(({ context }) => ({ type: "reply.start" as const, turnId: context.turnId, kind: "greeting" as const, text: "", cause: null })),
    startAnswer: emit(({ context, event }) => {
      assertEvent(event, ["transcript.final", "text.received"]);
      const text = event.type === "text.received" ? event.text : event.transcript.text;
      const cause = event.type === "text.received" ? ("text" as const) : ("audio" as const);
      return { type: "reply.start" as const, turnId: context.turnId, kind: "answer" as const, text: text.trim(), cause };
    }),
    stopReply: emit(({ context, event }) => ({ type: "reply.stop" as const, turnId: context.turnId, reason: stopReasonOf(event) })),
    requestFlush: emit({ type: "writes.flush" as const }),
    recordFlushError: assign({
      flushError: ({ event }) => {
        assertEvent(event, "writes.flush_failed");
        return event.message;
      },
    }),
  },
  delays: {
    // A restored machine re-arms both for what was left of them (`session.resume`), not for the full time.
    idleTimeout: ({ context, event }) => (event.type === "session.resume" ? event.idleLeftMs : context.idleTimeoutMs),
    maxDuration: ({ context, event }) => (event.type === "session.resume" ? event.maxDurationLeftMs : context.maxDurationMs),
    // Counted from the speech's onset: the pool confirms speech only after some of it (`heardMs`).
    minInterruption: ({ context, event }) => {
      const heardMs = event.type === "speech.started" ? (event.heardMs ?? 0) : 0;
      return Math.max(0, (context.tutor?.minInterruptionMs ?? 0) - heardMs);
    },
  },
}).createMachine({
  id: "session",
  initial: "created",
  context: ({ input }) => ({
    sessionId: input.sessionId,
    kind: input.kind,
    idleTimeoutMs: input.idleTimeoutMs,
    maxDurationMs: input.maxDurationMs,
    tutor: input.tutor ?? null,
    connected: [],
    studentId: null,
    turnId: 0,
    endReason: null,
    flushError: null,
  }),
  on: {
    "audio.chunk": { actions: "refuseAudio" },
    "video.frame": { actions: "refuseVideo" },
    // Results keep arriving while draining: in-flight utterances finish then.
    "speech.started": { actions: "deliverResult" },
    "speech.ended": { actions: "deliverResult" },
    "transcript.final": { actions: "deliverResult" },
    "transcript.interim": { actions: "deliverResult" },
    "transcript.failed": { actions: "deliverResult" },
    "video.faces": { actions: "deliverResult" },
    "media.error": { actions: "deliverResult" },
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
      on: {
        "session.end": { target: "draining", actions: "recordEndRequest" },
        "client.join": { actions: ["markConnected", "recordStudent"] },
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
              on: { "client.join": { guard: "startsSession", target: "live", actions: ["markConnected", "recordStudent"] } },
            },
            live: {
              initial: "entering",
              states: {
                entering: { always: [{ guard: "hasTutor", target: "tutor" }, { target: "meeting" }] },
                meeting: {},
                tutor: {
                  initial: "starting",
                  // A restored session's turn died with its process: the loop listens again (leaving `replying` stops it).
                  on: { "session.resume": { target: ".listening" } },
                  states: {
                    starting: {
                      always: [
                        { guard: "tutorGreets", target: "replying", actions: ["nextTurn", "startGreeting"] },
                        { target: "listening" },
                      ],
                    },
                    listening: {
                      on: {
                        // Each nested transition also delivers: an enabled one here shadows the root's handler.
                        "transcript.final": {
                          guard: "studentSaidWords",
                          target: "replying",
                          actions: ["deliverResult", "nextTurn", "startAnswer"],
                        },
                        "text.received": { guard: "fromStudent", target: "replying", actions: ["nextTurn", "startAnswer"] },
                      },
                    },
                    replying: {
                      type: "parallel",
                      // Whatever leaves the turn stops it (the room ignores a stop of a turn that already ended).
                      exit: "stopReply",
                      on: {
                        "reply.finished": { guard: "currentTurn", target: "listening" },
                        "reply.failed": { guard: "currentTurn", target: "listening" },
                        // Typing while the tutor answers replaces the answer.
                        "text.received": { guard: "fromStudent", target: "replying", reenter: true, actions: ["nextTurn", "startAnswer"] },
                      },
                      states: {
                        progress: {
                          initial: "thinking",
                          states: {
                            thinking: { on: { "reply.speaking": { guard: "currentTurn", target: "speaking" } } },
                            speaking: {},
                          },
                        },
                        bargeIn: {
                          initial: "quiet",
                          states: {
                            quiet: {
                              on: { "speech.started": { guard: "fromStudent", target: "hearing", actions: "deliverResult" } },
                            },
                            // Speech shorter than `minInterruptionMs` (a cough, "uh-huh") does not interrupt.
                            hearing: {
                              after: { minInterruption: { target: TUTOR_LISTENING } },
                              on: { "speech.ended": { guard: "fromStudent", target: "quiet", actions: "deliverResult" } },
                            },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
        presence: {
          initial: "empty",
          states: {
            empty: {
              always: { guard: "anyoneConnected", target: "occupied" },
              after: { idleTimeout: { target: "#session.draining", actions: "recordIdleTimeout" } },
              // Re-entered, so the idle timer (which a persisted snapshot does not carry) runs again.
              on: { "session.resume": { target: "empty", reenter: true, actions: "forgetConnections" } },
            },
            occupied: {
              always: { guard: "nobodyConnected", target: "empty" },
              on: { "session.resume": { target: "empty", actions: "forgetConnections" } },
            },
          },
        },
        // The maximum duration, in a region of its own so that `session.resume` can re-arm it by re-entering.
        deadline: {
          initial: "running",
          states: {
            running: {
              after: { maxDuration: { target: "#session.draining", actions: "recordMaxDuration" } },
              on: { "session.resume": { target: "running", reenter: true } },
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

/** The tutor's turn state a snapshot stands for; null outside a live tutoring session. */
export function turnState(snapshot: SessionMachineSnapshot): TurnState | null {
  if (!snapshot.matches({ open: { phase: { live: "tutor" } } })) return null;
  if (snapshot.matches({ open: { phase: { live: { tutor: { replying: { progress: "speaking" } } } } } })) return "speaking";
  if (snapshot.matches({ open: { phase: { live: { tutor: "replying" } } } })) return "thinking";
  return "listening";
}
