import { orAfter } from "../or-after.js";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { EngineError, isEngineError } from "../errors.js";
import type { Logger } from "../logger.js";
import { isErrorCode } from "../protocol/error-codes.js";
import {
  JOB_PAYLOADS,
  jobIdOf,
  MAX_JOB_PRIORITY,
  type AddJobOptions,
  type JobContext,
  type JobCounters,
  type JobFailure,
  type JobHandler,
  type JobKind,
  type JobKindSettings,
  type JobPayload,
  type JobQueueOptions,
  type JsonValue,
} from "./job-queue.js";

/** What both queues share: checking what is added, running one attempt, reading its outcome. */

const addOptions = z.strictObject({
  key: z.string().min(1).max(256).optional(),
  priority: z.number().int().min(1).max(MAX_JOB_PRIORITY).optional(),
  attempts: z.number().int().min(1).max(100).optional(),
  backoffMs: z.number().int().min(0).max(24 * 3_600_000).optional(),
});

/** A job as it is to be queued: its id, payload (checked), size and the settings it runs with. */
export interface JobToAdd {
  id: string;
  payload: unknown;
  payloadBytes: number;
  priority: number;
  attempts: number;
  backoffMs: number;
}

/** Checks a job before it is queued: `invalid_request` (payload, options) or `payload_too_large`. */
export function prepareJob<K extends JobKind>(kind: K, payload: JobPayload<K>, given: AddJobOptions, settings: JobKindSettings, options: JobQueueOptions): JobToAdd {
  const parsedOptions = addOptions.safeParse(given);
  if (!parsedOptions.success) throw new EngineError("invalid_request", `invalid ${kind} job options`, { details: parsedOptions.error.issues });
  const parsed = JOB_PAYLOADS[kind].safeParse(payload);
  if (!parsed.success) throw new EngineError("invalid_request", `invalid ${kind} job payload`, { details: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
  const payloadBytes = Buffer.byteLength(JSON.stringify(parsed.data));
  if (payloadBytes > options.maxPayloadBytes) throw new EngineError("payload_too_large", `job payloads are limited to ${options.maxPayloadBytes} bytes`);
  const { key, priority, attempts, backoffMs } = parsedOptions.data;
  return {
    id: jobIdOf(kind, key ?? randomUUID()),
    payload: parsed.data,
    payloadBytes,
    priority: priority ?? settings.priority,
    attempts: attempts ?? settings.attempts,
    backoffMs: backoffMs ?? settings.backoffMs,
  };
}

export function queueFull(kind: JobKind, settings: JobKindSettings): EngineError {
  return new EngineError("overloaded", `the ${kind} queue holds its maximum of ${settings.maxQueued} jobs; try again shortly`);
}

export function queueClosed(): EngineError {
  return new EngineError("draining", "the job queue is closed: this process is stopping");
}

export type AttemptOutcome = { ok: true; result: JsonValue } | { ok: false; failure: JobFailure; retryable: boolean };

/** An attempt's error as a failure of the error table: an `EngineError` as it is, an abort at close as `draining`. */
function failureOf(error: unknown, signal: AbortSignal): { failure: JobFailure; retryable: boolean } {
  if (isEngineError(error)) return { failure: { code: error.code, message: error.message }, retryable: error.retryable };
  if (signal.aborted) return { failure: { code: "draining", message: "the queue closed before the job finished" }, retryable: true };
  return { failure: { code: "internal", message: error instanceof Error ? error.message : "the job failed" }, retryable: true };
}

/** One attempt: the payload checked again, the handler run, its result bounded. Never throws. */
export async function runAttempt<K extends JobKind>(
  kind: K,
  handler: JobHandler<K>,
  payload: unknown,
  context: JobContext,
  options: { maxResultBytes: number; logger: Logger },
): Promise<AttemptOutcome> {
  const parsed = JOB_PAYLOADS[kind].safeParse(payload);
  if (!parsed.success) {
    return { ok: false, failure: { code: "internal", message: `the stored payload is not a ${kind} payload` }, retryable: false };
  }
  let result: JsonValue;
  try {
    // The schema is the kind's: its output is the kind's payload.
    result = await handler(parsed.data as JobPayload<K>, context);
  } catch (error) {
    const outcome = failureOf(error, context.signal);
    if (outcome.failure.code === "internal") options.logger.error({ err: error, job_id: context.jobId, attempt: context.attempt }, "job attempt failed");
    return { ok: false, ...outcome };
  }
  const bytes = Buffer.byteLength(JSON.stringify(result) ?? "null");
  if (bytes > options.maxResultBytes) {
    return { ok: false, failure: { code: "internal", message: `the job's result (${bytes} bytes) is over ${options.maxResultBytes} bytes` }, retryable: false };
  }
  return { ok: true, result };
}

/** Whether the job ends with this attempt (done, dead-lettered), and the counters told so. */
export function attemptEnds(kind: JobKind, outcome: AttemptOutcome, attempt: number, maxAttempts: number, counters: JobCounters | undefined): boolean {
  if (outcome.ok) {
    counters?.completed(kind);
    return true;
  }
  const ends = !outcome.retryable || attempt >= maxAttempts;
  if (ends) counters?.failed(kind, outcome.failure.code);
  else counters?.retried(kind, outcome.failure.code);
  return ends;
}

/** A failure as BullMQ keeps it (one string, `failedReason`): `<code>: <message>`, as the pool's gRPC details. */
export function encodeFailure(failure: JobFailure): string {
  return `${failure.code}: ${failure.message}`;
}

/** `failedReason` back as a failure; BullMQ's own (a job stalled too often) is `internal` with its text. */
export function decodeFailure(reason: string): JobFailure {
  const colon = reason.indexOf(": ");
  const code = colon > 0 ? reason.slice(0, colon) : "";
  return isErrorCode(code) ? { code, message: reason.slice(colon + 2) } : { code: "internal", message: reason };
}

/** Resolves once every promise has settled or `timeoutMs` has passed, whichever is first: true when they all settled. */
export function settleWithin(promises: Iterable<Promise<unknown>>, timeoutMs: number): Promise<boolean> {
  return orAfter(Promise.allSettled(promises).then(() => true), timeoutMs, false);
}
