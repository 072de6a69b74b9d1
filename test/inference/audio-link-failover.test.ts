import { afterEach, describe, expect, it } from "vitest";
import { AudioLink } from "../../src/inference/grpc/audio-link.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { PoolMonitor } from "../../src/inference/grpc/pool-monitor.js";
import { startPoolServer, type RunningPoolServer } from "../../src/inference/grpc/pool-server.js";
import type { InferencePoolService } from "../../src/inference/pool-service.js";
import type { PoolOutput } from "../../src/inference/pool-types.js";
import { createLogger } from "../../src/logger.js";
import { eventually } from "../support/engine.js";
import { notServed } from "../support/fake-pool-service.js";
import { TEST_INFERENCE_TOKEN } from "../support/pool-process.js";

/*
 * The audio link moving between two pools (fakes behind the real gRPC server, on the gateway's PoolMonitor route):
 * what the second pool is sent when the first dies. The audio of a final transcript already delivered is never sent
 * again (the replay skips it as a gap, closing and reopening the stream around it); the audio the dead pool had not
 * finished is; and what the first pool's call still says once the link has left it never reaches the room.
 */

/** 20 ms of 16 kHz PCM. */
const CHUNK_BYTES = 640;
const logger = createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent");

/** A pool that records what its calls receive and lets the test speak for it on its latest call. */
function fakePool(name: string, ackCloses = true) {
  const received: string[] = [];
  let emit: ((output: PoolOutput) => void) | null = null;
  const service: InferencePoolService = {
    ...notServed(),
    openAudioSession(reply) {
      emit = reply;
      const record = (what: string) => void received.push(what);
      return {
        open: (open) => record(`open ${open.streamId} @${open.offsetMs ?? 0}`),
        chunk: (streamId, seq) => record(`chunk ${streamId} ${seq}`),
        close(streamId) {
          record(`close ${streamId}`);
          if (ackCloses) queueMicrotask(() => reply({ kind: "closed", streamId }));
        },
        end: () => undefined,
      };
    },
  };
  return {
    name,
    service,
    received,
    say(output: PoolOutput) {
      if (emit === null) throw new Error(`${name} has no call`);
      emit(output);
    },
  };
}

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setUp(options: { aAcksCloses: boolean } = { aAcksCloses: true }) {
  const a = fakePool("a", options.aAcksCloses);
  const b = fakePool("b");
  const serverA = await startPoolServer(a.service, logger, { host: "127.0.0.1", port: 0, token: TEST_INFERENCE_TOKEN });
  const serverB = await startPoolServer(b.service, logger, { host: "127.0.0.1", port: 0, token: TEST_INFERENCE_TOKEN });
  const servers: RunningPoolServer[] = [serverA, serverB];
  const clients = servers.map((s) => new PoolClient(s.address, { token: TEST_INFERENCE_TOKEN }));
  const monitor = new PoolMonitor(clients, logger, {}, { checkIntervalMs: 50 });
  const outputs: PoolOutput[] = [];
  const connection: string[] = [];
  const link = new AudioLink(
    monitor.route("audio", []),
    {
      output: (output) => void outputs.push(output),
      unavailable: () => undefined,
      connection: (state) => void connection.push(state),
    },
    logger,
    { reconnectMinMs: 10, reconnectMaxMs: 50 },
  );
  closers.push(async () => {
    link.end();
    monitor.close();
    for (const client of clients) client.close();
    await Promise.all(servers.map((s) => s.close()));
  });
  await eventually(() => (connection.includes("connected") ? true : undefined));
  let seq = 0;
  const send = (count: number) => {
    for (let i = 0; i < count; i += 1) {
      seq += 1;
      link.chunk("s1", seq, new Uint8Array(CHUNK_BYTES));
    }
  };
  link.open({ streamId: "s1", sessionId: "session-1", participantId: "p1", sampleRate: 16_000 });
  return { a, b, serverA, clients, link, outputs, connection, send, monitor };
}

describe("the audio link failing over to another pool", () => {
  it("replays to the new pool only the audio the dead one had not turned into a final transcript, at its times", async () => {
    const t = await setUp();
    // Both pools are idle: the first configured gets the link.
    expect(t.link.pool).toBe(t.serverA.address);
    t.send(15);
    await eventually(() => (t.a.received.length === 16 ? true : undefined));
    // Pool a heard speech at 40–100 ms and delivered its utterance (20–120 ms, padding included).
    t.a.say({ kind: "speech", streamId: "s1", event: "started", atMs: 40 });
    t.a.say({ kind: "speech", streamId: "s1", event: "ended", atMs: 100 });
    t.a.say({ kind: "transcript", streamId: "s1", segmentId: "a.1.1", text: "one", startMs: 20, endMs: 120, final: true, timings: { queueMs: 0, asrMs: 0, totalMs: 0 } });
    // A second utterance started at 220 ms; its transcript never comes from pool a.
    t.a.say({ kind: "speech", streamId: "s1", event: "started", atMs: 220 });
    await eventually(() => (t.outputs.length === 4 ? true : undefined));

    await t.serverA.close();
    await eventually(() => (t.connection.filter((c) => c === "connected").length === 2 ? true : undefined));
    await eventually(() => (t.b.received.length >= 13 ? true : undefined));
    expect(t.link.pool).not.toBe(t.serverA.address);
    expect(t.b.received).toEqual([
      // 0–20 ms: before the speech, not yet settled as silence (the pool has not had 6 s to say otherwise).
      "open s1 @0",
      "chunk s1 1",
      // 20–120 ms went into the delivered transcript "one": skipped, as a gap.
      "close s1",
      "open s1 @120",
      ...Array.from({ length: 9 }, (_, i) => `chunk s1 ${i + 7}`),
    ]);
    // Live audio follows on pool b, straight after the replay.
    t.send(1);
    await eventually(() => (t.b.received.at(-1) === "chunk s1 16" ? true : undefined));

    // Pool b transcribes the second utterance: the room hears it once, with b's segment id.
    t.b.say({ kind: "transcript", streamId: "s1", segmentId: "b.1.1", text: "two", startMs: 180, endMs: 300, final: true, timings: { queueMs: 0, asrMs: 0, totalMs: 0 } });
    await eventually(() => (t.outputs.some((o) => o.kind === "transcript" && o.text === "two") ? true : undefined));
    expect(t.outputs.flatMap((o) => (o.kind === "transcript" ? [o.segmentId] : []))).toEqual(["a.1.1", "b.1.1"]);

    t.link.close("s1");
    await eventually(() => (t.outputs.some((o) => o.kind === "closed") ? true : undefined));
    expect(t.outputs.filter((o) => o.kind === "closed")).toEqual([{ kind: "closed", streamId: "s1" }]);
  });

  it("a stream the room closed whose last audio the dead pool had not finished is replayed and closed on the next pool; the room hears one closed", async () => {
    const t = await setUp({ aAcksCloses: false });
    t.send(5);
    t.link.close("s1");
    await eventually(() => (t.a.received.at(-1) === "close s1" ? true : undefined));
    expect(t.outputs).toEqual([]);
    await t.serverA.close();
    await eventually(() => (t.outputs.some((o) => o.kind === "closed") ? true : undefined));
    expect(t.b.received).toEqual(["open s1 @0", "chunk s1 1", "chunk s1 2", "chunk s1 3", "chunk s1 4", "chunk s1 5", "close s1"]);
    expect(t.outputs).toEqual([{ kind: "closed", streamId: "s1" }]);
  });

  it("a pool turning unhealthy under a live call (hung, or NOT_SERVING): the link leaves it for a healthy one and replays there", async () => {
    const t = await setUp();
    t.send(5);
    await eventually(() => (t.a.received.length === 6 ? true : undefined));
    const [clientA] = t.clients;
    if (clientA === undefined) throw new Error("no client");
    // As the monitor marks a pool whose checks stop answering.
    t.monitor.unreachable(clientA, "no health answer");
    await eventually(() => (t.b.received.length === 6 ? true : undefined));
    expect(t.b.received).toEqual(["open s1 @0", "chunk s1 1", "chunk s1 2", "chunk s1 3", "chunk s1 4", "chunk s1 5"]);
    expect(t.link.pool).not.toBe(t.serverA.address);
    expect(t.connection).toEqual(["connected", "disconnected", "connected"]);
  });
});
