import type { PoolErrorCode } from "../pool-types.js";
import { batchSizeBounds, BucketCounts, RUN_MS_BOUNDS } from "../vad/bucket-counts.js";
import type { DynamicBatcherStats } from "./dynamic-batcher-contract.js";

type CountedStats = Omit<DynamicBatcherStats, "queueDepth" | "queueDepthByLane" | "inFlight" | "openStreams">;

/** What the dynamic batcher has done, for status; kept apart from its scheduling. */
export class BatchCounters {
  readonly #batchSizes: BucketCounts;
  readonly #runMs = new BucketCounts(RUN_MS_BOUNDS);
  #batchesRun = 0;
  #failedBatches = 0;
  #itemsRun = 0;
  #batchSizeSum = 0;
  #runMsTotal = 0;
  #started = 0;
  #queueWaitMsTotal = 0;
  #droppedStale = 0;
  #held = 0;
  readonly #rejected: Partial<Record<PoolErrorCode, number>> = {};

  constructor(maxBatchSize: number) {
    this.#batchSizes = new BucketCounts(batchSizeBounds(maxBatchSize));
  }

  started(queueWaitMs: number): void {
    this.#started += 1;
    this.#queueWaitMsTotal += queueWaitMs;
  }

  ran(batchSize: number, runMs: number, ok: boolean): void {
    this.#runMsTotal += runMs;
    this.#runMs.observe(runMs);
    if (!ok) {
      this.#failedBatches += 1;
      return;
    }
    this.#batchesRun += 1;
    this.#itemsRun += batchSize;
    this.#batchSizeSum += batchSize;
    this.#batchSizes.observe(batchSize);
  }

  /** A batch due to start was held back for the work this batcher yields to. */
  held(): void {
    this.#held += 1;
  }

  droppedStale(): void {
    this.#droppedStale += 1;
  }

  rejected(code: PoolErrorCode): void {
    this.#rejected[code] = (this.#rejected[code] ?? 0) + 1;
  }

  snapshot(): CountedStats {
    return {
      batchesRun: this.#batchesRun,
      failedBatches: this.#failedBatches,
      itemsRun: this.#itemsRun,
      batchSizes: this.#batchSizes.buckets(),
      batchSizeSum: this.#batchSizeSum,
      runMsTotal: this.#runMsTotal,
      runMs: this.#runMs.buckets(),
      droppedStale: this.#droppedStale,
      held: this.#held,
      meanQueueWaitMs: this.#started === 0 ? 0 : this.#queueWaitMsTotal / this.#started,
      rejected: { ...this.#rejected },
    };
  }
}
