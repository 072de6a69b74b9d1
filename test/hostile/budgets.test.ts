import type { Room } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorMessage, type ErrorMessage } from "../../src/protocol/server-messages.js";
import { startTestEngine, type TestEngine } from "../support/engine.js";
import { metricValue, parsePrometheus } from "../support/prometheus.js";

/** Refused input costs its sender, and a flood of it gets no flood of replies. */

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t.close();
});

/** Error replies a connection gets: a burst of 50, then 10 a second (src/rooms/room-connections.ts). */
const replyBound = (elapsedMs: number) => 50 + 10 * Math.ceil(elapsedMs / 1000);

/**
 * Sends `count` copies of an audio frame, then a text; resolves with the error replies received before the text came
 * back, and how many replies the budget allowed in that time.
 */
async function flood(room: Room, frame: Uint8Array, count: number): Promise<ErrorMessage[] & { bound: number }> {
  const startedMs = performance.now();
  const errors: ErrorMessage[] = [];
  room.onMessage("error", (message: unknown) => errors.push(errorMessage.parse(message)));
  const echoed = new Promise<void>((resolve) => room.onMessage("text", () => resolve()));
  for (let i = 0; i < count; i += 1) room.sendBytes("audio", frame);
  // Messages are handled in order: once the text is broadcast, every frame before it has been.
  room.send("text", { content: "done" });
  await echoed;
  return Object.assign(errors, { bound: replyBound(performance.now() - startedMs) });
}

async function suppressedReplies(): Promise<number> {
  return metricValue(parsePrometheus(await t.engine.metrics.text()), "engine_error_replies_suppressed_total") ?? 0;
}

async function roomErrors(code: string): Promise<number> {
  return metricValue(parsePrometheus(await t.engine.metrics.text()), "engine_errors_total", { source: "room", code }) ?? 0;
}

/*
 * 400 frames of 20 ms demand 8 s of audio budget against a 3 s burst: even if sending them took a whole second
 * (1.5 s more of budget), at most 225 fit and the rest are refused as rate_limited.
 */
const FRAMES = 400;
const AT_LEAST_RATE_LIMITED = 100;

describe("budgets for refused input", () => {
  it("an observer's audio is charged before it is refused, and its 400 refusals get a budget of replies (50, then 10 a second)", async () => {
    const { id } = await t.createSession({ kind: "meeting" });
    const observer = await t.join(id, await t.token(id, "watcher", "observer"));
    const [suppressed, limited] = [await suppressedReplies(), await roomErrors("rate_limited")];
    const errors = await flood(observer, new Uint8Array(640), FRAMES);
    expect(errors.length).toBeLessThanOrEqual(errors.bound);
    expect(errors[0]).toMatchObject({ code: "invalid_audio", type: "audio", message: "observers do not send audio" });
    expect(await roomErrors("rate_limited")).toBeGreaterThanOrEqual(limited + AT_LEAST_RATE_LIMITED);
    expect(await suppressedReplies()).toBe(suppressed + FRAMES - errors.length);
  });

  it("malformed frames are charged what they would carry: 400 odd-sized frames of a participant spend its budget", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const host = await t.join(id, token);
    const limited = await roomErrors("rate_limited");
    const errors = await flood(host, new Uint8Array(641), FRAMES);
    expect(errors.length).toBeLessThanOrEqual(errors.bound);
    expect(errors[0]).toMatchObject({ code: "invalid_audio", message: "16-bit PCM needs an even number of bytes" });
    expect(await roomErrors("rate_limited")).toBeGreaterThanOrEqual(limited + AT_LEAST_RATE_LIMITED);
  });
});
