import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { AudioIn } from "../../src/inference/grpc/generated/engine/inference/v1/AudioIn.js";
import type { AudioOut__Output } from "../../src/inference/grpc/generated/engine/inference/v1/AudioOut.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { startPoolServer, type RunningPoolServer } from "../../src/inference/grpc/pool-server.js";
import { ResilientCall } from "../../src/inference/grpc/resilient-call.js";
import type { InferencePoolService } from "../../src/inference/pool-service.js";
import { eventually } from "../support/engine.js";
import { freePort, TEST_INFERENCE_TOKEN } from "../support/pool-process.js";
import { notServed } from "../support/fake-pool-service.js";

/*
 * The media-independent call under every link (ResilientCall), on StreamAudio against the real gRPC server in front
 * of a pool that only answers each open with a speech event: when it counts as connected, that one failure is one
 * `lost`, the backoff between attempts, the refused token logged once, and `end()`.
 */

const MIN_MS = 20;
const MAX_MS = 80;

/** Pool sessions opened and ended, seen from the server side. */
function echoPool() {
  const seen = { sessions: 0, ended: 0 };
  const service: InferencePoolService = {
    ...notServed(),
    openAudioSession(emit) {
      seen.sessions += 1;
      return {
        open: (open) => emit({ kind: "speech", streamId: open.streamId, event: "started", atMs: 0 }),
        chunk: () => undefined,
        close: () => undefined,
        end: () => void (seen.ended += 1),
      };
    },
  };
  return { service, seen };
}

const OPEN: AudioIn = { open: { stream_id: "s1", session_id: "session-1", participant_id: "p1", sample_rate: 16_000 } };

let cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function setUp(token = TEST_INFERENCE_TOKEN) {
  const pool = echoPool();
  const port = await freePort();
  const servers: RunningPoolServer[] = [];
  const serve = async () => void servers.push(await startPoolServer(pool.service, pino({ level: "silent" }), { host: "127.0.0.1", port, token: TEST_INFERENCE_TOKEN }));
  await serve();
  const client = new PoolClient(`127.0.0.1:${port}`, { token });
  const logs: { level: number; msg: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; msg: string }) });
  const events = { connected: 0, lost: [] as string[], data: [] as { message: AudioOut__Output; current: boolean }[] };
  /** When each call was started, ms since the first. */
  const starts: number[] = [];
  const t0 = Date.now();
  const call = new ResilientCall<AudioIn, AudioOut__Output>(
    client,
    (grpc) => (starts.push(Date.now() - t0), grpc.StreamAudio()),
    {
      connected: () => void (events.connected += 1),
      lost: (reason) => void events.lost.push(reason),
      data: (message, current) => void events.data.push({ message, current }),
    },
    logger,
    { reconnectMinMs: MIN_MS, reconnectMaxMs: MAX_MS },
  );
  cleanup.push(async () => {
    call.end();
    client.close();
    await Promise.all(servers.map((s) => s.close()));
  });
  const logged = (msg: string) => logs.filter((l) => l.msg === msg);
  return { pool, call, events, starts, logged, serve, stop: () => Promise.all(servers.map((s) => s.close())) };
}

describe("ResilientCall", () => {
  it("is connected once the pool accepts the call: writes before that are refused, messages come back as current", async () => {
    const t = await setUp();
    expect(t.call.connected).toBe(false);
    expect(t.call.write(OPEN)).toBe(false);
    await eventually(() => (t.events.connected === 1 ? true : undefined));
    expect(t.call.connected).toBe(true);
    expect(t.call.write(OPEN)).toBe(true);
    await eventually(() => t.events.data[0]);
    expect(t.events.data).toEqual([{ message: expect.objectContaining({ speech: expect.objectContaining({ stream_id: "s1", kind: "STARTED" }) }), current: true }]);
    expect(t.starts).toHaveLength(1);
  });

  it("one lost per failed call, then attempts backing off from reconnectMinMs, doubling, capped at reconnectMaxMs, until the pool is back", async () => {
    const t = await setUp();
    await eventually(() => (t.events.connected === 1 ? true : undefined));
    await t.stop();
    await eventually(() => (t.starts.length >= 7 ? true : undefined));
    // error, end and status all came for that call: one lost. The attempts meanwhile never connected: none.
    expect(t.events.lost).toHaveLength(1);
    expect(t.call.connected).toBe(false);
    expect(t.call.write(OPEN)).toBe(false);
    expect(t.logged("inference stream lost; reconnecting")).toHaveLength(1);
    const gaps = t.starts.slice(1).map((at, i) => at - (t.starts[i] ?? 0));
    // From the second attempt on: 40, 80, 80, 80, ... ms after the previous one failed (timers never fire early
    // by more than rounding). Uncapped, the fifth would wait 640 ms.
    for (const [i, gap] of gaps.slice(1).entries()) expect(gap).toBeGreaterThanOrEqual(Math.min(MAX_MS, MIN_MS * 2 ** (i + 1)) - 2);
    expect(gaps.at(-1)).toBeLessThan(400);

    await t.serve();
    await eventually(() => (t.events.connected === 2 ? true : undefined));
    expect(t.events.lost).toHaveLength(1);
    expect(t.logged("inference stream restored")).toEqual([expect.objectContaining({ attempts: expect.any(Number) })]);
  });

  it("a refused INFERENCE_TOKEN is logged once while it keeps retrying, never connected", async () => {
    const t = await setUp("w".repeat(40));
    await eventually(() => (t.starts.length >= 4 ? true : undefined));
    expect(t.logged("the inference pool refused INFERENCE_TOKEN; retrying")).toHaveLength(1);
    expect(t.events).toEqual({ connected: 0, lost: [], data: [] });
    expect(t.pool.seen.sessions).toBe(0);
  });

  it("end(): the pool sees the call end, no lost is reported, and nothing reconnects", async () => {
    const t = await setUp();
    await eventually(() => (t.events.connected === 1 ? true : undefined));
    t.call.end();
    await eventually(() => (t.pool.seen.ended === 1 ? true : undefined));
    expect(t.call.connected).toBe(false);
    expect(t.call.write(OPEN)).toBe(false);
    // Several backoff periods: an attempt would have started by now.
    await new Promise((resolve) => setTimeout(resolve, 4 * MAX_MS));
    expect(t.events.lost).toEqual([]);
    expect(t.starts).toHaveLength(1);
  });
});
