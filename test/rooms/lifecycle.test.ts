import { CloseCode } from "@colyseus/core";
import type { Room } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, eventually, startTestEngine, type TestEngine } from "../support/engine.js";

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({ reconnectWindowMs: 1_500 });
});
afterAll(async () => {
  await t.close();
});

interface SessionBody {
  status: string;
  end_reason: string | null;
  ended_at: string | null;
  participants: { participant_id: string; connected: boolean; left_at: string | null }[];
}

async function session(id: string): Promise<SessionBody> {
  return (await t.api("GET", `/api/v1/sessions/${id}`)).body as SessionBody;
}

function statusOf(room: Room): string {
  return (room.state as { status: string }).status;
}

/** Drops the connection the way a network failure would (a close code that allows reconnection). */
function dropConnection(room: Room): void {
  room.reconnection.minUptime = 0;
  room.connection.close(CloseCode.MAY_TRY_RECONNECT, "network lost");
}

describe("session lifecycle over a real server", () => {
  it("goes live, then draining and ended after the idle timeout; every transition is persisted", async () => {
    // The idle timer runs from creation too (nobody connected yet): it must outlast the join itself, which takes
    // seconds on a loaded 2-core machine, or the room is gone before the host is in ("seat reservation expired").
    const { id, token } = await t.createSession({ kind: "meeting", idle_timeout_ms: 3_000 });
    const room = await t.join(id, token);
    await eventually(() => (statusOf(room) === "live" ? true : undefined));
    // Nobody is connected after this, so the transitions that follow are checked where they are kept: the record and
    // its events (the room's state reaches no client any more).
    await room.leave(true);

    // The 3 s idle timeout, then the drain.
    const ended = await eventually(async () => {
      const body = await session(id);
      return body.status === "ended" ? body : undefined;
    }, 15_000);
    expect(ended.end_reason).toBe("idle_timeout");
    expect(ended.ended_at).not.toBeNull();
    expect(ended.participants[0]).toMatchObject({ participant_id: "host", connected: false });
    expect(ended.participants[0]?.left_at).not.toBeNull();

    const events = await t.engine.store.listEvents(id);
    const lifecycle = events.filter((e) => e.type.startsWith("lifecycle.")).map((e) => e.type);
    expect(lifecycle).toEqual(["lifecycle.created", "lifecycle.waiting", "lifecycle.live", "lifecycle.draining", "lifecycle.ended"]);
    expect(events.filter((e) => e.type.startsWith("participant.")).map((e) => e.type)).toEqual(["participant.joined", "participant.left"]);
    const snapshot = (await t.engine.store.getSession(id))?.snapshot as { status: string; context: { endReason: string } };
    expect(snapshot).toMatchObject({ status: "done", context: { endReason: "idle_timeout" } });
  });

  it("DELETE tells every client session.ended and disconnects them; the record stays as ended", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const host = await t.join(id, token);
    const guest = await t.join(id, await t.token(id, "guest", "participant"));
    const notices = [collect(host, "session.ended"), collect(guest, "session.ended")];
    const statuses: string[] = [];
    guest.onStateChange((state: { status: string }) => {
      if (statuses.at(-1) !== state.status) statuses.push(state.status);
    });
    const left = new Promise<number>((resolve) => guest.onLeave((code: number) => resolve(code)));

    expect((await t.api("DELETE", `/api/v1/sessions/${id}`)).status).toBe(204);
    for (const inbox of notices) expect(await eventually(() => inbox[0])).toEqual({ session_id: id, reason: "requested" });
    expect(await left).toBe(CloseCode.CONSENTED);
    expect(statuses).toContain("draining");
    expect(await session(id)).toMatchObject({ status: "ended", end_reason: "requested" });
  });

  it("a dropped client reconnects within the window with the same identity", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const host = await t.join(id, token);
    const guest = await t.join(id, await t.token(id, "guest", "participant", { name: "Guest" }));
    const sessionId = guest.sessionId;
    const reconnected = new Promise<void>((resolve) => guest.onReconnect(() => resolve()));
    const participants = () => (host.state as { participants: Map<string, { connected: boolean; name: string }> }).participants;

    dropConnection(guest);
    await eventually(() => (participants().get("guest")?.connected === false ? true : undefined));
    await reconnected;
    expect(guest.sessionId).toBe(sessionId);
    await eventually(() => (participants().get("guest")?.connected === true ? true : undefined));
    expect(participants().get("guest")?.name).toBe("Guest");

    // The resumed connection works: a signal from the host reaches it, addressed by the same participant id.
    const inbox = collect(guest, "signal");
    host.send("signal", { to: "guest", type: "offer", sdp: "after reconnect" });
    expect(await eventually(() => inbox[0])).toMatchObject({ from: "host", sdp: "after reconnect" });
    const events = (await t.engine.store.listEvents(id)).map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(["participant.dropped", "participant.reconnected"]));
  });

  it("a client that does not come back within the window leaves the session", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const host = await t.join(id, token);
    const guest = await t.join(id, await t.token(id, "guest", "participant"));
    guest.reconnection.enabled = false;
    dropConnection(guest);
    const participants = () => (host.state as { participants: Map<string, unknown> }).participants;
    await eventually(() => (participants().has("guest") ? undefined : true), 5_000);
    const record = await eventually(async () => {
      const body = await session(id);
      const p = body.participants.find((x) => x.participant_id === "guest");
      return p?.left_at ? p : undefined;
    });
    expect(record.connected).toBe(false);
  });

  it("a second connection of the same participant replaces the first", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const first = await t.join(id, token);
    const replaced = collect(first, "session.replaced");
    const firstLeft = new Promise<number>((resolve) => first.onLeave((code: number) => resolve(code)));
    const second = await t.join(id, token);
    expect(await firstLeft).toBe(CloseCode.CONSENTED);
    expect(replaced).toHaveLength(1);
    const participants = (second.state as { participants: Map<string, { connected: boolean }> }).participants;
    await eventually(() => (participants.get("host")?.connected === true ? true : undefined));
    expect(participants.size).toBe(1);
    expect(statusOf(second)).toBe("live");
  });
});
