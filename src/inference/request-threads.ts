import type { Worker } from "node:worker_threads";
import type { Logger } from "../logger.js";
import { PoolError } from "./pool-error.js";
import type { ThreadReplyEnvelope, ThreadRequestEnvelope } from "./request-thread-port.js";
import { startModuleWorker } from "./worker-entry.js";

export interface RequestThreadsOptions {
  /** The caller's `import.meta.url`, and the thread's module next to it (relative, without extension). */
  callerUrl: string;
  entry: string;
  /** In logs and errors: "JPEG decoding", "WAV decoding". */
  name: string;
  /** Most threads started at once. */
  threads: number;
}

export interface RequestThreadsStats {
  /** The most threads it starts. */
  threads: number;
  /** Threads running now (started and not exited). */
  live: number;
  /** Requests sent and not answered yet, over every thread. */
  inFlight: number;
  /** Requests answered by each thread slot since start (a restarted thread keeps its slot's count). */
  answered: number[];
  /** Threads that stopped without being closed (each started again on the next request). */
  restarts: number;
}

interface Pending<Rep> {
  resolve: (reply: Rep) => void;
  reject: (error: Error) => void;
}

interface Slot<Rep> {
  worker: Worker | null;
  pending: Map<number, Pending<Rep>>;
  answered: number;
}

/**
 * A small set of worker threads that each answer requests, one reply per request (the thread side is
 * `serveRequests`, request-thread-port.ts). Work that costs CPU in proportion to its input (decoding a camera frame,
 * a WAV recording) runs there, so the pool's event loop, which carries every live stream, never waits for it.
 *
 * - A request goes to the started thread with the fewest requests in flight; a further thread is started only when
 *   every started one is busy, so a light load keeps one thread (one warm JIT, one heap).
 * - Threads start on first use and again after one dies: a thread's death fails only its own requests in flight
 *   (`internal`), every other thread goes on.
 * - `close()` fails what is in flight with `model_unavailable` (retryable: another pool can take it) and terminates
 *   every thread; later requests get the same answer.
 */
export class RequestThreads<Req, Rep> {
  readonly #options: RequestThreadsOptions;
  readonly #logger: Logger;
  readonly #slots: Slot<Rep>[];
  /** Threads started and not exited yet (an `exit` event takes each out, whoever stopped it). */
  readonly #running = new Set<Worker>();
  #nextId = 0;
  #restarts = 0;
  #closed = false;

  constructor(logger: Logger, options: RequestThreadsOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new RangeError("threads must be a whole number ≥ 1");
    this.#options = options;
    this.#logger = logger;
    this.#slots = Array.from({ length: options.threads }, () => ({ worker: null, pending: new Map(), answered: 0 }));
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.#slots.reduce((sum, slot) => sum + slot.pending.size, 0);
  }

  /**
   * Sends `body` to a thread; resolves with its reply, whatever the reply says (the caller reads its own error
   * replies). Buffers in `transfer` move to the thread: the caller must not use them afterwards.
   */
  request(body: Req, transfer: readonly ArrayBuffer[] = []): Promise<Rep> {
    if (this.#closed) return Promise.reject(stopping());
    const slot = this.#pick();
    const worker = slot.worker ?? this.#start(slot);
    const id = (this.#nextId += 1);
    const envelope: ThreadRequestEnvelope<Req> = { id, body };
    return new Promise<Rep>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      try {
        worker.postMessage(envelope, [...transfer]);
      } catch (error) {
        // Not sendable (a buffer already detached, a value that cannot be cloned): this request alone fails.
        slot.pending.delete(id);
        reject(new PoolError("internal", `could not hand the request to the ${this.#options.name} thread`, { cause: error }));
      }
    });
  }

  stats(): RequestThreadsStats {
    return {
      threads: this.#slots.length,
      live: this.#running.size,
      inFlight: this.inFlight,
      answered: this.#slots.map((slot) => slot.answered),
      restarts: this.#restarts,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const workers: Worker[] = [];
    for (const slot of this.#slots) {
      failAll(slot, stopping());
      if (slot.worker !== null) workers.push(slot.worker);
      slot.worker = null;
    }
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  /** The least busy started thread; an unstarted slot only when every started thread has work. */
  #pick(): Slot<Rep> {
    let best: Slot<Rep> | undefined;
    let idle: Slot<Rep> | undefined;
    for (const slot of this.#slots) {
      if (slot.worker === null) {
        idle ??= slot;
        continue;
      }
      if (best === undefined || slot.pending.size < best.pending.size) best = slot;
    }
    if (best !== undefined && (best.pending.size === 0 || idle === undefined)) return best;
    // `#slots` has at least one entry (checked in the constructor), so one of the two is set.
    return idle ?? best ?? (this.#slots[0] as Slot<Rep>);
  }

  #start(slot: Slot<Rep>): Worker {
    const worker = startModuleWorker(this.#options.callerUrl, this.#options.entry);
    // An idle thread must not keep the process alive (the servers do that).
    worker.unref();
    worker.on("message", (reply: ThreadReplyEnvelope<Rep>) => {
      const pending = slot.pending.get(reply.id);
      if (pending === undefined) return;
      slot.pending.delete(reply.id);
      slot.answered += 1;
      pending.resolve(reply.body);
    });
    worker.on("error", (error) => this.#logger.error({ err: error }, `${this.#options.name} thread failed`));
    worker.on("exit", () => {
      this.#running.delete(worker);
      if (slot.worker !== worker) return; // closed: its requests were answered by close()
      slot.worker = null;
      this.#restarts += 1;
      failAll(slot, new PoolError("internal", `the ${this.#options.name} thread stopped`));
    });
    slot.worker = worker;
    this.#running.add(worker);
    return worker;
  }
}

function failAll<Rep>(slot: Slot<Rep>, error: Error): void {
  for (const pending of slot.pending.values()) pending.reject(error);
  slot.pending.clear();
}

/** Closed with its pool: retryable, another pool (or this one restarted) can take the work. */
function stopping(): PoolError {
  return new PoolError("model_unavailable", "the inference pool is stopping");
}
