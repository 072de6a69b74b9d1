import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { errorFor, openAudioCall, openMessage, sendSpeech, startTestPool, type AudioCall, type TestPool } from "../support/pool-audio-call.js";
import { words } from "../support/speech-bounds.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

/*
 * A hostile probe opened 1,100 streams on one call: it took all 1,024 VAD slots and other rooms got no transcripts.
 * Now a call holds at most 128 streams, a call holds at most a share of the VAD's slots, and batches are filled
 * round-robin across calls: a call flooding every stream it may hold cannot starve another call's speaker.
 */

const SENTENCE = "hello world, this is a test of the meeting engine";
const WORDS = ["hello", "world", "test", "meeting", "engine"];
const FLOOD_OPENS = 1_100;
const MAX_STREAMS_PER_CALL = 128;
/** 512 ms of 16 kHz audio per flood message: 16 VAD chunks, so a few messages keep the VAD saturated. */
const FLOOD_CHUNK_BYTES = 16_384;

let testPool: TestPool;
let speech: Uint8Array;

beforeAll(async () => {
  testPool = await startTestPool();
  const synthesized = await createSpeechSynthesizer().synthesize(SENTENCE);
  speech = float32ToPcm16(padWithSilence(synthesized.samples16k, 500, 1_000));
  const models = await testPool.pool.ready();
  expect(models.every((m) => m.loaded)).toBe(true);
}, 120_000);

afterAll(async () => {
  await testPool?.close();
});

/** Low noise (not speech, so no ASR): the VAD runs every chunk of every stream. */
function noise(bytes: number, seed: number): Uint8Array {
  const view = new DataView(new ArrayBuffer(bytes));
  let state = seed >>> 0 || 1;
  for (let offset = 0; offset + 1 < bytes; offset += 2) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    view.setInt16(offset, ((state >>> 0) % 601) - 300, true);
  }
  return new Uint8Array(view.buffer);
}

/** Writes a round of chunks to every stream, honouring backpressure, until `stop` resolves. */
async function flood(audio: AudioCall, streams: number, stop: Promise<void>): Promise<number> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  const payload = noise(FLOOD_CHUNK_BYTES, 7);
  let rounds = 0;
  while (!stopped && audio.status() === null) {
    rounds += 1;
    for (let i = 0; i < streams; i += 1) {
      if (!audio.call.write({ chunk: { stream_id: `f${i}`, seq: rounds, pcm16: payload } })) {
        await new Promise<void>((resolve) => audio.call.once("drain", () => resolve()));
      }
    }
    // Lets the outputs and the other call's writes through between rounds.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return rounds;
}

describe("VAD capacity shared between calls", () => {
  it("a call flooding 1,100 opens and audio on its 128 streams leaves another call's speaker their speech events and transcript", async () => {
    const flooder = await openAudioCall(testPool.client);
    const speaker = await openAudioCall(testPool.client);
    let endFlood: () => void = () => undefined;
    const floodOver = new Promise<void>((resolve) => (endFlood = resolve));
    try {
      for (let i = 0; i < FLOOD_OPENS; i += 1) flooder.call.write(openMessage(`f${i}`));
      // Every open past the call's bound is refused; the last one proves all were seen.
      expect((await flooder.next(errorFor(`f${FLOOD_OPENS - 1}`), 10_000)).code).toBe("too_many_streams");
      const refused = flooder.received.filter((m) => m.error?.code === "too_many_streams");
      expect(refused).toHaveLength(FLOOD_OPENS - MAX_STREAMS_PER_CALL);

      const before = await testPool.client.status();
      const flooding = flood(flooder, MAX_STREAMS_PER_CALL, floodOver);

      speaker.call.write(openMessage("speaker"));
      await sendSpeech(speaker.call, "speaker", speech);
      const started = await speaker.next((m) => (m.speech?.stream_id === "speaker" && m.speech.kind === "STARTED" ? true : undefined), 20_000);
      const ended = await speaker.next((m) => (m.speech?.stream_id === "speaker" && m.speech.kind === "ENDED" ? true : undefined), 20_000);
      const transcript = await speaker.next((m) => (m.transcript?.stream_id === "speaker" ? m.transcript : undefined), 30_000);
      const during = await testPool.client.status();
      endFlood();
      const rounds = await flooding;

      expect(started && ended).toBe(true);
      expect(words(transcript.text)).toEqual(expect.arrayContaining(WORDS));
      expect(speaker.received.filter((m) => m.error)).toEqual([]);
      // The flood was real: many rounds on every stream, and full VAD batches while the speaker spoke.
      expect(rounds).toBeGreaterThan(1);
      expect(during.vad.items - before.vad.items).toBeGreaterThan(MAX_STREAMS_PER_CALL * (FLOOD_CHUNK_BYTES / 1_024));
      expect(during.vad.maxBatchSize).toBe(128);
    } finally {
      endFlood();
      flooder.call.end();
      speaker.call.end();
    }
  }, 90_000);
});
