import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createActor } from "xstate";
import type { SessionMachineEmitted, TranscriptResult, TutorTurnSettings } from "../../src/actors/session-events.js";
import { lifecycleStatus, sessionMachine, turnState } from "../../src/actors/session-machine.js";

const TUTOR: TutorTurnSettings = { minInterruptionMs: 300, greets: false };

function transcript(participantId: string, text: string): { type: "transcript.final"; transcript: TranscriptResult } {
  const timings = { queueMs: 0, asrMs: 0, totalMs: 0 };
  return {
    type: "transcript.final",
    transcript: { participantId, segmentId: `${participantId}-${text}`, text, startMs: 0, endMs: 1, final: true, timings, receivedAtMs: 0 },
  };
}

/** A live tutoring session with its student `s` joined; every emission recorded. */
function liveTutoring(tutor: TutorTurnSettings = TUTOR) {
  const actor = createActor(sessionMachine, {
    input: { sessionId: "s1", kind: "tutoring", idleTimeoutMs: 60_000, maxDurationMs: 600_000, tutor },
  });
  const emitted: SessionMachineEmitted[] = [];
  actor.on("*", (event) => emitted.push(event));
  actor.on("writes.flush", () => actor.send({ type: "writes.flushed" }));
  actor.start();
  actor.send({ type: "session.open" });
  actor.send({ type: "client.join", participantId: "t", role: "tutor" });
  actor.send({ type: "client.join", participantId: "s", role: "student" });
  const turns = () => emitted.filter((event) => event.type === "reply.start" || event.type === "reply.stop");
  const delivered = () => emitted.flatMap((event) => (event.type === "result.deliver" ? [event.result.kind] : []));
  return { actor, turns, delivered, state: () => turnState(actor.getSnapshot()) };
}

describe("tutor turn loop", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("greets when the student joins, then listens once the greeting is said", () => {
    const { actor, turns, state } = liveTutoring({ ...TUTOR, greets: true });
    expect(state()).toBe("thinking");
    expect(turns()).toEqual([{ type: "reply.start", turnId: 1, kind: "greeting", text: "", cause: null }]);
    actor.send({ type: "reply.speaking", turnId: 1 });
    expect(state()).toBe("speaking");
    actor.send({ type: "reply.finished", turnId: 1 });
    expect(state()).toBe("listening");
    expect(actor.getSnapshot().context.turnId).toBe(1);
  });

  it("answers the student's final transcript or text, and no one else's", () => {
    const { actor, turns, state, delivered } = liveTutoring();
    expect(state()).toBe("listening");
    actor.send(transcript("t", "a human tutor speaking"));
    actor.send(transcript("s", "   "));
    actor.send({ type: "text.received", participantId: "t", text: "hello" });
    expect(state()).toBe("listening");
    actor.send(transcript("s", " what is a cell? "));
    expect(state()).toBe("thinking");
    expect(turns()).toEqual([{ type: "reply.start", turnId: 1, kind: "answer", text: "what is a cell?", cause: "audio" }]);
    // Every transcript still reaches the room, the one that started the turn included.
    expect(delivered()).toEqual(["transcript", "transcript", "transcript"]);
    actor.send({ type: "reply.failed", turnId: 1 });
    expect(state()).toBe("listening");
    actor.send({ type: "text.received", participantId: "s", text: "and a nucleus?" });
    expect(turns().at(-1)).toEqual({ type: "reply.start", turnId: 2, kind: "answer", text: "and a nucleus?", cause: "text" });
  });

  it("an interim transcript of the student's reaches the room but starts no turn; its final does", () => {
    const { actor, turns, state, delivered } = liveTutoring();
    const final = transcript("s", "what is a cell?");
    actor.send({ type: "transcript.interim", transcript: { ...final.transcript, text: "what is", final: false } });
    expect(state()).toBe("listening");
    expect(turns()).toEqual([]);
    expect(delivered()).toEqual(["transcript"]);
    actor.send(final);
    expect(state()).toBe("thinking");
    expect(turns()).toEqual([{ type: "reply.start", turnId: 1, kind: "answer", text: "what is a cell?", cause: "audio" }]);
  });

  it("barge-in: student speech of min_interruption_ms stops the turn; shorter speech does not", () => {
    const { actor, turns, state, delivered } = liveTutoring();
    actor.send(transcript("s", "tell me about atoms"));
    actor.send({ type: "reply.speaking", turnId: 1 });
    actor.send({ type: "speech.started", participantId: "s" });
    vi.advanceTimersByTime(299);
    actor.send({ type: "speech.ended", participantId: "s" });
    vi.advanceTimersByTime(1_000);
    expect(state()).toBe("speaking");
    // Another participant's speech never interrupts.
    actor.send({ type: "speech.started", participantId: "t" });
    vi.advanceTimersByTime(1_000);
    expect(state()).toBe("speaking");
    actor.send({ type: "speech.started", participantId: "s" });
    vi.advanceTimersByTime(300);
    expect(state()).toBe("listening");
    expect(turns().at(-1)).toEqual({ type: "reply.stop", turnId: 1, reason: "barge_in" });
    // A late answer of the interrupted turn changes nothing; every speech event was delivered once.
    actor.send({ type: "reply.finished", turnId: 1 });
    expect(state()).toBe("listening");
    expect(delivered()).toEqual(["transcript", "speech", "speech", "speech", "speech"]);
  });

  it("barge-in counts from the speech's onset: what the pool heard before confirming it counts", () => {
    const { actor, state, turns } = liveTutoring();
    actor.send({ type: "text.received", participantId: "s", text: "first" });
    actor.send({ type: "reply.speaking", turnId: 1 });
    actor.send({ type: "speech.started", participantId: "s", heardMs: 250 });
    vi.advanceTimersByTime(49);
    expect(state()).toBe("speaking");
    vi.advanceTimersByTime(1);
    expect(state()).toBe("listening");
    actor.send({ type: "text.received", participantId: "s", text: "second" });
    actor.send({ type: "speech.started", participantId: "s", heardMs: 400 });
    vi.advanceTimersByTime(0);
    expect(state()).toBe("listening");
    expect(turns().filter((event) => event.type === "reply.stop").map((event) => event.turnId)).toEqual([1, 2]);
  });

  it("barge-in while thinking, and a new text replacing the answer", () => {
    const { actor, turns, state } = liveTutoring();
    actor.send({ type: "text.received", participantId: "s", text: "first" });
    actor.send({ type: "speech.started", participantId: "s" });
    vi.advanceTimersByTime(300);
    expect(state()).toBe("listening");
    actor.send({ type: "text.received", participantId: "s", text: "second" });
    actor.send({ type: "text.received", participantId: "s", text: "third" });
    expect(state()).toBe("thinking");
    expect(turns()).toEqual([
      { type: "reply.start", turnId: 1, kind: "answer", text: "first", cause: "text" },
      { type: "reply.stop", turnId: 1, reason: "barge_in" },
      { type: "reply.start", turnId: 2, kind: "answer", text: "second", cause: "text" },
      { type: "reply.stop", turnId: 2, reason: "text" },
      { type: "reply.start", turnId: 3, kind: "answer", text: "third", cause: "text" },
    ]);
    // The old turn's `reply.speaking` does not move the new one.
    actor.send({ type: "reply.speaking", turnId: 2 });
    expect(state()).toBe("thinking");
  });

  it("ending the session stops a running turn", () => {
    const { actor, turns } = liveTutoring();
    actor.send({ type: "text.received", participantId: "s", text: "question" });
    actor.send({ type: "session.end", reason: "requested" });
    expect(turns().at(-1)).toEqual({ type: "reply.stop", turnId: 1, reason: "ended" });
    expect(lifecycleStatus(actor.getSnapshot())).toBe("ended");
  });

  it("a meeting has no turn loop", () => {
    const actor = createActor(sessionMachine, { input: { sessionId: "m", kind: "meeting", idleTimeoutMs: 60_000, maxDurationMs: 600_000 } });
    const emitted: string[] = [];
    actor.on("*", (event) => emitted.push(event.type));
    actor.start();
    actor.send({ type: "session.open" });
    actor.send({ type: "client.join", participantId: "h", role: "host" });
    actor.send(transcript("h", "hello everyone"));
    actor.send({ type: "text.received", participantId: "h", text: "hi" });
    expect(turnState(actor.getSnapshot())).toBeNull();
    expect(emitted).toEqual(["result.deliver"]);
  });
});
