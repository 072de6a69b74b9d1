import { describe, expect, it } from "vitest";
import { SegmenterError, SpeechSegmenter, type SegmenterEvent } from "../../src/inference/vad/segmenter.js";

/** Max-length cuts placed in the quietest chunk before the limit (`cutSearchMs`), as the pool configures them. */
const CHUNK = 512;
const CHUNK_MS = 32;
const SAMPLES_PER_MS = 16;
const OPTIONS = { paddingMs: 300, cutSearchMs: 3_000 } as const;

function audioFor(chunks: number): Float32Array {
  const audio = new Float32Array(chunks * CHUNK);
  for (let i = 0; i < audio.length; i++) audio[i] = Math.sin(i * 0.0137) * 0.5 + ((i % 9973) / 9973) * 0.01;
  return audio;
}

function run(segmenter: SpeechSegmenter, probabilities: number[]): { events: SegmenterEvent[]; audio: Float32Array; maxBuffered: number } {
  const audio = audioFor(probabilities.length);
  const events: SegmenterEvent[] = [];
  let maxBuffered = 0;
  probabilities.forEach((p, i) => {
    events.push(...segmenter.push(audio.subarray(i * CHUNK, (i + 1) * CHUNK), p));
    maxBuffered = Math.max(maxBuffered, segmenter.bufferedSamples);
  });
  events.push(...segmenter.flush());
  return { events, audio, maxBuffered };
}

const utterancesOf = (events: SegmenterEvent[]) => events.flatMap((e) => (e.type === "utterance" ? [e] : []));

/** Each utterance's samples are exactly the audio its times name, and the utterances tile the speech without gaps. */
function expectContiguous(events: SegmenterEvent[], audio: Float32Array): void {
  const found = utterancesOf(events);
  found.forEach((u, i) => {
    expect(u.samples.length).toBe((u.endMs - u.startMs) * SAMPLES_PER_MS);
    const expected = audio.subarray(u.startMs * SAMPLES_PER_MS, u.endMs * SAMPLES_PER_MS);
    expect(u.samples.findIndex((value, j) => value !== expected[j])).toBe(-1);
    const next = found[i + 1];
    if (u.reason === "max_length" && next !== undefined) expect(next.startMs).toBe(u.endMs);
  });
}

describe("SpeechSegmenter max-length cuts", () => {
  it("cuts in the middle of the quietest chunk of the last cutSearchMs, and goes on from there", () => {
    const speechStart = 31;
    // 40 s of speech (0.9) with a word gap at 28.0 s of the utterance (0.1) and a shallower one at 29.5 s (0.3).
    const firstUtteranceMs = speechStart * CHUNK_MS - OPTIONS.paddingMs;
    const gapChunk = Math.round((firstUtteranceMs + 28_000) / CHUNK_MS);
    const shallowChunk = Math.round((firstUtteranceMs + 29_500) / CHUNK_MS);
    const probabilities = [
      ...Array<number>(speechStart).fill(0.05),
      ...Array<number>(1250).fill(0.9),
      ...Array<number>(30).fill(0.05),
    ];
    probabilities[gapChunk] = 0.1;
    probabilities[shallowChunk] = 0.3;
    const result = run(new SpeechSegmenter(OPTIONS), probabilities);
    const found = utterancesOf(result.events);
    const cutMs = gapChunk * CHUNK_MS + CHUNK_MS / 2;
    expect(found.map((u) => [u.startMs, u.endMs, u.reason])).toEqual([
      [firstUtteranceMs, cutMs, "max_length"],
      [cutMs, (speechStart + 1250) * CHUNK_MS + OPTIONS.paddingMs, "silence"],
    ]);
    expect(result.events.filter((e) => e.type !== "utterance").map((e) => e.type)).toEqual(["speech_started", "speech_ended"]);
    expectContiguous(result.events, result.audio);
  });

  it("with no quieter chunk, cuts within a chunk of the limit; a gap before the window is not used", () => {
    const probabilities = [...Array<number>(1250).fill(0.9)];
    probabilities[100] = 0.01; // 3.2 s in: far outside the last 3 s before 30 s
    const result = run(new SpeechSegmenter(OPTIONS), probabilities);
    const first = utterancesOf(result.events)[0];
    expect(first?.reason).toBe("max_length");
    expect(first?.endMs).toBeLessThanOrEqual(30_000);
    expect(first?.endMs).toBeGreaterThanOrEqual(30_000 - CHUNK_MS);
    expectContiguous(result.events, result.audio);
  });

  it("never makes an utterance longer than maxUtteranceMs nor holds more than its bound, however long the speech", () => {
    const segmenter = new SpeechSegmenter(OPTIONS);
    // 96 s of speech with a dip every 2.4 s, so every cut moves.
    const probabilities = Array.from({ length: 3000 }, (_, i) => (i % 75 === 40 ? 0.2 : 0.9));
    const result = run(segmenter, probabilities);
    const found = utterancesOf(result.events);
    expect(found.length).toBeGreaterThanOrEqual(4);
    expect(found.every((u) => u.endMs - u.startMs <= 30_000)).toBe(true);
    expect(found.filter((u) => u.reason === "max_length").every((u) => u.endMs - u.startMs >= 27_000)).toBe(true);
    expect(result.maxBuffered).toBeLessThanOrEqual(segmenter.maxBufferedSamples);
    expectContiguous(result.events, result.audio);
  });

  it("refuses a search longer than half an utterance", () => {
    expect(() => new SpeechSegmenter({ cutSearchMs: 20_000 })).toThrow(SegmenterError);
  });
});
