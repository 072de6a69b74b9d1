import type { Logger } from "../logger.js";

/**
 * A room's database writes, applied one after another in the order they were made, off the message path.
 * A failed write is logged with its label and does not stop the ones after it; `flush()` waits for all so far.
 */
export class OrderedWrites {
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  #failed = 0;
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
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
      try {
        await write();
      } catch (error) {
        this.#failed += 1;
        this.#logger.error({ err: error, write: label }, "session write failed");
      } finally {
        this.#pending -= 1;
      }
    });
  }

  /** Resolves when every write enqueued before the call has been attempted. */
  flush(): Promise<void> {
    return this.#tail;
  }
}
