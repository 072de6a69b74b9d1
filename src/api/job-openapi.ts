import { JOB_KINDS, JOB_STATES } from "../jobs/job-queue.js";
import { jobAccepted, jobList, jobView } from "./job-routes.js";
import type { OpenApiParts } from "./tutor-openapi.js";

/** `/api/v1/jobs` and `/api/v1/jobs/{id}`. */
export function jobApiPaths(parts: OpenApiParts): Record<string, unknown> {
  const { json, error, standardErrors } = parts;
  return {
    "/api/v1/jobs": {
      get: {
        summary:
          "Background jobs in one state, for operators: by default the dead letter (`failed`: every attempt used, or an " +
          "error retrying cannot mend, with the last error's code and message), most recently failed first",
        parameters: [
          { name: "state", in: "query", schema: { type: "string", enum: [...JOB_STATES], default: "failed" } },
          { name: "kind", in: "query", schema: { type: "string", enum: [...JOB_KINDS] } },
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
          { name: "offset", in: "query", schema: { type: "integer", minimum: 0, maximum: 10_000, default: 0 } },
        ],
        responses: { "200": { description: "a page", ...json(jobList) }, ...standardErrors },
      },
    },
    "/api/v1/jobs/{id}": {
      get: {
        summary:
          "A background job (a transcription queued with `POST /api/v1/transcribe?async=true`, a session's final analysis " +
          "`meeting_analysis:<session id>`): its state, attempts, and once completed its result, or its last error",
        parameters: [{ name: "id", in: "path", required: true, description: "`<kind>:<key>`, URL-encoded", schema: { type: "string", minLength: 1, maxLength: 300 } }],
        responses: {
          "200": { description: "the job", ...json(jobView) },
          ...standardErrors,
          "404": error("job_not_found: never queued, or finished longer ago than jobs are kept (completed: 1 hour; failed: 1 day for transcriptions, 7 for analyses)"),
        },
      },
    },
  };
}

/** What `POST /api/v1/transcribe` adds for `async=true`: its query parameter and its 202 (for speech-openapi.ts). */
export function asyncTranscriptionParts(parts: OpenApiParts): { parameters: unknown[]; responses: Record<string, unknown> } {
  return {
    parameters: [
      {
        name: "async",
        in: "query",
        schema: { type: "string", enum: ["true", "false"], default: "false" },
        description: "true: answer 202 at once and transcribe as a job; its result (GET status_url) is the 200 body",
      },
    ],
    responses: {
      "202": {
        description: "queued (async=true); `Location` is the status_url",
        ...parts.json(jobAccepted),
      },
      "503": parts.error("model_unavailable, overloaded (the pool's queue, or with async=true the transcription jobs' queue, is full)"),
    },
  };
}
