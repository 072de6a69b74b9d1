import type { AsrQueueStats } from "./asr/asr-queue.js";
import type { ModelState, PoolStatusView } from "./pool-service.js";
import type { VadBatcherStats } from "./vad/vad-batcher.js";

/** The pool's `GetStatus` view from its parts' own statistics (VAD absent while its model is not loaded). */
export function poolStatusView(input: {
  models: ModelState[];
  device: string;
  openStreams: number;
  vad: VadBatcherStats | undefined;
  asr: AsrQueueStats;
}): PoolStatusView {
  const { vad, asr } = input;
  const maxBatchSize = (vad?.batchSizes ?? []).filter((b) => b.count > 0).reduce((max, b) => Math.max(max, b.le), 0);
  return {
    models: input.models,
    executionProvider: input.device,
    openStreams: input.openStreams,
    vadPending: vad?.pendingChunks ?? 0,
    vad: {
      batches: vad?.batchesRun ?? 0,
      items: vad?.chunksProcessed ?? 0,
      meanBatchSize: vad === undefined || vad.batchesRun === 0 ? 0 : vad.batchSizeSum / vad.batchesRun,
      maxBatchSize,
      sizeBuckets: vad?.batchSizes ?? [],
      runMsTotal: vad?.runMsTotal ?? 0,
      runMsBuckets: vad?.runMs ?? [],
    },
    asr: {
      queuedLive: asr.queued.live,
      queuedFile: asr.queued.file,
      running: asr.running,
      completed: asr.completed,
      rejectedOverloaded: asr.rejected.overloaded ?? 0,
      rejectedDeadline: asr.rejected.deadline_exceeded ?? 0,
    },
    // The gRPC server fills these in from its own counters.
    server: { handlerFaults: 0, unauthenticatedCalls: 0, malformedMessages: 0 },
  };
}
