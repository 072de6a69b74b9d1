import { Queue, QueueEvents, UnrecoverableError, Worker, type Job, type JobType, type RedisOptions } from "bullmq";
import {
  JOB_KINDS,
  kindOfJobId,
  resolveJobQueueOptions,
  type AddJobOptions,
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
import { attemptEnds, decodeFailure, encodeFailure, prepareJob, queueClosed, queueFull, runAttempt, settleWithin } from "./job-attempts.js";

export interface BullmqJobQueueOptions extends JobQueueOptions {
  /** Redis keys start `<prefix>:jobs-<kind>:`: engines sharing a prefix share the queues. */
  prefix: string;
  connectTimeoutMs: number;
}

export type BullmqJobQueueOverrides = JobQueueOverrides & Partial<Pick<BullmqJobQueueOptions, "prefix" | "connectTimeoutMs">>;

const WARNING_INTERVAL_MS = 60_000;
const QUEUE_NAME = (kind: JobKind) => `jobs-${kind}`;

/** BullMQ's states behind ours (`prioritized`: waiting with a priority, which every job here has). */
const BULLMQ_TYPES: Record<JobState, JobType[]> = {
  waiting: ["prioritized", "wait", "waiting-children"],
  active: ["active"],
  delayed: ["delayed"],
  completed: ["completed"],
  failed: ["failed"],
};

function stateOf(state: string): JobState {
  if (state === "active" || state === "delayed" || state === "completed" || state === "failed") return state;
  return "waiting";
}

/** The order `list` merges kinds in (each kind's page comes from BullMQ in it already). */
const SORT_KEY: Record<JobState, (job: Job) => number> = {
  waiting: (job) => job.priority * 1e13 + job.timestamp,
  delayed: (job) => (job.processedOn ?? job.timestamp) + job.delay,
  active: (job) => job.processedOn ?? job.timestamp,
  completed: (job) => -(job.finishedOn ?? 0),
  failed: (job) => -(job.finishedOn ?? 0),
};
const ASCENDING: Record<JobState, boolean> = { waiting: true, delayed: true, active: true, completed: false, failed: false };

/** BullMQ job ids may hold no `:` and be no integer: our ids (`<kind>:<key>`, any text) are URI-encoded. */
const bullmqId = (id: string) => encodeURIComponent(id);

/**
 * The queue on Redis with BullMQ 6, a BullMQ queue per kind (`jobs-<kind>`): priorities, attempts, exponential
 * backoff, job ids, retention and payload size limits are BullMQ's own. A worker per kind starts with its handler;
 * QueueEvents (opened on the first `settled`) tells when a job ends. Any engine process on the same Redis and prefix
 * may run any job; one that stops mid-job leaves it to BullMQ's stalled-job check (another process picks it up).
 * A job's payload is on Redis while it waits (an upload: up to 85 MB of base64) and is emptied when it finishes.
 */
export class BullmqJobQueue implements JobQueue {
  readonly #deps: JobQueueDeps;
  readonly #options: BullmqJobQueueOptions;
  readonly #connection: RedisOptions;
  readonly #queues: Record<JobKind, Queue>;
  readonly #workers = new Map<JobKind, Worker>();
  readonly #events = new Map<JobKind, Promise<QueueEvents>>();
  /** Aborted once the close grace has run out: handlers still running stop. */
  readonly #stopping = new AbortController();
  #lastWarningMs = -Infinity;
  #closing: Promise<void> | null = null;

  constructor(url: string, deps: JobQueueDeps, overrides: BullmqJobQueueOverrides = {}) {
    this.#deps = deps;
    const { prefix = "engine", connectTimeoutMs = 2_000, ...rest } = overrides;
    this.#options = { ...resolveJobQueueOptions(rest), prefix, connectTimeoutMs };
    // BullMQ requires maxRetriesPerRequest null: its blocking commands wait as long as Redis is away.
    this.#connection = { url, maxRetriesPerRequest: null, connectTimeout: connectTimeoutMs };
    const queue = (kind: JobKind) => {
      // No offline queue on the adding side: an add while Redis is away fails at once instead of waiting unbounded.
      const made = new Queue(QUEUE_NAME(kind), { connection: { ...this.#connection, enableOfflineQueue: false }, prefix });
      // Each `settled` in progress listens on the queue (and on its QueueEvents): as many as jobs can wait, and callers.
      made.setMaxListeners(this.#listenerBound(kind));
      this.#watch(made, "queue");
      return made;
    };
    this.#queues = Object.fromEntries(JOB_KINDS.map((kind) => [kind, queue(kind)])) as Record<JobKind, Queue>;
  }

  async add<K extends JobKind>(kind: K, payload: JobPayload<K>, options: AddJobOptions = {}): Promise<JobRecord> {
    if (this.#closing !== null) throw queueClosed();
    const settings = this.#options.kinds[kind];
    const prepared = prepareJob(kind, payload, options, settings, this.#options);
    const queue = this.#queues[kind];
    const existing = await queue.getJob(bullmqId(prepared.id));
    if (existing !== undefined) return this.#record(kind, existing);
    // Not atomic with the add: adds racing from several processes may pass the bound by a few.
    const counts = await queue.getJobCounts("prioritized", "wait", "waiting-children", "delayed", "active");
    if (Object.values(counts).reduce((sum, count) => sum + count, 0) >= settings.maxQueued) throw queueFull(kind, settings);
    const added = await queue.add(kind, prepared.payload, {
      jobId: bullmqId(prepared.id),
      priority: prepared.priority,
      attempts: prepared.attempts,
      backoff: { type: "exponential", delay: prepared.backoffMs },
      removeOnComplete: { count: settings.keepCompleted.count, age: Math.ceil(settings.keepCompleted.ageMs / 1000) },
      removeOnFail: { count: settings.keepFailed.count, age: Math.ceil(settings.keepFailed.ageMs / 1000) },
      sizeLimit: this.#options.maxPayloadBytes,
    });
    // An id added meanwhile by another process: BullMQ kept the first, and answers with its id.
    const stored = added.id === undefined ? undefined : await queue.getJob(added.id);
    return this.#record(kind, stored ?? added);
  }

  async get(id: string): Promise<JobRecord | null> {
    const kind = kindOfJobId(id);
    if (kind === null) return null;
    const job = await this.#queues[kind].getJob(bullmqId(id));
    return job === undefined ? null : this.#record(kind, job);
  }

  async list(query: JobListQuery): Promise<JobPage> {
    const kinds = query.kind === undefined ? JOB_KINDS : [query.kind];
    const types = BULLMQ_TYPES[query.state];
    // Each kind's first offset + limit jobs, merged: the page of all kinds is among them.
    const pages = await Promise.all(
      kinds.map(async (kind) => {
        const queue = this.#queues[kind];
        const [jobs, counts] = await Promise.all([queue.getJobs(types, 0, query.offset + query.limit - 1, ASCENDING[query.state]), queue.getJobCounts(...types)]);
        return { kind, jobs, total: Object.values(counts).reduce((sum, count) => sum + count, 0) };
      }),
    );
    const merged = pages.flatMap((page) => page.jobs.map((job) => ({ kind: page.kind, job })));
    merged.sort((a, b) => SORT_KEY[query.state](a.job) - SORT_KEY[query.state](b.job));
    return {
      items: merged.slice(query.offset, query.offset + query.limit).map(({ kind, job }) => this.#recordIn(kind, job, query.state)),
      total: pages.reduce((sum, page) => sum + page.total, 0),
    };
  }

  handle<K extends JobKind>(kind: K, handler: JobHandler<K>): void {
    if (this.#workers.has(kind)) throw new Error(`the ${kind} jobs have a handler already`);
    if (this.#closing !== null) return;
    const { maxResultBytes } = this.#options;
    const logger = this.#deps.logger;
    // Three parameters: BullMQ hands a signal only to a processor that declares it.
    const processor = async (job: Job, _token?: string, signal?: AbortSignal): Promise<JsonValue> => {
      const attempt = job.attemptsMade + 1;
      const aborted = signal === undefined ? this.#stopping.signal : AbortSignal.any([signal, this.#stopping.signal]);
      const outcome = await runAttempt(kind, handler, job.data, { jobId: decodeURIComponent(job.id ?? ""), attempt, signal: aborted }, { maxResultBytes, logger });
      if (attemptEnds(kind, outcome, attempt, job.opts.attempts ?? 1, this.#deps.counters)) {
        // Finished either way: the payload (an upload) leaves Redis; the result and the error stay.
        await job.updateData({}).catch((error: unknown) => logger.warn({ err: error, job_id: job.id }, "job payload not emptied"));
      }
      if (outcome.ok) return outcome.result;
      throw outcome.retryable ? new Error(encodeFailure(outcome.failure)) : new UnrecoverableError(encodeFailure(outcome.failure));
    };
    const worker = new Worker(QUEUE_NAME(kind), processor, { connection: this.#connection, prefix: this.#options.prefix, concurrency: this.#options.kinds[kind].concurrency });
    this.#watch(worker, "worker");
    this.#workers.set(kind, worker);
  }

  async settled(id: string, timeoutMs: number): Promise<JobRecord | null> {
    const kind = kindOfJobId(id);
    if (kind === null) return null;
    const job = await this.#queues[kind].getJob(bullmqId(id));
    if (job === undefined) return null;
    if (this.#closing === null) {
      // Rejects when the job fails or the wait times out: either way the record read next says which.
      await this.#eventsOf(kind)
        .then((events) => job.waitUntilFinished(events, timeoutMs))
        .catch(() => undefined);
    }
    return this.get(id);
  }

  close(): Promise<void> {
    this.#closing ??= this.#closeNow();
    return this.#closing;
  }

  async #closeNow(): Promise<void> {
    const workers = [...this.#workers.values()];
    // Each stops fetching and waits for its running jobs; past the grace they are aborted, then left to BullMQ's
    // stalled-job check (another process, or this one restarted, runs them again).
    const closing = workers.map((worker) => worker.close());
    if (!(await settleWithin(closing, this.#options.closeTimeoutMs))) {
      this.#stopping.abort();
      for (const worker of workers) worker.cancelAllJobs("the job queue is closing");
      if (!(await settleWithin(closing, this.#options.abortGraceMs))) await Promise.allSettled(workers.map((worker) => worker.close(true)));
    }
    const events = await Promise.allSettled(this.#events.values());
    const opened = events.flatMap((made) => (made.status === "fulfilled" ? [made.value] : []));
    await Promise.allSettled([...opened, ...Object.values(this.#queues)].map((item) => item.close()));
  }

  /**
   * The kind's QueueEvents, reading from the stream's last entry at the time it was made: an event written while its
   * first XREAD is on its way is still delivered (reading from `$` would lose it, and a wait would last its timeout).
   */
  #eventsOf(kind: JobKind): Promise<QueueEvents> {
    const existing = this.#events.get(kind);
    if (existing !== undefined) return existing;
    const made = (async () => {
      const queue = this.#queues[kind];
      const client = await queue.getBackend().client;
      const last: unknown = await client.runCommand("xrevrange", [queue.keys.events, "+", "-", "COUNT", "1"]);
      const lastId = Array.isArray(last) && Array.isArray(last[0]) && typeof last[0][0] === "string" ? last[0][0] : "0-0";
      const events = new QueueEvents(QUEUE_NAME(kind), { connection: this.#connection, prefix: this.#options.prefix, lastEventId: lastId });
      events.setMaxListeners(this.#listenerBound(kind));
      this.#watch(events, "events");
      return events;
    })();
    // A failed start (Redis away) is not kept: the next wait tries again.
    made.catch(() => this.#events.delete(kind));
    this.#events.set(kind, made);
    return made;
  }

  #listenerBound(kind: JobKind): number {
    return 2 * this.#options.kinds[kind].maxQueued + 100;
  }

  async #record(kind: JobKind, job: Job): Promise<JobRecord> {
    return this.#recordIn(kind, job, stateOf(await job.getState()));
  }

  #recordIn(kind: JobKind, job: Job, state: JobState): JobRecord {
    const reason = typeof job.failedReason === "string" && job.failedReason !== "" ? job.failedReason : null;
    return {
      id: decodeURIComponent(job.id ?? ""),
      kind,
      state,
      attemptsMade: job.attemptsMade,
      maxAttempts: job.opts.attempts ?? 1,
      priority: job.opts.priority ?? job.priority,
      createdAt: new Date(job.timestamp),
      finishedAt: job.finishedOn === undefined ? null : new Date(job.finishedOn),
      result: state === "completed" ? ((job.returnvalue ?? null) as JsonValue) : null,
      error: state === "completed" || reason === null ? null : decodeFailure(reason),
    };
  }

  /** Connection errors, at most one warning a minute (every reconnection attempt reports one). */
  #watch(emitter: { on(event: "error", listener: (error: Error) => void): unknown }, role: string): void {
    emitter.on("error", (error: Error) => {
      const nowMs = Date.now();
      if (nowMs - this.#lastWarningMs < WARNING_INTERVAL_MS) return;
      this.#lastWarningMs = nowMs;
      this.#deps.logger.warn({ err: error, role }, "job queue: Redis error (BullMQ reconnects)");
    });
  }
}
