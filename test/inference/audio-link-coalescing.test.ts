import { afterEach, describe, expect, it } from "vitest";
import { AudioLink } from "../../src/inference/grpc/audio-link.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { startPoolServer, type RunningPoolServer } from "../../src/inference/grpc/pool-server.js";
import type { InferencePoolService } from "../../src/inference/pool-service.js";
import type { PoolOutput } from "../../src/inference/pool-types.js";
import { createLogger } from "../../src/logger.js";
import { notServed } from "../support/fake-pool-service.js";
import { waitFor } from "../support/pool-audio-call.js";
import { freePort, TEST_INFERENCE_TOKEN } from "../support/pool-process.js";

/*
 * The audio link merging chunks while its call is congested (a burst larger than grpc-js's write buffer), against a
 * fake pool behind the real gRPC server: every stream's audio arrives whole and in order, with increasing seqs, in
 * fewer messages than chunks; a close follows its stream's audio; a replay after an outage skips exactly the
 * chunks a delivered transcript covered, whatever messages carried them.
 */

/** 20 ms of 16 kHz PCM. */
const CHUNK_BYTES = 640;
const CHUNK_MS = 20;
/** Far above grpc-js's 16-message write buffer: the call congests within the burst. */
const BURST_CHUNKS = 120;
const logger = createLogger("silent");

/** A chunk's bytes all carry its seq (mod 251), so the pool's concatenated audio shows order and completeness. */
const chunkOf = (seq: number) => new Uint8Array(CHUNK_BYTES).fill(seq % 251);
/** The seqs whose chunks make up `audio`, one per CHUNK_BYTES. */
const seqsIn = (audio: number[]) => Array.from({ length: audio.length / CHUNK_BYTES }, (_, i) => audio[i * CHUNK_BYTES]);

interface CallRecord {
  /** Per stream, its audio as received (concatenated) and each message's seq. */
  audio: Map<string, number[]>;
  seqs: Map<string, number[]>;
  /** Opens, closes and chunk messages in order: `open s @ms`, `close s`, `chunk s`. */
  events: string[];
}

function fakePool(onChange: () => void) {
  const calls: CallRecord[] = [];
  let emit: ((output: PoolOutput) => void) | null = null;
  const service: InferencePoolService = {
    ...notServed(),
    openAudioSession(reply) {
      emit = reply;
      const call: CallRecord = { audio: new Map(), seqs: new Map(), events: [] };
      calls.push(call);
      const record = (what: string) => (call.events.push(what), onChange());
      return {
        open: (open) => record(`open ${open.streamId} @${open.offsetMs ?? 0}`),
        chunk(streamId, seq, pcm16) {
          call.audio.set(streamId, [...(call.audio.get(streamId) ?? []), ...pcm16]);
          call.seqs.set(streamId, [...(call.seqs.get(streamId) ?? []), seq]);
          record(`chunk ${streamId}`);
        },
        close(streamId) {
          queueMicrotask(() => reply({ kind: "closed", streamId }));
          record(`close ${streamId}`);
        },
        end: () => undefined,
      };
    },
  };
  return {
    service,
    calls,
    say(output: PoolOutput) {
      emit?.(output);
    },
  };
}

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setUp() {
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const until = <T>(probe: () => T | undefined, what: string) =>
    waitFor((check) => (listeners.add(check), () => listeners.delete(check)), probe, 10_000, what);
  const pool = fakePool(notify);
  const port = await freePort();
  const servers: RunningPoolServer[] = [];
  const start = async () => void servers.push(await startPoolServer(pool.service, logger, { host: "127.0.0.1", port, token: TEST_INFERENCE_TOKEN }));
  await start();
  closers.push(() => Promise.all(servers.map((s) => s.close())).then(() => undefined));
  const client = new PoolClient(`127.0.0.1:${port}`, { token: TEST_INFERENCE_TOKEN });
  closers.push(() => client.close());
  const outputs: PoolOutput[] = [];
  const connection: string[] = [];
  const link = new AudioLink(
    client,
    {
      output: (output) => (outputs.push(output), notify()),
      unavailable: () => undefined,
      connection: (state) => (connection.push(state), notify()),
    },
    logger,
    { reconnectMinMs: 10, reconnectMaxMs: 50 },
  );
  closers.push(() => link.end());
  const connected = (n: number) => until(() => (connection.filter((c) => c === "connected").length >= n ? true : undefined), `connected ×${n}`);
  await connected(1);
  const open = (streamId: string) => link.open({ streamId, sessionId: "session-1", participantId: streamId, sampleRate: 16_000 });
  const received = (call: number, streamId: string) => pool.calls[call]?.audio.get(streamId)?.length ?? 0;
  return { pool, link, outputs, connection, servers, start, connected, until, open, received };
}

describe("the audio link on a congested call", () => {
  it("merges each stream's burst into fewer messages, whole, in order, with increasing seqs; a close follows its audio", async () => {
    const t = await setUp();
    const streams = ["s1", "s2", "s3"];
    for (const id of streams) t.open(id);
    for (let seq = 1; seq <= BURST_CHUNKS; seq++) for (const id of streams) expect(t.link.chunk(id, seq, chunkOf(seq))).toBe(true);
    // Closed in the same turn as its last chunks: the close must still come after all of them.
    t.link.close("s2");
    await t.until(() => (streams.every((id) => t.received(0, id) === BURST_CHUNKS * CHUNK_BYTES) ? true : undefined), "every stream's audio");

    const call = t.pool.calls[0];
    const expected = Array.from({ length: BURST_CHUNKS }, (_, i) => (i + 1) % 251);
    for (const id of streams) {
      expect(seqsIn(call?.audio.get(id) ?? [])).toEqual(expected);
      const seqs = call?.seqs.get(id) ?? [];
      expect(seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] ?? 0))).toBe(true);
      expect(seqs.at(-1)).toBe(BURST_CHUNKS);
    }
    const { messages, chunks } = t.link.written;
    expect(chunks).toBe(streams.length * BURST_CHUNKS);
    expect(messages).toBeLessThan(chunks);
    expect(call?.events.filter((e) => e.startsWith("chunk")).length).toBe(messages);
    const s2 = call?.events.filter((e) => e.split(" ")[1] === "s2") ?? [];
    expect(s2[0]).toBe("open s2 @0");
    expect(s2.at(-1)).toBe("close s2");
    await t.until(() => (t.outputs.some((o) => o.kind === "closed" && o.streamId === "s2") ? true : undefined), "s2 closed");
  });

  it("after an outage, replays exactly the chunks no delivered transcript covered, from where the first was captured", async () => {
    const t = await setUp();
    t.open("s1");
    for (let seq = 1; seq <= BURST_CHUNKS; seq++) t.link.chunk("s1", seq, chunkOf(seq));
    await t.until(() => (t.received(0, "s1") === BURST_CHUNKS * CHUNK_BYTES ? true : undefined), "the burst");
    expect(t.link.written.messages).toBeLessThan(BURST_CHUNKS);
    // The pool delivered one utterance over 0–1,000 ms (chunks 1–50); the rest it has said nothing of yet.
    t.pool.say({ kind: "speech", streamId: "s1", event: "started", atMs: 100 });
    t.pool.say({ kind: "speech", streamId: "s1", event: "ended", atMs: 900 });
    t.pool.say({ kind: "transcript", streamId: "s1", segmentId: "1", text: "one", startMs: 0, endMs: 1_000, final: true, timings: { queueMs: 0, asrMs: 0, totalMs: 0 } });
    await t.until(() => (t.outputs.length === 3 ? true : undefined), "the pool's outputs");

    await t.servers[0]?.close();
    await t.until(() => (t.connection.includes("disconnected") ? true : undefined), "the outage");
    await t.start();
    await t.connected(2);
    const replayedChunks = BURST_CHUNKS - 50;
    await t.until(() => (t.received(1, "s1") === replayedChunks * CHUNK_BYTES ? true : undefined), "the replay");
    expect(t.pool.calls[1]?.events[0]).toBe(`open s1 @${50 * CHUNK_MS}`);
    expect(seqsIn(t.pool.calls[1]?.audio.get("s1") ?? [])).toEqual(Array.from({ length: replayedChunks }, (_, i) => (i + 51) % 251));
  });
});
