import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AsrQueue, AsrQueueError, type AsrPriority } from "../../src/inference/asr/asr-queue.js";
import { rejection } from "../support/rejection.js";

/** A job the test finishes by hand, recording when it started. */
function controlled<T>(value: T, started: string[], name: string) {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    run: async () => {
      started.push(name);
      await done;
      return value;
    },
    finish: () => finish(),
  };
}

/** A job that takes `ms` of (fake) time. */
function sleeping<T>(value: T, ms: number): () => Promise<T> {
  return () => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
}


describe("AsrQueue", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs live jobs before file jobs, FIFO within a priority", async () => {
    const queue = new AsrQueue<string>();
    const started: string[] = [];
    const blocker = controlled("blocker", started, "blocker");
    const first = queue.submit({ priority: "file", run: blocker.run });
    const order: [string, AsrPriority][] = [
      ["file-a", "file"],
      ["file-b", "file"],
      ["live-a", "live"],
      ["live-b", "live"],
    ];
    const rest = order.map(([name, priority]) =>
      queue.submit({ priority, run: async () => (started.push(name), name) }),
    );
    expect(queue.stats().queued).toEqual({ live: 2, file: 2 });

    blocker.finish();
    const values = await Promise.all([first, ...rest]);
    expect(started).toEqual(["blocker", "live-a", "live-b", "file-a", "file-b"]);
    expect(values.map((v) => v.value)).toEqual(["blocker", "file-a", "file-b", "live-a", "live-b"]);
    expect(queue.stats()).toMatchObject({ completed: 5, running: 0, queued: { live: 0, file: 0 } });
  });

  it("never runs more than `concurrency` jobs at once", async () => {
    const queue = new AsrQueue<number>({ concurrency: 2 });
    let running = 0;
    let peak = 0;
    const jobs = Array.from({ length: 6 }, (_, i) =>
      queue.submit({
        priority: i % 2 === 0 ? "live" : "file",
        run: async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 10 + i));
          running -= 1;
          return i;
        },
      }),
    );
    expect(queue.stats().running).toBe(2);
    expect(queue.stats().queued).toEqual({ live: 2, file: 2 });
    await vi.advanceTimersByTimeAsync(200);
    const values = await Promise.all(jobs);
    expect(values.map((v) => v.value).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(queue.stats().completed).toBe(6);
  });

  it("rejects with overloaded when full, counting each rejection", async () => {
    const queue = new AsrQueue<string>({ maxQueued: 2, liveEvictsFile: false });
    const started: string[] = [];
    const blocker = controlled("blocker", started, "blocker");
    const running = queue.submit({ priority: "live", run: blocker.run });
    const queued = [
      queue.submit({ priority: "file", run: async () => "a" }),
      queue.submit({ priority: "live", run: async () => "b" }),
    ];
    const overflow = [
      queue.submit({ priority: "file", run: async () => "c" }),
      queue.submit({ priority: "live", run: async () => "d" }),
    ];
    for (const job of overflow) {
      const error = await rejection(job);
      expect(error).toBeInstanceOf(AsrQueueError);
      expect(error).toMatchObject({ code: "overloaded", retryable: true });
    }
    expect(queue.stats().rejected).toEqual({ overloaded: 2 });

    blocker.finish();
    expect((await Promise.all([running, ...queued])).map((r) => r.value)).toEqual(["blocker", "a", "b"]);
    expect(queue.stats()).toMatchObject({ completed: 3, rejected: { overloaded: 2 } });
  });

  it("lets a live job evict the newest waiting file job from a full queue", async () => {
    const queue = new AsrQueue<string>({ maxQueued: 2 });
    const started: string[] = [];
    const blocker = controlled("blocker", started, "blocker");
    const running = queue.submit({ priority: "file", run: blocker.run });
    const older = queue.submit({ priority: "file", run: async () => (started.push("older"), "older") });
    const newer = queue.submit({ priority: "file", run: async () => (started.push("newer"), "newer") });
    const live = queue.submit({ priority: "live", run: async () => (started.push("live"), "live") });

    expect(await rejection(newer)).toMatchObject({ code: "overloaded", retryable: true });
    expect(queue.stats().queued).toEqual({ live: 1, file: 1 });
    // The next live job evicts the remaining file job; once only live work waits, live jobs are rejected too.
    const live2 = queue.submit({ priority: "live", run: async () => (started.push("live2"), "live2") });
    expect(await rejection(older)).toMatchObject({ code: "overloaded" });
    const live3 = queue.submit({ priority: "live", run: async () => "live3" });
    expect(await rejection(live3)).toMatchObject({ code: "overloaded" });

    blocker.finish();
    await Promise.all([running, live, live2]);
    expect(started).toEqual(["blocker", "live", "live2"]);
    expect(queue.stats().rejected).toEqual({ overloaded: 3 });
  });

  it("rejects a job whose deadline passes while it waits, without running it", async () => {
    const queue = new AsrQueue<string>();
    const started: string[] = [];
    const blocker = controlled("blocker", started, "blocker");
    const running = queue.submit({ priority: "live", run: blocker.run });
    const late = queue.submit({
      priority: "live",
      deadlineMs: Date.now() + 100,
      run: async () => (started.push("late"), "late"),
    });
    const patient = queue.submit({
      priority: "live",
      deadlineMs: Date.now() + 10_000,
      run: async () => (started.push("patient"), "patient"),
    });
    const lateError = rejection(late);

    await vi.advanceTimersByTimeAsync(100);
    // Retryable, as the error table has it: the same work sent again may meet a shorter queue.
    expect(await lateError).toMatchObject({ code: "deadline_exceeded", retryable: true });
    expect(queue.stats().queued.live).toBe(1);

    blocker.finish();
    expect((await patient).value).toBe("patient");
    await running;
    expect(started).toEqual(["blocker", "patient"]);

    // Already past at submit time.
    expect(await rejection(queue.submit({ priority: "file", deadlineMs: Date.now() - 1, run: async () => "x" })))
      .toMatchObject({ code: "deadline_exceeded" });
    expect(queue.stats().rejected).toEqual({ deadline_exceeded: 2 });
  });

  it("reports queue wait and run time with each result", async () => {
    const queue = new AsrQueue<string>();
    const first = queue.submit({ priority: "live", run: sleeping("first", 300) });
    const second = queue.submit({ priority: "live", run: sleeping("second", 200) });
    await vi.advanceTimersByTimeAsync(500);

    const [a, b] = await Promise.all([first, second]);
    expect(a).toEqual({ value: "first", queueMs: 0, runMs: 300 });
    expect(b).toEqual({ value: "second", queueMs: 300, runMs: 200 });
    expect(queue.stats().waitSamplesMs).toEqual([0, 300]);
  });

  it("passes a job's own error through and keeps serving", async () => {
    const queue = new AsrQueue<string>();
    const boom = new Error("model crashed");
    const failing = queue.submit({ priority: "live", run: () => Promise.reject(boom) });
    const next = queue.submit({ priority: "live", run: async () => "ok" });
    expect(await rejection(failing)).toBe(boom);
    expect((await next).value).toBe("ok");
    expect(queue.stats()).toMatchObject({ failed: 1, completed: 1 });
  });

  it("close rejects waiting jobs and waits for the running one", async () => {
    const queue = new AsrQueue<string>();
    const started: string[] = [];
    const blocker = controlled("blocker", started, "blocker");
    const running = queue.submit({ priority: "live", run: blocker.run });
    const waiting = [
      queue.submit({ priority: "live", run: async () => "a" }),
      queue.submit({ priority: "file", deadlineMs: Date.now() + 1_000, run: async () => "b" }),
    ];
    const waitingErrors = waiting.map(rejection);

    let closed = false;
    const closing = queue.close().then(() => {
      closed = true;
    });
    for (const error of await Promise.all(waitingErrors)) {
      expect(error).toMatchObject({ code: "model_unavailable", retryable: true });
    }
    await vi.advanceTimersByTimeAsync(10);
    expect(closed).toBe(false);

    blocker.finish();
    await closing;
    expect((await running).value).toBe("blocker");
    expect(await rejection(queue.submit({ priority: "live", run: async () => "late" }))).toMatchObject({
      code: "model_unavailable",
    });
    expect(queue.stats()).toMatchObject({ queued: { live: 0, file: 0 }, running: 0, completed: 1 });
    // The closed file job's deadline timer was cleared: nothing fires later.
    expect(vi.getTimerCount()).toBe(0);
  });

  it("an aborted job: refused at submit, never run while waiting, answered at once while running (its slot kept)", async () => {
    const queue = new AsrQueue<string>({ name: "speech synthesis" });
    const started: string[] = [];
    const blocker = controlled("blocker", started, "blocker");
    const blocking = new AbortController();
    const running = queue.submit({ priority: "live", signal: blocking.signal, run: blocker.run });
    const waitingAbort = new AbortController();
    const waiting = rejection(queue.submit({ priority: "live", deadlineMs: Date.now() + 1_000, signal: waitingAbort.signal, run: async () => (started.push("waiting"), "w") }));
    const next = queue.submit({ priority: "live", run: async () => (started.push("next"), "n") });

    waitingAbort.abort();
    expect(await waiting).toMatchObject({ code: "ABORT_ERR", name: "AbortError" });
    expect(queue.stats().queued.live).toBe(1);
    blocking.abort();
    expect(await rejection(running)).toMatchObject({ code: "ABORT_ERR" });
    // Still running: the slot is taken until the job ends, and its result goes nowhere.
    expect(queue.stats()).toMatchObject({ running: 1, queued: { live: 1 } });
    blocker.finish();
    expect((await next).value).toBe("n");
    expect(started).toEqual(["blocker", "next"]);
    const aborted = new AbortController();
    aborted.abort();
    expect(await rejection(queue.submit({ priority: "live", signal: aborted.signal, run: async () => "never" }))).toMatchObject({ code: "ABORT_ERR" });
    expect(queue.stats()).toMatchObject({ cancelled: 3, completed: 2, rejected: {} });
    // The waiting job's deadline timer was cleared with it.
    expect(vi.getTimerCount()).toBe(0);
  });

  it("names what it queues for in its refusals", async () => {
    const queue = new AsrQueue<string>({ name: "speech synthesis", maxQueued: 0 });
    expect(await rejection(queue.submit({ priority: "live", run: async () => "x" }))).toMatchObject({ code: "overloaded", message: "speech synthesis queue is full (0 waiting)" });
  });
});
