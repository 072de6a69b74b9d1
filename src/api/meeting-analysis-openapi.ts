import { meetingAnalysisResponse } from "../analysis/meeting-analysis-schema.js";
import type { OpenApiParts } from "./tutor-openapi.js";

/** `/api/v1/ai/analysis/{meeting_id}`. */
export function meetingAnalysisApiPaths(parts: OpenApiParts): Record<string, unknown> {
  const { json, error, standardErrors } = parts;
  return {
    "/api/v1/ai/analysis/{meeting_id}": {
      get: {
        summary:
          "A meeting's analysis: talk time, turns, words per minute, interruptions and longest monologue per participant; " +
          "camera expressions over time; transcript sentiment (VADER lexicon); a summary with action items from the LLM " +
          "(null with summary_unavailable when there is none). Computed when the session ends and served from the store; " +
          "a live session's is a snapshot computed on demand",
        parameters: [
          {
            name: "meeting_id",
            in: "path",
            required: true,
            description: "the session id (integer meeting ids as their digits)",
            schema: { type: "string", minLength: 1, maxLength: 128 },
          },
          { name: "refresh", in: "query", schema: { type: "string", enum: ["true", "false"], default: "false" }, description: "compute it again now" },
        ],
        responses: { "200": { description: "the analysis", ...json(meetingAnalysisResponse) }, ...standardErrors, "404": error("session_not_found") },
      },
    },
  };
}
