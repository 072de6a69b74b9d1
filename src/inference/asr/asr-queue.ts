import { isRetryable } from "../../protocol/error-codes.js";
import { AbortedError } from "../pool-error.js";
import type { PoolErrorCode } from "../pool-types.js";

/**
 * Bounded priority queue in front of the ASR model: live jobs run before file jobs (FIFO within a priority), at most
 * `concurrency` at a time (the pool sets it to its number of Whisper lanes, see `asr-lanes.ts`). The TTS model's
 * threads have one too (tts/pool-synthesis.ts), live jobs only.
 *
 * - Full queue (`maxQueued` waiting): the new job is rejected at once with `overloaded` (retryable). Exception, when
 *   `liveEvictsFile` is on: a live job takes the place of the newest waiting file job, which is rejected with
 *   `overloaded` instead (file work can be retried; live audio cannot wait).
 * - Deadline (`deadlineMs`, absolute epoch ms) passing while the job waits: rejected with `deadline_exceeded` at that
 *   moment, without running. The deadline does not interrupt a job once it has started.
 * - A job that throws rejects with its own error, unchanged.
 * - `signal` aborting: a waiting job leaves the queue and never runs; a running one is answered at once, its result
 *   discarded when it ends (it keeps its slot until then). Either way `submit` rejects with `AbortedError`.
 * - Timings: `submit` resolves with `{ value, queueMs, runMs }`: queueMs from submit to start, runMs the `run()` call.
 * - `close()` rejects waiting jobs with `model_unavailable` (retryable) and resolves once running jobs have settled.
 * - Interim work (`tryRunInterim`, live captions of speech still going on) is never queued: it starts at once on a
 *   free slot when no job waits and fewer than `maxInterimRunning` interim runs are going, or is skipped (null), so
 *   it never makes a live or file job wait for a slot it took while they were queued. It is skipped too while live
 *   and file jobs kept more than `interimMaxBusy` of the slots' time busy over the last `busyWindowMs`: a free slot
 *   is not free CPU (every slot shares the machine's cores), so near capacity an interim run would slow the finals
 *   running beside it; and for `busyWindowMs` after a live or file job found every slot taken and had to wait: near
 *   capacity the next job may come while an interim holds the slot it would have had.
 */

export type AsrPriority = "live" | "file";

export interface AsrJob<T> {
  priority: AsrPriority;
  /** Absolute epoch ms; a job still waiting then is rejected with `deadline_exceeded`. */
  deadlineMs?: number;
  /** The caller giving up (its call cancelled): see the class comment. */
  signal?: AbortSignal;
  run: () => Promise<T>;
}

export interface AsrJobResult<T> {
  value: T;
  /** Submit → start. */
  queueMs: number;
  /** The `run()` call. */
  runMs: number;
}

export interface AsrQueueOptions {
  /** What it queues for, in its errors: "ASR", "speech synthesis". */
  name: string;
  concurrency: number;
  /** Jobs waiting (not running), both priorities together. */
  maxQueued: number;
  /** A live job arriving at a full queue evicts the newest waiting file job instead of being rejected. */
  liveEvictsFile: boolean;
  /** Queue-wait samples kept for stats (the most recent). */
  waitSampleLimit: number;
  /**
   * Interim runs at once; null: `concurrency - 1`, at least 1, so that with two slots or more one is always free
   * for a final. With one slot an interim run can hold it while a final arrives (that final waits for it).
   */
  maxInterimRunning: number | null;
  /** Share (0–1) of the slots' time live and file jobs may have used over `busyWindowMs` with interims still run. */
  interimMaxBusy: number;
  busyWindowMs: number;
  /** What the busy share is measured with (a test's own clock). */
  busyClock: () => number;
}

export const DEFAULT_ASR_QUEUE_OPTIONS: AsrQueueOptions = {
  name: "ASR",
  concurrency: 1,
  maxQueued: 64,
  liveEvictsFile: true,
  waitSampleLimit: 256,
  maxInterimRunning: null,
  interimMaxBusy: 0.5,
  busyWindowMs: 2_000,
  busyClock: () => performance.now(),
};

export class AsrQueueError extends Error {
  readonly code: PoolErrorCode;
  readonly retryable: boolean;

  constructor(code: PoolErrorCode, message: string) {
    super(message);
    this.name = "AsrQueueError";
    this.code = code;
    this.retryable = isRetryable(code);
  }
}

export interface AsrQueueStats {
  queued: Record<AsrPriority, number>;
  running: number;
  completed: number;
  /** Jobs whose `run()` threw. */
  failed: number;
  rejected: Partial<Record<PoolErrorCode, number>>;
  /** Jobs whose caller aborted them, waiting (never run) or running (result discarded). */
  cancelled: number;
  /** Most recent queue waits (ms) of jobs that started, oldest first. */
  waitSamplesMs: number[];
  /** Interim runs (not in `running`/`completed`/`failed`, which count live and file jobs). */
  interim: AsrInterimStats;
}

export interface AsrInterimStats {
  running: number;
  completed: number;
  /** Not started: no free slot, a job waiting, `maxInterimRunning` already running, a job that had to wait within `busyWindowMs`, or the slots busy past `interimMaxBusy`. */
  skipped: number;
  /** Whose `run()` threw. */
  failed: number;
}

/** Longest delay setTimeout honours. */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

interface QueuedJob {
  priority: AsrPriority;
  deadlineMs: number | undefined;
  submittedMs: number;
  deadlineTimer: NodeJS.Timeout | undefined;
  start: () => void;
  reject: (error: AsrQueueError) => void;
}

export class AsrQueue<T> {
  readonly options: AsrQueueOptions;
  private readonly queues: Record<AsrPriority, QueuedJob[]> = { live: [], file: [] };
  private readonly runningJobs = new Set<Promise<void>>();
  private readonly maxInterimRunning: number;
  private readonly interim: AsrInterimStats = { running: 0, completed: 0, skipped: 0, failed: 0 };
  private readonly waitSamples: number[] = [];
  /** Live and file runs that ended within `busyWindowMs` (start, end), oldest first; and those running (start). */
  private readonly recentRuns: { startMs: number; endMs: number }[] = [];
  private readonly runningStarts = new Set<{ startMs: number }>();
  /** When (busyClock) a live or file job last found no free slot and waited; -Infinity: never. */
  private lastWaitedMs = Number.NEGATIVE_INFINITY;
  private readonly rejected: Partial<Record<PoolErrorCode, number>> = {};
  private completed = 0;
  private failed = 0;
  private cancelled = 0;
  private closed = false;

  constructor(options: Partial<AsrQueueOptions> = {}) {
    this.options = { ...DEFAULT_ASR_QUEUE_OPTIONS, ...options };
    if (this.options.concurrency < 1) throw new AsrQueueError("internal", "concurrency must be at least 1");
    this.maxInterimRunning = this.options.maxInterimRunning ?? Math.max(1, this.options.concurrency - 1);
  }

  /**
   * Runs best-effort work now or never: null (counted as skipped) unless a slot is free, no job waits, and fewer
   * than `maxInterimRunning` interim runs are going. Its run takes a slot like any job; it has no deadline or signal.
   */
  tryRunInterim(run: () => Promise<T>): Promise<AsrJobResult<T>> | null {
    const free = !this.closed && this.runningJobs.size < this.options.concurrency && this.queuedCount() === 0;
    const waitedLately = this.options.busyClock() - this.lastWaitedMs < this.options.busyWindowMs;
    if (!free || this.interim.running >= this.maxInterimRunning || waitedLately || this.busyShare() > this.options.interimMaxBusy) {
      this.interim.skipped += 1;
      return null;
    }
    this.interim.running += 1;
    return new Promise<AsrJobResult<T>>((resolve, reject) => {
      this.execute(run, performance.now(), "interim", resolve, reject);
    });
  }

  submit(job: AsrJob<T>): Promise<AsrJobResult<T>> {
    if (this.closed) return Promise.reject(this.fail("model_unavailable", `${this.options.name} queue is closed`));
    if (job.signal?.aborted === true) {
      this.cancelled += 1;
      return Promise.reject(new AbortedError());
    }
    if (job.deadlineMs !== undefined && job.deadlineMs <= Date.now()) {
      return Promise.reject(this.fail("deadline_exceeded", "deadline passed before the job was queued"));
    }
    if (this.queuedCount() >= this.options.maxQueued && !this.evictForLive(job.priority)) {
      return Promise.reject(this.fail("overloaded", `${this.options.name} queue is full (${this.options.maxQueued} waiting)`));
    }

    return new Promise<AsrJobResult<T>>((resolve, reject) => {
      let state: "waiting" | "running" | "settled" = "waiting";
      const settle = (answer: () => void) => {
        if (state === "settled") return;
        state = "settled";
        job.signal?.removeEventListener("abort", onAbort);
        answer();
      };
      const queued: QueuedJob = {
        priority: job.priority,
        deadlineMs: job.deadlineMs,
        submittedMs: performance.now(),
        deadlineTimer: undefined,
        start: () => {
          state = "running";
          this.execute(job.run, queued.submittedMs, "job", (result) => settle(() => resolve(result)), (error) => settle(() => reject(error)));
        },
        reject: (error) => settle(() => reject(error)),
      };
      const onAbort = () => {
        if (state === "settled" || (state === "waiting" && !this.remove(queued))) return;
        clearTimeout(queued.deadlineTimer);
        this.cancelled += 1;
        settle(() => reject(new AbortedError()));
      };
      job.signal?.addEventListener("abort", onAbort, { once: true });
      this.queues[job.priority].push(queued);
      if (job.deadlineMs !== undefined) this.armDeadline(queued, job.deadlineMs);
      this.pump();
      if (state === "waiting") this.lastWaitedMs = this.options.busyClock();
    });
  }

  /** Rejects waiting jobs; resolves once running jobs have settled. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const priority of ["live", "file"] as const) {
        const waiting = this.queues[priority];
        this.queues[priority] = [];
        for (const job of waiting) {
          clearTimeout(job.deadlineTimer);
          job.reject(this.fail("model_unavailable", `${this.options.name} queue is closed`));
        }
      }
    }
    await Promise.all(this.runningJobs);
  }

  stats(): AsrQueueStats {
    return {
      queued: { live: this.queues.live.length, file: this.queues.file.length },
      running: this.runningJobs.size,
      completed: this.completed,
      failed: this.failed,
      rejected: { ...this.rejected },
      cancelled: this.cancelled,
      waitSamplesMs: [...this.waitSamples],
      interim: { ...this.interim },
    };
  }

  private armDeadline(job: QueuedJob, deadlineMs: number): void {
    const delayMs = deadlineMs - Date.now();
    // setTimeout fires at once past 2^31 - 1 ms; far deadlines re-arm instead.
    job.deadlineTimer = setTimeout(() => {
      if (Date.now() < deadlineMs) this.armDeadline(job, deadlineMs);
      else if (this.remove(job)) job.reject(this.fail("deadline_exceeded", "deadline passed while queued"));
    }, Math.min(delayMs, MAX_TIMER_DELAY_MS));
    job.deadlineTimer.unref();
  }

  private queuedCount(): number {
    return this.queues.live.length + this.queues.file.length;
  }

  private evictForLive(priority: AsrPriority): boolean {
    if (priority !== "live" || !this.options.liveEvictsFile) return false;
    const victim = this.queues.file.pop();
    if (victim === undefined) return false;
    clearTimeout(victim.deadlineTimer);
    victim.reject(this.fail("overloaded", `evicted from the full ${this.options.name} queue by live work`));
    return true;
  }

  private remove(job: QueuedJob): boolean {
    const queue = this.queues[job.priority];
    const index = queue.indexOf(job);
    if (index === -1) return false;
    queue.splice(index, 1);
    return true;
  }

  private pump(): void {
    while (!this.closed && this.runningJobs.size < this.options.concurrency) {
      const next = this.queues.live.shift() ?? this.queues.file.shift();
      if (next === undefined) return;
      clearTimeout(next.deadlineTimer);
      // The timer may not have fired yet at the deadline's exact millisecond.
      if (next.deadlineMs !== undefined && Date.now() >= next.deadlineMs) {
        next.reject(this.fail("deadline_exceeded", "deadline passed while queued"));
        continue;
      }
      next.start();
    }
  }

  /** Live and file jobs' share of the slots' time over the last `busyWindowMs`. */
  busyShare(): number {
    const nowMs = this.options.busyClock();
    const from = nowMs - this.options.busyWindowMs;
    while ((this.recentRuns[0]?.endMs ?? Infinity) < from) this.recentRuns.shift();
    let busyMs = 0;
    for (const run of this.recentRuns) busyMs += run.endMs - Math.max(from, run.startMs);
    for (const run of this.runningStarts) busyMs += nowMs - Math.max(from, run.startMs);
    return busyMs / (this.options.busyWindowMs * this.options.concurrency);
  }

  private execute(
    run: () => Promise<T>,
    submittedMs: number,
    kind: "job" | "interim",
    resolve: (result: AsrJobResult<T>) => void,
    reject: (error: unknown) => void,
  ): void {
    const startedMs = performance.now();
    const queueMs = startedMs - submittedMs;
    const busy = { startMs: this.options.busyClock() };
    if (kind === "job") {
      this.waitSamples.push(queueMs);
      if (this.waitSamples.length > this.options.waitSampleLimit) this.waitSamples.shift();
      this.runningStarts.add(busy);
    }

    const running = (async () => {
      try {
        // Inside the async function, a synchronous throw from run() becomes a rejection too.
        const value = await run();
        if (kind === "job") this.completed += 1;
        else this.interim.completed += 1;
        resolve({ value, queueMs, runMs: performance.now() - startedMs });
      } catch (error) {
        if (kind === "job") this.failed += 1;
        else this.interim.failed += 1;
        reject(error);
      }
    })();
    this.runningJobs.add(running);
    void running.finally(() => {
      this.runningJobs.delete(running);
      if (kind === "interim") this.interim.running -= 1;
      else if (this.runningStarts.delete(busy)) {
        // Pruned here too: with interims off nothing else reads (and trims) it.
        this.recentRuns.push({ startMs: busy.startMs, endMs: this.options.busyClock() });
        this.busyShare();
      }
      this.pump();
    });
  }

  private fail(code: PoolErrorCode, message: string): AsrQueueError {
    this.rejected[code] = (this.rejected[code] ?? 0) + 1;
    return new AsrQueueError(code, message);
  }
}
