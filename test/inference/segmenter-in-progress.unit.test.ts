import { describe, expect, it } from "vitest";
import { SpeechSegmenter, type SegmenterEvent } from "../../src/inference/vad/segmenter.js";

const CHUNK = 512;
const CHUNK_MS = 32;

function chunkOf(index: number): Float32Array {
  return new Float32Array(CHUNK).map((_, i) => Math.sin((index * CHUNK + i) * 0.01));
}

describe("SpeechSegmenter.inProgress", () => {
  it("reads the open utterance so far, which is the start of the utterance it becomes", () => {
    const segmenter = new SpeechSegmenter({ paddingMs: 64, minSpeechMs: 96, hangoverMs: 96 });
    const events: SegmenterEvent[] = [];
    const pushed: Float32Array[] = [];
    const push = (probability: number) => {
      const chunk = chunkOf(pushed.length);
      pushed.push(chunk);
      events.push(...segmenter.push(chunk, probability));
    };
    for (let i = 0; i < 5; i++) push(0.1);
    expect(segmenter.inProgress()).toBeNull();
    expect(segmenter.inProgressMs()).toBeNull();
    push(0.9);
    push(0.9);
    // Pending speech (shorter than minSpeechMs) is not an utterance yet.
    expect(segmenter.inProgress()).toBeNull();
    push(0.9);
    for (let i = 0; i < 10; i++) push(0.9);
    const open = segmenter.inProgress();
    expect(open).not.toBeNull();
    if (open === null) return;
    expect(open.startMs).toBe(5 * CHUNK_MS - 64);
    expect(open.endMs).toBe(18 * CHUNK_MS);
    expect(segmenter.inProgressMs()).toBe(open.endMs - open.startMs);
    expect(open.samples.length).toBe(((open.endMs - open.startMs) * 16_000) / 1000);
    for (let i = 0; i < 5; i++) push(0.1);
    expect(segmenter.inProgress()).toBeNull();
    const utterance = events.find((e) => e.type === "utterance");
    expect(utterance?.type === "utterance" && utterance.startMs).toBe(open.startMs);
    if (utterance?.type !== "utterance") return;
    expect(Array.from(utterance.samples.subarray(0, open.samples.length))).toEqual(Array.from(open.samples));
  });

  it("after a max-length cut, is the piece after the cut", () => {
    const segmenter = new SpeechSegmenter({ paddingMs: 0, minSpeechMs: 32, maxUtteranceMs: 320 });
    let cutAtMs: number | null = null;
    for (let i = 0; i < 14; i++) {
      for (const event of segmenter.push(chunkOf(i), 0.9)) if (event.type === "utterance") cutAtMs = event.endMs;
    }
    expect(cutAtMs).toBe(320);
    expect(segmenter.inProgress()?.startMs).toBe(320);
    expect(segmenter.inProgressMs()).toBe(14 * CHUNK_MS - 320);
  });
});
