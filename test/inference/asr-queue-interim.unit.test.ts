import { describe, expect, it } from "vitest";
import { AsrQueue } from "../../src/inference/asr/asr-queue.js";

/** A run the test finishes (or fails) by hand. */
function held(value: string) {
  let finish: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    run: async () => {
      await done;
      return value;
    },
    finish: () => finish(),
    fail: (error: Error) => fail(error),
  };
}

/** A job's answer comes just before its slot is freed (in the same turn): lets that happen. */
const slotFreed = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("AsrQueue interim work", () => {
  it("runs at once on a free slot and counts as interim, not as a job", async () => {
    const queue = new AsrQueue<string>({ concurrency: 2 });
    const interim = held("so far");
    const started = queue.tryRunInterim(interim.run);
    expect(started).not.toBeNull();
    expect(queue.stats().running).toBe(1);
    expect(queue.stats().interim.running).toBe(1);
    interim.finish();
    const result = await started;
    expect(result?.value).toBe("so far");
    await slotFreed();
    expect(queue.stats().interim).toEqual({ running: 0, completed: 1, skipped: 0, failed: 0 });
    expect(queue.stats().completed).toBe(0);
    expect(queue.stats().waitSamplesMs).toEqual([]);
  });

  it("leaves one of two slots for finals: a second interim is skipped, a live job starts at once", async () => {
    const queue = new AsrQueue<string>({ concurrency: 2 });
    const interim = held("interim");
    const first = queue.tryRunInterim(interim.run);
    expect(queue.tryRunInterim(held("x").run)).toBeNull();
    const live = held("final");
    const final = queue.submit({ priority: "live", run: live.run });
    expect(queue.stats().running).toBe(2);
    expect(queue.stats().queued.live).toBe(0);
    live.finish();
    interim.finish();
    expect((await final).value).toBe("final");
    await first;
    expect(queue.stats().interim).toMatchObject({ completed: 1, skipped: 1 });
  });

  it("is skipped while any job waits, and when every slot is busy", async () => {
    let nowMs = 0;
    const queue = new AsrQueue<string>({ concurrency: 1, busyClock: () => nowMs });
    const busy = held("a");
    const running = queue.submit({ priority: "live", run: busy.run });
    expect(queue.tryRunInterim(held("b").run)).toBeNull();
    const waiting = held("c");
    const queued = queue.submit({ priority: "file", run: waiting.run });
    busy.finish();
    await running;
    // The file job took the freed slot before anything else could.
    expect(queue.stats().running).toBe(1);
    expect(queue.tryRunInterim(held("d").run)).toBeNull();
    waiting.finish();
    await queued;
    await slotFreed();
    expect(queue.stats().interim.skipped).toBe(2);
    // The file job had to wait: for a window no interim runs (the next final could come while it held the slot).
    expect(queue.tryRunInterim(held("early").run)).toBeNull();
    nowMs = 2_001;
    // With one slot, an interim may take it once it is free (maxInterimRunning is at least 1).
    const alone = held("e");
    const interim = queue.tryRunInterim(alone.run);
    expect(interim).not.toBeNull();
    alone.finish();
    await interim;
  });

  it("a job submitted while an interim runs waits for the slot, then runs", async () => {
    const queue = new AsrQueue<string>({ concurrency: 1, maxInterimRunning: 1 });
    const interim = held("i");
    const started = queue.tryRunInterim(interim.run);
    const live = held("l");
    const final = queue.submit({ priority: "live", run: live.run });
    expect(queue.stats().queued.live).toBe(1);
    interim.finish();
    await started;
    live.finish();
    expect((await final).value).toBe("l");
  });

  it("counts a failed interim run and rejects with its error; a closed queue skips", async () => {
    const queue = new AsrQueue<string>({ concurrency: 3, maxInterimRunning: 2 });
    const a = held("a");
    const b = held("b");
    const first = queue.tryRunInterim(a.run);
    const second = queue.tryRunInterim(b.run);
    expect(queue.tryRunInterim(held("c").run)).toBeNull();
    a.fail(new Error("boom"));
    await expect(first).rejects.toThrow("boom");
    b.finish();
    await second;
    await queue.close();
    expect(queue.tryRunInterim(held("d").run)).toBeNull();
    expect(queue.stats().interim).toEqual({ running: 0, completed: 1, skipped: 2, failed: 1 });
    expect(queue.stats().failed).toBe(0);
  });
  it("is skipped for a window after a final found every slot taken and waited, however idle the slots are since", async () => {
    let nowMs = 0;
    const queue = new AsrQueue<string>({ concurrency: 2, interimMaxBusy: 1, busyWindowMs: 1_000, busyClock: () => nowMs });
    const a = held("a");
    const b = held("b");
    const c = held("c");
    const first = queue.submit({ priority: "live", run: a.run });
    // b starts at once: a slot was free, nothing waited.
    const second = queue.submit({ priority: "live", run: b.run });
    a.finish();
    b.finish();
    await Promise.all([first, second]);
    await slotFreed();
    const ok = held("ok");
    const interim = queue.tryRunInterim(ok.run);
    expect(interim).not.toBeNull();
    const d = held("d");
    const busy = [queue.submit({ priority: "live", run: c.run }), queue.submit({ priority: "file", run: d.run })];
    // Both slots taken (the interim and c): d waited.
    expect(queue.stats().queued.file).toBe(1);
    ok.finish();
    c.finish();
    d.finish();
    await Promise.all([...busy, interim]);
    await slotFreed();
    nowMs = 999;
    expect(queue.tryRunInterim(held("no").run)).toBeNull();
    nowMs = 1_001;
    expect(queue.tryRunInterim(held("yes").run)).not.toBeNull();
  });

  it("is skipped while finals kept the slots busier than interimMaxBusy over the window, and runs again once they did not", async () => {
    let nowMs = 0;
    const queue = new AsrQueue<string>({ concurrency: 2, interimMaxBusy: 0.5, busyWindowMs: 1_000, busyClock: () => nowMs });
    const a = held("a");
    const first = queue.submit({ priority: "live", run: a.run });
    // 0.8 of the window's 2 slot-seconds: 0.4, under the bound.
    nowMs = 800;
    expect(queue.busyShare()).toBeCloseTo(0.4);
    const interim = held("so far");
    const allowed = queue.tryRunInterim(interim.run);
    expect(allowed).not.toBeNull();
    interim.finish();
    await allowed;
    await slotFreed();
    const b = held("b");
    const second = queue.submit({ priority: "live", run: b.run });
    // a's 1.0 s and b's 0.2 s: 0.6, over it.
    nowMs = 1_000;
    expect(queue.busyShare()).toBeCloseTo(0.6);
    expect(queue.tryRunInterim(held("x").run)).toBeNull();
    a.finish();
    b.finish();
    await Promise.all([first, second]);
    await slotFreed();
    // A window later none of it is left.
    nowMs = 2_100;
    expect(queue.busyShare()).toBe(0);
    expect(queue.tryRunInterim(held("y").run)).not.toBeNull();
    expect(queue.stats().interim).toMatchObject({ skipped: 1, running: 1 });
  });
});
