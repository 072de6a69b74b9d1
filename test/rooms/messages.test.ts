import type { Room } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, eventually, startTestEngine, type TestEngine } from "../support/engine.js";

let t: TestEngine;
beforeAll(async () => {
  // A small burst so the rate limit is reachable in a test; the refill rate is the default.
  t = await startTestEngine({ messageBurst: 40, messagesPerSecond: 20 });
});
afterAll(async () => {
  await t.close();
});

interface ErrorReply {
  code: string;
  message: string;
  type: string;
  issues?: { path: string; message: string }[];
}

/** Three participants of one meeting: alice (host), bob and carol. */
async function meeting(): Promise<{ id: string; alice: Room; bob: Room; carol: Room }> {
  const { id, token } = await t.createSession({ kind: "meeting" });
  const alice = await t.join(id, token);
  const bob = await t.join(id, await t.token(id, "bob", "participant", { name: "Bob" }));
  const carol = await t.join(id, await t.token(id, "carol", "participant", { name: "Carol" }));
  await eventually(() => ((alice.state as { participants: Map<string, unknown> }).participants.size === 3 ? true : undefined));
  return { id, alice, bob, carol };
}

/** Sends a message and waits for the next `error` reply. */
async function errorFor(room: Room, type: string, payload: unknown): Promise<ErrorReply> {
  const errors = collect<ErrorReply>(room, "error");
  const before = errors.length;
  room.send(type, payload);
  return eventually(() => errors[before]);
}

describe("signaling relay", () => {
  it("delivers offer, answer and ICE only to the addressed participant, with a server-set `from`", async () => {
    const { alice, bob, carol } = await meeting();
    const atBob = collect(bob, "signal");
    const atAlice = collect(alice, "signal");
    const atCarol = collect(carol, "signal");

    alice.send("signal", { to: "bob", type: "offer", sdp: "v=0 offer" });
    await eventually(() => atBob[0]);
    expect(atBob[0]).toEqual({ from: "host", type: "offer", sdp: "v=0 offer" });

    bob.send("signal", { to: "host", type: "answer", sdp: "v=0 answer" });
    bob.send("signal", { to: "host", type: "ice_candidate", candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", sdpMid: "0" } });
    await eventually(() => atAlice[1]);
    expect(atAlice).toEqual([
      { from: "bob", type: "answer", sdp: "v=0 answer" },
      { from: "bob", type: "ice_candidate", candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", sdpMid: "0" } },
    ]);

    // A message that claims another sender still carries the real one (the field is refused, not trusted).
    const spoof = await errorFor(carol, "signal", { to: "bob", from: "host", type: "offer", sdp: "x" });
    expect(spoof.code).toBe("invalid_message");

    // Carol saw none of the exchange between alice and bob, and bob got nothing of carol's spoof. A marker signal to
    // each, relayed after everything above, arrives behind anything misdelivered earlier (one ordered connection
    // each), so once the markers are in, the inboxes are complete.
    alice.send("signal", { to: "carol", type: "offer", sdp: "marker for carol" });
    carol.send("signal", { to: "bob", type: "offer", sdp: "marker for bob" });
    await eventually(() => atCarol[0]);
    await eventually(() => atBob[1]);
    expect(atCarol).toEqual([{ from: "host", type: "offer", sdp: "marker for carol" }]);
    expect(atBob).toEqual([
      { from: "host", type: "offer", sdp: "v=0 offer" },
      { from: "carol", type: "offer", sdp: "marker for bob" },
    ]);
  });

  it("answers participant_not_found for an unknown or own id, and the sender stays connected", async () => {
    const { alice, bob } = await meeting();
    expect((await errorFor(alice, "signal", { to: "nobody", type: "offer", sdp: "x" })).code).toBe("participant_not_found");
    expect((await errorFor(alice, "signal", { to: "host", type: "offer", sdp: "x" })).code).toBe("participant_not_found");
    const atBob = collect(bob, "signal");
    alice.send("signal", { to: "bob", type: "offer", sdp: "still here" });
    await eventually(() => atBob[0]);
    expect(alice.connection.isOpen).toBe(true);
  });
});

describe("text messages", () => {
  it("broadcasts text to everyone with the sender's id and name", async () => {
    const { alice, bob, carol } = await meeting();
    const seen = [collect(alice, "text"), collect(bob, "text"), collect(carol, "text")];
    bob.send("text", { content: "  hello all  " });
    for (const inbox of seen) {
      const message = await eventually(() => inbox[0]);
      expect(message).toMatchObject({ from: "bob", name: "Bob", content: "hello all" });
    }
  });
});

describe("a tutoring session without a language model", () => {
  it("a question gets llm_unavailable and no reply; the message is still chat, the tutor listens again", async () => {
    const { id, token } = await t.createSession({ kind: "tutoring" });
    const student = await t.join(id, token);
    const errors = collect<ErrorReply>(student, "error");
    const replies = collect<{ final: boolean; kind: string }>(student, "tutor.reply");
    const chat = collect<{ content: string }>(student, "text");
    // The default tutor greets: speech needs no LLM.
    await eventually(() => (replies.some((reply) => reply.final && reply.kind === "greeting") ? true : undefined), 20_000);
    await eventually(() => ((student.state as { tutorState?: string }).tutorState === "listening" ? true : undefined), 20_000);
    student.send("text", { content: "What is a verb?" });
    const error = await eventually(() => errors[0]);
    expect(error).toMatchObject({ code: "llm_unavailable", type: "text" });
    expect(error.message).toContain("LLM_URL");
    expect(chat.map((message) => message.content)).toEqual(["What is a verb?"]);
    expect(replies.filter((reply) => reply.kind === "answer")).toEqual([]);
    await eventually(() => ((student.state as { tutorState?: string }).tutorState === "listening" ? true : undefined));
    await student.leave();
  });
});

describe("bad messages get an error reply and keep the connection", () => {
  it("says what each bad input gets back", async () => {
    const { alice, bob } = await meeting();
    const cases: { type: string; payload: unknown; code: string; path?: string }[] = [
      { type: "signal", payload: { to: "bob", type: "renegotiate", sdp: "x" }, code: "invalid_message", path: "type" },
      { type: "signal", payload: { to: "bob", type: "offer" }, code: "invalid_message" },
      { type: "signal", payload: { to: "bob", type: "ice_candidate" }, code: "invalid_message" },
      { type: "signal", payload: "a string", code: "invalid_message" },
      { type: "signal", payload: { to: "bob", type: "offer", sdp: "x".repeat(70 * 1024) }, code: "message_too_large" },
      { type: "text", payload: { content: "" }, code: "invalid_message", path: "content" },
      { type: "text", payload: { content: "x".repeat(5_000) }, code: "invalid_message", path: "content" },
      { type: "text", payload: undefined, code: "invalid_message" },
      { type: "teleport", payload: { to: "mars" }, code: "unknown_message_type" },
    ];
    for (const c of cases) {
      const reply = await errorFor(alice, c.type, c.payload);
      expect(reply, JSON.stringify(c).slice(0, 80)).toMatchObject({ code: c.code, type: c.type });
      if (c.path !== undefined) expect(reply.issues?.map((i) => i.path)).toContain(c.path);
    }
    expect(alice.connection.isOpen).toBe(true);
    const atBob = collect(bob, "text");
    alice.send("text", { content: "after all that" });
    await eventually(() => atBob[0]);
  });

  it("a client over its message rate gets rate_limited; others are unaffected", async () => {
    const { alice, bob, carol } = await meeting();
    const errors = collect<ErrorReply>(alice, "error");
    for (let i = 0; i < 80; i += 1) alice.send("text", { content: `flood ${i}` });
    await eventually(() => (errors.some((e) => e.code === "rate_limited") ? true : undefined));
    expect(alice.connection.isOpen).toBe(true);
    const atCarol = collect(carol, "text");
    bob.send("text", { content: "unaffected" });
    await eventually(() => atCarol.find((m) => (m as { from: string }).from === "bob"));
  });
});
