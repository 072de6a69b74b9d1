import { PoolError } from "../pool-error.js";
import { poolErrorCodeOf, type PoolErrorCode } from "../pool-types.js";
import { BatchCounters } from "./batch-counters.js";
import {
  DYNAMIC_BATCHER_DEFAULTS,
  type BatchLane,
  type BatchOutcome,
  type BatchRun,
  type DynamicBatcherConfig,
  type DynamicBatcherOptions,
  type DynamicBatcherStats,
  type SubmitOptions,
} from "./dynamic-batcher-contract.js";
import { LaneQueue } from "./lane-queue.js";

export * from "./dynamic-batcher-contract.js";

/**
 * Dynamic batching for stateless models (Triton's `dynamic_batching`, in process): requests queue per model and run
 * together in one `run(inputs)`, one batch in flight at a time (the model session is the unit); the next batch is
 * formed from what queued meanwhile, highest lane first, first in first out within a lane.
 *
 * When a batch runs: at once when it is full, or when nobody else can come: every open stream (`openStream`) has a
 * request queued, which includes there being no open stream at all (a lone file request). Otherwise the batch waits
 * for the streams that are expected, at most until its oldest request has waited `maxQueueDelayMs`. "At once" for a
 * batch that is not full is the end of the current turn (a microtask), so requests submitted together share it.
 *
 * Outcomes: a request resolves `done` with its own output, or `dropped_stale` when a newer `keepNewest` request of
 * the same stream replaced it before it started (not an error: that is how video keeps latency flat when the model
 * falls behind; the newer one takes its place in line). Errors reject with a `PoolError`: `overloaded` (queue full,
 * at once), `deadline_exceeded` (waited past its deadline; it never runs), the run's failure for every request of
 * that batch (its pool code if it carries one, else `internal`), `model_unavailable` once closed.
 *
 * A model whose graph fixes batch size 1 (BlazeFace) runs here with `maxBatchSize: 1`: every batch is full at once,
 * so items run one at a time and never wait.
 */

interface Request<I, O, L extends string> {
  readonly input: I;
  readonly lane: L;
  readonly streamKey: string | undefined;
  readonly keepNewest: boolean;
  readonly submittedAtMs: number;
  /** Its place in line since then: a replacing frame inherits the replaced one's. */
  queuedAtMs: number;
  readonly deadlineAtMs: number;
  deadlineTimer: NodeJS.Timeout | undefined;
  resolve(outcome: BatchOutcome<O>): void;
  reject(error: PoolError): void;
}

export class DynamicBatcher<I, O, L extends string = BatchLane> {
  readonly options: DynamicBatcherOptions<L>;
  readonly #run: BatchRun<I, O>;
  readonly #queue: LaneQueue<L, Request<I, O, L>>;
  readonly #counters: BatchCounters;
  /** The queued `keepNewest` request of each stream. */
  readonly #newest = new Map<string, Request<I, O, L>>();
  /** Queued requests per stream key, open or not. */
  readonly #queuedByStream = new Map<string, number>();
  readonly #openStreams = new Set<string>();
  /** Open streams with a request queued: when it equals the open count, nobody else can come. */
  #present = 0;
  #busy = false;
  #running: Promise<void> | undefined;
  /** When the batch now due was first held back for the work it yields to (undefined: not held). */
  #heldSinceMs: number | undefined;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #checkQueued = false;
  #closed = false;

  constructor(run: BatchRun<I, O>, options: DynamicBatcherConfig<L>) {
    // The defaults' lanes stand only where L is the default lane type (the config type makes others name theirs).
    this.options = { ...DYNAMIC_BATCHER_DEFAULTS, ...options } as DynamicBatcherOptions<L>;
    const { maxBatchSize, maxQueueDelayMs, maxQueueSize, lanes } = this.options;
    for (const [name, value] of [["maxBatchSize", maxBatchSize], ["maxQueueSize", maxQueueSize]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number ≥ 1`);
    }
    if (!(maxQueueDelayMs >= 0)) throw new RangeError("maxQueueDelayMs must be ≥ 0");
    if (lanes.length === 0 || new Set(lanes).size !== lanes.length) throw new RangeError("lanes: distinct, ≥ 1");
    this.#run = run;
    this.#queue = new LaneQueue(lanes);
    this.#counters = new BatchCounters(maxBatchSize);
  }

  /** A stream whose requests a partial batch waits for (up to `maxQueueDelayMs`). */
  openStream(key: string): void {
    if (this.#closed) throw this.#fail("model_unavailable", "batcher is closed");
    if (this.#openStreams.has(key)) throw this.#fail("stream_exists", `stream ${key} is already open`);
    this.#openStreams.add(key);
    if ((this.#queuedByStream.get(key) ?? 0) > 0) this.#present += 1;
  }

  /** No longer waited for; its queued requests stay queued and run. Returns whether it was open. */
  closeStream(key: string): boolean {
    if (!this.#openStreams.delete(key)) return false;
    if ((this.#queuedByStream.get(key) ?? 0) > 0) this.#present -= 1;
    // It may have been the stream the queued requests were waiting for.
    this.#kick();
    return true;
  }

  /**
   * Takes the stream's queued keep-newest request out of line, unrun: it resolves `cancelled`. For a stream whose
   * caller is gone (a call ended): its frame would otherwise still run, for nobody, ahead of live streams' frames.
   * Returns whether one was queued.
   */
  cancelQueued(key: string): boolean {
    const request = this.#newest.get(key);
    if (request === undefined || !this.#queue.remove(request.lane, request)) return false;
    this.#unlist(request);
    request.resolve({ kind: "cancelled" });
    this.#kick();
    return true;
  }

  submit(input: I, options: SubmitOptions<L>): Promise<BatchOutcome<O>> {
    const { lane, streamKey, deadlineMs } = options;
    if (this.#closed) return Promise.reject(this.#fail("model_unavailable", "batcher is closed"));
    if (!this.#queue.hasLane(lane)) return Promise.reject(this.#fail("internal", `no lane ${lane}`));
    if (deadlineMs !== undefined && !(deadlineMs > 0)) {
      return Promise.reject(this.#fail("deadline_exceeded", "the request's deadline has passed"));
    }
    const stale = options.keepNewest === true ? this.#newest.get(options.streamKey) : undefined;
    // A replacement does not grow the queue, so it is never refused for size.
    if (stale === undefined && this.#queue.size >= this.options.maxQueueSize) {
      return Promise.reject(this.#fail("overloaded", `${this.#queue.size} requests queued`));
    }
    const nowMs = performance.now();
    return new Promise<BatchOutcome<O>>((resolve, reject) => {
      const request: Request<I, O, L> = {
        input,
        lane,
        streamKey,
        keepNewest: options.keepNewest === true,
        submittedAtMs: nowMs,
        queuedAtMs: nowMs,
        deadlineAtMs: deadlineMs === undefined ? Number.POSITIVE_INFINITY : nowMs + deadlineMs,
        deadlineTimer: undefined,
        resolve,
        reject,
      };
      if (stale !== undefined && stale.lane === lane) {
        request.queuedAtMs = stale.queuedAtMs;
        this.#queue.replace(lane, stale, request);
      } else {
        if (stale !== undefined) this.#queue.remove(stale.lane, stale);
        this.#queue.push(lane, request);
      }
      if (stale !== undefined) {
        this.#unlist(stale);
        this.#counters.droppedStale();
        stale.resolve({ kind: "dropped_stale" });
      }
      this.#enlist(request);
      if (deadlineMs !== undefined) {
        request.deadlineTimer = setTimeout(() => this.#expire(request), deadlineMs);
        request.deadlineTimer.unref();
      }
      this.#kick();
    });
  }

  /** Rejects everything queued with `model_unavailable`; resolves once the batch in flight has settled. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#clearTimer();
      for (const request of this.#queue.clear()) {
        this.#unlist(request);
        request.reject(this.#fail("model_unavailable", "batcher is closed"));
      }
      this.#openStreams.clear();
      this.#present = 0;
    }
    await this.#running;
  }

  stats(): DynamicBatcherStats {
    return {
      ...this.#counters.snapshot(),
      queueDepth: this.#queue.size,
      queueDepthByLane: Object.fromEntries(this.options.lanes.map((lane) => [lane, this.#queue.sizeOf(lane)])),
      inFlight: this.#inFlight,
      openStreams: this.#openStreams.size,
    };
  }

  /** Book-keeping of a request entering the queue (the queue itself already holds it). */
  #enlist(request: Request<I, O, L>): void {
    const key = request.streamKey;
    if (key === undefined) return;
    if (request.keepNewest) this.#newest.set(key, request);
    const queued = (this.#queuedByStream.get(key) ?? 0) + 1;
    this.#queuedByStream.set(key, queued);
    if (queued === 1 && this.#openStreams.has(key)) this.#present += 1;
  }

  /** The converse, as a request leaves the queue (started, replaced, expired, closed). */
  #unlist(request: Request<I, O, L>): void {
    if (request.deadlineTimer !== undefined) clearTimeout(request.deadlineTimer);
    request.deadlineTimer = undefined;
    const key = request.streamKey;
    if (key === undefined) return;
    if (this.#newest.get(key) === request) this.#newest.delete(key);
    const queued = (this.#queuedByStream.get(key) ?? 1) - 1;
    if (queued > 0) this.#queuedByStream.set(key, queued);
    else this.#queuedByStream.delete(key);
    if (queued === 0 && this.#openStreams.has(key)) this.#present -= 1;
  }

  #expire(request: Request<I, O, L>): void {
    request.deadlineTimer = undefined;
    if (!this.#queue.remove(request.lane, request)) return;
    this.#unlist(request);
    request.reject(this.#fail("deadline_exceeded", "the request waited past its deadline"));
    this.#kick();
  }

  /** Every open stream has a request queued (or none is open): no one else can join the next batch. */
  #nobodyExpected(): boolean {
    return this.#present >= this.#openStreams.size;
  }

  /** While idle, after a submit, an expiry or a close: run now, at the end of this turn, or when the oldest is due. */
  #kick(): void {
    if (this.#busy || this.#closed) return; // a batch's completion schedules the next one
    if (this.#queue.size === 0) this.#clearTimer();
    else if (this.#queue.size >= this.options.maxBatchSize) this.#startBatch();
    else if (this.#nobodyExpected()) this.#startAtEndOfTurn();
    else if (this.#timer === undefined && !this.#checkQueued) this.#armTimer();
  }

  /** After a batch: the next one at once (the model works while this thread hands out results) or when due. */
  #schedule(): void {
    this.#clearTimer();
    if (this.#closed || this.#queue.size === 0) return;
    if (this.#queue.size >= this.options.maxBatchSize || this.#nobodyExpected()) this.#startBatch();
    else this.#armTimer();
  }

  /** At the end of this turn, so that requests submitted together share the batch; re-checked then. */
  #startAtEndOfTurn(): void {
    if (this.#checkQueued) return;
    this.#checkQueued = true;
    queueMicrotask(() => {
      this.#checkQueued = false;
      if (this.#busy || this.#closed || this.#queue.size === 0) return;
      if (this.#nobodyExpected()) this.#startBatch();
      else if (this.#timer === undefined) this.#armTimer();
    });
  }

  #armTimer(): void {
    let oldestMs = Number.POSITIVE_INFINITY;
    for (const head of this.#queue.heads()) oldestMs = Math.min(oldestMs, head.queuedAtMs);
    const dueInMs = oldestMs + this.options.maxQueueDelayMs - performance.now();
    if (dueInMs <= 0) {
      this.#startBatch();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // The request the timer was set for may have gone (expired, moved lane): re-check rather than start blindly.
      if (!this.#busy && !this.#closed && this.#queue.size > 0) this.#armTimer();
    }, dueInMs);
    this.#timer.unref();
  }

  /** True (and a re-check armed) while the work this batcher yields to is busy and the hold has not run out. */
  #holdBack(nowMs: number): boolean {
    const yieldTo = this.options.yieldTo;
    if (yieldTo === undefined || !yieldTo.busy()) {
      this.#heldSinceMs = undefined;
      return false;
    }
    if (this.#heldSinceMs === undefined) {
      this.#heldSinceMs = nowMs;
      this.#counters.held();
    }
    if (nowMs - this.#heldSinceMs >= yieldTo.maxHoldMs) {
      this.#heldSinceMs = undefined;
      return false;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#busy && !this.#closed && this.#queue.size > 0) this.#startBatch();
    }, yieldTo.recheckMs);
    this.#timer.unref();
    return true;
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #startBatch(): void {
    this.#clearTimer();
    const nowMs = performance.now();
    if (this.#holdBack(nowMs)) return;
    const batch: Request<I, O, L>[] = [];
    while (batch.length < this.options.maxBatchSize) {
      const request = this.#queue.shift();
      if (request === undefined) break;
      this.#unlist(request);
      // A timer can fire late on a busy loop: the deadline is checked here too, and an expired request never runs.
      if (request.deadlineAtMs <= nowMs) {
        request.reject(this.#fail("deadline_exceeded", "the request waited past its deadline"));
        continue;
      }
      this.#counters.started(nowMs - request.submittedAtMs);
      batch.push(request);
    }
    if (batch.length === 0) return;
    this.#busy = true;
    this.#inFlight = batch.length;
    this.#running = this.#runBatch(batch);
  }

  async #runBatch(batch: Request<I, O, L>[]): Promise<void> {
    const startedMs = performance.now();
    let outputs: O[] | undefined;
    let failure: unknown;
    try {
      // Through a promise so that a run throwing synchronously still completes after `#running` is set.
      const result = await Promise.resolve().then(() => this.#run(batch.map((request) => request.input)));
      if (!Array.isArray(result) || result.length !== batch.length) {
        const got = Array.isArray(result) ? result.length : "no";
        throw new Error(`run returned ${got} outputs for ${batch.length} inputs`);
      }
      outputs = result;
    } catch (error) {
      failure = error;
    }
    this.#counters.ran(batch.length, performance.now() - startedMs, outputs !== undefined);
    // Book-keeping first: callers resuming on these outcomes must see the batch as finished.
    this.#busy = false;
    this.#running = undefined;
    this.#inFlight = 0;
    if (outputs === undefined) {
      const code = poolErrorCodeOf(failure);
      const message = failure instanceof Error ? failure.message : "model run failed";
      for (const request of batch) request.reject(this.#fail(code, message, failure));
    } else {
      outputs.forEach((output, i) => batch[i]?.resolve({ kind: "done", output }));
    }
    this.#schedule();
  }

  #fail(code: PoolErrorCode, message: string, cause?: unknown): PoolError {
    this.#counters.rejected(code);
    return new PoolError(code, message, cause === undefined ? undefined : { cause });
  }
}
