import type { Logger } from "../logger.js";

/** Told after each write with its label, how long it took and whether it succeeded (the engine's metrics). */
export interface WriteObserver {
  dbWrite(label: string, durationMs: number, ok: boolean): void;
}

/**
 * A room's database writes, applied one after another in the order they were made, off the message path.
 * A failed write is logged with its label and does not stop the ones after it; `flush()` waits for all so far.
 */
export class OrderedWrites {
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  #failed = 0;
  readonly #logger: Logger;
  readonly #observer: WriteObserver | null;

  constructor(logger: Logger, observer: WriteObserver | null = null) {
    this.#logger = logger;
    this.#observer = observer;
  }

  get pending(): number {
    return this.#pending;
  }

  get failed(): number {
    return this.#failed;
  }

  enqueue(label: string, write: () => Promise<void>): void {
    this.#pending += 1;
    this.#tail = this.#tail.then(async () => {
      const startedMs = performance.now();
      let ok = true;
      try {
        await write();
      } catch (error) {
        ok = false;
        this.#failed += 1;
        this.#logger.error({ err: error, write: label }, "session write failed");
      } finally {
        this.#pending -= 1;
      }
      // A throwing observer must not reject the tail: every later write would be skipped.
      try {
        this.#observer?.dbWrite(label, performance.now() - startedMs, ok);
      } catch (error) {
        this.#logger.warn({ err: error, write: label }, "write observer failed");
      }
    });
  }

  /** Resolves when every write enqueued before the call has been attempted. */
  flush(): Promise<void> {
    return this.#tail;
  }
}
