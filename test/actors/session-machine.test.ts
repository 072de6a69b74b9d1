import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createActor, type Actor } from "xstate";
import { lifecycleStatus, sessionMachine, type SessionMachineInput } from "../../src/actors/session-machine.js";

const MINUTE_MS = 60_000;

/** Answers the machine's `writes.flush` the way a room does: with `writes.flushed`, or `writes.flush_failed`. */
function answerFlushes(actor: Actor<typeof sessionMachine>, flush: () => Promise<void>): void {
  actor.on("writes.flush", () => {
    flush().then(
      () => actor.send({ type: "writes.flushed" }),
      (error: unknown) => actor.send({ type: "writes.flush_failed", message: error instanceof Error ? error.message : "flush failed" }),
    );
  });
}

function start(input: Partial<SessionMachineInput> = {}, flush: () => Promise<void> = async () => {}) {
  const actor = createActor(sessionMachine, {
    input: { sessionId: "s1", kind: "meeting", idleTimeoutMs: 5 * MINUTE_MS, maxDurationMs: 60 * MINUTE_MS, ...input },
  });
  answerFlushes(actor, flush);
  actor.start();
  return actor;
}

describe("session machine", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("starts in created and opens into waiting", () => {
    const actor = start();
    expect(lifecycleStatus(actor.getSnapshot())).toBe("created");
    actor.send({ type: "session.open" });
    expect(lifecycleStatus(actor.getSnapshot())).toBe("waiting");
  });

  it("a meeting goes live with its first non-observer participant", () => {
    const actor = start();
    actor.send({ type: "session.open" });
    actor.send({ type: "client.join", participantId: "o", role: "observer" });
    expect(lifecycleStatus(actor.getSnapshot())).toBe("waiting");
    actor.send({ type: "client.join", participantId: "h", role: "host" });
    expect(lifecycleStatus(actor.getSnapshot())).toBe("live");
    expect(actor.getSnapshot().context.connected).toEqual(["o", "h"]);
  });

  it("a tutoring session goes live only when the student joins", () => {
    const actor = start({ kind: "tutoring" });
    actor.send({ type: "session.open" });
    actor.send({ type: "client.join", participantId: "t", role: "tutor" });
    expect(lifecycleStatus(actor.getSnapshot())).toBe("waiting");
    actor.send({ type: "client.join", participantId: "s", role: "student" });
    expect(lifecycleStatus(actor.getSnapshot())).toBe("live");
  });

  it("drains and ends after the idle timeout with nobody connected, once writes are flushed", async () => {
    let release: () => void = () => {};
    const flushed = new Promise<void>((resolve) => (release = resolve));
    const actor = start({ idleTimeoutMs: 1_000 }, () => flushed);
    actor.send({ type: "session.open" });
    actor.send({ type: "client.join", participantId: "h", role: "host" });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lifecycleStatus(actor.getSnapshot())).toBe("live");
    actor.send({ type: "client.drop", participantId: "h" });
    await vi.advanceTimersByTimeAsync(999);
    expect(lifecycleStatus(actor.getSnapshot())).toBe("live");
    await vi.advanceTimersByTimeAsync(1);
    expect(lifecycleStatus(actor.getSnapshot())).toBe("draining");
    expect(actor.getSnapshot().context.endReason).toBe("idle_timeout");
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(lifecycleStatus(actor.getSnapshot())).toBe("ended");
    expect(actor.getSnapshot().status).toBe("done");
  });

  it("a reconnect cancels the idle timer", async () => {
    const actor = start({ idleTimeoutMs: 1_000 });
    actor.send({ type: "session.open" });
    actor.send({ type: "client.join", participantId: "h", role: "host" });
    actor.send({ type: "client.drop", participantId: "h" });
    await vi.advanceTimersByTimeAsync(900);
    actor.send({ type: "client.reconnect", participantId: "h" });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lifecycleStatus(actor.getSnapshot())).toBe("live");
  });

  it("a session nobody joins drains after the idle timeout, and ends once writes are flushed", async () => {
    let release: () => void = () => {};
    const flushed = new Promise<void>((resolve) => (release = resolve));
    const actor = start({ idleTimeoutMs: 2_000 }, () => flushed);
    actor.send({ type: "session.open" });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(lifecycleStatus(actor.getSnapshot())).toBe("waiting");
    await vi.advanceTimersByTimeAsync(1);
    expect(lifecycleStatus(actor.getSnapshot())).toBe("draining");
    expect(actor.getSnapshot().context.endReason).toBe("idle_timeout");
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(lifecycleStatus(actor.getSnapshot())).toBe("ended");
    expect(actor.getSnapshot().context.endReason).toBe("idle_timeout");
  });

  it("ends at the maximum duration even while occupied", async () => {
    const actor = start({ maxDurationMs: 10_000 });
    actor.send({ type: "session.open" });
    actor.send({ type: "client.join", participantId: "h", role: "host" });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lifecycleStatus(actor.getSnapshot())).toBe("ended");
    expect(actor.getSnapshot().context.endReason).toBe("max_duration");
  });

  it("an end request drains and records the reason; a failed flush still ends, with the error kept", async () => {
    const actor = start({}, async () => {
      throw new Error("disk full");
    });
    actor.send({ type: "session.open" });
    actor.send({ type: "session.end", reason: "requested" });
    await vi.advanceTimersByTimeAsync(0);
    const snapshot = actor.getSnapshot();
    expect(lifecycleStatus(snapshot)).toBe("ended");
    expect(snapshot.context.endReason).toBe("requested");
    expect(snapshot.context.flushError).toBe("disk full");
  });

  it("the persisted snapshot restores to the same status", () => {
    const actor = start();
    actor.send({ type: "session.open" });
    actor.send({ type: "client.join", participantId: "h", role: "host" });
    const persisted = actor.getPersistedSnapshot();
    const restored = createActor(sessionMachine, {
      snapshot: JSON.parse(JSON.stringify(persisted)),
      input: { sessionId: "s1", kind: "meeting", idleTimeoutMs: MINUTE_MS, maxDurationMs: MINUTE_MS },
    });
    restored.start();
    expect(lifecycleStatus(restored.getSnapshot())).toBe("live");
  });
});

describe("session machine: audio and results", () => {
  it("asks its room to forward audio only while the session is open, and to deliver results until it ends", async () => {
    const forwarded: string[] = [];
    const refused: string[] = [];
    const delivered: string[] = [];
    let release: () => void = () => {};
    const flushed = new Promise<void>((resolve) => (release = resolve));
    const actor = createActor(sessionMachine, { input: { sessionId: "s", kind: "meeting", idleTimeoutMs: 60_000, maxDurationMs: 60_000 } });
    answerFlushes(actor, () => flushed);
    actor.on("audio.forward", (emitted) => forwarded.push(emitted.participantId));
    actor.on("audio.refused", (emitted) => refused.push(emitted.participantId));
    actor.on("result.deliver", (emitted) => delivered.push(emitted.result.kind));
    actor.start();
    const chunk = { type: "audio.chunk" as const, participantId: "h", pcm16: new Uint8Array(640) };
    actor.send(chunk);
    actor.send({ type: "session.open" });
    actor.send({ type: "client.join", participantId: "h", role: "host" });
    actor.send(chunk);
    actor.send({ type: "session.end", reason: "requested" });
    expect(lifecycleStatus(actor.getSnapshot())).toBe("draining");
    actor.send(chunk);
    // While draining, in-flight utterances still arrive and are delivered.
    const timings = { queueMs: 0, asrMs: 0, totalMs: 0 };
    actor.send({
      type: "transcript.final",
      transcript: { participantId: "h", segmentId: "1", text: "hi", startMs: 0, endMs: 1, final: true, timings, receivedAtMs: 0 },
    });
    release();
    await vi.waitFor(() => expect(lifecycleStatus(actor.getSnapshot())).toBe("ended"));
    expect(forwarded).toEqual(["h"]);
    expect(refused).toEqual(["h", "h"]);
    expect(delivered).toEqual(["transcript"]);
  });
});
