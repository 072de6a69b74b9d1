import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChunkCoalescer, type ChunkCoalescerOptions, type CoalescedChunk } from "../../src/inference/grpc/chunk-coalescer.js";

/** 32 ms of 16 kHz PCM. */
const CHUNK_BYTES = 1024;

/** A sink whose busy state the test sets, recording each message as `stream seq chunks bytes` and its first byte. */
function harness(options: Partial<ChunkCoalescerOptions> = {}) {
  const state = { busy: false };
  const messages: CoalescedChunk[] = [];
  const coalescer = new ChunkCoalescer({ busy: () => state.busy, write: (message) => messages.push(message) }, options);
  /** A chunk of `streamId` whose bytes are all `mark`, so the merged order can be read back. */
  const push = (streamId: string, seq: number, mark: number, bytes = CHUNK_BYTES) =>
    coalescer.push(streamId, seq, new Uint8Array(bytes).fill(mark));
  const written = () => messages.map((m) => `${m.streamId} ${m.seq} ×${m.chunks} ${m.pcm16.byteLength}`);
  /** The marks of a message's chunks, in order. */
  const marks = (message: CoalescedChunk | undefined) =>
    Array.from({ length: (message?.pcm16.byteLength ?? 0) / CHUNK_BYTES }, (_, i) => message?.pcm16[i * CHUNK_BYTES]);
  return { state, messages, coalescer, push, written, marks };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("ChunkCoalescer", () => {
  it("writes each chunk at once while the call is not busy", () => {
    const t = harness();
    t.push("a", 1, 1);
    t.push("b", 1, 2);
    t.push("a", 2, 3);
    expect(t.written()).toEqual(["a 1 ×1 1024", "b 1 ×1 1024", "a 2 ×1 1024"]);
    expect(t.coalescer.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("while busy, merges each stream's chunks in order into one message carrying the last seq, written on drain", () => {
    const t = harness();
    t.state.busy = true;
    t.push("a", 1, 1);
    t.push("b", 7, 2);
    t.push("a", 2, 3);
    t.push("a", 5, 4);
    t.push("b", 8, 5);
    expect(t.messages).toEqual([]);
    expect(t.coalescer.waiting).toBe(5);
    t.state.busy = false;
    t.coalescer.flushAll();
    expect(t.written()).toEqual(["a 5 ×3 3072", "b 8 ×2 2048"]);
    expect(t.marks(t.messages[0])).toEqual([1, 3, 4]);
    expect(t.marks(t.messages[1])).toEqual([2, 5]);
    expect(t.coalescer.written).toEqual({ messages: 2, chunks: 5 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a chunk never passes one of its stream waiting before it, even once the call is no longer busy", () => {
    const t = harness();
    t.state.busy = true;
    t.push("a", 1, 1);
    t.state.busy = false;
    t.push("a", 2, 2);
    t.push("b", 1, 3);
    // b had nothing waiting: it goes at once; a's second chunk joins the first.
    expect(t.written()).toEqual(["b 1 ×1 1024"]);
    t.coalescer.flushAll();
    expect(t.written()).toEqual(["b 1 ×1 1024", "a 2 ×2 2048"]);
  });

  it("never holds a chunk longer than coalesceMaxDelayMs while the call stays busy", () => {
    const t = harness({ coalesceMaxDelayMs: 20 });
    t.state.busy = true;
    t.push("a", 1, 1);
    vi.advanceTimersByTime(15);
    t.push("a", 2, 2);
    t.push("b", 1, 3);
    vi.advanceTimersByTime(4);
    expect(t.messages).toEqual([]);
    vi.advanceTimersByTime(1);
    // 20 ms after the first chunk waited: everything waiting goes, the younger chunks too.
    expect(t.written()).toEqual(["a 2 ×2 2048", "b 1 ×1 1024"]);
    // Still busy: the next chunk waits again, bounded again from its own arrival.
    t.push("a", 3, 4);
    vi.advanceTimersByTime(19);
    expect(t.messages).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(t.written().at(-1)).toBe("a 3 ×1 1024");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a drain before the delay writes at once and stops the timer", () => {
    const t = harness({ coalesceMaxDelayMs: 20 });
    t.state.busy = true;
    t.push("a", 1, 1);
    expect(vi.getTimerCount()).toBe(1);
    t.coalescer.flushAll();
    expect(t.written()).toEqual(["a 1 ×1 1024"]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("never merges past coalesceMaxBytes: the waiting chunks go first, and a chunk as large goes alone", () => {
    const t = harness({ coalesceMaxBytes: 3 * CHUNK_BYTES });
    t.state.busy = true;
    for (let seq = 1; seq <= 4; seq++) t.push("a", seq, seq);
    expect(t.written()).toEqual(["a 3 ×3 3072"]);
    t.push("a", 5, 5, 3 * CHUNK_BYTES);
    // The fourth chunk could not take the fifth with it: it goes, then the fifth, alone and unheld.
    expect(t.written()).toEqual(["a 3 ×3 3072", "a 4 ×1 1024", "a 5 ×1 3072"]);
    expect(t.coalescer.waiting).toBe(0);
    expect(t.marks(t.messages[0])).toEqual([1, 2, 3]);
  });

  it("flush(stream) writes that stream's waiting audio only: what its owner does before a close or an open of it", () => {
    const t = harness();
    t.state.busy = true;
    t.push("a", 1, 1);
    t.push("b", 1, 2);
    t.push("a", 2, 3);
    t.coalescer.flush("a");
    expect(t.written()).toEqual(["a 2 ×2 2048"]);
    expect(t.coalescer.waiting).toBe(1);
    t.coalescer.flush("a");
    expect(t.messages).toHaveLength(1);
    t.coalescer.flush("b");
    expect(t.written()).toEqual(["a 2 ×2 2048", "b 1 ×1 1024"]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("clear() drops what waits (the call is gone) and writes nothing later", () => {
    const t = harness();
    t.state.busy = true;
    t.push("a", 1, 1);
    t.coalescer.clear();
    vi.advanceTimersByTime(1_000);
    expect(t.messages).toEqual([]);
    expect(t.coalescer.waiting).toBe(0);
  });

  it("coalesceMaxDelayMs 0 holds nothing: one message per chunk even while busy", () => {
    const t = harness({ coalesceMaxDelayMs: 0 });
    t.state.busy = true;
    t.push("a", 1, 1);
    t.push("a", 2, 2);
    expect(t.written()).toEqual(["a 1 ×1 1024", "a 2 ×1 1024"]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
