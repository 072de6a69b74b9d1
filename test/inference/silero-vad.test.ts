import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  readStreamState,
  SileroVad,
  VAD_CHUNK_SAMPLES,
  VAD_STREAM_STATE_SIZE,
  writeStreamState,
} from "../../src/inference/models/silero-vad.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

const CHUNK_MS = (VAD_CHUNK_SAMPLES / 16_000) * 1000;

/** Runs one stream alone, one chunk per `runBatch`, as the reference for the batched runs. */
async function probabilitiesAlone(vad: SileroVad, audio: Float32Array): Promise<number[]> {
  let state = vad.createStreamState();
  const probabilities: number[] = [];
  for (let offset = 0; offset + VAD_CHUNK_SAMPLES <= audio.length; offset += VAD_CHUNK_SAMPLES) {
    const result = await vad.runBatch(audio.subarray(offset, offset + VAD_CHUNK_SAMPLES), state, 1);
    state = result.state;
    probabilities.push(result.probabilities[0] ?? Number.NaN);
  }
  return probabilities;
}

describe("Silero VAD", () => {
  let vad: SileroVad;
  let sentence: Float32Array;
  let other: Float32Array;

  beforeAll(async () => {
    const synthesizer = createSpeechSynthesizer();
    [vad, sentence, other] = await Promise.all([
      SileroVad.load(),
      synthesizer.synthesize("hello world, this is a test of the meeting engine").then((speech) => speech.samples16k),
      synthesizer.synthesize("the quick brown fox jumps over the lazy dog").then((speech) => speech.samples16k),
    ]);
  });

  afterAll(async () => {
    await vad?.close();
  });

  it("scores speech high and the silence around it low", async () => {
    const speechMs = (sentence.length / 16_000) * 1000;
    const probabilities = await probabilitiesAlone(vad, padWithSilence(sentence, 1000, 1000));
    const startMs = (index: number) => index * CHUNK_MS;
    const before = probabilities.filter((_, i) => startMs(i) + CHUNK_MS <= 1000);
    // Allow the model's ≈ 200 ms decay after the last word (and eSpeak's own trailing pause).
    const after = probabilities.filter((_, i) => startMs(i) >= 1000 + speechMs + 300);
    const inside = probabilities.filter((_, i) => startMs(i) >= 1000 && startMs(i) + CHUNK_MS <= 1000 + speechMs);

    expect(before.length).toBeGreaterThan(25);
    expect(after.length).toBeGreaterThan(15);
    expect(Math.max(...before)).toBeLessThan(0.2);
    expect(Math.max(...after)).toBeLessThan(0.2);
    expect(Math.max(...inside)).toBeGreaterThan(0.9);
    // Pauses between words (the comma) are part of the span: most of it, not all, is speech.
    expect(inside.filter((probability) => probability > 0.5).length / inside.length).toBeGreaterThan(0.7);
  });

  it("keeps each stream's state separate in a batch, wherever its row is", async () => {
    const noise = new Float32Array(40_000).map((_, i) => 0.01 * Math.sin(i * 12.9898) * Math.sin(i * 78.233));
    const streams = [
      padWithSilence(sentence, 500, 500),
      new Float32Array(40_000),
      padWithSilence(other, 200, 800),
      noise,
      padWithSilence(sentence, 1300, 0),
    ];
    const chunks = Math.min(...streams.map((audio) => Math.floor(audio.length / VAD_CHUNK_SAMPLES)));
    const alone = await Promise.all(streams.map((audio) => probabilitiesAlone(vad, audio)));

    const batchSize = streams.length;
    const states = streams.map(() => vad.createStreamState());
    const batched: number[][] = streams.map(() => []);
    for (let chunk = 0; chunk < chunks; chunk++) {
      // Rotate rows every step, as a batcher packing whichever streams have a chunk ready would.
      const rowOf = (stream: number) => (stream + chunk) % batchSize;
      const input = new Float32Array(batchSize * VAD_CHUNK_SAMPLES);
      const state = new Float32Array(batchSize * VAD_STREAM_STATE_SIZE);
      streams.forEach((audio, stream) => {
        const samples = audio.subarray(chunk * VAD_CHUNK_SAMPLES, (chunk + 1) * VAD_CHUNK_SAMPLES);
        input.set(samples, rowOf(stream) * VAD_CHUNK_SAMPLES);
        writeStreamState(state, batchSize, rowOf(stream), states[stream] ?? vad.createStreamState());
      });
      const result = await vad.runBatch(input, state, batchSize);
      streams.forEach((_, stream) => {
        readStreamState(result.state, batchSize, rowOf(stream), states[stream]);
        batched[stream]?.push(result.probabilities[rowOf(stream)] ?? Number.NaN);
      });
    }

    for (let stream = 0; stream < streams.length; stream++) {
      const reference = alone[stream]?.slice(0, chunks) ?? [];
      const got = batched[stream] ?? [];
      expect(got.length).toBe(chunks);
      for (let chunk = 0; chunk < chunks; chunk++) {
        expect(Math.abs((got[chunk] ?? 0) - (reference[chunk] ?? 1))).toBeLessThan(1e-4);
      }
    }
    // The rows really differ: silence stays silent while the speech rows fire.
    expect(Math.max(...(batched[1] ?? []))).toBeLessThan(0.2);
    expect(Math.max(...(batched[0] ?? []))).toBeGreaterThan(0.9);
  });

  // Throughput (one run per chunk against batches) is measured by `npm run bench:inference`, not asserted here.
  it("a batch of 128 rows, each with its own state, gives every row what it gets alone", async () => {
    const audio = padWithSilence(sentence, 0, 1000);
    const available = Math.floor(audio.length / VAD_CHUNK_SAMPLES);
    const batchSize = 128;
    const chunkAt = (row: number) => {
      const start = ((row * 7) % available) * VAD_CHUNK_SAMPLES;
      return audio.subarray(start, start + VAD_CHUNK_SAMPLES);
    };
    // Each row carries a different state, as 128 streams at different points of their speech would.
    const rowStates = Array.from({ length: batchSize }, (_, row) =>
      new Float32Array(VAD_STREAM_STATE_SIZE).map((_, i) => 0.2 * Math.sin(row * 0.37 + i * 0.11)),
    );

    const input = new Float32Array(batchSize * VAD_CHUNK_SAMPLES);
    const state = new Float32Array(batchSize * VAD_STREAM_STATE_SIZE);
    for (let row = 0; row < batchSize; row++) {
      input.set(chunkAt(row), row * VAD_CHUNK_SAMPLES);
      writeStreamState(state, batchSize, row, rowStates[row] ?? vad.createStreamState());
    }
    const batched = await vad.runBatch(input, state, batchSize);
    expect(batched.probabilities).toHaveLength(batchSize);

    for (let row = 0; row < batchSize; row++) {
      const alone = await vad.runBatch(chunkAt(row), rowStates[row] ?? vad.createStreamState(), 1);
      expect(Math.abs((batched.probabilities[row] ?? Number.NaN) - (alone.probabilities[0] ?? Number.NaN))).toBeLessThan(1e-4);
      const rowState = vad.createStreamState();
      readStreamState(batched.state, batchSize, row, rowState);
      const worst = Math.max(...rowState.map((value, i) => Math.abs(value - (alone.state[i] ?? Number.NaN))));
      expect(worst).toBeLessThan(1e-4);
    }
    // The rows are not all alike: speech and silence rows score apart.
    expect(Math.max(...batched.probabilities) - Math.min(...batched.probabilities)).toBeGreaterThan(0.5);
  });
});
