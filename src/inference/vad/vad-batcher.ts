import type { PoolErrorCode } from "../pool-types.js";
import { readStreamState, writeStreamState } from "./batched-state.js";
import { batchSizeBounds, BucketCounts, RUN_MS_BOUNDS } from "./bucket-counts.js";
import { FairReadyQueue } from "./fair-ready-queue.js";
import {
  DEFAULT_VAD_BATCHER_OPTIONS,
  VadBatcherError,
  type BatchedVadModel,
  type VadBatcherOptions,
  type VadBatcherStats,
} from "./vad-batcher-contract.js";

/**
 * Sequence batching for the stateful VAD (Triton's sequence batcher, in process): each stream owns a recurrent state;
 * chunks from many streams run together in one model call, one chunk per stream per batch, since a stream's next
 * chunk needs the state its previous chunk produced. Streams belong to groups (the pool: one per StreamAudio call):
 * a batch takes ready streams round-robin across groups, and a group holds at most `maxStreamsPerGroup` streams.
 *
 * When a batch runs: at once when it is full, or when every open stream has a chunk ready (nobody else can join, so
 * waiting would only add latency: a lone stream never waits); otherwise once its oldest chunk is `maxWaitMs` old,
 * since the streams without a chunk are expected to send one. "At once" is the end of the current turn (a
 * microtask), so streams opened and fed in the same turn share the batch.
 *
 * Lifecycle of pending work:
 * - `closeStream(id)` frees the state at once. Chunks still waiting reject with `unknown_stream`; a chunk already in
 *   the running batch resolves with its probability (it was computed) and its new state is discarded, so a stream
 *   reopened under the same id starts from zero state.
 * - A stream with no pending chunk and no activity for `idleTimeoutMs` is closed the same way (the sweep runs every
 *   `idleTimeoutMs / 2`, so it goes between 1× and 1.5× that) and `onStreamExpired` is told.
 * - `close()` stops the timers and rejects every waiting chunk with `model_unavailable`; it resolves once the batch in
 *   flight (whose chunks still resolve) has settled, so the owner can release the model session after it.
 * - A failed model run rejects that batch's chunks with `internal` (retryable); their streams keep the state they had.
 */

interface PendingChunk {
  chunk: Float32Array;
  enqueuedAtMs: number;
  resolve: (probability: number) => void;
  reject: (error: Error) => void;
}

interface StreamEntry {
  readonly id: string;
  /** Its owner; batches are filled round-robin across groups. */
  readonly group: string;
  state: Float32Array;
  /** FIFO of chunks waiting; the head runs in the next batch that takes this stream. */
  pending: PendingChunk[];
  inFlight: boolean;
  lastActiveMs: number;
}

export class VadBatcher {
  readonly options: VadBatcherOptions;
  private readonly model: BatchedVadModel;
  private readonly streams = new Map<string, StreamEntry>();
  /** Streams whose head chunk can join the next batch, roughly oldest first. */
  private readonly ready = new FairReadyQueue<StreamEntry>();
  /** Open streams per group. */
  private readonly groupSizes = new Map<string, number>();
  /** A model run is in flight; the next batch accumulates meanwhile. */
  private busy = false;
  /** That run, for `close()` to wait on. */
  private running: Promise<void> | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  /** A check for "every open stream is ready" is queued for the end of this turn. */
  private checkQueued = false;
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  private readonly batchSizes: BucketCounts;
  private readonly runMs = new BucketCounts(RUN_MS_BOUNDS);
  private batchesRun = 0;
  private failedBatches = 0;
  private chunksProcessed = 0;
  private batchSizeSum = 0;
  private runMsTotal = 0;
  private pendingChunks = 0;
  private inFlightChunks = 0;
  private streamsExpired = 0;
  private readonly rejected: Partial<Record<PoolErrorCode, number>> = {};

  constructor(model: BatchedVadModel, options: Partial<VadBatcherOptions> = {}) {
    this.options = { ...DEFAULT_VAD_BATCHER_OPTIONS, ...options };
    if (model.stateSize % 2 !== 0) throw new VadBatcherError("internal", "stateSize must be even ([2, B, H])");
    if (this.options.maxBatchSize < 1) throw new VadBatcherError("internal", "maxBatchSize must be at least 1");
    this.model = model;
    this.batchSizes = new BucketCounts(batchSizeBounds(this.options.maxBatchSize));
    const sweepEveryMs = Math.max(1, this.options.idleTimeoutMs / 2);
    this.sweepTimer = setInterval(() => this.sweepIdle(), sweepEveryMs);
    // Timers must not keep a draining process alive.
    this.sweepTimer.unref();
  }

  /** `group` names the stream's owner (default: the stream alone) for the per-group bound and fair batching. */
  open(streamId: string, group: string = streamId): void {
    if (this.closed) throw this.fail("model_unavailable", "VAD batcher is closed");
    if (this.streams.has(streamId)) throw this.fail("stream_exists", `stream ${streamId} is already open`);
    if (this.streams.size >= this.options.maxStreams) {
      throw this.fail("too_many_streams", `at most ${this.options.maxStreams} VAD streams`);
    }
    const groupSize = this.groupSizes.get(group) ?? 0;
    if (groupSize >= this.options.maxStreamsPerGroup) {
      throw this.fail("too_many_streams", `at most ${this.options.maxStreamsPerGroup} VAD streams per call`);
    }
    this.groupSizes.set(group, groupSize + 1);
    this.streams.set(streamId, {
      id: streamId,
      group,
      state: new Float32Array(this.model.stateSize),
      pending: [],
      inFlight: false,
      lastActiveMs: performance.now(),
    });
  }

  has(streamId: string): boolean {
    return this.streams.has(streamId);
  }

  /** Resolves with this chunk's speech probability. The chunk is copied: the caller may reuse its buffer. */
  enqueue(streamId: string, chunk: Float32Array): Promise<number> {
    if (this.closed) return Promise.reject(this.fail("model_unavailable", "VAD batcher is closed"));
    const entry = this.streams.get(streamId);
    if (entry === undefined) {
      return Promise.reject(this.fail("unknown_stream", `stream ${streamId} is not open`));
    }
    if (chunk.length !== this.model.chunkSamples) {
      return Promise.reject(
        this.fail("invalid_audio", `chunk has ${chunk.length} samples, expected ${this.model.chunkSamples}`),
      );
    }
    if (entry.pending.length >= this.options.maxPendingPerStream) {
      return Promise.reject(this.fail("overloaded", `stream ${streamId} has too many chunks pending`));
    }
    const now = performance.now();
    entry.lastActiveMs = now;
    return new Promise<number>((resolve, reject) => {
      entry.pending.push({ chunk: chunk.slice(), enqueuedAtMs: now, resolve, reject });
      this.pendingChunks += 1;
      if (entry.pending.length === 1 && !entry.inFlight) this.markReady(entry);
    });
  }

  /** Frees the stream's state; returns whether it was open. Waiting chunks reject with `unknown_stream`. */
  closeStream(streamId: string): boolean {
    const entry = this.streams.get(streamId);
    if (entry === undefined) return false;
    this.drop(entry, () => this.fail("unknown_stream", `stream ${streamId} was closed`));
    return true;
  }

  /** Stops timers, rejects waiting chunks; resolves once the batch in flight has settled. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.sweepTimer);
      this.clearBatchTimer();
      for (const entry of [...this.streams.values()]) {
        this.drop(entry, () => this.fail("model_unavailable", "VAD batcher is closed"));
      }
    }
    await this.running;
  }

  stats(): VadBatcherStats {
    return {
      batchesRun: this.batchesRun,
      failedBatches: this.failedBatches,
      chunksProcessed: this.chunksProcessed,
      batchSizes: this.batchSizes.buckets(),
      batchSizeSum: this.batchSizeSum,
      runMsTotal: this.runMsTotal,
      runMs: this.runMs.buckets(),
      pendingChunks: this.pendingChunks,
      inFlightChunks: this.inFlightChunks,
      openStreams: this.streams.size,
      streamsExpired: this.streamsExpired,
      rejected: { ...this.rejected },
    };
  }

  /** The two counters a poller needs (chunks run, chunks waiting), without the histograms `stats()` copies. */
  progress(): { processed: number; pending: number } {
    return { processed: this.chunksProcessed, pending: this.pendingChunks };
  }

  private markReady(entry: StreamEntry): void {
    this.ready.add(entry);
    if (this.busy) return; // the batch's completion schedules the next one
    if (this.ready.size >= this.options.maxBatchSize) this.startBatch();
    else if (this.allReady()) this.startAtEndOfTurn();
    // Neither a timer nor a check pending means nothing else was ready, so this chunk is the oldest.
    else if (this.batchTimer === undefined && !this.checkQueued) this.armBatchTimer(this.options.maxWaitMs);
  }

  /** Every open stream has a chunk ready: nobody else can join (asked only while no batch runs: none in flight). */
  private allReady(): boolean {
    return this.ready.size > 0 && this.ready.size >= this.streams.size;
  }

  /** Runs the batch at the end of this turn (streams fed in it join), if all are still ready; else the window. */
  private startAtEndOfTurn(): void {
    if (this.checkQueued) return;
    this.checkQueued = true;
    queueMicrotask(() => {
      this.checkQueued = false;
      if (this.busy || this.closed || this.ready.size === 0) return;
      if (this.allReady()) this.startBatch();
      else if (this.batchTimer === undefined) this.schedule();
    });
  }

  /** Called when idle (no batch in flight): run now, or arm the timer for the oldest ready chunk. */
  private schedule(): void {
    this.clearBatchTimer();
    if (this.closed || this.ready.size === 0) return;
    // All ready: start here, not at the end of the turn, so the model runs while this thread handles the results.
    if (this.ready.size >= this.options.maxBatchSize || this.allReady()) {
      this.startBatch();
      return;
    }
    let oldest = Infinity;
    for (const entry of this.ready.entries()) oldest = Math.min(oldest, entry.pending[0]?.enqueuedAtMs ?? Infinity);
    const dueInMs = oldest + this.options.maxWaitMs - performance.now();
    if (dueInMs <= 0) this.startBatch();
    else this.armBatchTimer(dueInMs);
  }

  private armBatchTimer(delayMs: number): void {
    this.batchTimer = setTimeout(() => {
      this.batchTimer = undefined;
      if (!this.busy) this.startBatch();
    }, delayMs);
    this.batchTimer.unref();
  }

  private clearBatchTimer(): void {
    if (this.batchTimer !== undefined) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
  }

  private startBatch(): void {
    this.clearBatchTimer();
    const rows: { entry: StreamEntry; job: PendingChunk }[] = [];
    for (const entry of this.ready.take(this.options.maxBatchSize)) {
      const job = entry.pending.shift();
      if (job === undefined) continue;
      entry.inFlight = true;
      rows.push({ entry, job });
    }
    if (rows.length === 0) return;
    this.pendingChunks -= rows.length;
    this.inFlightChunks = rows.length;
    this.busy = true;
    this.running = this.runBatch(rows);
  }

  private async runBatch(rows: { entry: StreamEntry; job: PendingChunk }[]): Promise<void> {
    const batchSize = rows.length;
    const { chunkSamples, stateSize } = this.model;
    const input = new Float32Array(batchSize * chunkSamples);
    const state = new Float32Array(batchSize * stateSize);
    rows.forEach(({ entry, job }, row) => {
      input.set(job.chunk, row * chunkSamples);
      writeStreamState(state, batchSize, row, entry.state);
    });

    const startedMs = performance.now();
    let output: { probabilities: Float32Array; state: Float32Array } | undefined;
    let failure: unknown;
    try {
      // Through a promise so that a model throwing synchronously still completes after `running` is set.
      const result = await Promise.resolve().then(() => this.model.runBatch(input, state, batchSize));
      if (result.probabilities.length < batchSize || result.state.length !== batchSize * stateSize) {
        const shape = `${result.probabilities.length} probabilities, ${result.state.length} state floats`;
        throw new Error(`VAD output for a batch of ${batchSize} has ${shape}`);
      }
      output = result;
    } catch (error) {
      failure = error;
    }
    const finishedMs = performance.now();
    this.runMsTotal += finishedMs - startedMs;
    this.runMs.observe(finishedMs - startedMs);
    // Book-keeping first: callers resuming on these results must see the batch as finished.
    this.busy = false;
    this.running = undefined;
    this.inFlightChunks = 0;

    rows.forEach(({ entry, job }, row) => {
      entry.inFlight = false;
      entry.lastActiveMs = finishedMs;
      const current = this.streams.get(entry.id) === entry;
      if (output === undefined) {
        job.reject(this.fail("internal", "VAD model run failed", failure));
      } else {
        // A stream closed meanwhile (or reopened as a new entry) must not get this state.
        if (current) entry.state = readStreamState(output.state, batchSize, row, stateSize);
        job.resolve(output.probabilities[row] ?? 0);
      }
      if (current && entry.pending.length > 0) this.ready.add(entry);
    });

    if (output === undefined) {
      this.failedBatches += 1;
    } else {
      this.batchesRun += 1;
      this.chunksProcessed += batchSize;
      this.batchSizeSum += batchSize;
      this.batchSizes.observe(batchSize);
    }
    this.schedule();
  }

  private sweepIdle(): void {
    const cutoff = performance.now() - this.options.idleTimeoutMs;
    for (const entry of [...this.streams.values()]) {
      if (entry.inFlight || entry.pending.length > 0 || entry.lastActiveMs > cutoff) continue;
      this.drop(entry, () => this.fail("unknown_stream", `stream ${entry.id} expired`));
      this.streamsExpired += 1;
      this.options.onStreamExpired?.(entry.id);
    }
  }

  private drop(entry: StreamEntry, error: () => VadBatcherError): void {
    this.streams.delete(entry.id);
    this.ready.delete(entry);
    const groupSize = (this.groupSizes.get(entry.group) ?? 1) - 1;
    if (groupSize > 0) this.groupSizes.set(entry.group, groupSize);
    else this.groupSizes.delete(entry.group);
    const waiting = entry.pending;
    entry.pending = [];
    this.pendingChunks -= waiting.length;
    for (const job of waiting) job.reject(error());
    // The stream gone may be the one the ready ones were waiting for.
    if (!this.busy && !this.closed && this.allReady()) this.startAtEndOfTurn();
  }

  private fail(code: PoolErrorCode, message: string, cause?: unknown): VadBatcherError {
    this.rejected[code] = (this.rejected[code] ?? 0) + 1;
    return new VadBatcherError(code, message, cause);
  }
}
