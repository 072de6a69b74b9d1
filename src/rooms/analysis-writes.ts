import type { AnalysisRecord, AnalysisStore } from "../persistence/analysis-store.js";
import type { OrderedWrites } from "./ordered-writes.js";

export interface AnalysisWritesOptions {
  /** A row waits at most this long for others to share its insert. */
  batchMs: number;
  /** A batch this large is written at once. */
  maxBatchRows: number;
}

export const DEFAULT_ANALYSIS_WRITES_OPTIONS: AnalysisWritesOptions = { batchMs: 1_000, maxBatchRows: 200 };

/**
 * A room's analyses, written in batches (one insert per batch) through its ordered writes, so they keep their place
 * among the room's other writes. A timer runs only while rows wait; `flush` queues what waits now.
 */
export class AnalysisWrites {
  readonly #writes: OrderedWrites;
  readonly #store: AnalysisStore;
  readonly #options: AnalysisWritesOptions;
  #rows: AnalysisRecord[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(writes: OrderedWrites, store: AnalysisStore, options?: Partial<AnalysisWritesOptions>) {
    this.#writes = writes;
    this.#store = store;
    this.#options = options === undefined ? DEFAULT_ANALYSIS_WRITES_OPTIONS : { ...DEFAULT_ANALYSIS_WRITES_OPTIONS, ...options };
  }

  add(row: AnalysisRecord): void {
    this.#rows.push(row);
    if (this.#rows.length >= this.#options.maxBatchRows) return this.flush();
    this.#timer ??= setTimeout(() => this.flush(), this.#options.batchMs);
  }

  /** Queues every waiting row as one write (the room's `writes.flush()` then waits for it). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#rows.length === 0) return;
    const batch = this.#rows;
    this.#rows = [];
    this.#writes.enqueue("analyses.batch", () => this.#store.saveAnalyses(batch));
  }
}
