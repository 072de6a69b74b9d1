import type { Room } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { collect, eventually, startTestEngine, type TestEngine } from "../support/engine.js";
import { freePort, spawnPool, stopPool, TEST_INFERENCE_TOKEN, type PoolProcess } from "../support/pool-process.js";
import { words } from "../support/speech-bounds.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";
import { streamPcm, type TranscriptMessage } from "../support/room-audio-client.js";
import { streamFrames, type ExpressionMessage } from "../support/room-video-client.js";
import { createTestPhotos } from "../support/test-photos.js";

const SENTENCE = "hello world, this is a test of the meeting engine";
// Not "hello": eSpeak's "hello world" opening is heard as "the lord world" / "the low world" at some cuts by either encoder window (scripts/bench/window-wer.ts).
const WORDS = ["world", "test", "meeting", "engine"];
/** Audio streamed while the pool is down: a different sentence, so its transcript cannot pass for the last one. */
const WHILE_DOWN = "good morning everyone";
/** Leading silence of the audio streamed while the pool is killed: the kill lands in it. */
const WHILE_DOWN_LEAD_MS = 500;
/** Frames of that audio sent before the kill: 100 ms, well inside its leading silence. */
const KILL_AFTER_FRAMES = 5;


let port: number;
let address: string;
let t: TestEngine | undefined;
/** Every pool process started, for afterAll. */
const pools: PoolProcess[] = [];
let probe: PoolClient;
let speech: Uint8Array;
let whileDown: Uint8Array;

async function startPool(): Promise<PoolProcess> {
  const pool = await spawnPool({ INFERENCE_PORT: String(port) });
  pools.push(pool);
  return pool;
}

/** Resolves once the pool at `address` answers GetStatus with both models loaded (and `accept` holds). */
async function poolReady(accept: (openStreams: number) => boolean = () => true): Promise<void> {
  await eventually(async () => {
    const status = await probe.status().catch(() => null);
    if (status === null || !status.models.every((m) => m.loaded) || !accept(status.openStreams)) return undefined;
    return true;
  }, 30_000);
}


beforeAll(async () => {
  port = await freePort();
  address = `127.0.0.1:${port}`;
  const synthesizer = createSpeechSynthesizer();
  speech = float32ToPcm16(padWithSilence((await synthesizer.synthesize(SENTENCE)).samples16k, 800, 1_500));
  whileDown = float32ToPcm16(padWithSilence((await synthesizer.synthesize(WHILE_DOWN)).samples16k, WHILE_DOWN_LEAD_MS, 500));
  const first = await startPool();
  expect(first.address).toBe(address);
  probe = new PoolClient(address, { statusTimeoutMs: 1_000, token: TEST_INFERENCE_TOKEN });
  await poolReady();
  t = await startTestEngine({ inferenceUrls: [address], inferenceToken: TEST_INFERENCE_TOKEN });
}, 120_000);

afterAll(async () => {
  probe?.close();
  // Pools first: with the pool gone the room's link reports its streams closed at once, so draining is quick.
  await Promise.all(pools.map((pool) => stopPool(pool, "SIGKILL")));
  await t?.close();
});

describe("a standalone inference pool", () => {
  // One scenario, one test: the checks on the transcript timeline need the audio heard across the restart.
  it("killing and restarting the pool mid-stream leaves the room alive and transcribing again; across the restart only inference_unavailable errors, unique segment ids, session-relative times", async () => {
    if (t === undefined) throw new Error("no engine");
    const engine = t;
    const { id, token } = await engine.createSession({ kind: "meeting" });
    const speaker = await engine.join(id, token);
    const transcripts = collect<TranscriptMessage>(speaker, "transcript");
    const errors = collect<{ type: string; code: string; message: string }>(speaker, "error");
    let left = false;
    speaker.onLeave(() => (left = true));

    await streamPcm(speaker, speech);
    const before = await eventually(() => transcripts.find((m) => m.final), 20_000);
    expect(words(before.text)).toEqual(expect.arrayContaining(WORDS));
    const heardBefore = transcripts.length;

    // Kill the pool 100 ms (5 frames) into more audio (its leading silence) and keep streaming through the outage:
    // the link buffers the rest (bounded) for the next pool.
    const first = pools[0];
    if (first === undefined) throw new Error("no pool process");
    let atKillPoint: () => void = () => undefined;
    const killPoint = new Promise<void>((resolve) => (atKillPoint = resolve));
    const streaming = streamPcm(speaker, whileDown, {
      realTime: true,
      onFrame: (frames) => {
        if (frames === KILL_AFTER_FRAMES) atKillPoint();
      },
    });
    await killPoint;
    expect(await stopPool(first, "SIGKILL")).toBeNull();
    await streaming;
    expect(speaker.connection.isOpen).toBe(true);

    // Same port again. The room's link reconnects with backoff and re-opens its stream on the new pool.
    const restarted = await startPool();
    expect(restarted.address).toBe(address);
    await poolReady((openStreams) => openStreams >= 1);
    const heardBeforeSpeech = transcripts.length;
    await streamPcm(speaker, speech);
    const after = await eventually(
      () => transcripts.slice(heardBeforeSpeech).find((m) => m.final && words(m.text).includes("meeting")),
      30_000,
    );
    // Whisper tiny may mishear a word of the same audio cut at another chunk phase ("hello" → "the lord").
    const recognised = WORDS.filter((word) => words(after.text).includes(word));
    expect(recognised.length, after.text).toBeGreaterThanOrEqual(WORDS.length - 1);

    expect(left).toBe(false);
    expect(speaker.connection.isOpen).toBe(true);
    const health = await engine.api("GET", "/health");
    expect(health.status).toBe(200);

    const afterRestart = transcripts.slice(heardBefore).filter((m) => m.final);
    expect(afterRestart.length).toBeGreaterThan(0);
    // While the pool was down the only complaint the speaker may get is that audio is being dropped; the audio
    // buffered meanwhile is replayed to the new pool, which should take it.
    expect.soft(errors.filter((e) => e.code !== "inference_unavailable")).toEqual([]);
    // Segment ids key persistence (a repeated id is not stored); times must not go back to the stream's start.
    expect.soft(afterRestart.map((m) => m.segment_id)).not.toContain(before.segment_id);
    expect.soft(afterRestart.filter((m) => m.start_ms < before.end_ms)).toEqual([]);
  }, 90_000);

  it("killing and restarting the pool while a camera streams: the room stays, and the camera's frames are analysed again", async () => {
    if (t === undefined) throw new Error("no engine");
    const engine = t;
    const face = await createTestPhotos().photo("astronaut");
    const { id, token } = await engine.createSession({ kind: "meeting" });
    const host = await engine.join(id, token);
    const heard = collect<ExpressionMessage>(host, "expression");
    const errors = collect<{ type: string; code: string }>(host, "error");
    let filming = true;
    const camera = streamFrames(host, face.jpeg, { count: 1, until: () => filming });
    await eventually(() => heard[0], 20_000);

    const current = pools[pools.length - 1];
    if (current === undefined) throw new Error("no pool process");
    expect(await stopPool(current, "SIGKILL")).toBeNull();
    const heardWhileDown = heard.length;
    const restarted = await startPool();
    expect(restarted.address).toBe(address);
    // The 2 s heartbeat announces the unchanged face again: an answer of the new pool.
    const after = await eventually(() => heard.slice(heardWhileDown + 1).find((m) => m.faces === 1), 60_000);
    filming = false;
    await camera;
    expect(after.at_ms).toBeGreaterThan(heard[0]?.at_ms ?? 0);
    expect(host.connection.isOpen).toBe(true);
    expect(errors.filter((e) => e.code !== "inference_unavailable")).toEqual([]);
  }, 90_000);
});
