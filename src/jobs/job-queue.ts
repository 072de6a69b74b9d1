import { z } from "zod";
import { MAX_UPLOAD_BYTES } from "../api/uploads.js";
import type { Logger } from "../logger.js";
import type { ErrorCode } from "../protocol/error-codes.js";

/** Base64 text of `bytes` bytes. */
function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/**
 * The kinds of background work and their payloads, checked when a job is added and again when it runs (a BullMQ
 * payload comes back from Redis). A finished job keeps its result, never its payload (an upload's audio is dropped).
 */
export const JOB_PAYLOADS = {
  /** The final analysis of an ended session (`MeetingAnalyses`). */
  meeting_analysis: z.strictObject({ session_id: z.string().min(1).max(128) }),
  /** An uploaded WAV file (`POST /api/v1/transcribe?async=true`), base64 so it travels as JSON. */
  transcription: z.strictObject({ wav_base64: z.string().min(1).max(base64Length(MAX_UPLOAD_BYTES)) }),
} as const;

export type JobKind = keyof typeof JOB_PAYLOADS;
export const JOB_KINDS = Object.keys(JOB_PAYLOADS) as JobKind[];
export type JobPayload<K extends JobKind> = z.infer<(typeof JOB_PAYLOADS)[K]>;

/** `failed` is the dead letter: every attempt used (or an error retrying cannot mend), with the last error. */
export const JOB_STATES = ["waiting", "active", "delayed", "completed", "failed"] as const;
export type JobState = (typeof JOB_STATES)[number];

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** An attempt's error: a code of the engine's error table and its message. */
export interface JobFailure {
  code: ErrorCode;
  message: string;
}

export interface JobRecord {
  /** `<kind>:<key>`: the key given when it was added (idempotent), or a random one. */
  id: string;
  kind: JobKind;
  state: JobState;
  /** Attempts that ran to an end (success or failure). */
  attemptsMade: number;
  maxAttempts: number;
  /** 1 runs first; equal priorities run in the order added. */
  priority: number;
  createdAt: Date;
  finishedAt: Date | null;
  /** The handler's answer, once completed. */
  result: JsonValue | null;
  /** The last failed attempt's error (a failed job's is why it is dead; a delayed one's why it waits to retry). */
  error: JobFailure | null;
}

export interface AddJobOptions {
  /** Makes the id `<kind>:<key>`: adding it again while the job is kept returns that job and runs nothing. */
  key?: string;
  priority?: number;
  attempts?: number;
  /** Retry n waits `backoffMs × 2^(n−1)`. */
  backoffMs?: number;
}

export interface JobListQuery {
  state: JobState;
  kind?: JobKind;
  limit: number;
  offset: number;
}

/**
 * Waiting jobs in the order they will run; delayed ones soonest first; active ones by start; completed and failed
 * ones most recently finished first.
 */
export interface JobPage {
  items: JobRecord[];
  total: number;
}

export interface JobContext {
  jobId: string;
  /** 1 on the first attempt. */
  attempt: number;
  /** Aborted when the queue closes with the job still running: stop, the attempt is retried (by another process on Redis). */
  signal: AbortSignal;
}

/** Returns the job's result (JSON, at most `maxResultBytes`); throws to fail the attempt. */
export type JobHandler<K extends JobKind> = (payload: JobPayload<K>, context: JobContext) => Promise<JsonValue>;

/** What a queue counts, per kind, in the process that ran the attempt (`engine_jobs_*_total`). */
export interface JobCounters {
  completed(kind: JobKind): void;
  /** An attempt failed and the job waits to be tried again. */
  retried(kind: JobKind, code: ErrorCode): void;
  /** Dead-lettered. */
  failed(kind: JobKind, code: ErrorCode): void;
}

export interface JobQueueDeps {
  logger: Logger;
  counters?: JobCounters;
}

/**
 * Background work (like Colyseus' `Presence`, a small interface with an embedded and a Redis implementation):
 * `LocalJobQueue` in process by default, `BullmqJobQueue` on REDIS_URL, where any engine process may run a job.
 * Jobs of a kind run once a handler for it is registered; an attempt that throws is retried with exponential backoff
 * unless its error is not retryable (an `EngineError` whose code says so), and the job is dead-lettered (`failed`)
 * once its attempts are used.
 */
export interface JobQueue {
  /**
   * Queues a job. An id that is held (waiting, running or kept after finishing) returns that job as it is. Rejects
   * `invalid_request` (payload), `payload_too_large` (over `maxPayloadBytes`), `overloaded` (the kind's `maxQueued`
   * jobs wait or run) or `draining` (closed).
   */
  add<K extends JobKind>(kind: K, payload: JobPayload<K>, options?: AddJobOptions): Promise<JobRecord>;
  /** The job, or null (never added, or finished longer ago than it is kept). */
  get(id: string): Promise<JobRecord | null>;
  list(query: JobListQuery): Promise<JobPage>;
  /** Runs the kind's jobs with `handler` from now on; one handler per kind and queue. */
  handle<K extends JobKind>(kind: K, handler: JobHandler<K>): void;
  /** The job once completed or failed, or as it is after `timeoutMs`; null for an unknown id. */
  settled(id: string, timeoutMs: number): Promise<JobRecord | null>;
  /**
   * Takes no more jobs, lets running ones finish for `closeTimeoutMs`, then aborts their signals and waits
   * `abortGraceMs` more. In process, jobs not yet run are dropped (logged); on Redis they stay for another process.
   */
  close(): Promise<void>;
}

export interface JobKindSettings {
  /** Jobs of the kind run at once, per process. */
  concurrency: number;
  /** Jobs waiting, delayed or running; one more is refused with `overloaded`. */
  maxQueued: number;
  attempts: number;
  backoffMs: number;
  priority: number;
  /** Finished jobs kept for `GET /api/v1/jobs/{id}`: the newest `count`, none older than `ageMs`. */
  keepCompleted: { count: number; ageMs: number };
  keepFailed: { count: number; ageMs: number };
}

export interface JobQueueOptions {
  kinds: Record<JobKind, JobKindSettings>;
  /** A payload's JSON; the transcription's default holds the largest upload in base64. */
  maxPayloadBytes: number;
  /** A result's JSON; a larger one fails the job (`internal`, not retried). */
  maxResultBytes: number;
  closeTimeoutMs: number;
  abortGraceMs: number;
}

/** Options as given: any field, any kind's fields. */
export type JobQueueOverrides = Partial<Omit<JobQueueOptions, "kinds">> & { kinds?: { [K in JobKind]?: Partial<JobKindSettings> } };

const HOUR_MS = 3_600_000;

export const DEFAULT_JOB_QUEUE_OPTIONS: JobQueueOptions = {
  kinds: {
    // Retried after 2, 4 and 8 s: a database or language model that blinked.
    meeting_analysis: { concurrency: 2, maxQueued: 10_000, attempts: 4, backoffMs: 2_000, priority: 10, keepCompleted: { count: 1_000, ageMs: HOUR_MS }, keepFailed: { count: 1_000, ageMs: 7 * 24 * HOUR_MS } },
    // Each waiting job holds its upload (up to 64 MB, 85 MB in base64): few wait. Ahead of analyses, a client polls.
    transcription: { concurrency: 2, maxQueued: 16, attempts: 3, backoffMs: 1_000, priority: 5, keepCompleted: { count: 1_000, ageMs: HOUR_MS }, keepFailed: { count: 1_000, ageMs: 24 * HOUR_MS } },
  },
  maxPayloadBytes: base64Length(MAX_UPLOAD_BYTES) + 1_024,
  maxResultBytes: 1024 * 1024,
  closeTimeoutMs: 10_000,
  abortGraceMs: 2_000,
};

export function resolveJobQueueOptions(overrides: JobQueueOverrides = {}): JobQueueOptions {
  const { kinds = {}, ...rest } = overrides;
  const merged = { ...DEFAULT_JOB_QUEUE_OPTIONS, ...rest, kinds: { ...DEFAULT_JOB_QUEUE_OPTIONS.kinds } };
  for (const kind of JOB_KINDS) merged.kinds[kind] = { ...DEFAULT_JOB_QUEUE_OPTIONS.kinds[kind], ...kinds[kind] };
  return merged;
}

/** The highest (slowest) priority BullMQ takes. */
export const MAX_JOB_PRIORITY = 2 ** 21 - 1;

export function jobIdOf(kind: JobKind, key: string): string {
  return `${kind}:${key}`;
}

/** The kind an id names, or null for an id no queue could have made. */
export function kindOfJobId(id: string): JobKind | null {
  const kind = id.slice(0, id.indexOf(":"));
  return (JOB_KINDS as readonly string[]).includes(kind) ? (kind as JobKind) : null;
}

/** Retry `attempt` (1 = the first retry) waits this long: BullMQ's `exponential` backoff. */
export function backoffDelayMs(backoffMs: number, attempt: number): number {
  return Math.round(backoffMs * 2 ** (attempt - 1));
}
