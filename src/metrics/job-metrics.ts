import { Counter, type Registry } from "prom-client";
import { JOB_KINDS, type JobCounters, type JobKind } from "../jobs/job-queue.js";
import type { ErrorCode } from "../protocol/error-codes.js";

/** The job queue's counters, per kind, counted by the process that ran the attempt. */
export class JobMetrics implements JobCounters {
  readonly #completed: Counter<"kind">;
  readonly #retried: Counter<"kind" | "code">;
  readonly #failed: Counter<"kind" | "code">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#completed = new Counter({ name: "engine_jobs_completed_total", help: "Background jobs completed.", labelNames: ["kind"], registers });
    this.#retried = new Counter({ name: "engine_jobs_retried_total", help: "Job attempts that failed with attempts left: the job waits its backoff, then runs again.", labelNames: ["kind", "code"], registers });
    this.#failed = new Counter({
      name: "engine_jobs_failed_total",
      help: "Jobs dead-lettered (GET /api/v1/jobs?state=failed): every attempt used, or an error retrying cannot mend; by the last error's code.",
      labelNames: ["kind", "code"],
      registers,
    });
    for (const kind of JOB_KINDS) this.#completed.inc({ kind }, 0);
  }

  completed(kind: JobKind): void {
    this.#completed.inc({ kind });
  }

  retried(kind: JobKind, code: ErrorCode): void {
    this.#retried.inc({ kind, code });
  }

  failed(kind: JobKind, code: ErrorCode): void {
    this.#failed.inc({ kind, code });
  }
}
