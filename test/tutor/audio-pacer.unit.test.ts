import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AudioPacer } from "../../src/tutor/audio-pacer.js";

const RATE = 10_000;
/** `ms` of 16-bit PCM at RATE. */
const pcm = (ms: number) => new Uint8Array((RATE * ms) / 1000 * 2);

describe("AudioPacer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function pacer() {
    const sent: number[] = [];
    const at: number[] = [];
    const start = Date.now();
    const p = new AudioPacer(
      { send: (chunk) => { sent.push((chunk.byteLength / 2 / RATE) * 1000); at.push(Date.now() - start); } },
      { chunkMs: 100, leadMs: 400 },
      () => Date.now(),
    );
    return { p, sent, at };
  }

  it("sends the lead at once, then at playback pace, and is done when the last chunk has played", async () => {
    const { p, sent, at } = pacer();
    p.push(pcm(1_000), RATE);
    p.end();
    expect(sent).toEqual([100, 100, 100, 100]);
    let done = false;
    void p.done().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(600);
    expect(sent.length).toBe(10);
    // Never more than the lead (and the chunk being sent) ahead of the modelled playback.
    at.forEach((t, i) => expect((i + 1) * 100 - t).toBeLessThanOrEqual(500));
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(400);
    expect(done).toBe(true);
  });

  it("stop sends nothing more and says what was played; a gap between sentences is not counted as played", async () => {
    const { p, sent } = pacer();
    p.push(pcm(300), RATE);
    await vi.advanceTimersByTimeAsync(1_000);
    // 300 ms played, then 700 ms of silence (waiting for the next sentence).
    p.push(pcm(1_000), RATE);
    await vi.advanceTimersByTimeAsync(250);
    const played = p.stop();
    expect(played).toBe(550);
    const count = sent.length;
    p.push(pcm(500), RATE);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sent.length).toBe(count);
    await expect(p.done()).resolves.toBeUndefined();
  });

  it("a turn without audio is done at its end", async () => {
    const { p } = pacer();
    p.end();
    await expect(p.done()).resolves.toBeUndefined();
    expect(p.stop()).toBe(0);
  });
});
