import { ErrorCode } from "@colyseus/core";
import { Client } from "@colyseus/sdk";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { JOIN_REJECTIONS } from "../../src/auth/join-rejections.js";
import { onServerMessages } from "../../src/protocol/server-message-handlers.js";
import type { SessionJoinedMessage } from "../../src/protocol/server-messages.js";
import { joinRoom } from "../support/join-room.js";
import { eventually, startTestEngine, TOKEN_SECRET, type TestEngine } from "../support/engine.js";
import { metricValue, parsePrometheus } from "../support/prometheus.js";

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t.close();
});

/** Joins and returns the rejection's code and message (the SDK's error), or fails if the join succeeds. */
async function rejection(sessionId: string, token: string | undefined): Promise<{ code: number; message: string }> {
  try {
    const room = await joinRoom(t.engine.engineUrl, sessionId, token);
    await room.leave();
  } catch (error) {
    const { code, message } = error as { code: number; message: string };
    return { code, message };
  }
  throw new Error("join was accepted");
}

function tamper(token: string): string {
  const [header, payload, signature] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString()) as Record<string, unknown>;
  claims["role"] = "host";
  claims["sub"] = "mallory";
  return [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
}

describe("joining a session with the SDK", () => {
  it("the host joins with the engine token; the room state shows the session live with its participant", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const room = await t.join(id, token);
    expect(room.roomId).toBe(id);
    const state = await eventually(() => {
      const s = room.state as { status?: string; sessionId?: string; kind?: string; participants?: Map<string, Record<string, unknown>> };
      return s.status === "live" ? s : undefined;
    });
    expect(state).toMatchObject({ sessionId: id, kind: "meeting" });
    const host = state.participants?.get("host");
    expect(host).toMatchObject({ id: "host", name: "Host", role: "host", connected: true });
    expect(Number(host?.["joinedAt"])).toBeGreaterThan(0);

    const detail = await eventually(async () => {
      const res = await t.api("GET", `/api/v1/sessions/${id}`);
      const body = res.body as { status: string; participants: unknown[] };
      return body.participants.length === 1 && body.status === "live" ? body : undefined;
    });
    expect(detail.participants[0]).toMatchObject({ participant_id: "host", role: "host", connected: true, left_at: null });
  });

  it("participants joining at the same moment all get in, each with a connection id of its own", async () => {
    const { id } = await t.createSession({ kind: "meeting" });
    const tokens = await Promise.all(["a", "b", "c", "d"].map((p) => t.token(id, p, "participant")));
    const rooms = await Promise.all(tokens.map((token) => t.join(id, token)));
    expect(new Set(rooms.map((room) => room.sessionId)).size).toBe(4);
    const state = rooms[0]?.state as { participants: Map<string, { connected: boolean }> } | undefined;
    await eventually(() => ([...(state?.participants.values() ?? [])].filter((p) => p.connected).length === 4 ? true : undefined));
  });

  it("delivers session.joined to a handler registered right after joinById, and the SDK warns about nothing", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const warnings = vi.spyOn(console, "warn");
    try {
      const client = new Client(t.engine.engineUrl);
      client.auth.token = token;
      const room = await client.joinById(id);
      const joined = new Promise<SessionJoinedMessage>((resolve) => room.onMessage("session.joined", resolve));
      // A listener-only client: it acts on nothing else, and other participants' chat must not make the SDK warn.
      onServerMessages(room, { "session.joined": () => {} });
      expect(await joined).toMatchObject({ session_id: id, participant_id: "host", role: "host" });
      const other = await t.join(id, await t.token(id, "bob", "participant"));
      const relayed = new Promise<unknown>((resolve) => room.onMessage("text", resolve));
      other.send("text", { content: "hello" });
      await relayed;
      expect(warnings.mock.calls.map((call) => String(call[0])).filter((line) => line.includes("not registered"))).toEqual([]);
    } finally {
      warnings.mockRestore();
    }
  });

  it("a tutoring session stays waiting for the tutor and goes live when the student joins", async () => {
    const { id, token } = await t.createSession({ kind: "tutoring", tutor_id: "tut-1", student_id: "stu-1" });
    const tutor = await t.join(id, await t.token(id, "tut-1", "tutor", { name: "Ms Tutor" }));
    await eventually(() => ((tutor.state as { participants?: Map<string, unknown> }).participants?.has("tut-1") ? true : undefined));
    expect((tutor.state as { status: string }).status).toBe("waiting");
    await t.join(id, token);
    await eventually(() => ((tutor.state as { status: string }).status === "live" ? true : undefined));
  });

  it("rejects a missing token", async () => {
    const { id } = await t.createSession();
    expect(await rejection(id, undefined)).toEqual({ code: JOIN_REJECTIONS.token_missing, message: "token_missing" });
  });

  it("rejects a tampered token", async () => {
    const { id, token } = await t.createSession();
    expect(await rejection(id, tamper(token))).toEqual({ code: JOIN_REJECTIONS.token_invalid, message: "token_invalid" });
    expect(await rejection(id, "not-a-jwt")).toEqual({ code: JOIN_REJECTIONS.token_invalid, message: "token_invalid" });
  });

  it("rejects an expired token", async () => {
    const { id } = await t.createSession();
    const expired = await new SignJWT({ sid: id, kind: "meeting", role: "participant", name: "Late" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("late")
      .setIssuer("session-engine")
      .setAudience("session-join")
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new TextEncoder().encode(TOKEN_SECRET));
    expect(await rejection(id, expired)).toEqual({ code: JOIN_REJECTIONS.token_expired, message: "token_expired" });
  });

  it("rejects a token of another session", async () => {
    const first = await t.createSession();
    const second = await t.createSession();
    expect(await rejection(first.id, second.token)).toEqual({
      code: JOIN_REJECTIONS.token_wrong_session,
      message: "token_wrong_session",
    });
  });

  it("rejects joining a full session, and an ended one; a refusal is an answer, not an internal error", async () => {
    const internalErrors = async () =>
      metricValue(parsePrometheus(await t.engine.metrics.text()), "engine_errors_total", { source: "room", code: "internal" }) ?? 0;
    const internalBefore = await internalErrors();
    const { id, token } = await t.createSession({ kind: "meeting", max_participants: 1 });
    await t.join(id, token);
    await eventually(async () => {
      const res = await t.api("GET", `/api/v1/sessions/${id}`);
      return (res.body as { participants: unknown[] }).participants.length === 1 ? true : undefined;
    });
    const extra = await t.token(id, "p-2", "participant");
    expect(await rejection(id, extra)).toEqual({ code: JOIN_REJECTIONS.session_full, message: "session_full" });

    const ended = await t.createSession();
    const lateToken = await t.token(ended.id, "late", "participant");
    await t.api("DELETE", `/api/v1/sessions/${ended.id}`);
    // An ended session's room is gone, so Colyseus' matchmaker refuses it before our onAuth runs; the engine still
    // answers with its own code (a draining session, whose room still exists, gets the same from onAuth).
    expect(await rejection(ended.id, lateToken)).toEqual({ code: JOIN_REJECTIONS.session_ended, message: "session_ended" });
    expect(await internalErrors()).toBe(internalBefore);
  });

  it("answers session_not_found (446), not Colyseus' 522, for a session id nobody created", async () => {
    const { token } = await t.createSession();
    for (const id of ["00000000-0000-4000-8000-000000000000", "no-such-session"]) {
      const refused = await rejection(id, token);
      expect(refused).toEqual({ code: JOIN_REJECTIONS.session_not_found, message: "session_not_found" });
      expect(refused.code).not.toBe(ErrorCode.MATCHMAKE_INVALID_ROOM_ID);
    }
  });

  it("rejects creating or joining by name: sessions are joined by id only", async () => {
    const { token } = await t.createSession();
    const client = new Client(t.engine.engineUrl);
    client.auth.token = token;
    await expect(client.create("meeting")).rejects.toMatchObject({ code: JOIN_REJECTIONS.join_by_id_only });
    await expect(client.joinOrCreate("meeting")).rejects.toMatchObject({ code: JOIN_REJECTIONS.join_by_id_only });
  });
});
