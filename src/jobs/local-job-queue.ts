import {
  backoffDelayMs,
  JOB_KINDS,
  resolveJobQueueOptions,
  type AddJobOptions,
  type JobFailure,
  type JobHandler,
  type JobKind,
  type JobListQuery,
  type JobPage,
  type JobPayload,
  type JobQueue,
  type JobQueueDeps,
  type JobQueueOptions,
  type JobQueueOverrides,
  type JobRecord,
  type JobState,
  type JsonValue,
} from "./job-queue.js";
import { attemptEnds, prepareJob, queueClosed, queueFull, runAttempt, settleWithin } from "./job-attempts.js";

export interface LocalJobQueueOptions extends JobQueueOptions {
  /** Payload bytes (JSON) of every job waiting, delayed or running, all kinds together: memory, in this process. */
  maxQueuedPayloadBytes: number;
}

export type LocalJobQueueOverrides = JobQueueOverrides & { maxQueuedPayloadBytes?: number };

/** Four full uploads. */
export const DEFAULT_MAX_QUEUED_PAYLOAD_BYTES = 4 * 86 * 1024 * 1024;

interface LocalJob {
  id: string;
  kind: JobKind;
  state: JobState;
  /** Dropped when the job finishes. */
  payload: unknown;
  payloadBytes: number;
  priority: number;
  /** Order of arrival among equal priorities. */
  seq: number;
  attemptsMade: number;
  maxAttempts: number;
  backoffMs: number;
  createdAt: Date;
  startedAtMs: number;
  /** When a delayed job is due. */
  dueAtMs: number;
  finishedAt: Date | null;
  result: JsonValue | null;
  error: JobFailure | null;
  timer: NodeJS.Timeout | null;
  controller: AbortController | null;
}

interface Lane {
  handler: JobHandler<JobKind> | null;
  /** In the order they run: by priority, then arrival. */
  waiting: LocalJob[];
  /** Waiting, delayed or active: what `maxQueued` bounds. */
  unfinished: number;
  running: Set<Promise<void>>;
  /** Finished jobs by id, oldest first (Map order), for the retention bounds. */
  completed: Map<string, LocalJob>;
  failed: Map<string, LocalJob>;
}

const ORDER: Record<JobState, (a: LocalJob, b: LocalJob) => number> = {
  waiting: (a, b) => a.priority - b.priority || a.seq - b.seq,
  delayed: (a, b) => a.dueAtMs - b.dueAtMs || a.seq - b.seq,
  active: (a, b) => a.startedAtMs - b.startedAtMs || a.seq - b.seq,
  completed: (a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0) || b.seq - a.seq,
  failed: (a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0) || b.seq - a.seq,
};

function record(job: LocalJob): JobRecord {
  const { id, kind, state, attemptsMade, maxAttempts, priority, createdAt, finishedAt, result, error } = job;
  return { id, kind, state, attemptsMade, maxAttempts, priority, createdAt, finishedAt, result, error };
}

/**
 * The embedded queue: jobs in this process' memory, run on its event loop, lost when it stops (what has not run by
 * then is logged). Bounded three ways: `maxQueued` jobs per kind, `maxQueuedPayloadBytes` of payloads (uploads) in
 * all, and finished jobs kept by count and age.
 */
export class LocalJobQueue implements JobQueue {
  readonly #deps: JobQueueDeps;
  readonly #options: LocalJobQueueOptions;
  readonly #jobs = new Map<string, LocalJob>();
  readonly #lanes: Record<JobKind, Lane>;
  readonly #waiters = new Map<string, Set<() => void>>();
  #seq = 0;
  #queuedBytes = 0;
  #closing: Promise<void> | null = null;

  constructor(deps: JobQueueDeps, overrides: LocalJobQueueOverrides = {}) {
    this.#deps = deps;
    const { maxQueuedPayloadBytes = DEFAULT_MAX_QUEUED_PAYLOAD_BYTES, ...rest } = overrides;
    this.#options = { ...resolveJobQueueOptions(rest), maxQueuedPayloadBytes };
    const lane = (): Lane => ({ handler: null, waiting: [], unfinished: 0, running: new Set(), completed: new Map(), failed: new Map() });
    this.#lanes = Object.fromEntries(JOB_KINDS.map((kind) => [kind, lane()])) as Record<JobKind, Lane>;
  }

  async add<K extends JobKind>(kind: K, payload: JobPayload<K>, options: AddJobOptions = {}): Promise<JobRecord> {
    if (this.#closing !== null) throw queueClosed();
    const settings = this.#options.kinds[kind];
    const prepared = prepareJob(kind, payload, options, settings, this.#options);
    this.#prune(kind);
    const existing = this.#jobs.get(prepared.id);
    if (existing !== undefined) return record(existing);
    const lane = this.#lanes[kind];
    if (lane.unfinished >= settings.maxQueued) throw queueFull(kind, settings);
    if (this.#queuedBytes + prepared.payloadBytes > this.#options.maxQueuedPayloadBytes) throw queueFull(kind, settings);
    const job: LocalJob = {
      id: prepared.id,
      kind,
      state: "waiting",
      payload: prepared.payload,
      payloadBytes: prepared.payloadBytes,
      priority: prepared.priority,
      seq: (this.#seq += 1),
      attemptsMade: 0,
      maxAttempts: prepared.attempts,
      backoffMs: prepared.backoffMs,
      createdAt: new Date(),
      startedAtMs: 0,
      dueAtMs: 0,
      finishedAt: null,
      result: null,
      error: null,
      timer: null,
      controller: null,
    };
    this.#jobs.set(job.id, job);
    this.#queuedBytes += job.payloadBytes;
    lane.unfinished += 1;
    this.#enqueue(job);
    return record(job);
  }

  async get(id: string): Promise<JobRecord | null> {
    const job = this.#jobs.get(id);
    if (job === undefined) return null;
    this.#prune(job.kind);
    return this.#jobs.has(id) ? record(job) : null;
  }

  async list(query: JobListQuery): Promise<JobPage> {
    const kinds = query.kind === undefined ? JOB_KINDS : [query.kind];
    for (const kind of kinds) this.#prune(kind);
    const matching = [...this.#jobs.values()].filter((job) => job.state === query.state && kinds.includes(job.kind));
    matching.sort(ORDER[query.state]);
    return { items: matching.slice(query.offset, query.offset + query.limit).map(record), total: matching.length };
  }

  handle<K extends JobKind>(kind: K, handler: JobHandler<K>): void {
    const lane = this.#lanes[kind];
    if (lane.handler !== null) throw new Error(`the ${kind} jobs have a handler already`);
    // Every job of the lane is of kind K: the handler sees only its own payloads.
    lane.handler = handler as unknown as JobHandler<JobKind>;
    this.#dispatch(kind);
  }

  async settled(id: string, timeoutMs: number): Promise<JobRecord | null> {
    const job = this.#jobs.get(id);
    if (job === undefined) return null;
    if (job.state !== "completed" && job.state !== "failed" && this.#closing === null) {
      await new Promise<void>((resolve) => {
        const waiters = this.#waiters.get(id) ?? new Set();
        this.#waiters.set(id, waiters);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          if (waiters.size === 0) this.#waiters.delete(id);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        waiters.add(done);
      });
    }
    return record(job);
  }

  close(): Promise<void> {
    this.#closing ??= this.#closeNow();
    return this.#closing;
  }

  async #closeNow(): Promise<void> {
    const dropped = { waiting: 0, delayed: 0 };
    for (const job of this.#jobs.values()) {
      if (job.state === "waiting" || job.state === "delayed") dropped[job.state] += 1;
      if (job.timer !== null) clearTimeout(job.timer);
      job.timer = null;
    }
    for (const lane of Object.values(this.#lanes)) lane.waiting = [];
    if (dropped.waiting + dropped.delayed > 0) this.#deps.logger.warn(dropped, "job queue closed: jobs not yet run are dropped (the in-process queue keeps nothing)");
    const running = () => Object.values(this.#lanes).flatMap((lane) => [...lane.running]);
    if (!(await settleWithin(running(), this.#options.closeTimeoutMs))) {
      for (const job of this.#jobs.values()) job.controller?.abort();
      await settleWithin(running(), this.#options.abortGraceMs);
    }
    for (const waiters of this.#waiters.values()) for (const done of [...waiters]) done();
  }

  /** Into the waiting list at its place (binary search: the list is bounded, kept sorted). */
  #enqueue(job: LocalJob): void {
    const waiting = this.#lanes[job.kind].waiting;
    let low = 0;
    let high = waiting.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      const other = waiting[middle];
      if (other !== undefined && ORDER.waiting(other, job) <= 0) low = middle + 1;
      else high = middle;
    }
    job.state = "waiting";
    waiting.splice(low, 0, job);
    this.#dispatch(job.kind);
  }

  #dispatch(kind: JobKind): void {
    const lane = this.#lanes[kind];
    const handler = lane.handler;
    if (handler === null) return;
    while (this.#closing === null && lane.running.size < this.#options.kinds[kind].concurrency) {
      const job = lane.waiting.shift();
      if (job === undefined) return;
      const run = this.#run(job, handler);
      lane.running.add(run);
      void run.finally(() => {
        lane.running.delete(run);
        this.#dispatch(kind);
      });
    }
  }

  async #run(job: LocalJob, handler: JobHandler<JobKind>): Promise<void> {
    job.state = "active";
    job.startedAtMs = performance.now();
    job.controller = new AbortController();
    const attempt = job.attemptsMade + 1;
    const outcome = await runAttempt(job.kind, handler, job.payload, { jobId: job.id, attempt, signal: job.controller.signal }, { maxResultBytes: this.#options.maxResultBytes, logger: this.#deps.logger });
    job.controller = null;
    job.attemptsMade = attempt;
    const ends = attemptEnds(job.kind, outcome, attempt, job.maxAttempts, this.#deps.counters);
    if (outcome.ok) job.result = outcome.result;
    else job.error = outcome.failure;
    if (ends) this.#finish(job, outcome.ok ? "completed" : "failed");
    else if (this.#closing !== null) {
      // Nothing will run it again in this process.
      job.state = "delayed";
    } else {
      const delayMs = backoffDelayMs(job.backoffMs, attempt);
      job.state = "delayed";
      job.dueAtMs = performance.now() + delayMs;
      job.timer = setTimeout(() => {
        job.timer = null;
        this.#enqueue(job);
      }, delayMs);
    }
  }

  #finish(job: LocalJob, state: "completed" | "failed"): void {
    const lane = this.#lanes[job.kind];
    job.state = state;
    job.finishedAt = new Date();
    if (state === "completed") job.error = null;
    job.payload = null;
    this.#queuedBytes -= job.payloadBytes;
    job.payloadBytes = 0;
    lane.unfinished -= 1;
    (state === "completed" ? lane.completed : lane.failed).set(job.id, job);
    this.#prune(job.kind);
    const waiters = this.#waiters.get(job.id);
    if (waiters !== undefined) for (const done of [...waiters]) done();
  }

  /** Drops finished jobs past the kind's count, and those older than its age. */
  #prune(kind: JobKind): void {
    const settings = this.#options.kinds[kind];
    const lane = this.#lanes[kind];
    const nowMs = Date.now();
    for (const [finished, keep] of [[lane.completed, settings.keepCompleted], [lane.failed, settings.keepFailed]] as const) {
      for (const [id, job] of finished) {
        const old = nowMs - (job.finishedAt?.getTime() ?? nowMs) > keep.ageMs;
        if (finished.size <= keep.count && !old) break;
        finished.delete(id);
        this.#jobs.delete(id);
      }
    }
  }
}
