import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createActor, type Actor } from "xstate";
import { lifecycleStatus, sessionMachine, turnState, type SessionMachineInput } from "../../src/actors/session-machine.js";
import { restoreSessionActor } from "../../src/actors/session-restore.js";

const MINUTE_MS = 60_000;
const MEETING: SessionMachineInput = { sessionId: "s1", kind: "meeting", idleTimeoutMs: 5 * MINUTE_MS, maxDurationMs: 60 * MINUTE_MS };
const LESSON: SessionMachineInput = { ...MEETING, kind: "tutoring", tutor: { minInterruptionMs: 300, greets: false } };

/** Runs a machine as a room would until `prepare` is done, and returns its snapshot as the database holds it (JSON). */
function persistedAfter(input: SessionMachineInput, prepare: (actor: Actor<typeof sessionMachine>) => void): unknown {
  const actor = createActor(sessionMachine, { input });
  actor.start();
  actor.send({ type: "session.open" });
  prepare(actor);
  const persisted: unknown = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
  actor.stop();
  return persisted;
}

/** A restored actor, started and resumed as the room does it; flushes are answered at once. */
function resumed(input: SessionMachineInput, persisted: unknown, left: { maxDurationLeftMs: number; idleLeftMs: number }) {
  const actor = restoreSessionActor(input, persisted);
  if (actor === null) throw new Error("not restorable");
  const emitted: string[] = [];
  actor.on("*", (event) => {
    emitted.push(event.type);
    if (event.type === "writes.flush") queueMicrotask(() => actor.send({ type: "writes.flushed" }));
  });
  actor.start();
  actor.send({ type: "session.resume", ...left });
  return { actor, emitted };
}

describe("restoring the session machine from its persisted snapshot", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("keeps status and context, forgets the dead process's connections, and re-arms the idle timer for what is left", async () => {
    const persisted = persistedAfter(MEETING, (actor) => {
      actor.send({ type: "client.join", participantId: "host", role: "host" });
      actor.send({ type: "client.join", participantId: "guest", role: "participant" });
    });
    const { actor } = resumed(MEETING, persisted, { maxDurationLeftMs: 30 * MINUTE_MS, idleLeftMs: 2_000 });
    expect(lifecycleStatus(actor.getSnapshot())).toBe("live");
    expect(actor.getSnapshot().context.connected).toEqual([]);
    expect(actor.getSnapshot().matches({ open: { presence: "empty" } })).toBe(true);

    await vi.advanceTimersByTimeAsync(1_999);
    expect(lifecycleStatus(actor.getSnapshot())).toBe("live");
    await vi.advanceTimersByTimeAsync(1);
    expect(actor.getSnapshot().context.endReason).toBe("idle_timeout");
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().status).toBe("done");
  });

  it("a participant coming back stops the idle timer; the next empty spell has the full idle timeout again", async () => {
    const persisted = persistedAfter(MEETING, (actor) => actor.send({ type: "client.join", participantId: "host", role: "host" }));
    const { actor } = resumed(MEETING, persisted, { maxDurationLeftMs: 30 * MINUTE_MS, idleLeftMs: 1_000 });
    actor.send({ type: "client.join", participantId: "host", role: "host" });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lifecycleStatus(actor.getSnapshot())).toBe("live");
    actor.send({ type: "client.leave", participantId: "host" });
    await vi.advanceTimersByTimeAsync(5 * MINUTE_MS - 1);
    expect(lifecycleStatus(actor.getSnapshot())).toBe("live");
    await vi.advanceTimersByTimeAsync(1);
    expect(actor.getSnapshot().context.endReason).toBe("idle_timeout");
  });

  it("the maximum duration runs for what is left of it, not the full time, with someone connected", async () => {
    const persisted = persistedAfter(MEETING, (actor) => actor.send({ type: "client.join", participantId: "host", role: "host" }));
    const { actor } = resumed(MEETING, persisted, { maxDurationLeftMs: 3_000, idleLeftMs: MEETING.idleTimeoutMs });
    actor.send({ type: "client.join", participantId: "host", role: "host" });
    await vi.advanceTimersByTimeAsync(2_999);
    expect(lifecycleStatus(actor.getSnapshot())).toBe("live");
    await vi.advanceTimersByTimeAsync(1);
    expect(actor.getSnapshot().context.endReason).toBe("max_duration");
  });

  it("a waiting session stays waiting and still goes live with its first participant", () => {
    const persisted = persistedAfter(MEETING, () => {});
    const { actor } = resumed(MEETING, persisted, { maxDurationLeftMs: MINUTE_MS, idleLeftMs: MINUTE_MS });
    expect(lifecycleStatus(actor.getSnapshot())).toBe("waiting");
    actor.send({ type: "client.join", participantId: "host", role: "host" });
    expect(lifecycleStatus(actor.getSnapshot())).toBe("live");
  });

  it("a tutor's turn in progress at the crash is over: the loop listens again, the stop is emitted, the turn id kept", () => {
    const persisted = persistedAfter(LESSON, (actor) => {
      actor.send({ type: "client.join", participantId: "stu", role: "student" });
      actor.send({ type: "text.received", participantId: "stu", text: "What is a cell?" });
    });
    const { actor, emitted } = resumed(LESSON, persisted, { maxDurationLeftMs: MINUTE_MS, idleLeftMs: MINUTE_MS });
    expect(turnState(actor.getSnapshot())).toBe("listening");
    expect(emitted).toContain("reply.stop");
    expect(actor.getSnapshot().context).toMatchObject({ turnId: 1, studentId: "stu" });
  });

  it("refuses snapshots it cannot resume: another session's, a draining one, and an unknown state", () => {
    const live = persistedAfter(MEETING, (actor) => actor.send({ type: "client.join", participantId: "host", role: "host" }));
    expect(restoreSessionActor({ ...MEETING, sessionId: "other" }, live)).toBeNull();
    const draining = persistedAfter(MEETING, (actor) => actor.send({ type: "session.end", reason: "requested" }));
    expect(restoreSessionActor(MEETING, draining)).toBeNull();
    expect(restoreSessionActor(MEETING, null)).toBeNull();
    const foreign = { ...(live as Record<string, unknown>), value: { open: { phase: "elsewhere", presence: "empty", deadline: "running" } } };
    expect(restoreSessionActor(MEETING, foreign)).toBeNull();
  });
});
