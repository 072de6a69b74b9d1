import { describe, expect, it } from "vitest";
import { createActor } from "xstate";
import { sessionMachine } from "../../src/actors/session-machine.js";
import type { ParticipantRecord, SessionRecord } from "../../src/persistence/store.js";
import { decideResume } from "../../src/rooms/session-resume.js";

const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const IDLE_MS = 60_000;
const MAX_MS = 3_600_000;

function liveSnapshot(id: string): unknown {
  const actor = createActor(sessionMachine, { input: { sessionId: id, kind: "meeting", idleTimeoutMs: IDLE_MS, maxDurationMs: MAX_MS } });
  actor.start();
  actor.send({ type: "session.open" });
  actor.send({ type: "client.join", participantId: "host", role: "host" });
  return JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
}

function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: "s1",
    kind: "meeting",
    title: null,
    tutorId: null,
    studentId: null,
    kbId: null,
    maxParticipants: 4,
    idleTimeoutMs: IDLE_MS,
    maxDurationMs: MAX_MS,
    status: "live",
    endReason: null,
    snapshot: liveSnapshot("s1"),
    processId: "dead",
    roomOptions: { sessionId: "s1", kind: "meeting", maxParticipants: 4, idleTimeoutMs: IDLE_MS, maxDurationMs: MAX_MS, startedAtMs: T0 },
    createdAt: new Date(T0),
    updatedAt: new Date(T0 + 10_000),
    lastActivityAt: new Date(T0 + 10_000),
    endedAt: null,
    ...overrides,
  };
}

function seat(connected: boolean): ParticipantRecord {
  return { sessionId: "s1", participantId: "host", name: "Host", role: "host", connected, joinedAt: new Date(T0), leftAt: null };
}

describe("deciding an orphan's fate", () => {
  it("restores with the max duration left from creation; idle from now when someone was connected at the crash", () => {
    const decision = decideResume(record(), [seat(true)], T0 + 100_000);
    expect(decision).toMatchObject({
      restore: { fromProcessId: "dead", maxDurationLeftMs: MAX_MS - 100_000, idleLeftMs: IDLE_MS },
      options: { sessionId: "s1", videoFps: 2, noiseSuppression: false, startedAtMs: T0 },
    });
  });

  it("with nobody connected, the idle time left runs from the last activity", () => {
    expect(decideResume(record(), [seat(false)], T0 + 40_000)).toMatchObject({ restore: { idleLeftMs: IDLE_MS - 30_000 } });
    expect(decideResume(record(), [], T0 + 10_000 + IDLE_MS)).toEqual({ end: "past_idle" });
  });

  it("ends what cannot be restored, saying why", () => {
    expect(decideResume(record(), [seat(true)], T0 + MAX_MS)).toEqual({ end: "past_max_duration" });
    expect(decideResume(record({ status: "draining" }), [], T0)).toEqual({ end: "not_open" });
    expect(decideResume(record({ status: "created", snapshot: null }), [], T0)).toEqual({ end: "not_open" });
    expect(decideResume(record({ roomOptions: null }), [], T0)).toEqual({ end: "no_room_options" });
    expect(decideResume(record({ roomOptions: { sessionId: "other", kind: "meeting", maxParticipants: 4, idleTimeoutMs: 1, maxDurationMs: 1 } }), [], T0)).toEqual({ end: "no_room_options" });
    expect(decideResume(record({ snapshot: { status: "active", value: "open" } }), [], T0)).toEqual({ end: "snapshot" });
  });
});
