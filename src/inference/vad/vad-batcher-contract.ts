import { isRetryable } from "../../protocol/error-codes.js";
import type { PoolErrorCode } from "../pool-types.js";
import type { BatchSizeBucket } from "./bucket-counts.js";

/** What the sequence batcher (vad-batcher.ts) takes and reports: the model it drives, its options, errors, stats. */

/** The model as the batcher needs it. `state` is laid out [2, B, stateSize/2] (Silero v5: [2, B, 128]). */
export interface BatchedVadModel {
  /** Samples per chunk (Silero v5: 512). */
  readonly chunkSamples: number;
  /** Floats of state per stream (Silero v5: 2 × 128 = 256). */
  readonly stateSize: number;
  runBatch(
    input: Float32Array,
    state: Float32Array,
    batchSize: number,
  ): Promise<{ probabilities: Float32Array; state: Float32Array }>;
}

export interface VadBatcherOptions {
  /** Most streams (= chunks) in one model call. */
  maxBatchSize: number;
  /** Longest a chunk waits for other open streams' chunks before a partial batch runs (never when all are ready). */
  maxWaitMs: number;
  maxStreams: number;
  /** Streams one group (a StreamAudio call, see `open`) may hold, so that no caller can take every slot. */
  maxStreamsPerGroup: number;
  /** Chunks waiting per stream (excluding the one in flight); 64 ≈ 2 s of audio. Beyond → `overloaded`. */
  maxPendingPerStream: number;
  /** A stream with nothing pending and no activity for this long is closed. */
  idleTimeoutMs: number;
  /** Told when the idle sweep closes a stream. */
  onStreamExpired?: (streamId: string) => void;
}

export const DEFAULT_VAD_BATCHER_OPTIONS: VadBatcherOptions = {
  maxBatchSize: 128,
  maxWaitMs: 4,
  maxStreams: 1024,
  maxStreamsPerGroup: 256,
  maxPendingPerStream: 64,
  idleTimeoutMs: 60_000,
};

export class VadBatcherError extends Error {
  readonly code: PoolErrorCode;
  readonly retryable: boolean;

  constructor(code: PoolErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "VadBatcherError";
    this.code = code;
    this.retryable = isRetryable(code);
  }
}

export interface VadBatcherStats {
  batchesRun: number;
  failedBatches: number;
  chunksProcessed: number;
  batchSizes: BatchSizeBucket[];
  /** Sum of batch sizes, for the histogram's mean. */
  batchSizeSum: number;
  /** Time spent in model runs. */
  runMsTotal: number;
  /** Model run time per batch (ms), same bucket shape as `batchSizes`. */
  runMs: BatchSizeBucket[];
  pendingChunks: number;
  inFlightChunks: number;
  openStreams: number;
  streamsExpired: number;
  rejected: Partial<Record<PoolErrorCode, number>>;
}
