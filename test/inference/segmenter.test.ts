import { describe, expect, it } from "vitest";
import {
  DEFAULT_SEGMENTER_OPTIONS,
  SegmenterError,
  SpeechSegmenter,
  type SegmenterEvent,
} from "../../src/inference/vad/segmenter.js";

const CHUNK = 512;
const CHUNK_MS = 32;
const SAMPLES_PER_MS = 16;
const PADDING_MS = DEFAULT_SEGMENTER_OPTIONS.paddingMs;

/** Deterministic audio whose every sample differs, so a misplaced slice cannot match by accident. */
function audioFor(chunks: number): Float32Array {
  const audio = new Float32Array(chunks * CHUNK);
  for (let i = 0; i < audio.length; i++) audio[i] = Math.sin(i * 0.0137) * 0.5 + ((i % 9973) / 9973) * 0.01;
  return audio;
}

/** Probabilities: speech chunks wobble between 0.6 and 0.95 (with one in-between value), silence below 0.2. */
function probabilities(spans: { speech: boolean; chunks: number }[]): number[] {
  const out: number[] = [];
  for (const span of spans) {
    for (let i = 0; i < span.chunks; i++) {
      if (span.speech) out.push(i % 7 === 3 && i > 0 ? 0.4 : 0.6 + ((i * 37) % 35) / 100);
      else out.push(((i * 13) % 20) / 100);
    }
  }
  return out;
}

interface Run {
  events: SegmenterEvent[];
  audio: Float32Array;
  maxBuffered: number;
}

function run(segmenter: SpeechSegmenter, probs: number[], flush = true): Run {
  const audio = audioFor(probs.length);
  const events: SegmenterEvent[] = [];
  let maxBuffered = 0;
  probs.forEach((p, i) => {
    events.push(...segmenter.push(audio.subarray(i * CHUNK, (i + 1) * CHUNK), p));
    maxBuffered = Math.max(maxBuffered, segmenter.bufferedSamples);
  });
  if (flush) events.push(...segmenter.flush());
  return { events, audio, maxBuffered };
}

function utterances(events: SegmenterEvent[]) {
  return events.flatMap((e) => (e.type === "utterance" ? [e] : []));
}

function expectSamplesMatch(result: Run): void {
  for (const u of utterances(result.events)) {
    expect(u.samples.length).toBe((u.endMs - u.startMs) * SAMPLES_PER_MS);
    const expected = result.audio.subarray(u.startMs * SAMPLES_PER_MS, u.endMs * SAMPLES_PER_MS);
    // A plain loop: toEqual on 480 k samples takes seconds.
    const firstMismatch = u.samples.findIndex((value, i) => value !== expected[i]);
    expect(firstMismatch).toBe(-1);
  }
}

describe("SpeechSegmenter", () => {
  it("places one utterance within a chunk (plus padding) of the true speech", () => {
    const probs = probabilities([
      { speech: false, chunks: 50 },
      { speech: true, chunks: 50 },
      { speech: false, chunks: 40 },
    ]);
    const result = run(new SpeechSegmenter(), probs, false);
    const truthStartMs = 50 * CHUNK_MS;
    const truthEndMs = 100 * CHUNK_MS;

    expect(result.events.map((e) => e.type)).toEqual(["speech_started", "speech_ended", "utterance"]);
    const [started, ended] = result.events;
    if (started?.type !== "speech_started" || ended?.type !== "speech_ended") throw new Error("unexpected events");
    expect(Math.abs(started.atMs - truthStartMs)).toBeLessThanOrEqual(CHUNK_MS);
    expect(Math.abs(ended.atMs - truthEndMs)).toBeLessThanOrEqual(CHUNK_MS);

    const [u] = utterances(result.events);
    expect(u).toBeDefined();
    expect(Math.abs((u?.startMs ?? 0) - (truthStartMs - PADDING_MS))).toBeLessThanOrEqual(CHUNK_MS);
    expect(Math.abs((u?.endMs ?? 0) - (truthEndMs + PADDING_MS))).toBeLessThanOrEqual(CHUNK_MS);
    expect(u?.reason).toBe("silence");
    expectSamplesMatch(result);
    // Nothing more at close: the utterance was already finished.
    expect(new SpeechSegmenter().flush()).toEqual([]);
  });

  it("emits speech_started once minSpeechMs has passed and speech_ended after the hangover", () => {
    const segmenter = new SpeechSegmenter();
    const audio = audioFor(1);
    const confirmAfter = Math.ceil(DEFAULT_SEGMENTER_OPTIONS.minSpeechMs / CHUNK_MS);
    for (let i = 1; i < confirmAfter; i++) expect(segmenter.push(audio, 0.9)).toEqual([]);
    expect(segmenter.push(audio, 0.9)).toEqual([{ type: "speech_started", atMs: 0 }]);

    const endAfter = Math.ceil(DEFAULT_SEGMENTER_OPTIONS.hangoverMs / CHUNK_MS);
    for (let i = 1; i < endAfter; i++) expect(segmenter.push(audio, 0.1)).toEqual([]);
    const events = segmenter.push(audio, 0.1);
    expect(events[0]).toEqual({ type: "speech_ended", atMs: confirmAfter * CHUNK_MS });
    expect(events[1]?.type).toBe("utterance");
  });

  it("keeps a pause shorter than the hangover inside one utterance, and splits on a longer one", () => {
    const shortPause = run(
      new SpeechSegmenter(),
      probabilities([
        { speech: false, chunks: 10 },
        { speech: true, chunks: 40 },
        { speech: false, chunks: 8 }, // 256 ms < 400 ms hangover
        { speech: true, chunks: 40 },
        { speech: false, chunks: 30 },
      ]),
    );
    expect(utterances(shortPause.events)).toHaveLength(1);
    expect(shortPause.events.filter((e) => e.type === "speech_started")).toHaveLength(1);
    const [u] = utterances(shortPause.events);
    expect(u?.startMs).toBe(10 * CHUNK_MS - PADDING_MS);
    expect(u?.endMs).toBe(98 * CHUNK_MS + PADDING_MS);
    expectSamplesMatch(shortPause);

    const longPause = run(
      new SpeechSegmenter(),
      probabilities([
        { speech: false, chunks: 10 },
        { speech: true, chunks: 40 },
        { speech: false, chunks: 20 }, // 640 ms
        { speech: true, chunks: 40 },
        { speech: false, chunks: 30 },
      ]),
    );
    expect(utterances(longPause.events).map((x) => [x.startMs, x.endMs])).toEqual([
      [10 * CHUNK_MS - PADDING_MS, 50 * CHUNK_MS + PADDING_MS],
      [70 * CHUNK_MS - PADDING_MS, 110 * CHUNK_MS + PADDING_MS],
    ]);
    expectSamplesMatch(longPause);
  });

  it("drops a blip shorter than minSpeechMs without any event", () => {
    const blip = run(
      new SpeechSegmenter(),
      probabilities([
        { speech: false, chunks: 20 },
        { speech: true, chunks: 5 }, // 160 ms < 250 ms
        { speech: false, chunks: 40 },
        { speech: true, chunks: 3 }, // then a blip cut off by the stream's end
      ]),
    );
    expect(blip.events).toEqual([]);
  });

  it("cuts 40 s of speech at 30 s and continues as a second utterance", () => {
    const speechStartChunk = 31;
    const speechChunks = 1250; // 40 s
    const result = run(
      new SpeechSegmenter(),
      probabilities([
        { speech: false, chunks: speechStartChunk },
        { speech: true, chunks: speechChunks },
        { speech: false, chunks: 30 },
      ]),
    );
    const found = utterances(result.events);
    const startMs = speechStartChunk * CHUNK_MS - PADDING_MS;
    expect(found.map((u) => [u.startMs, u.endMs, u.reason])).toEqual([
      [startMs, startMs + 30_000, "max_length"],
      [startMs + 30_000, (speechStartChunk + speechChunks) * CHUNK_MS + PADDING_MS, "silence"],
    ]);
    expect(found[0]?.samples.length).toBe(30_000 * SAMPLES_PER_MS);
    // One speech_started/ended pair spans both pieces.
    expect(result.events.filter((e) => e.type !== "utterance").map((e) => e.type)).toEqual([
      "speech_started",
      "speech_ended",
    ]);
    expectSamplesMatch(result);
  });

  it("never holds more than one utterance of audio, however long the speech", () => {
    const segmenter = new SpeechSegmenter();
    const result = run(segmenter, probabilities([{ speech: true, chunks: 3000 }])); // 96 s
    const found = utterances(result.events);
    expect(found.map((u) => u.reason)).toEqual(["max_length", "max_length", "max_length", "flush"]);
    expect(found.every((u) => u.endMs - u.startMs <= 30_000)).toBe(true);
    expect(result.maxBuffered).toBeLessThanOrEqual(segmenter.maxBufferedSamples);
    expect(segmenter.maxBufferedSamples).toBeLessThan(31 * 1000 * SAMPLES_PER_MS);
    expectSamplesMatch(result);
  });

  it("keeps only the pre-roll over a 10-minute silent stream", () => {
    const segmenter = new SpeechSegmenter();
    const chunk = new Float32Array(CHUNK).fill(0.001);
    let maxBuffered = 0;
    const chunks = (10 * 60 * 1000) / CHUNK_MS;
    for (let i = 0; i < chunks; i++) {
      // Occasional blips must not grow the buffer either.
      const p = i % 500 === 0 ? 0.9 : 0.05;
      expect(segmenter.push(chunk, p)).toEqual([]);
      maxBuffered = Math.max(maxBuffered, segmenter.bufferedSamples);
    }
    expect(segmenter.durationMs).toBe(600_000);
    // Pre-roll, plus a blip and the hangover that drops it.
    const { minSpeechMs, hangoverMs } = DEFAULT_SEGMENTER_OPTIONS;
    const bound = (Math.ceil(PADDING_MS / CHUNK_MS) + Math.ceil((minSpeechMs + hangoverMs) / CHUNK_MS) + 1) * CHUNK;
    expect(maxBuffered).toBeLessThanOrEqual(bound);
    expect(segmenter.bufferedSamples).toBeLessThanOrEqual(CHUNK);
  });

  it("flush finishes confirmed speech and drops unconfirmed speech", () => {
    const confirmed = run(
      new SpeechSegmenter(),
      probabilities([
        { speech: false, chunks: 5 },
        { speech: true, chunks: 20 },
      ]),
    );
    expect(confirmed.events.map((e) => e.type)).toEqual(["speech_started", "speech_ended", "utterance"]);
    const [u] = utterances(confirmed.events);
    expect(u?.reason).toBe("flush");
    expect(u?.endMs).toBe(25 * CHUNK_MS); // no audio after the stream's end to pad with
    expectSamplesMatch(confirmed);
  });

  it("rejects chunks of the wrong size with invalid_audio", () => {
    const segmenter = new SpeechSegmenter();
    expect(() => segmenter.push(new Float32Array(100), 0.9)).toThrowError(SegmenterError);
    try {
      segmenter.push(new Float32Array(100), 0.9);
    } catch (error) {
      expect(error).toMatchObject({ code: "invalid_audio", retryable: false });
    }
  });
});
