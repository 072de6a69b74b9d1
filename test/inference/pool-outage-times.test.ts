import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { AudioLink } from "../../src/inference/grpc/audio-link.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { DEFAULT_INFERENCE_POOL_OPTIONS } from "../../src/inference/pool-options.js";
import { MODEL_SAMPLE_RATE, type PoolOutput } from "../../src/inference/pool-types.js";
import { createLogger } from "../../src/logger.js";
import { eventually } from "../support/engine.js";
import { waitFor } from "../support/pool-audio-call.js";
import { freePort, spawnPool, stopPool, TEST_INFERENCE_TOKEN, type PoolProcess } from "../support/pool-process.js";
import { speechBoundsMs, words, type SpeechBounds } from "../support/speech-bounds.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

/*
 * Issue 11: an outage of the pool longer than the audio link's buffer must not move transcripts in time. A real
 * standalone pool is killed while a stream goes on: the speech right after the kill is buffered and replayed to the
 * next pool, the audio after it is refused (the buffer is full), and the speech once the pool is back goes live.
 * Every transcript must sit where its speech was in the timeline the sender sent.
 */

/** 20 ms frames of 16 kHz PCM, as rooms send them. */
const FRAME_BYTES = 640;
const FRAME_MS = 20;
/** The pool's utterances carry this much audio either side of the speech. */
const PADDING_MS = DEFAULT_INFERENCE_POOL_OPTIONS.segmenter.paddingMs ?? 0;
/**
 * How far a transcript may be from its speech's energy bounds widened by the padding: the VAD decides speech per
 * 32 ms chunk, fires a little into a word and lets go a little after it, and a close zero-pads its last chunk.
 */
const TOLERANCE_MS = 400;

interface Part {
  text: string;
  /** Words Whisper tiny reliably hears in it. */
  key: string[];
  leadMs: number;
  tailMs: number;
}

/** Before the kill, sent to the first pool. */
const BEFORE: Part = { text: "good morning everyone", key: ["morning", "everyone"], leadMs: 300, tailMs: 700 };
/** Right after the kill: buffered, then replayed. Its short tail leaves an utterance open when the buffer fills. */
const BUFFERED: Part = { text: "the quarterly numbers look good to me", key: ["quarterly", "numbers"], leadMs: 300, tailMs: 100 };
/** Still during the outage, the buffer full: refused, never heard. */
const REFUSED: Part = { text: "please remember to buy some milk", key: ["remember", "milk"], leadMs: 300, tailMs: 300 };
/** Once the pool is back: live. It starts 100 ms after the refused audio, so a missed gap would glue it on. */
const AFTER: Part = { text: "hello world, this is a test of the meeting engine", key: ["meeting", "engine"], leadMs: 100, tailMs: 1_000 };

interface Clip {
  part: Part;
  pcm: Uint8Array;
  bounds: SpeechBounds;
  durationMs: number;
}

let port: number;
const pools: PoolProcess[] = [];
let probe: PoolClient;
let clips: Record<"before" | "buffered" | "refused" | "after", Clip>;

async function clip(synthesize: (text: string) => Promise<Float32Array>, part: Part): Promise<Clip> {
  const padded = padWithSilence(await synthesize(part.text), part.leadMs, part.tailMs);
  // Whole frames, so the sender's timeline is exactly the frames' durations.
  const frames = Math.ceil(padded.length / (FRAME_BYTES / 2));
  const samples = new Float32Array(frames * (FRAME_BYTES / 2));
  samples.set(padded);
  return { part, pcm: float32ToPcm16(samples), bounds: speechBoundsMs(samples, MODEL_SAMPLE_RATE), durationMs: frames * FRAME_MS };
}

async function startPool(): Promise<PoolProcess> {
  const pool = await spawnPool({ INFERENCE_PORT: String(port) });
  pools.push(pool);
  return pool;
}

beforeAll(async () => {
  port = await freePort();
  const synthesizer = createSpeechSynthesizer();
  const synthesize = async (text: string) => (await synthesizer.synthesize(text)).samples16k;
  clips = {
    before: await clip(synthesize, BEFORE),
    buffered: await clip(synthesize, BUFFERED),
    refused: await clip(synthesize, REFUSED),
    after: await clip(synthesize, AFTER),
  };
  await startPool();
  probe = new PoolClient(`127.0.0.1:${port}`, { token: TEST_INFERENCE_TOKEN, statusTimeoutMs: 1_000 });
  await eventually(async () => ((await probe.status().catch(() => null))?.models.every((m) => m.loaded) ? true : undefined), 60_000);
}, 120_000);

afterAll(async () => {
  probe?.close();
  await Promise.all(pools.map((pool) => stopPool(pool, "SIGKILL")));
});

describe("transcript times across a pool outage longer than the link's buffer", () => {
  it("the replayed utterance keeps the time it was spoken at, the refused audio is a gap no utterance spans, and the speech after it sits at its true time", async () => {
    const listeners = new Set<() => void>();
    const notify = () => {
      for (const listener of [...listeners]) listener();
    };
    const until = <T>(probeFor: () => T | undefined, what: string, timeoutMs = 60_000) =>
      waitFor((check) => (listeners.add(check), () => listeners.delete(check)), probeFor, timeoutMs, what);
    const outputs: PoolOutput[] = [];
    const connection: string[] = [];
    const client = new PoolClient(`127.0.0.1:${port}`, { token: TEST_INFERENCE_TOKEN });
    const link = new AudioLink(
      client,
      {
        output: (output) => (outputs.push(output), notify()),
        unavailable: () => undefined,
        connection: (state) => (connection.push(state), notify()),
      },
      createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent"),
      // Room for exactly the buffered speech: the outage outlasts the buffer within a few seconds of audio.
      { reconnectMinMs: 50, reconnectMaxMs: 200, maxBufferedBytes: clips.buffered.pcm.byteLength },
    );
    const transcripts = () => outputs.flatMap((o) => (o.kind === "transcript" ? [o] : []));
    const heard = (part: Part) => transcripts().find((t) => part.key.some((word) => words(t.text).includes(word)));
    let seq = 0;
    /** Hands the clip to the link frame by frame; how many frames it took. */
    const send = (c: Clip): number => {
      let taken = 0;
      for (let offset = 0; offset < c.pcm.byteLength; offset += FRAME_BYTES) {
        seq += 1;
        if (link.chunk("speaker", seq, c.pcm.subarray(offset, offset + FRAME_BYTES))) taken += 1;
      }
      return taken;
    };
    const frames = (c: Clip) => c.pcm.byteLength / FRAME_BYTES;
    try {
      await until(() => (connection.includes("connected") ? true : undefined), "the link up");
      link.open({ streamId: "speaker", sessionId: "session-1", participantId: "speaker", sampleRate: 16_000 });
      expect(send(clips.before)).toBe(frames(clips.before));
      await until(() => heard(BEFORE), "the transcript before the outage");

      const first = pools[0];
      if (first === undefined) throw new Error("no pool process");
      expect(await stopPool(first, "SIGKILL")).toBeNull();
      await until(() => (connection.includes("disconnected") ? true : undefined), "the link down");
      expect(send(clips.buffered)).toBe(frames(clips.buffered));
      expect(send(clips.refused)).toBe(0);

      await startPool();
      await until(() => (connection.filter((c) => c === "connected").length === 2 ? true : undefined), "the link up again");
      expect(send(clips.after)).toBe(frames(clips.after));
      link.close("speaker");
      await until(() => (outputs.some((o) => o.kind === "closed") ? true : undefined), "the stream closed", 90_000);
    } finally {
      link.end();
      client.close();
    }

    // Where each clip sits in the timeline the sender sent (ms since the stream's first sample).
    const at = {
      before: 0,
      buffered: clips.before.durationMs,
      refused: clips.before.durationMs + clips.buffered.durationMs,
      after: clips.before.durationMs + clips.buffered.durationMs + clips.refused.durationMs,
    };
    /** The utterance the pool should cut from a clip at `startMs`: its speech, padded, inside the clip's own audio. */
    const expected = (c: Clip, startMs: number) => ({
      startMs: Math.max(startMs, startMs + c.bounds.startMs - PADDING_MS),
      endMs: Math.min(startMs + c.durationMs, startMs + c.bounds.endMs + PADDING_MS),
    });
    const report = transcripts().map((t) => `${t.startMs}–${t.endMs} "${t.text}"`);
    console.info(`sent: before 0, buffered ${at.buffered}, refused ${at.refused}, after ${at.after}–${at.after + clips.after.durationMs} ms; heard ${report.join("; ")}`);

    expect(outputs.filter((o) => o.kind === "error"), report.join("; ")).toEqual([]);
    expect(heard(REFUSED), "refused audio was never sent").toBeUndefined();
    for (const [name, c] of [["before", clips.before], ["buffered", clips.buffered], ["after", clips.after]] as const) {
      const transcript = heard(c.part);
      expect(transcript, `${name}: ${report.join("; ")}`).toBeDefined();
      if (transcript === undefined) continue;
      const want = expected(c, at[name]);
      expect.soft(Math.abs(transcript.startMs - want.startMs), `${name} starts at ${transcript.startMs}, expected ${want.startMs}`).toBeLessThanOrEqual(TOLERANCE_MS);
      expect.soft(Math.abs(transcript.endMs - want.endMs), `${name} ends at ${transcript.endMs}, expected ${want.endMs}`).toBeLessThanOrEqual(TOLERANCE_MS);
    }
    // No utterance spans the refused audio: each ends before it or starts after it.
    const gap = { startMs: at.refused, endMs: at.after };
    expect(transcripts().filter((t) => t.startMs < gap.endMs && t.endMs > gap.startMs + FRAME_MS * 2), report.join("; ")).toEqual([]);
    // The reopened stream's segment ids do not repeat the first one's (a repeated id is not stored).
    expect(new Set(transcripts().map((t) => t.segmentId)).size).toBe(transcripts().length);
  }, 150_000);
});
