import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  DYNAMIC_BATCHER_DEFAULTS,
  DynamicBatcher,
  type BatchOutcome,
  type BatchRun,
  type DynamicBatcherConfig,
} from "../../src/inference/batching/dynamic-batcher.js";
import { PoolError } from "../../src/inference/pool-error.js";
import { rejection } from "../support/rejection.js";

/*
 * The batcher with a model the test controls: each `run` call is recorded and finishes (or fails) when the test says.
 * Time is fake and never advances unless a test advances it, so "ran at once" means "ran without any timer firing".
 * setImmediate stays real: awaiting one drains every pending microtask (the batcher's end-of-turn start included).
 */

interface Batch {
  inputs: number[];
  finish(outputs?: number[]): void;
  fail(error: unknown): void;
}

function controlledModel(): { batches: Batch[]; run: BatchRun<number, number> } {
  const batches: Batch[] = [];
  const run: BatchRun<number, number> = (inputs) =>
    new Promise<number[]>((resolve, reject) => {
      batches.push({ inputs, finish: (outputs = inputs.map((x) => x * 10)) => resolve(outputs), fail: reject });
    });
  return { batches, run };
}

/** A request whose outcome the test does not read: a rejection (at close) must not go unhandled. */
function ignore(outcome: Promise<unknown>): void {
  outcome.catch(() => undefined);
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function batchAt(batches: Batch[], index: number): Batch {
  const batch = batches[index];
  if (batch === undefined) throw new Error(`no batch ${index} (ran ${batches.length})`);
  return batch;
}

const made: DynamicBatcher<number, number>[] = [];
function makeBatcher(config: DynamicBatcherConfig<"live" | "file"> = {}) {
  const model = controlledModel();
  const batcher = new DynamicBatcher(model.run, config);
  made.push(batcher);
  return { batcher, batches: model.batches };
}

/** Records each outcome (or error) as it settles, for asserting what has settled so far. */
function track(promise: Promise<BatchOutcome<number>>): { settled: (BatchOutcome<number> | PoolError)[] } {
  const record: { settled: (BatchOutcome<number> | PoolError)[] } = { settled: [] };
  promise.then(
    (outcome) => record.settled.push(outcome),
    (error: unknown) => record.settled.push(error instanceof PoolError ? error : new PoolError("internal", String(error))),
  );
  return record;
}

describe("DynamicBatcher", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance", "Date"] });
  });
  afterEach(() => {
    // Not awaited: a test may leave a batch of the controlled model unfinished, and close waits for it.
    for (const batcher of made.splice(0)) void batcher.close();
    vi.useRealTimers();
  });

  it("merges options over the defaults", () => {
    const { batcher } = makeBatcher({ maxBatchSize: 3 });
    expect(batcher.options).toEqual({ ...DYNAMIC_BATCHER_DEFAULTS, maxBatchSize: 3 });
    const custom = new DynamicBatcher<number, number, "a" | "b">(controlledModel().run, { lanes: ["b", "a"] });
    expect(custom.options.lanes).toEqual(["b", "a"]);
    expect(() => new DynamicBatcher(controlledModel().run, { maxBatchSize: 0 })).toThrow(RangeError);
    expect(() => new DynamicBatcher(controlledModel().run, { lanes: ["live", "live"] })).toThrow(RangeError);
  });

  it("runs a full batch at once, even while open streams are still expected", async () => {
    const { batcher, batches } = makeBatcher({ maxBatchSize: 4, maxQueueDelayMs: 50 });
    for (let i = 0; i < 6; i++) batcher.openStream(`s${i}`);
    const outcomes = [0, 1, 2, 3].map((i) => batcher.submit(i, { lane: "live", streamKey: `s${i}` }));
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[0, 1, 2, 3]]);
    batchAt(batches, 0).finish();
    expect(await Promise.all(outcomes)).toEqual([0, 10, 20, 30].map((output) => ({ kind: "done", output })));
  });

  it("runs a lone request at once: no open stream, no timer", async () => {
    const { batcher, batches } = makeBatcher({ maxQueueDelayMs: 50 });
    const outcome = batcher.submit(7, { lane: "file" });
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[7]]);
    batchAt(batches, 0).finish();
    expect(await outcome).toEqual({ kind: "done", output: 70 });
  });

  it("runs a lone open stream's request at once, and requests submitted in one turn share a batch", async () => {
    const { batcher, batches } = makeBatcher({ maxQueueDelayMs: 50 });
    batcher.openStream("only");
    ignore(batcher.submit(1, { lane: "live", streamKey: "only" }));
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[1]]);
    batchAt(batches, 0).finish();
    await settle();
    // A file job's burst: one batch, not a batch of one and then the rest.
    const burst = [2, 3, 4].map((x) => batcher.submit(x, { lane: "file" }));
    ignore(batcher.submit(5, { lane: "live", streamKey: "only" }));
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[1], [5, 2, 3, 4]]);
    batchAt(batches, 1).finish();
    expect((await Promise.all(burst)).map((o) => (o.kind === "done" ? o.output : -1))).toEqual([20, 30, 40]);
  });

  it("holds a due batch back while the work it yields to is busy, keeping the newest frames, at most maxHoldMs", async () => {
    let audioBusy = true;
    const { batcher, batches } = makeBatcher({ yieldTo: { busy: () => audioBusy, maxHoldMs: 100, recheckMs: 10 } });
    batcher.openStream("cam");
    const first = track(batcher.submit(1, { lane: "live", streamKey: "cam", keepNewest: true }));
    await settle();
    expect(batches).toHaveLength(0);
    // A newer frame of the stream replaces the held one.
    ignore(batcher.submit(2, { lane: "live", streamKey: "cam", keepNewest: true }));
    await settle();
    expect(first.settled).toEqual([{ kind: "dropped_stale" }]);
    await vi.advanceTimersByTimeAsync(30);
    expect(batches).toHaveLength(0);
    // Free again: the next re-check starts it, with the newest frame.
    audioBusy = false;
    await vi.advanceTimersByTimeAsync(10);
    expect(batches.map((b) => b.inputs)).toEqual([[2]]);
    batchAt(batches, 0).finish();
    await settle();
    // Busy for ever: the hold runs out and the batch starts anyway.
    audioBusy = true;
    ignore(batcher.submit(3, { lane: "live", streamKey: "cam", keepNewest: true }));
    await vi.advanceTimersByTimeAsync(99);
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(11);
    expect(batches.map((b) => b.inputs)).toEqual([[2], [3]]);
    expect(batcher.stats().held).toBe(2);
  });

  it("waits for an open stream that has not sent yet, until it does or maxQueueDelayMs passes", async () => {
    const { batcher, batches } = makeBatcher({ maxQueueDelayMs: 10 });
    batcher.openStream("a");
    batcher.openStream("b");
    ignore(batcher.submit(1, { lane: "live", streamKey: "a" }));
    await settle();
    await vi.advanceTimersByTimeAsync(9);
    expect(batches).toHaveLength(0);
    ignore(batcher.submit(2, { lane: "live", streamKey: "b" }));
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[1, 2]]);
    batchAt(batches, 0).finish();
    await settle();

    // b does not come this time: a's request runs alone once it has waited the window.
    ignore(batcher.submit(3, { lane: "live", streamKey: "a" }));
    await vi.advanceTimersByTimeAsync(9);
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches.map((b) => b.inputs)).toEqual([[1, 2], [3]]);
    batchAt(batches, 1).finish();
    await settle();

    // Closing the stream a batch waits for lets it run at once.
    ignore(batcher.submit(4, { lane: "live", streamKey: "a" }));
    await settle();
    expect(batches).toHaveLength(2);
    expect(batcher.closeStream("b")).toBe(true);
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[1, 2], [3], [4]]);
  });

  it("runs a closed stream's queued requests and stops waiting for it", async () => {
    const { batcher, batches } = makeBatcher({ maxQueueDelayMs: 10 });
    ignore(batcher.submit(0, { lane: "file" }));
    await settle();
    batcher.openStream("b");
    const fromB = batcher.submit(1, { lane: "live", streamKey: "b" });
    expect(batcher.closeStream("b")).toBe(true);
    expect(batcher.closeStream("b")).toBe(false);
    batchAt(batches, 0).finish();
    await settle();
    batchAt(batches, 1).finish();
    expect(await fromB).toEqual({ kind: "done", output: 10 });
    // Now a and c are open: a's request waits for c (b's request, gone, must not count as anyone's).
    batcher.openStream("a");
    batcher.openStream("c");
    ignore(batcher.submit(2, { lane: "live", streamKey: "a" }));
    await settle();
    expect(batches).toHaveLength(2);
    ignore(batcher.submit(3, { lane: "live", streamKey: "c" }));
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[0], [1], [2, 3]]);
    expect(() => batcher.openStream("a")).toThrow(expect.objectContaining({ code: "stream_exists" }));
  });

  it("forms the next batch from what queued meanwhile: higher lane first, first in first out within a lane", async () => {
    const { batcher, batches } = makeBatcher({ maxBatchSize: 3 });
    ignore(batcher.submit(0, { lane: "file" }));
    await settle();
    expect(batches).toHaveLength(1); // in flight; the rest queue behind it
    for (const [x, lane] of [[1, "file"], [2, "live"], [3, "file"], [4, "live"], [5, "live"], [6, "live"]] as const) {
      ignore(batcher.submit(x, { lane }));
    }
    expect(batcher.stats()).toMatchObject({ queueDepth: 6, queueDepthByLane: { live: 4, file: 2 }, inFlight: 1 });
    batchAt(batches, 0).finish();
    await settle();
    batchAt(batches, 1).finish();
    await settle();
    batchAt(batches, 2).finish();
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[0], [2, 4, 5], [6, 1, 3]]);
  });

  it("rejects a request that waits past its deadline with deadline_exceeded; it never runs", async () => {
    const { batcher, batches } = makeBatcher({ maxQueueDelayMs: 10 });
    ignore(batcher.submit(0, { lane: "live" }));
    await settle();
    expect(batches).toHaveLength(1); // holds the model
    const late = rejection(batcher.submit(1, { lane: "live", deadlineMs: 5 }));
    const onTime = batcher.submit(2, { lane: "live", deadlineMs: 50 });
    await vi.advanceTimersByTimeAsync(5);
    expect(await late).toMatchObject({ code: "deadline_exceeded", retryable: true });
    expect(await rejection(batcher.submit(3, { lane: "live", deadlineMs: 0 }))).toMatchObject({ code: "deadline_exceeded" });
    batchAt(batches, 0).finish();
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[0], [2]]);
    batchAt(batches, 1).finish();
    expect(await onTime).toEqual({ kind: "done", output: 20 });
    expect(batcher.stats().rejected).toEqual({ deadline_exceeded: 2 });
  });

  it("checks deadlines when it forms a batch too: a late deadline timer cannot let an expired request run", async () => {
    const { batcher, batches } = makeBatcher();
    ignore(batcher.submit(0, { lane: "live" }));
    await settle();
    // Due at the same instant as the request's deadline but set first, so it fires first: the batch in flight ends,
    // and the next batch forms, while the request's own deadline timer has not run yet.
    setTimeout(() => batchAt(batches, 0).finish(), 5);
    const expired = rejection(batcher.submit(1, { lane: "live", deadlineMs: 5 }));
    const fresh = batcher.submit(2, { lane: "live" });
    await vi.advanceTimersByTimeAsync(5);
    expect(await expired).toMatchObject({ code: "deadline_exceeded" });
    expect(batches.map((b) => b.inputs)).toEqual([[0], [2]]);
    batchAt(batches, 1).finish();
    expect(await fresh).toEqual({ kind: "done", output: 20 });
  });

  it("answers overloaded at once when the queue is full", async () => {
    const { batcher, batches } = makeBatcher({ maxQueueSize: 2 });
    ignore(batcher.submit(0, { lane: "live" }));
    await settle();
    const queued = [1, 2].map((x) => batcher.submit(x, { lane: "file" }));
    expect(await rejection(batcher.submit(3, { lane: "live" }))).toMatchObject({ code: "overloaded", retryable: true });
    expect(batcher.stats()).toMatchObject({ queueDepth: 2, rejected: { overloaded: 1 } });
    batchAt(batches, 0).finish();
    await settle();
    batchAt(batches, 1).finish();
    expect(await Promise.all(queued)).toEqual([10, 20].map((output) => ({ kind: "done", output })));
  });

  it("keepNewest: a newer frame replaces the stream's queued one, which resolves dropped_stale, and keeps its place", async () => {
    const { batcher, batches } = makeBatcher({ maxQueueSize: 2 });
    ignore(batcher.submit(0, { lane: "live" }));
    await settle();
    const first = track(batcher.submit(1, { lane: "live", streamKey: "cam", keepNewest: true }));
    const other = batcher.submit(2, { lane: "live", streamKey: "mic" });
    await settle();
    expect(first.settled).toEqual([]);
    // The queue is full, but a replacement does not grow it.
    const newest = batcher.submit(3, { lane: "live", streamKey: "cam", keepNewest: true });
    await settle();
    expect(first.settled).toEqual([{ kind: "dropped_stale" }]);
    expect(batcher.stats()).toMatchObject({ droppedStale: 1, queueDepth: 2 });
    batchAt(batches, 0).finish();
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[0], [3, 2]]);
    batchAt(batches, 1).finish();
    expect(await newest).toEqual({ kind: "done", output: 30 });
    expect(await other).toEqual({ kind: "done", output: 20 });
    // Once started, a frame is no longer replaceable: the next one queues behind it.
    const next = batcher.submit(4, { lane: "live", streamKey: "cam", keepNewest: true });
    await settle();
    batchAt(batches, 2).finish();
    expect(await next).toEqual({ kind: "done", output: 40 });
    expect(batcher.stats().droppedStale).toBe(1);
  });

  it("cancelQueued: a stream whose caller is gone loses its queued frame unrun (cancelled); the others still run", async () => {
    const { batcher, batches } = makeBatcher();
    ignore(batcher.submit(0, { lane: "live" }));
    await settle();
    const gone = track(batcher.submit(1, { lane: "live", streamKey: "cam", keepNewest: true }));
    const live = batcher.submit(2, { lane: "live", streamKey: "other", keepNewest: true });
    await settle();
    expect(batcher.cancelQueued("cam")).toBe(true);
    await settle();
    expect(gone.settled).toEqual([{ kind: "cancelled" }]);
    // Nothing left to cancel: a started or finished request is not cancellable.
    expect(batcher.cancelQueued("cam")).toBe(false);
    batchAt(batches, 0).finish();
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[0], [2]]);
    batchAt(batches, 1).finish();
    expect(await live).toEqual({ kind: "done", output: 20 });
    expect(batcher.stats()).toMatchObject({ droppedStale: 0, queueDepth: 0 });
  });

  it("fails every request of a failed run with a PoolError and goes on", async () => {
    const { batcher, batches } = makeBatcher();
    const failing = [1, 2, 3].map((x) => rejection(batcher.submit(x, { lane: "live" })));
    await settle();
    batchAt(batches, 0).fail(new Error("session lost"));
    for (const error of await Promise.all(failing)) {
      expect(error).toBeInstanceOf(PoolError);
      expect(error).toMatchObject({ code: "internal", retryable: true, message: "session lost" });
    }
    // A run's own pool code is kept; a wrong number of outputs is internal.
    const unavailable = rejection(batcher.submit(4, { lane: "live" }));
    await settle();
    batchAt(batches, 1).fail(new PoolError("model_unavailable", "model gone"));
    expect(await unavailable).toMatchObject({ code: "model_unavailable" });
    const short = rejection(batcher.submit(5, { lane: "live" }));
    await settle();
    batchAt(batches, 2).finish([]);
    expect(await short).toMatchObject({ code: "internal" });

    const fine = batcher.submit(6, { lane: "live" });
    await settle();
    batchAt(batches, 3).finish();
    expect(await fine).toEqual({ kind: "done", output: 60 });
    expect(batcher.stats()).toMatchObject({ failedBatches: 3, batchesRun: 1, rejected: { internal: 4, model_unavailable: 1 } });
  });

  it("never crosses outputs between requests", async () => {
    const batcher = new DynamicBatcher<number, string>(
      (inputs) => Promise.resolve(inputs.map((x) => `out-${x}`)),
      { maxBatchSize: 5, maxQueueDelayMs: 3 },
    );
    batcher.openStream("s1");
    batcher.openStream("s2");
    const submitted = Array.from({ length: 40 }, (_, x) =>
      batcher.submit(x, { lane: x % 3 === 0 ? "file" : "live", streamKey: x % 2 === 0 ? "s1" : "s2" }),
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(await Promise.all(submitted)).toEqual(submitted.map((_, x) => ({ kind: "done", output: `out-${x}` })));
    const stats = batcher.stats();
    expect(stats.itemsRun).toBe(40);
    expect(stats.batchesRun).toBe(8);
    expect(stats.batchSizes).toEqual([
      { le: 1, count: 0 },
      { le: 2, count: 0 },
      { le: 4, count: 0 },
      { le: 5, count: 8 },
    ]);
    await batcher.close();
  });

  it("runs a batch-size-1 model one item at a time, never waiting", async () => {
    const { batcher, batches } = makeBatcher({ maxBatchSize: 1, maxQueueDelayMs: 50 });
    batcher.openStream("a");
    batcher.openStream("b");
    const outcomes = [1, 2, 3].map((x) => batcher.submit(x, { lane: "live", streamKey: "a" }));
    for (let i = 0; i < 3; i++) {
      await settle();
      batchAt(batches, i).finish();
    }
    expect(await Promise.all(outcomes)).toEqual([10, 20, 30].map((output) => ({ kind: "done", output })));
    expect(batches.map((b) => b.inputs)).toEqual([[1], [2], [3]]);
  });

  it("reports queue wait, batch sizes and depth", async () => {
    const { batcher, batches } = makeBatcher({ maxQueueDelayMs: 4 });
    batcher.openStream("a");
    batcher.openStream("b");
    ignore(batcher.submit(1, { lane: "live", streamKey: "a" }));
    await vi.advanceTimersByTimeAsync(2);
    ignore(batcher.submit(2, { lane: "live", streamKey: "a" }));
    expect(batcher.stats()).toMatchObject({ queueDepth: 2, openStreams: 2, inFlight: 0 });
    await vi.advanceTimersByTimeAsync(2);
    expect(batcher.stats()).toMatchObject({ queueDepth: 0, inFlight: 2 });
    batchAt(batches, 0).finish();
    await settle();
    // Waited 4 ms and 2 ms.
    expect(batcher.stats()).toMatchObject({ batchesRun: 1, itemsRun: 2, batchSizeSum: 2, meanQueueWaitMs: 3, inFlight: 0 });
    expect(batcher.stats().batchSizes.find((b) => b.le === 2)?.count).toBe(1);
  });

  it("close rejects queued requests with model_unavailable, lets the running batch finish, refuses new work", async () => {
    const { batcher, batches } = makeBatcher();
    const running = batcher.submit(1, { lane: "live" });
    await settle();
    const queued = rejection(batcher.submit(2, { lane: "file" }));
    const closed = batcher.close();
    expect(await queued).toMatchObject({ code: "model_unavailable", retryable: true });
    batchAt(batches, 0).finish();
    await closed;
    expect(await running).toEqual({ kind: "done", output: 10 });
    expect(await rejection(batcher.submit(3, { lane: "live" }))).toMatchObject({ code: "model_unavailable" });
    expect(() => batcher.openStream("x")).toThrow(expect.objectContaining({ code: "model_unavailable" }));
    expect(batches).toHaveLength(1);
  });
});
