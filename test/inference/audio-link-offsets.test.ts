import { afterEach, describe, expect, it } from "vitest";
import { AudioLink } from "../../src/inference/grpc/audio-link.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { startPoolServer, type RunningPoolServer } from "../../src/inference/grpc/pool-server.js";
import type { AudioSessionHandle, InferencePoolService } from "../../src/inference/pool-service.js";
import type { PoolOutput } from "../../src/inference/pool-types.js";
import { createLogger } from "../../src/logger.js";
import { waitFor } from "../support/pool-audio-call.js";
import { freePort, TEST_INFERENCE_TOKEN } from "../support/pool-process.js";
import { notServed } from "../support/fake-pool-service.js";

/*
 * The audio link's offset book-keeping across an outage, against a fake pool behind the real gRPC server: what each
 * call of the link writes (opens with offsets, chunks, closes), and what the room hears back.
 */

/** 20 ms of 16 kHz PCM. */
const CHUNK_BYTES = 640;
const CHUNK_MS = 20;
const logger = createLogger("silent");

/** What one StreamAudio call of the fake pool received, in order. */
type Received = { call: number; what: string };

/** Notifies waiters of any change: the fake pool's calls and the link's events. */
function changes() {
  const listeners = new Set<() => void>();
  return {
    notify: () => {
      for (const listener of [...listeners]) listener();
    },
    until<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
      return waitFor((check) => (listeners.add(check), () => listeners.delete(check)), probe, timeoutMs, what);
    },
  };
}

/**
 * A pool that records every message and acknowledges closes as told: at once, or held until `release` (in the order
 * the test chooses, as a real pool finishing streams in any order would).
 */
function fakePool(onChange: () => void, ackCloses: "at_once" | "held") {
  const received: Received[] = [];
  const held: (() => void)[] = [];
  let calls = 0;
  const service: InferencePoolService = {
    ...notServed(),
    openAudioSession(emit): AudioSessionHandle {
      calls += 1;
      const call = calls;
      const record = (what: string) => {
        received.push({ call, what });
        onChange();
      };
      return {
        open: (open) => record(`open ${open.streamId} @${open.offsetMs ?? 0}`),
        chunk: (streamId, seq) => record(`chunk ${streamId} ${seq}`),
        close(streamId) {
          const ack = () => emit({ kind: "closed", streamId });
          if (ackCloses === "at_once") queueMicrotask(ack);
          else held.push(ack);
          record(`close ${streamId}`);
        },
        end: () => undefined,
      };
    },
  };
  return {
    service,
    /** The messages of the pool's `call`-th StreamAudio call. */
    of: (call: number) => received.filter((r) => r.call === call).map((r) => r.what),
    held,
  };
}

interface Harness {
  link: AudioLink;
  client: PoolClient;
  outputs: PoolOutput[];
  refused: string[];
  connection: ("connected" | "disconnected")[];
  servers: RunningPoolServer[];
}

let harness: Harness | undefined;

afterEach(async () => {
  harness?.link.end();
  harness?.client.close();
  await Promise.all(harness?.servers.map((s) => s.close()) ?? []);
  harness = undefined;
});

async function setUp(ackCloses: "at_once" | "held") {
  const change = changes();
  const pool = fakePool(change.notify, ackCloses);
  const port = await freePort();
  const start = () => startPoolServer(pool.service, logger, { host: "127.0.0.1", port, token: TEST_INFERENCE_TOKEN });
  const servers = [await start()];
  const client = new PoolClient(`127.0.0.1:${port}`, { token: TEST_INFERENCE_TOKEN });
  const outputs: PoolOutput[] = [];
  const refused: string[] = [];
  const connection: ("connected" | "disconnected")[] = [];
  const link = new AudioLink(
    client,
    {
      output: (output) => (outputs.push(output), change.notify()),
      unavailable: (streamId) => (refused.push(streamId), change.notify()),
      connection: (state) => (connection.push(state), change.notify()),
    },
    logger,
    // Room for five chunks while the pool is away; quick retries.
    { reconnectMinMs: 10, reconnectMaxMs: 50, maxBufferedBytes: 5 * CHUNK_BYTES, retainMs: 0 },
  );
  harness = { link, client, outputs, refused, connection, servers };
  const connectedTimes = (n: number) => change.until(() => (connection.filter((c) => c === "connected").length >= n ? true : undefined), `connected ×${n}`);
  await connectedTimes(1);
  const seqs = new Map<string, number>();
  /** Hands `count` chunks of `streamId` to the link; what each `chunk` call answered. */
  const send = (streamId: string, count: number): boolean[] =>
    Array.from({ length: count }, () => {
      const seq = (seqs.get(streamId) ?? 0) + 1;
      seqs.set(streamId, seq);
      return link.chunk(streamId, seq, new Uint8Array(CHUNK_BYTES));
    });
  const openStream = (streamId: string) => link.open({ streamId, sessionId: "session-1", participantId: streamId, sampleRate: 16_000 });
  /** Stops the pool; resolves once the link has noticed. */
  const outage = async () => {
    const lost = connection.filter((c) => c === "disconnected").length + 1;
    await servers.at(-1)?.close();
    await change.until(() => (connection.filter((c) => c === "disconnected").length >= lost ? true : undefined), "the link's disconnect");
  };
  /** A pool on the same port again; resolves once the link has reconnected (and replayed). */
  const restore = async () => {
    const connected = connection.filter((c) => c === "connected").length + 1;
    servers.push(await start());
    await connectedTimes(connected);
  };
  return { pool, link, outputs, refused, change, send, openStream, outage, restore };
}

describe("the audio link's offsets across an outage longer than its buffer", () => {
  it("replays buffered audio where it was captured, and closes and reopens a stream at each gap of refused audio", async () => {
    const t = await setUp("at_once");
    t.openStream("s1");
    t.openStream("s2");
    t.send("s1", 3);
    t.send("s2", 3);
    await t.change.until(() => (t.pool.of(1).length === 8 ? true : undefined), "the first call's audio");
    expect(t.pool.of(1)).toEqual(["open s1 @0", "open s2 @0", "chunk s1 1", "chunk s1 2", "chunk s1 3", "chunk s2 1", "chunk s2 2", "chunk s2 3"]);

    await t.outage();
    // s1 0–60 ms went to the lost call. Buffered: s1 60–100, s2 60–120 (the buffer is full); refused: s1 100–160.
    expect(t.send("s1", 2)).toEqual([true, true]);
    expect(t.send("s2", 3)).toEqual([true, true, true]);
    expect(t.send("s1", 3)).toEqual([false, false, false]);
    expect(t.refused).toEqual(["s1", "s1", "s1"]);
    // s2 leaves meanwhile: its buffered audio goes with it, which makes room again: s1 160–200 is buffered.
    t.link.close("s2");
    expect(t.outputs).toEqual([{ kind: "closed", streamId: "s2" }]);
    expect(t.send("s1", 2)).toEqual([true, true]);

    await t.restore();
    t.send("s1", 1);
    await t.change.until(() => (t.pool.of(2).length === 8 ? true : undefined), "the second call's audio");
    expect(t.pool.of(2)).toEqual([
      // Where its first unsent chunk was captured, not where the sender is now.
      "open s1 @60",
      "chunk s1 4",
      "chunk s1 5",
      // 100–160 ms never reached the pool: the utterance ends there, and the audio after it starts at 160.
      "close s1",
      "open s1 @160",
      "chunk s1 9",
      "chunk s1 10",
      // Live again, right after the replay: 200 ms, no gap.
      "chunk s1 11",
    ]);
    // The close at the gap is the link's own: the pool's answer to it does not reach the room. A probe stream closed
    // after s1 is answered after all of s1's acknowledgements.
    t.link.close("s1");
    t.openStream("probe");
    t.link.close("probe");
    await t.change.until(() => (t.outputs.some((o) => o.streamId === "probe") ? true : undefined), "the probe closed");
    expect(t.outputs).toEqual([
      { kind: "closed", streamId: "s2" },
      { kind: "closed", streamId: "s1" },
      { kind: "closed", streamId: "probe" },
    ]);
  });

  it("audio refused after the last buffered chunk: the stream is closed and reopened at once, where the live audio will sit", async () => {
    const t = await setUp("at_once");
    t.openStream("s1");
    t.send("s1", 2);
    await t.change.until(() => (t.pool.of(1).length === 3 ? true : undefined), "the first call's audio");

    await t.outage();
    // Buffered: s1 40–140; refused: s1 140–180. s3 opens while the buffer is full: all of its audio (0–20) refused.
    expect(t.send("s1", 5)).toEqual([true, true, true, true, true]);
    expect(t.send("s1", 2)).toEqual([false, false]);
    t.openStream("s3");
    expect(t.send("s3", 1)).toEqual([false]);

    await t.restore();
    await t.change.until(() => (t.pool.of(2).length === 9 ? true : undefined), "the replay");
    expect(t.pool.of(2)).toEqual(["open s1 @40", "open s3 @20", "chunk s1 3", "chunk s1 4", "chunk s1 5", "chunk s1 6", "chunk s1 7", "close s1", "open s1 @180"]);
    t.send("s1", 1);
    t.send("s3", 1);
    await t.change.until(() => (t.pool.of(2).length === 11 ? true : undefined), "the live audio");
    expect(t.pool.of(2).slice(9)).toEqual(["chunk s1 10", "chunk s3 2"]);
    expect(t.outputs).toEqual([]);
  });

  it("the room hears a stream closed once every close of it is acknowledged, whatever their order", async () => {
    const t = await setUp("held");
    t.openStream("s1");
    t.send("s1", 1);
    await t.outage();
    t.send("s1", 5);
    t.send("s1", 1);
    await t.restore();
    t.link.close("s1");
    await t.change.until(() => (t.pool.held.length === 2 ? true : undefined), "the room's close");
    expect(t.pool.of(2)).toEqual(["open s1 @20", "chunk s1 2", "chunk s1 3", "chunk s1 4", "chunk s1 5", "chunk s1 6", "close s1", "open s1 @140", "close s1"]);

    // The pool finishes the reopened stream first, then the one closed at the gap.
    const [gapClose, roomClose] = t.pool.held;
    roomClose?.();
    // A probe answered after that acknowledgement proves the link has read it.
    t.openStream("probe");
    t.link.close("probe");
    await t.change.until(() => (t.pool.held.length === 3 ? true : undefined), "the probe's close");
    t.pool.held[2]?.();
    await t.change.until(() => (t.outputs.some((o) => o.streamId === "probe") ? true : undefined), "the probe closed");
    expect(t.outputs).toEqual([{ kind: "closed", streamId: "probe" }]);

    gapClose?.();
    await t.change.until(() => (t.outputs.length === 2 ? true : undefined), "s1 closed");
    expect(t.outputs).toEqual([
      { kind: "closed", streamId: "probe" },
      { kind: "closed", streamId: "s1" },
    ]);
  });
});
