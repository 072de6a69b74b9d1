/**
 * The behavioural contract of `SessionStore`, run against every backend by `session-store.test.ts`.
 * Tables may hold rows from other tests (or earlier runs on a shared Postgres), so every test uses fresh random ids
 * and asserts on those rows only, or on differences in counts.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isEngineError, type ErrorCode } from "../../src/errors.js";
import type { NewSession, SessionStore } from "../../src/persistence/store.js";

export interface OpenedStore {
  store: SessionStore;
  close: () => Promise<void>;
}

const T0 = Date.parse("2030-01-01T00:00:00.000Z");
/** A fixed instant `offsetMs` after T0, so tests never depend on the clock. */
const at = (offsetMs: number): Date => new Date(T0 + offsetMs);

function newSession(overrides: Partial<NewSession> = {}): NewSession {
  return {
    id: `s-${randomUUID()}`,
    kind: "meeting",
    title: "Weekly sync",
    tutorId: null,
    studentId: null,
    kbId: null,
    maxParticipants: 8,
    idleTimeoutMs: 300_000,
    maxDurationMs: 7_200_000,
    at: at(0),
    ...overrides,
  };
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected an EngineError with code ${code}`).toBeDefined();
  expect(isEngineError(error) ? error.code : error).toBe(code);
}

export function sessionStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`SessionStore contract: ${name}`, () => {
    let opened: OpenedStore | undefined;
    const store = (): SessionStore => {
      if (opened === undefined) throw new Error("store not opened");
      return opened.store;
    };

    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => {
      await opened?.close();
    });

    describe("sessions", () => {
      it("creates a session in status created and reads it back", async () => {
        const input = newSession({
          kind: "tutoring",
          title: null,
          tutorId: "tutor-1",
          studentId: "student-1",
          kbId: "kb-1",
          maxParticipants: 2,
          // Above 2^31: durations are bigint columns.
          maxDurationMs: 3_000_000_000,
        });
        const created = await store().createSession(input);
        const expected = {
          id: input.id,
          kind: "tutoring",
          title: null,
          tutorId: "tutor-1",
          studentId: "student-1",
          kbId: "kb-1",
          maxParticipants: 2,
          idleTimeoutMs: 300_000,
          maxDurationMs: 3_000_000_000,
          status: "created",
          endReason: null,
          snapshot: null,
          processId: null,
          roomOptions: null,
          createdAt: at(0),
          updatedAt: at(0),
          lastActivityAt: at(0),
          endedAt: null,
        };
        expect(created).toEqual(expected);
        expect(await store().getSession(input.id)).toEqual(expected);
      });

      it("returns null for an unknown session", async () => {
        expect(await store().getSession(`missing-${randomUUID()}`)).toBeNull();
      });

      it("records lifecycle.created", async () => {
        const input = newSession();
        await store().createSession(input);
        const events = await store().listEvents(input.id);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ sessionId: input.id, type: "lifecycle.created", participantId: null, data: {}, at: at(0) });
        expect(typeof events[0]?.id).toBe("number");
      });

      it("rejects a duplicate id with session_exists and keeps the original", async () => {
        const input = newSession({ title: "original" });
        await store().createSession(input);
        await expectCode(store().createSession({ ...input, title: "duplicate", at: at(5) }), "session_exists");
        expect((await store().getSession(input.id))?.title).toBe("original");
        expect(await store().listEvents(input.id)).toHaveLength(1);
      });
    });

    describe("listing", () => {
      // A private era a century ahead (later on every run) keeps these sessions at the top of the newest-first
      // order, whatever else the tables hold.
      const base = Date.now() + 100 * 365 * 24 * 3_600_000;
      const ids: string[] = [];

      beforeAll(async () => {
        for (let i = 0; i < 5; i++) {
          const input = newSession({ at: new Date(base + i * 1000) });
          ids.push(input.id);
          await store().createSession(input);
        }
        // Oldest two end, the third goes live.
        for (const id of ids.slice(0, 2)) {
          await store().recordTransition({ sessionId: id, status: "ended", snapshot: null, reason: "requested", at: new Date(base + 10_000) });
        }
        await store().recordTransition({ sessionId: ids[2] ?? "", status: "live", snapshot: null, reason: null, at: new Date(base + 10_000) });
      });

      it("lists newest first with a total over all matches", async () => {
        const page = await store().listSessions({ limit: 3, offset: 0 });
        expect(page.items.map((s) => s.id)).toEqual([ids[4], ids[3], ids[2]]);
        expect(page.total).toBeGreaterThanOrEqual(5);
        const next = await store().listSessions({ limit: 2, offset: 3 });
        expect(next.items.map((s) => s.id)).toEqual([ids[1], ids[0]]);
        expect(next.total).toBe(page.total);
      });

      it("breaks created_at ties by id, newest first", async () => {
        // Older than the five above, so the other tests' pages never see these two, whichever order tests run in.
        const tieAt = new Date(base - 500);
        const a = newSession({ id: `tie-a-${randomUUID()}`, at: tieAt });
        const b = newSession({ id: `tie-b-${a.id.slice(6)}`, at: tieAt });
        await store().createSession(b);
        await store().createSession(a);
        const all = await store().listSessions({ limit: 1000, offset: 0 });
        const order = all.items.map((s) => s.id).filter((id) => id === a.id || id === b.id);
        expect(order).toEqual([b.id, a.id]);
      });

      it("filters by status", async () => {
        const ended = await store().listSessions({ statuses: ["ended"], limit: 2, offset: 0 });
        expect(ended.items.map((s) => s.id)).toEqual([ids[1], ids[0]]);
        expect(ended.items.every((s) => s.status === "ended")).toBe(true);
        expect(ended.total).toBeGreaterThanOrEqual(2);

        const open = await store().listSessions({ statuses: ["created", "live"], limit: 3, offset: 0 });
        expect(open.items.map((s) => s.id)).toEqual([ids[4], ids[3], ids[2]]);
        expect(open.total).toBeGreaterThanOrEqual(3);

        const none = await store().listSessions({ statuses: [], limit: 10, offset: 0 });
        expect(none).toEqual({ items: [], total: 0 });
      });

      it("returns an empty page past the end with the total intact", async () => {
        const all = await store().listSessions({ limit: 1, offset: 0 });
        const past = await store().listSessions({ limit: 10, offset: all.total + 10 });
        expect(past.items).toEqual([]);
        expect(past.total).toBe(all.total);
      });
    });

    describe("open sessions", () => {
      it("counts and lists sessions that are not ended", async () => {
        const before = await store().countOpenSessions();
        const a = newSession();
        const b = newSession();
        await store().createSession(a);
        await store().createSession(b);
        expect(await store().countOpenSessions()).toBe(before + 2);

        await store().recordTransition({ sessionId: a.id, status: "draining", snapshot: null, reason: "shutdown", at: at(1) });
        expect(await store().countOpenSessions()).toBe(before + 2);
        let openIds = (await store().listOpenSessions()).map((s) => s.id);
        expect(openIds).toContain(a.id);
        expect(openIds).toContain(b.id);

        await store().recordTransition({ sessionId: a.id, status: "ended", snapshot: null, reason: null, at: at(2) });
        expect(await store().countOpenSessions()).toBe(before + 1);
        const open = await store().listOpenSessions();
        openIds = open.map((s) => s.id);
        expect(openIds).not.toContain(a.id);
        expect(openIds).toContain(b.id);
        expect(open.every((s) => s.status !== "ended")).toBe(true);
      });
    });

    describe("transitions", () => {
      it("updates status, snapshot, end reason and endedAt, and logs lifecycle events in order", async () => {
        const input = newSession();
        await store().createSession(input);
        const snapshot = { status: "active", value: { lifecycle: "live" }, context: { participants: ["p1"], n: 1.5 } };

        await store().recordTransition({ sessionId: input.id, status: "waiting", snapshot: { value: "waiting" }, reason: null, at: at(1000) });
        await store().recordTransition({ sessionId: input.id, status: "live", snapshot, reason: null, at: at(2000) });
        let session = await store().getSession(input.id);
        expect(session).toMatchObject({
          status: "live",
          snapshot,
          endReason: null,
          endedAt: null,
          createdAt: at(0),
          updatedAt: at(2000),
          lastActivityAt: at(2000),
        });

        await store().recordTransition({ sessionId: input.id, status: "draining", snapshot: { value: "draining" }, reason: "idle_timeout", at: at(3000) });
        session = await store().getSession(input.id);
        expect(session).toMatchObject({ status: "draining", endReason: "idle_timeout", endedAt: null });

        // An `ended` transition without a reason keeps the one given on `draining`.
        await store().recordTransition({ sessionId: input.id, status: "ended", snapshot: { value: "ended" }, reason: null, at: at(4000) });
        session = await store().getSession(input.id);
        expect(session).toMatchObject({
          status: "ended",
          snapshot: { value: "ended" },
          endReason: "idle_timeout",
          endedAt: at(4000),
          updatedAt: at(4000),
        });

        const events = await store().listEvents(input.id);
        expect(events.map((e) => [e.type, e.data, e.at])).toEqual([
          ["lifecycle.created", {}, at(0)],
          ["lifecycle.waiting", { reason: null }, at(1000)],
          ["lifecycle.live", { reason: null }, at(2000)],
          ["lifecycle.draining", { reason: "idle_timeout" }, at(3000)],
          ["lifecycle.ended", { reason: null }, at(4000)],
        ]);
        const eventIds = events.map((e) => e.id);
        expect([...eventIds].sort((x, y) => x - y)).toEqual(eventIds);
      });

      it("sets the end reason when ending directly", async () => {
        const input = newSession();
        await store().createSession(input);
        await store().recordTransition({ sessionId: input.id, status: "ended", snapshot: null, reason: "process_restart", at: at(10) });
        expect(await store().getSession(input.id)).toMatchObject({ status: "ended", endReason: "process_restart", endedAt: at(10), snapshot: null });
      });

      it("fails with session_not_found for an unknown session and writes nothing", async () => {
        const id = `missing-${randomUUID()}`;
        await expectCode(store().recordTransition({ sessionId: id, status: "live", snapshot: null, reason: null, at: at(1) }), "session_not_found");
        expect(await store().listEvents(id)).toEqual([]);
      });
    });

    describe("claims", () => {
      const options = { sessionId: "s", kind: "meeting", title: "", maxParticipants: 8, videoFps: 2, startedAtMs: T0 };

      it("a first claim stores the process and the room options, bumps updatedAt only, and logs room.claimed", async () => {
        const input = newSession();
        await store().createSession(input);
        expect(await store().claimSession({ sessionId: input.id, processId: "p-1", previousProcessId: null, roomOptions: options, at: at(500) })).toBe(true);
        expect(await store().getSession(input.id)).toMatchObject({
          processId: "p-1",
          roomOptions: options,
          updatedAt: at(500),
          lastActivityAt: at(0),
        });
        const events = await store().listEvents(input.id);
        expect(events.map((e) => [e.type, e.data, e.at])).toEqual([
          ["lifecycle.created", {}, at(0)],
          ["room.claimed", { process_id: "p-1", previous_process_id: null }, at(500)],
        ]);
      });

      it("is compare-and-set on the holding process: of two takeovers one wins, and the room options stay", async () => {
        const input = newSession();
        await store().createSession(input);
        await store().claimSession({ sessionId: input.id, processId: "dead", previousProcessId: null, roomOptions: options, at: at(1) });
        // A second first claim finds the session held.
        expect(await store().claimSession({ sessionId: input.id, processId: "p-2", previousProcessId: null, at: at(2) })).toBe(false);
        const results = await Promise.all(
          ["p-3", "p-4"].map((processId) => store().claimSession({ sessionId: input.id, processId, previousProcessId: "dead", at: at(3) })),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const session = await store().getSession(input.id);
        expect(session?.processId).toBe(results[0] === true ? "p-3" : "p-4");
        expect(session?.roomOptions).toEqual(options);
        expect((await store().listEvents(input.id)).filter((e) => e.type === "room.claimed")).toHaveLength(2);
      });

      it("refuses an ended session and an unknown one, writing nothing", async () => {
        const input = newSession();
        await store().createSession(input);
        await store().recordTransition({ sessionId: input.id, status: "ended", snapshot: null, reason: "requested", at: at(1) });
        expect(await store().claimSession({ sessionId: input.id, processId: "p-1", previousProcessId: null, at: at(2) })).toBe(false);
        expect((await store().getSession(input.id))?.processId).toBeNull();
        const missing = `missing-${randomUUID()}`;
        expect(await store().claimSession({ sessionId: missing, processId: "p-1", previousProcessId: null, at: at(2) })).toBe(false);
        expect(await store().listEvents(missing)).toEqual([]);
      });
    });

    describe("participants", () => {
      it("records a join, a drop, a reconnect and a leave with their events", async () => {
        const input = newSession();
        await store().createSession(input);
        const who = { sessionId: input.id, participantId: "p1" };

        await store().recordJoin({ ...who, name: "Ada", role: "host", at: at(100) });
        expect(await store().listParticipants(input.id)).toEqual([
          { ...who, name: "Ada", role: "host", connected: true, joinedAt: at(100), leftAt: null },
        ]);
        expect(await store().getSession(input.id)).toMatchObject({ lastActivityAt: at(100), updatedAt: at(100) });

        await store().recordDrop({ ...who, at: at(200) });
        expect(await store().listParticipants(input.id)).toMatchObject([{ connected: false, leftAt: null, joinedAt: at(100) }]);

        await store().recordReconnect({ ...who, at: at(300) });
        expect(await store().listParticipants(input.id)).toMatchObject([{ connected: true, leftAt: null }]);

        await store().recordLeave({ ...who, at: at(400) });
        expect(await store().listParticipants(input.id)).toMatchObject([{ connected: false, leftAt: at(400), joinedAt: at(100) }]);
        expect(await store().getSession(input.id)).toMatchObject({ lastActivityAt: at(400) });

        const events = await store().listEvents(input.id);
        expect(events.map((e) => [e.type, e.participantId, e.data, e.at])).toEqual([
          ["lifecycle.created", null, {}, at(0)],
          ["participant.joined", "p1", { name: "Ada", role: "host" }, at(100)],
          ["participant.dropped", "p1", {}, at(200)],
          ["participant.reconnected", "p1", {}, at(300)],
          ["participant.left", "p1", {}, at(400)],
        ]);
      });

      it("rejoin after a leave updates name and role, keeps joinedAt and clears leftAt", async () => {
        const input = newSession({ kind: "tutoring" });
        await store().createSession(input);
        const who = { sessionId: input.id, participantId: "p1" };
        await store().recordJoin({ ...who, name: "Sam", role: "student", at: at(100) });
        await store().recordLeave({ ...who, at: at(200) });
        await store().recordJoin({ ...who, name: "Samuel", role: "observer", at: at(300) });

        expect(await store().listParticipants(input.id)).toEqual([
          { ...who, name: "Samuel", role: "observer", connected: true, joinedAt: at(100), leftAt: null },
        ]);
        const types = (await store().listEvents(input.id)).map((e) => e.type);
        expect(types).toEqual(["lifecycle.created", "participant.joined", "participant.left", "participant.joined"]);
      });

      it("keeps participants of different sessions apart and lists them in join order", async () => {
        const a = newSession();
        const b = newSession();
        await store().createSession(a);
        await store().createSession(b);
        await store().recordJoin({ sessionId: a.id, participantId: "p2", name: "Bo", role: "participant", at: at(20) });
        await store().recordJoin({ sessionId: a.id, participantId: "p1", name: "Al", role: "host", at: at(10) });
        await store().recordJoin({ sessionId: b.id, participantId: "p1", name: "Cy", role: "observer", at: at(30) });

        expect((await store().listParticipants(a.id)).map((p) => [p.participantId, p.name])).toEqual([
          ["p1", "Al"],
          ["p2", "Bo"],
        ]);
        expect((await store().listParticipants(b.id)).map((p) => [p.participantId, p.name])).toEqual([["p1", "Cy"]]);
      });

      it("fails with session_not_found for participant changes on an unknown session", async () => {
        const who = { sessionId: `missing-${randomUUID()}`, participantId: "p1", at: at(1) };
        await expectCode(store().recordJoin({ ...who, name: "X", role: "host" }), "session_not_found");
        await expectCode(store().recordDrop(who), "session_not_found");
        await expectCode(store().recordReconnect(who), "session_not_found");
        await expectCode(store().recordLeave(who), "session_not_found");
        expect(await store().listParticipants(who.sessionId)).toEqual([]);
      });

      it("fails with not_found for a participant that never joined, and writes no event", async () => {
        const input = newSession();
        await store().createSession(input);
        const who = { sessionId: input.id, participantId: "ghost", at: at(1) };
        await expectCode(store().recordDrop(who), "not_found");
        await expectCode(store().recordReconnect(who), "not_found");
        await expectCode(store().recordLeave(who), "not_found");
        expect((await store().listEvents(input.id)).map((e) => e.type)).toEqual(["lifecycle.created"]);
        // The whole transaction rolled back, activity times included.
        expect(await store().getSession(input.id)).toMatchObject({ lastActivityAt: at(0), updatedAt: at(0) });
      });
    });

    describe("events", () => {
      it("appends arbitrary events with JSON data and bumps lastActivityAt", async () => {
        const input = newSession();
        await store().createSession(input);
        const data = { sdp: "v=0\r\n", candidates: [{ port: 3478 }], nested: { ok: true, n: null }, text: "héllo ✓" };
        await store().appendEvent({ sessionId: input.id, type: "signal.offer", participantId: "p1", data, at: at(500) });
        await store().appendEvent({ sessionId: input.id, type: "ai.note", participantId: null, data: {}, at: at(600) });

        const events = await store().listEvents(input.id);
        expect(events.slice(1).map((e) => ({ sessionId: e.sessionId, type: e.type, participantId: e.participantId, data: e.data, at: e.at }))).toEqual([
          { sessionId: input.id, type: "signal.offer", participantId: "p1", data, at: at(500) },
          { sessionId: input.id, type: "ai.note", participantId: null, data: {}, at: at(600) },
        ]);
        expect(await store().getSession(input.id)).toMatchObject({ lastActivityAt: at(600), status: "created" });
      });

      it("fails with session_not_found for an unknown session", async () => {
        const id = `missing-${randomUUID()}`;
        await expectCode(store().appendEvent({ sessionId: id, type: "x", participantId: null, data: {}, at: at(1) }), "session_not_found");
      });

      it("lists no events for an unknown session", async () => {
        expect(await store().listEvents(`missing-${randomUUID()}`)).toEqual([]);
      });
    });

    it("answers ping", async () => {
      await expect(store().ping()).resolves.toBeUndefined();
    });
  });
}
