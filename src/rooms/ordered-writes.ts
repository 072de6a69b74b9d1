import type { Logger } from "../logger.js";
import { isDatabaseUnavailable } from "../persistence/database-errors.js";

/** Why an attempt failed: the database could not serve (retried while the room lives), or the write itself (bounded). */
export type WriteFailureCause = "unavailable" | "failed";
/**
 * Why a write was never persisted: it kept failing for a reason other than the database being away (`failed`), the
 * room's buffer was at its hard bound (`buffer_full`), or the room closed before the database took it (`closed`).
 */
export type WriteLossReason = "failed" | "buffer_full" | "closed";
/** A room's persistence as its state shows it: `degraded` while its buffer is over `degradedAtWrites`. */
export type Persistence = "ok" | "degraded";

/** Told what happens to a room's writes (the engine's metrics, summed over rooms). */
export interface WriteObserver {
  /** Each attempt of a write, with its label, how long it took and whether it succeeded. */
  dbWrite(label: string, durationMs: number, ok: boolean): void;
  /** An attempt failed and the write will be tried again. */
  writeRetried(label: string, cause: WriteFailureCause): void;
  /** `count` writes of `label` that will never be persisted. */
  writesLost(label: string, reason: WriteLossReason, count: number): void;
  /** The room's pending writes went up or down by `delta`. */
  writesBuffered(delta: number): void;
  /** The room's persistence became degraded (true) or ok again (false). */
  persistenceDegraded(degraded: boolean): void;
}

export interface OrderedWritesOptions {
  /** The first retry's delay; each retry doubles it up to `maxRetryDelayMs`, jittered down to half. */
  firstRetryDelayMs: number;
  maxRetryDelayMs: number;
  /** Attempts of a write that fails while the database answers (a constraint, a bug) before it is given up. */
  maxFailedAttempts: number;
  /** Pending writes at which the room's persistence is `degraded`; `ok` again at half as many. */
  degradedAtWrites: number;
  /** Pending writes past which new ones are refused (lost, logged and counted); at least `degradedAtWrites`. */
  maxWrites: number;
  /** How long `flush()` waits; the writes still pending then stay queued. */
  flushTimeoutMs: number;
  /** How long `close()` waits; the writes still pending then are lost (logged with their count, and counted). */
  closeTimeoutMs: number;
  /** [0, 1): the retry delays' jitter. */
  random: () => number;
}

/**
 * Counts, not bytes: the writes are closures. A busy meeting queues about one write a second (its analyses batch
 * each second, transcripts, joins), so 500 is ≈ 8 minutes without a database and 2,000 ≈ half an hour, a few MB.
 */
export const DEFAULT_ORDERED_WRITES_OPTIONS: OrderedWritesOptions = {
  firstRetryDelayMs: 100,
  maxRetryDelayMs: 5_000,
  maxFailedAttempts: 3,
  degradedAtWrites: 500,
  maxWrites: 2_000,
  flushTimeoutMs: 10_000,
  closeTimeoutMs: 10_000,
  random: Math.random,
};

export interface OrderedWritesDeps {
  logger: Logger;
  observer: WriteObserver | null;
  /** Told each change of the room's persistence (its state's `persistence` field). */
  onPersistence?: (persistence: Persistence) => void;
}

interface PendingWrite {
  readonly label: string;
  readonly write: () => Promise<void>;
  attempts: number;
}

interface FlushWaiter {
  /** Resolved once this many writes have settled. */
  readonly settledTarget: number;
  readonly resolve: (written: boolean) => void;
}

/**
 * A room's database writes, applied one after another in the order they were made, off the message path. Order
 * matters (a join before its leave, transitions in turn), so a failed write is retried where it stands and the ones
 * behind it wait: while the database is unavailable, for as long as the room lives (with backoff); for any other
 * failure, `maxFailedAttempts` times, then it is logged, counted and skipped. The buffer is bounded (`maxWrites`) and
 * says when it runs full (`degraded`); `close()` gives up what is still pending after its bound, logged and counted.
 */
export class OrderedWrites {
  readonly #deps: OrderedWritesDeps;
  readonly #options: OrderedWritesOptions;
  #queue: PendingWrite[] = [];
  #accepted = 0;
  #settled = 0;
  #waiters: FlushWaiter[] = [];
  #draining = false;
  #degraded = false;
  #closed = false;
  #lost = 0;
  /** Writes refused since the buffer was last below its bound (logged once when it is). */
  #refused = 0;
  #wake: (() => void) | null = null;

  constructor(deps: OrderedWritesDeps, options?: Partial<OrderedWritesOptions>) {
    this.#deps = deps;
    // Rooms without overrides share the defaults: a copy per room costs every session.
    this.#options = options === undefined ? DEFAULT_ORDERED_WRITES_OPTIONS : { ...DEFAULT_ORDERED_WRITES_OPTIONS, ...options };
  }

  /** Writes waiting or being written. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Writes that will never be persisted (every reason). */
  get lost(): number {
    return this.#lost;
  }

  get persistence(): Persistence {
    return this.#degraded ? "degraded" : "ok";
  }

  enqueue(label: string, write: () => Promise<void>): void {
    if (this.#closed) {
      this.#loseRefused(label, "closed");
      this.#deps.logger.error({ write: label }, "session write lost: made after the room's writes closed");
      return;
    }
    if (this.#queue.length >= this.#options.maxWrites) {
      if (this.#refused === 0) {
        this.#deps.logger.error({ write: label, pending: this.#queue.length }, "session writes refused: the buffer is full");
      }
      this.#refused += 1;
      this.#loseRefused(label, "buffer_full");
      return;
    }
    if (this.#refused > 0) {
      this.#deps.logger.error({ refused: this.#refused }, "session writes were lost while the buffer was full");
      this.#refused = 0;
    }
    this.#queue.push({ label, write, attempts: 0 });
    this.#accepted += 1;
    this.#notify((observer) => observer.writesBuffered(1));
    this.#updatePersistence();
    if (!this.#draining) {
      this.#draining = true;
      // Off the caller's stack, as before: the write starts once the handler that made it has returned.
      queueMicrotask(() => void this.#drain());
    }
  }

  /**
   * Resolves true once every write made before the call is written or given up, false after `timeoutMs` if some are
   * still pending (they stay queued and keep being retried). Never rejects.
   */
  flush(timeoutMs: number = this.#options.flushTimeoutMs): Promise<boolean> {
    const settledTarget = this.#accepted;
    if (this.#settled >= settledTarget) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        this.#deps.logger.warn({ pending: this.#queue.length, timeout_ms: timeoutMs }, "session writes still pending after the flush's bound");
        resolve(false);
      }, timeoutMs);
      const waiter: FlushWaiter = {
        settledTarget,
        resolve: (written) => {
          clearTimeout(timer);
          resolve(written);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /**
   * The room's last flush: waits up to `closeTimeoutMs` for every pending write (those made meanwhile too), then
   * gives up the rest, logged with their count and labels and counted as lost. Later writes are refused (lost).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    const deadline = performance.now() + this.#options.closeTimeoutMs;
    while (this.#queue.length > 0) {
      const leftMs = deadline - performance.now();
      if (leftMs <= 0 || !(await this.flush(leftMs))) break;
    }
    this.#closed = true;
    this.#abandonPending();
    if (this.#refused > 0) this.#deps.logger.error({ refused: this.#refused }, "session writes were lost while the buffer was full");
  }

  async #drain(): Promise<void> {
    try {
      for (let head = this.#queue[0]; head !== undefined && !this.#closed; head = this.#queue[0]) {
        const retryInMs = await this.#attempt(head);
        // Closed during the attempt: `close()` has already given up the queue, this write included.
        if (this.#closed) return;
        if (retryInMs === null) {
          this.#queue.shift();
          this.#settle(1);
        } else {
          await this.#sleep(retryInMs);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** One attempt of the head write: null when it is settled (written or given up), else the delay before the next. */
  async #attempt(entry: PendingWrite): Promise<number | null> {
    const startedMs = performance.now();
    try {
      await entry.write();
      this.#notify((observer) => observer.dbWrite(entry.label, performance.now() - startedMs, true));
      if (entry.attempts > 0) this.#deps.logger.info({ write: entry.label, attempts: entry.attempts + 1 }, "session write succeeded after retries");
      return null;
    } catch (error) {
      this.#notify((observer) => observer.dbWrite(entry.label, performance.now() - startedMs, false));
      entry.attempts += 1;
      const cause: WriteFailureCause = isDatabaseUnavailable(error) ? "unavailable" : "failed";
      if (cause === "failed" && entry.attempts >= this.#options.maxFailedAttempts) {
        // Not an outage: the database answered and refused this write each time. Skipped so the rest go on.
        this.#lost += 1;
        this.#notify((observer) => observer.writesLost(entry.label, "failed", 1));
        this.#deps.logger.error({ err: error, write: entry.label, attempts: entry.attempts }, "session write failed: given up");
        return null;
      }
      this.#notify((observer) => observer.writeRetried(entry.label, cause));
      // Once per write, not per retry: an outage logs the head write's first failure and its success after.
      if (entry.attempts === 1) this.#deps.logger.warn({ err: error, write: entry.label, cause, pending: this.#queue.length }, "session write failed: retrying");
      return this.#retryDelayMs(entry.attempts);
    }
  }

  /** Exponential from `firstRetryDelayMs`, capped, with "equal jitter" (half fixed, half random) so rooms spread out. */
  #retryDelayMs(attempts: number): number {
    const { firstRetryDelayMs, maxRetryDelayMs, random } = this.#options;
    const delayMs = Math.min(maxRetryDelayMs, firstRetryDelayMs * 2 ** (attempts - 1));
    return delayMs / 2 + (random() * delayMs) / 2;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
    });
  }

  /** `count` writes left the buffer: the flushes waiting on them resolve. */
  #settle(count: number): void {
    this.#settled += count;
    this.#notify((observer) => observer.writesBuffered(-count));
    this.#updatePersistence();
    const done = this.#waiters.filter((w) => w.settledTarget <= this.#settled);
    if (done.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.settledTarget > this.#settled);
    for (const waiter of done) waiter.resolve(true);
  }

  #abandonPending(): void {
    const abandoned = this.#queue;
    const waiting = this.#waiters;
    this.#queue = [];
    this.#waiters = [];
    this.#wake?.();
    if (abandoned.length > 0) {
      const byLabel = new Map<string, number>();
      for (const entry of abandoned) byLabel.set(entry.label, (byLabel.get(entry.label) ?? 0) + 1);
      this.#lost += abandoned.length;
      for (const [label, count] of byLabel) this.#notify((observer) => observer.writesLost(label, "closed", count));
      this.#deps.logger.error({ lost: abandoned.length, writes: Object.fromEntries(byLabel) }, "session writes lost: the database did not take them before the room closed");
      this.#settle(abandoned.length);
    }
    // Taken out before settling: a flush waiting on abandoned writes answers false, not "written".
    for (const waiter of waiting) waiter.resolve(false);
  }

  #loseRefused(label: string, reason: WriteLossReason): void {
    this.#lost += 1;
    this.#notify((observer) => observer.writesLost(label, reason, 1));
  }

  /** Degraded at `degradedAtWrites` pending, ok again at half: a buffer hovering at the threshold does not flap. */
  #updatePersistence(): void {
    const pending = this.#queue.length;
    const { degradedAtWrites } = this.#options;
    const degraded = this.#degraded ? pending > degradedAtWrites / 2 : pending >= degradedAtWrites;
    if (degraded === this.#degraded) return;
    this.#degraded = degraded;
    if (degraded) this.#deps.logger.warn({ pending }, "session persistence degraded: writes are piling up");
    else this.#deps.logger.info({ pending }, "session persistence ok again");
    this.#notify((observer) => observer.persistenceDegraded(degraded));
    try {
      this.#deps.onPersistence?.(this.persistence);
    } catch (error) {
      this.#deps.logger.warn({ err: error }, "persistence listener failed");
    }
  }

  /** A throwing observer must not stop the writes. */
  #notify(tell: (observer: WriteObserver) => void): void {
    const { observer } = this.#deps;
    if (observer === null) return;
    try {
      tell(observer);
    } catch (error) {
      this.#deps.logger.warn({ err: error }, "write observer failed");
    }
  }
}
