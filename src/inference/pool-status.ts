import type { AsrQueueStats } from "./asr/asr-queue.js";
import type { AudioStagesStats } from "./audio-stages.js";
import type { DynamicBatcherStats } from "./batching/dynamic-batcher-contract.js";
import type { BatchStatsView, HistogramBucket, ModelServingStats, ModelStatusView, PoolStatusView, QueueStatusView } from "./pool-service.js";
import type { VadBatcherStats } from "./vad/vad-batcher-contract.js";

const NO_BATCHES: BatchStatsView = { batches: 0, items: 0, meanBatchSize: 0, maxBatchSize: 0, sizeBuckets: [], runMsTotal: 0, runMsBuckets: [] };
const NO_QUEUE: QueueStatusView = { queuedLive: 0, queuedFile: 0, running: 0, completed: 0, rejectedOverloaded: 0, rejectedDeadline: 0 };

/**
 * The pool's `GetStatus` view from its registry's models. The flat `vadPending`/`vad`/`asr` fields, which older
 * engines and today's metrics read, are the `vad` and `asr` models' own numbers (zero while a model has none).
 */
export function poolStatusView(input: { models: ModelStatusView[]; device: string; openStreams: number }): PoolStatusView {
  const vad = input.models.find((m) => m.task === "vad");
  const asr = input.models.find((m) => m.task === "asr");
  return {
    models: input.models,
    executionProvider: input.device,
    openStreams: input.openStreams,
    vadPending: vad?.queue?.queuedLive ?? 0,
    vad: vad?.batch ?? NO_BATCHES,
    asr: asr?.queue ?? NO_QUEUE,
    // The gRPC server fills these in from its own counters.
    server: { handlerFaults: 0, unauthenticatedCalls: 0, malformedMessages: 0 },
  };
}

function batchStats(batches: number, items: number, sizeSum: number, sizes: HistogramBucket[], runMsTotal: number, runMs: HistogramBucket[]): BatchStatsView {
  const maxBatchSize = sizes.filter((b) => b.count > 0).reduce((max, b) => Math.max(max, b.le), 0);
  return { batches, items, meanBatchSize: batches === 0 ? 0 : sizeSum / batches, maxBatchSize, sizeBuckets: sizes, runMsTotal, runMsBuckets: runMs };
}

/** A sequence batcher (VAD): its batches, and its chunks as one queue (waiting, in the running batch, done). */
export function sequenceBatcherServing(s: VadBatcherStats): ModelServingStats {
  return {
    batch: batchStats(s.batchesRun, s.chunksProcessed, s.batchSizeSum, s.batchSizes, s.runMsTotal, s.runMs),
    queue: {
      queuedLive: s.pendingChunks,
      queuedFile: 0,
      running: s.inFlightChunks,
      completed: s.chunksProcessed,
      rejectedOverloaded: s.rejected.overloaded ?? 0,
      rejectedDeadline: s.rejected.deadline_exceeded ?? 0,
    },
  };
}

/**
 * The priority queue in front of unbatched instances (Whisper's lanes): no batches, a live and a file queue, and
 * its interim runs when `withInterim` (the ASR queue; the speech-synthesis queue takes none).
 */
export function priorityQueueServing(s: AsrQueueStats, withInterim = false): ModelServingStats {
  return {
    ...(withInterim ? { interim: { ...s.interim } } : {}),
    batch: null,
    queue: {
      queuedLive: s.queued.live,
      queuedFile: s.queued.file,
      running: s.running,
      completed: s.completed,
      rejectedOverloaded: s.rejected.overloaded ?? 0,
      rejectedDeadline: s.rejected.deadline_exceeded ?? 0,
    },
  };
}

/** A dynamic batcher (stateless models): its batches, and its `live`/`file` lanes as the queue. */
export function dynamicBatcherServing(s: DynamicBatcherStats): ModelServingStats {
  return {
    batch: batchStats(s.batchesRun, s.itemsRun, s.batchSizeSum, s.batchSizes, s.runMsTotal, s.runMs),
    queue: {
      queuedLive: s.queueDepthByLane["live"] ?? 0,
      queuedFile: s.queueDepthByLane["file"] ?? 0,
      running: s.inFlight,
      completed: s.itemsRun,
      rejectedOverloaded: s.rejected.overloaded ?? 0,
      rejectedDeadline: s.rejected.deadline_exceeded ?? 0,
    },
  };
}

/**
 * A per-stream stage (RNNoise): each run is one stream's chunk through its own state (a batch of one), the queue is
 * the audio held while its model loads, and its per-stream states are counted (open now, opened, freed and why).
 */
export function streamStageServing(s: AudioStagesStats): ModelServingStats {
  return {
    batch: batchStats(s.runs, s.runs, s.runs, s.runs === 0 ? [] : [{ le: 1, count: s.runs }], s.runMsTotal, s.runMs),
    queue: {
      queuedLive: s.heldChunks,
      queuedFile: 0,
      running: 0,
      completed: s.runs,
      rejectedOverloaded: s.rejectedOverloaded,
      rejectedDeadline: 0,
    },
    streamStates: s.states,
  };
}
