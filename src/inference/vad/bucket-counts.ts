/** One histogram bucket: values in (previous bucket's `le`, `le`]. Counts are not cumulative. */
export interface BatchSizeBucket {
  le: number;
  count: number;
}

/** Upper bounds (ms) of the VAD run-time buckets; the last one also takes anything slower. */
export const RUN_MS_BOUNDS = [0.5, 1, 2, 5, 10, 20, 50, 100, 250, 1_000, Number.POSITIVE_INFINITY];

/** Powers of two up to the largest batch (1, 2, 4, …, maxBatchSize). */
export function batchSizeBounds(maxBatchSize: number): number[] {
  const bounds: number[] = [];
  for (let le = 1; le < maxBatchSize; le *= 2) bounds.push(le);
  bounds.push(maxBatchSize);
  return bounds;
}

/** Counts of observed values per bucket of fixed bounds; a value above the last bound counts in the last bucket. */
export class BucketCounts {
  readonly #bounds: readonly number[];
  readonly #counts: number[];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.#counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    const bucket = this.#bounds.findIndex((le) => value <= le);
    const index = bucket === -1 ? this.#counts.length - 1 : bucket;
    this.#counts[index] = (this.#counts[index] ?? 0) + 1;
  }

  buckets(): BatchSizeBucket[] {
    return this.#bounds.map((le, i) => ({ le, count: this.#counts[i] ?? 0 }));
  }
}
