import { randomUUID } from "node:crypto";
import type { Room } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createActor } from "xstate";
import { sessionMachine, type SessionMachineEvent } from "../../src/actors/session-machine.js";
import type { ParticipantRole, SessionKind } from "../../src/domain.js";
import { EventPublisher } from "../../src/events/event-publisher.js";
import { createLogger } from "../../src/logger.js";
import { ColyseusRoomHost } from "../../src/rooms/colyseus-room-host.js";
import { SessionResume, type RoomHost } from "../../src/rooms/session-resume.js";
import { eventually, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";

/**
 * Crash resume inside one engine: sessions are written as a process that died would have left them (held by a process
 * id no live process has, room options, the machine's persisted snapshot, seats), then a resume pass restores them
 * into this engine or ends them. The real crash, with processes and speech, is test/engine/crash-resume.test.ts.
 */
const RECONNECT_WINDOW_MS = 5_000;
const DEAD = "dead-process";
let t: TestEngine;
beforeAll(async () => {
  // No sweeps of the engine's own: this file runs each resume pass itself, on sessions it left orphaned on purpose.
  t = await startTestEngine({ reconnectWindowMs: RECONNECT_WINDOW_MS, resumeSweepMs: 0 });
});
afterAll(async () => {
  await t.close();
});

function resume(host: RoomHost = new ColyseusRoomHost()): SessionResume {
  return new SessionResume({ store: t.engine.store, host, events: new EventPublisher(t.engine.events), logger: createLogger("silent") });
}

interface Seat {
  id: string;
  role: ParticipantRole;
  /** Still connected when the process died. */
  connected: boolean;
}

interface LeftSession {
  kind?: SessionKind;
  /** How long before now the session was created. */
  ageMs: number;
  /** How long before now its last write was. */
  quietMs?: number;
  maxDurationMs?: number;
  idleTimeoutMs?: number;
  seats?: Seat[];
  /** Events the dead process's machine had handled after opening. */
  machine?: SessionMachineEvent[];
  heldBy?: string;
  /** False: a session from before room options were stored. */
  withOptions?: boolean;
}

/** Writes a session as a process that died would have left it: every write as that process's room made it. */
async function leftByDeadProcess(left: LeftSession): Promise<string> {
  const { store } = t.engine;
  const id = `s-${randomUUID()}`;
  const kind = left.kind ?? "meeting";
  const now = Date.now();
  const createdAt = new Date(now - left.ageMs);
  const lastAt = new Date(now - (left.quietMs ?? 0));
  const idleTimeoutMs = left.idleTimeoutMs ?? 60_000;
  const maxDurationMs = left.maxDurationMs ?? 3_600_000;
  await store.createSession({ id, kind, title: "before the crash", tutorId: null, studentId: null, kbId: null, maxParticipants: 4, idleTimeoutMs, maxDurationMs, at: createdAt });
  const options = { sessionId: id, kind, title: "before the crash", maxParticipants: 4, idleTimeoutMs, maxDurationMs, noiseSuppression: false, tutorId: null, kbId: null, videoFps: 2, startedAtMs: createdAt.getTime() };
  await store.claimSession({ sessionId: id, processId: left.heldBy ?? DEAD, previousProcessId: null, ...(left.withOptions === false ? {} : { roomOptions: options }), at: createdAt });
  const actor = createActor(sessionMachine, { input: { sessionId: id, kind, idleTimeoutMs, maxDurationMs, tutor: kind === "tutoring" ? { minInterruptionMs: 300, greets: false } : null } });
  actor.start();
  actor.send({ type: "session.open" });
  for (const seat of left.seats ?? []) {
    actor.send({ type: "client.join", participantId: seat.id, role: seat.role });
    await store.recordJoin({ sessionId: id, participantId: seat.id, name: seat.id.toUpperCase(), role: seat.role, at: lastAt });
    if (!seat.connected) {
      actor.send({ type: "client.drop", participantId: seat.id });
      await store.recordDrop({ sessionId: id, participantId: seat.id, at: lastAt });
    }
  }
  for (const event of left.machine ?? []) actor.send(event);
  const snapshot = actor.getSnapshot();
  const status = snapshot.matches({ open: { phase: "live" } }) ? "live" : snapshot.matches("draining") ? "draining" : "waiting";
  await store.recordTransition({ sessionId: id, status, snapshot: JSON.parse(JSON.stringify(actor.getPersistedSnapshot())), reason: null, at: lastAt });
  actor.stop();
  return id;
}

interface SessionBody {
  status: string;
  end_reason: string | null;
  participants: { participant_id: string; connected: boolean; left_at: string | null }[];
}

async function session(id: string): Promise<SessionBody> {
  return (await t.api("GET", `/api/v1/sessions/${id}`)).body as SessionBody;
}

type Participants = Map<string, { connected: boolean; name: string }>;
const participantsOf = (room: Room): Participants | undefined => (room.state as { participants?: Participants }).participants;

describe("crash resume in one engine", () => {
  it("restores a live meeting: status kept, seats known and dropped, clients come back with their tokens", async () => {
    const id = await leftByDeadProcess({
      ageMs: 30_000,
      seats: [{ id: "host", role: "host", connected: true }, { id: "guest", role: "participant", connected: true }],
    });
    const report = await resume().run();
    expect(report.restored).toEqual([id]);

    const restored = await session(id);
    expect(restored.status).toBe("live");
    expect(restored.participants.map((p) => [p.participant_id, p.connected, p.left_at]).sort()).toEqual([["guest", false, null], ["host", false, null]]);
    const record = await t.engine.store.getSession(id);
    expect(record?.processId).toBe(new ColyseusRoomHost().processId);

    const host = await t.join(id, await t.token(id, "host", "host"));
    const guest = await t.join(id, await t.token(id, "guest", "participant"));
    await eventually(() => (participantsOf(host)?.get("guest")?.connected === true ? true : undefined));
    await eventually(() => (participantsOf(guest)?.get("host")?.connected === true ? true : undefined));
    expect((host.state as { status: string }).status).toBe("live");

    const events = await eventually(async () => {
      const all = await t.engine.store.listEvents(id);
      return all.filter((e) => e.type === "participant.joined").length === 4 ? all : undefined;
    });
    // Claimed from the dead process, both seats dropped, then both joined again: no second `lifecycle.live`.
    const claim = events.findIndex((e) => e.type === "room.claimed" && e.data["previous_process_id"] === DEAD);
    expect(events.slice(claim).map((e) => e.type)).toEqual(["room.claimed", "participant.dropped", "participant.dropped", "participant.joined", "participant.joined"]);
    expect(events.filter((e) => e.type === "lifecycle.live")).toHaveLength(1);
    await host.leave(true);
    await guest.leave(true);
  });

  it("a seat nobody takes back within the reconnect window leaves; one taken back stays", async () => {
    const id = await leftByDeadProcess({ ageMs: 5_000, seats: [{ id: "host", role: "host", connected: true }, { id: "gone", role: "participant", connected: true }] });
    await resume().run();
    const host = await t.join(id, await t.token(id, "host", "host"));
    await eventually(() => (participantsOf(host)?.has("gone") ? true : undefined));
    await eventually(() => (participantsOf(host)?.has("gone") ? undefined : true), RECONNECT_WINDOW_MS + 3_000);
    const body = await eventually(async () => {
      const current = await session(id);
      return current.participants.find((p) => p.participant_id === "gone")?.left_at ? current : undefined;
    });
    expect(body.participants.find((p) => p.participant_id === "host")).toMatchObject({ connected: true, left_at: null });
    await host.leave(true);
  });

  it("the maximum duration runs from the session's creation: a restored session drains when what was left of it runs out", async () => {
    const id = await leftByDeadProcess({ ageMs: 10_000, maxDurationMs: 13_000, seats: [{ id: "host", role: "host", connected: true }] });
    const resumedAt = Date.now();
    await resume().run();
    const host = await t.join(id, await t.token(id, "host", "host"));
    const ended = new Promise<{ reason: string | null }>((resolve) => host.onMessage("session.ended", resolve));
    expect(await ended).toMatchObject({ reason: "max_duration" });
    // 13 s from creation, 10 s before the restore: about 3 s after it, not 13.
    expect(Date.now() - resumedAt).toBeLessThan(8_000);
  });

  it("idle time runs on from the last activity when nobody was connected at the crash", async () => {
    const id = await leftByDeadProcess({ ageMs: 8_000, quietMs: 8_000, idleTimeoutMs: 10_000, seats: [{ id: "host", role: "host", connected: false }] });
    const resumedAt = Date.now();
    await resume().run();
    const body = await eventually(async () => ((await session(id)).status === "ended" ? session(id) : undefined), 10_000);
    expect(body.end_reason).toBe("idle_timeout");
    expect(Date.now() - resumedAt).toBeLessThan(6_000);
  });

  it("sessions that cannot be restored end with process_restart: past max duration, past idle, draining, no room options, never opened", async () => {
    const pastMax = await leftByDeadProcess({ ageMs: 20_000, maxDurationMs: 15_000, seats: [{ id: "host", role: "host", connected: true }] });
    const pastIdle = await leftByDeadProcess({ ageMs: 20_000, quietMs: 20_000, idleTimeoutMs: 10_000 });
    const draining = await leftByDeadProcess({ ageMs: 1_000, machine: [{ type: "session.end", reason: "requested" }] });
    const legacy = await leftByDeadProcess({ ageMs: 1_000, withOptions: false, seats: [{ id: "host", role: "host", connected: true }] });
    // Its creator died before its room opened (no process holds it): with no other process alive, nobody is making it.
    const unopened = `s-${randomUUID()}`;
    await t.engine.store.createSession({ id: unopened, kind: "meeting", title: null, tutorId: null, studentId: null, kbId: null, maxParticipants: 4, idleTimeoutMs: 60_000, maxDurationMs: 60_000, at: new Date() });
    const hostToken = await t.token(pastMax, "host", "host");
    // This engine alone: with REDIS_URL other test files' engines may be alive on the same Redis, and a young
    // `created` session is then left to them (it may be theirs, its room being made).
    const base = new ColyseusRoomHost();
    const alone: RoomHost = {
      processId: base.processId,
      aliveProcesses: async () => new Set([base.processId]),
      listedRooms: () => base.listedRooms(),
      answers: (processId) => base.answers(processId),
      createHere: (kind, options) => base.createHere(kind, options),
    };
    const report = await resume(alone).run();
    expect(report.restored).toEqual([]);
    expect(new Set(report.ended)).toEqual(new Set([pastMax, pastIdle, draining, legacy, unopened]));
    for (const id of [pastMax, pastIdle, draining, legacy, unopened]) expect(await session(id)).toMatchObject({ status: "ended", end_reason: "process_restart" });
    expect(await t.join(pastMax, hostToken).catch((error: unknown) => error)).toMatchObject({ message: "session_ended" });
  });

  it("never takes a session of a live process; of two passes at once one restores and the other finds it taken", async () => {
    const base = new ColyseusRoomHost();
    const withLiveOther: RoomHost = {
      processId: base.processId,
      aliveProcesses: async () => new Set([...(await base.aliveProcesses()), "live-other"]),
      listedRooms: () => base.listedRooms(),
      answers: (processId) => base.answers(processId),
      createHere: (kind, options) => base.createHere(kind, options),
    };
    const held = await leftByDeadProcess({ ageMs: 1_000, heldBy: "live-other", seats: [{ id: "host", role: "host", connected: true }] });
    const orphan = await leftByDeadProcess({ ageMs: 1_000, seats: [{ id: "host", role: "host", connected: true }] });
    const reports = await Promise.all([resume(withLiveOther).run(), resume(withLiveOther).run()]);
    expect(reports.flatMap((r) => r.restored)).toEqual([orphan]);
    expect(reports.flatMap((r) => r.ended)).toEqual([]);
    expect((await t.engine.store.getSession(held))?.processId).toBe("live-other");
    expect((await session(held)).status).toBe("live");
    expect((await t.engine.store.listEvents(orphan)).filter((e) => e.type === "room.claimed")).toHaveLength(2);
    // The live process's session is not this file's to restore in later tests.
    await t.engine.store.recordTransition({ sessionId: held, status: "ended", snapshot: null, reason: "requested", at: new Date() });
  });

  it("restores 20 sessions in one pass (the time is printed, not asserted)", async () => {
    // Models loaded first: their loading takes the cores, and this measures the pass alone.
    await expectModelsLoaded(t);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await leftByDeadProcess({ ageMs: 5_000, seats: [{ id: "host", role: "host", connected: true }, { id: "guest", role: "participant", connected: true }] }));
    const report = await resume().run();
    expect(new Set(report.restored)).toEqual(new Set(ids));
    console.log(JSON.stringify({ resume_pass: { sessions: ids.length, seats_each: 2, duration_ms: report.durationMs, per_session_ms: report.durationMs / ids.length } }));
  });

  it("a tutoring session whose tutor was answering at the crash is restored listening, with its tutor recreated", async () => {
    const id = await leftByDeadProcess({
      kind: "tutoring",
      ageMs: 2_000,
      seats: [{ id: "stu", role: "student", connected: true }],
      machine: [{ type: "text.received", participantId: "stu", text: "What is a cell?" }],
    });
    expect((await resume().run()).restored).toEqual([id]);
    const student = await t.join(id, await t.token(id, "stu", "student"));
    await eventually(() => ((student.state as { tutorState: string }).tutorState === "listening" ? true : undefined));
    expect(student.state).toMatchObject({ status: "live", turnId: 1 });
    await student.leave(true);
  });
});
