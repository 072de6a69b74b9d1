import { afterEach, describe, expect, it } from "vitest";
import { PoolError } from "../../src/inference/pool-error.js";
import { RequestThreads } from "../../src/inference/request-threads.js";
import { createLogger } from "../../src/logger.js";
import { rejection } from "../support/rejection.js";
import type { EchoReply, EchoRequest } from "../support/request-thread-echo.js";

/** The worker-thread set behind the JPEG and WAV decoders: spreading requests, a thread's death, close. */

const open: RequestThreads<EchoRequest, EchoReply>[] = [];
function echoThreads(threads: number): RequestThreads<EchoRequest, EchoReply> {
  const set = new RequestThreads<EchoRequest, EchoReply>(createLogger("silent"), {
    callerUrl: import.meta.url,
    entry: "../support/request-thread-echo",
    name: "echo",
    threads,
  });
  open.push(set);
  return set;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((set) => set.close()));
});

const echo = (value: number, busyMs = 0): EchoRequest => ({ kind: "echo", value, busyMs });

describe("RequestThreads", () => {
  it("keeps one thread while requests come one at a time, and spreads concurrent ones over every thread", async () => {
    const set = echoThreads(3);
    for (let i = 0; i < 3; i++) expect((await set.request(echo(i))).value).toBe(i);
    expect(set.stats()).toMatchObject({ live: 1, answered: [3, 0, 0] });

    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => set.request(echo(i, 30))));
    expect(replies.map((reply) => reply.value)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(replies.map((reply) => reply.thread)).size).toBe(3);
    expect(set.stats()).toMatchObject({ threads: 3, live: 3, inFlight: 0, answered: [5, 2, 2], restarts: 0 });
  });

  it("a thread that dies fails only its own requests; the other thread answers its, and the slot starts again", async () => {
    const set = echoThreads(2);
    // Thread 1: a busy request, then one more. Thread 2 (started since the first was busy): `exit`, then one behind it.
    const busy = set.request(echo(1, 100));
    const killing = rejection(set.request({ kind: "exit" }));
    const next = set.request(echo(3));
    const behindExit = rejection(set.request(echo(4)));
    for (const error of [await killing, await behindExit]) {
      expect(error).toBeInstanceOf(PoolError);
      expect(error).toMatchObject({ code: "internal", message: "the echo thread stopped" });
    }
    const [first, third] = await Promise.all([busy, next]);
    expect([first.value, third.value]).toEqual([1, 3]);
    expect(third.thread).toBe(first.thread);
    expect(set.stats()).toMatchObject({ live: 1, restarts: 1, inFlight: 0 });
    // The dead slot starts a fresh thread for new work: both threads answer again.
    const again = await Promise.all([set.request(echo(5, 30)), set.request(echo(6, 30))]);
    expect(again.map((reply) => reply.value)).toEqual([5, 6]);
    expect(new Set(again.map((reply) => reply.thread)).size).toBe(2);
    expect(set.stats().live).toBe(2);
  });

  it("close fails what is in flight with model_unavailable, terminates every thread, and refuses later requests", async () => {
    const set = echoThreads(2);
    const inFlight = [rejection(set.request(echo(1, 200))), rejection(set.request(echo(2, 200)))];
    expect(set.stats().live).toBe(2);
    await set.close();
    expect(set.stats()).toMatchObject({ live: 0, inFlight: 0 });
    for (const error of [...(await Promise.all(inFlight)), await rejection(set.request(echo(3)))]) {
      expect(error).toBeInstanceOf(PoolError);
      expect(error).toMatchObject({ code: "model_unavailable", retryable: true });
    }
  });

  it("takes a whole number of threads ≥ 1", () => {
    expect(() => echoThreads(0)).toThrow(RangeError);
  });
});
