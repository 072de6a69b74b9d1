import type { PoolErrorCode } from "../pool-types.js";
import type { BatchSizeBucket } from "../vad/bucket-counts.js";

/** The dynamic batcher's contract: its options and defaults, what a request asks for and gets, its statistics. */

export type BatchLane = "live" | "file";

export interface DynamicBatcherOptions<L extends string = BatchLane> {
  /** Most requests in one `run`. */
  maxBatchSize: number;
  /** Longest the oldest queued request waits for expected company before a partial batch runs. */
  maxQueueDelayMs: number;
  /** Requests queued (not yet running) at most; beyond → `overloaded`. */
  maxQueueSize: number;
  /** Priority order, highest first: a batch takes every queued request of a lane before the next lane's. */
  lanes: readonly L[];
  /**
   * Work of another model that goes first (the pool's live speech recognition before camera frames): while `busy()`
   * says so, a batch due to start is held back, re-checked every `recheckMs`, for at most `maxHoldMs`. Keep-newest
   * requests keep replacing their stream's queued one meanwhile, so a held batch starts with the newest frames.
   */
  yieldTo?: { busy: () => boolean; maxHoldMs: number; recheckMs: number };
}

export const DYNAMIC_BATCHER_DEFAULTS: DynamicBatcherOptions = {
  maxBatchSize: 16,
  maxQueueDelayMs: 4,
  maxQueueSize: 256,
  lanes: ["live", "file"],
};

/** Options over the defaults; a batcher with lanes of its own must name them. */
export type DynamicBatcherConfig<L extends string> = Partial<Omit<DynamicBatcherOptions<L>, "lanes">> &
  ([L] extends [BatchLane] ? { lanes?: readonly L[] } : { lanes: readonly L[] });

/** The model: one output per input, in order. */
export type BatchRun<I, O> = (inputs: I[]) => Promise<O[]>;

export type SubmitOptions<L extends string = BatchLane> = {
  lane: L;
  /** Longest the request may wait for its batch to start (ms from submit); past it → `deadline_exceeded`. */
  deadlineMs?: number;
} & (
  | { streamKey?: string; keepNewest?: false }
  /** A not-yet-started `keepNewest` request of the same stream is replaced by this one (`dropped_stale`). */
  | { streamKey: string; keepNewest: true }
);

export type BatchOutcome<O> =
  | { kind: "done"; output: O }
  | { kind: "dropped_stale" }
  /** Taken out of line unrun by `cancelQueued` (its stream's caller is gone). */
  | { kind: "cancelled" };

export interface DynamicBatcherStats {
  batchesRun: number;
  failedBatches: number;
  /** Requests that ran in a successful batch. */
  itemsRun: number;
  batchSizes: BatchSizeBucket[];
  batchSizeSum: number;
  runMsTotal: number;
  /** Run time per batch (ms), failed runs included. */
  runMs: BatchSizeBucket[];
  queueDepth: number;
  queueDepthByLane: Record<string, number>;
  inFlight: number;
  openStreams: number;
  droppedStale: number;
  /** Batches held back for the work this batcher yields to (`yieldTo`), each counted once. */
  held: number;
  /** Submit → batch start, over every request that started. */
  meanQueueWaitMs: number;
  /** Rejections by code: overloaded, deadline_exceeded, the run's failures, model_unavailable. */
  rejected: Partial<Record<PoolErrorCode, number>>;
}
