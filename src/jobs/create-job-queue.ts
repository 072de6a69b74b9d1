import { BullmqJobQueue, type BullmqJobQueueOverrides } from "./bullmq-job-queue.js";
import type { JobQueue, JobQueueDeps } from "./job-queue.js";
import { LocalJobQueue, type LocalJobQueueOverrides } from "./local-job-queue.js";

/** In process by default; BullMQ on Redis when REDIS_URL is set, so any engine process may run a job. */
export function createJobQueue(redisUrl: string | null, deps: JobQueueDeps, overrides: LocalJobQueueOverrides & BullmqJobQueueOverrides = {}): JobQueue {
  const { maxQueuedPayloadBytes, prefix, connectTimeoutMs, ...shared } = overrides;
  if (redisUrl === null) return new LocalJobQueue(deps, maxQueuedPayloadBytes === undefined ? shared : { ...shared, maxQueuedPayloadBytes });
  return new BullmqJobQueue(redisUrl, deps, { ...shared, ...(prefix === undefined ? {} : { prefix }), ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }) });
}
