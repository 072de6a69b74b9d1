import { Router } from "express";
import { z } from "zod";
import { EngineError } from "../errors.js";
import { JOB_KINDS, JOB_STATES, type JobKind, type JobQueue, type JobRecord } from "../jobs/job-queue.js";
import { storable } from "../storable-text.js";
import { parseOrThrow } from "./http-errors.js";

const jobKinds = JOB_KINDS as [JobKind, ...JobKind[]];

export const jobView = z.object({
  job_id: z.string(),
  kind: z.enum(jobKinds),
  state: z.enum(JOB_STATES),
  /** Attempts that ran to an end. */
  attempts: z.number().int(),
  max_attempts: z.number().int(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  /** Once completed: a transcription's is the body `POST /api/v1/transcribe` answers. */
  result: z.unknown().optional(),
  /** The last failed attempt's error: a failed job's is why it is dead. */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type JobView = z.infer<typeof jobView>;

export const jobList = z.object({ items: z.array(jobView), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });

/** 202 of a route that queued its work. */
export const jobAccepted = z.object({ job_id: z.string(), state: z.enum(JOB_STATES), status_url: z.string() });

export const jobIdParam = storable(z.string().min(1).max(300));

export const jobListQuery = z.object({
  state: z.enum(JOB_STATES).default("failed"),
  kind: z.enum(jobKinds).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  // Each kind's first offset + limit jobs are read to merge the kinds: bounded.
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});

export function jobViewOf(job: JobRecord): JobView {
  return {
    job_id: job.id,
    kind: job.kind,
    state: job.state,
    attempts: job.attemptsMade,
    max_attempts: job.maxAttempts,
    created_at: job.createdAt.toISOString(),
    finished_at: job.finishedAt?.toISOString() ?? null,
    ...(job.state === "completed" ? { result: job.result } : {}),
    ...(job.error === null ? {} : { error: job.error }),
  };
}

/** Where a queued job's state is read. */
export function jobStatusUrl(id: string): string {
  return `/api/v1/jobs/${encodeURIComponent(id)}`;
}

/** Background jobs (`/api/v1/jobs`): one job by id, and the jobs in a state (the dead letter: `?state=failed`). */
export function jobRoutes(deps: { jobs: JobQueue }): Router {
  const router = Router();
  router.get("/jobs", async (req, res) => {
    const query = parseOrThrow(jobListQuery, req.query, "query");
    const page = await deps.jobs.list({ state: query.state, limit: query.limit, offset: query.offset, ...(query.kind === undefined ? {} : { kind: query.kind }) });
    res.json({ items: page.items.map(jobViewOf), total: page.total, limit: query.limit, offset: query.offset });
  });
  router.get("/jobs/:id", async (req, res) => {
    const id = parseOrThrow(jobIdParam, req.params["id"], "path");
    const job = await deps.jobs.get(id);
    if (job === null) throw new EngineError("job_not_found", "no job has that id (or it finished longer ago than jobs are kept)");
    res.json(jobViewOf(job));
  });
  return router;
}
