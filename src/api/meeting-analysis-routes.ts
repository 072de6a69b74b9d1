import { Router } from "express";
import { z } from "zod";
import type { MeetingAnalyses } from "../analysis/meeting-analyses.js";
import { meetingAnalysisResponse, type MeetingAnalysisResponse } from "../analysis/meeting-analysis-schema.js";
import { parseOrThrow } from "./http-errors.js";
import { sessionIdParam } from "./schemas.js";

export { meetingAnalysisResponse };

export const meetingAnalysisQuery = z.object({
  /** `true`: compute it again now (an ended session's stored analysis is replaced). */
  refresh: z.enum(["true", "false"]).default("false").transform((value) => value === "true"),
});

/**
 * The meeting system's AI analysis (`GET /api/v1/ai/analysis/{meeting_id}`): `meeting_id` is the session's id (the
 * meeting system's integer ids arrive as their digits, which are session ids like any other).
 */
export function meetingAnalysisRoutes(deps: { meetingAnalyses: MeetingAnalyses }): Router {
  const router = Router();
  router.get("/ai/analysis/:meeting_id", async (req, res) => {
    const id = parseOrThrow(sessionIdParam, req.params["meeting_id"], "path");
    const query = parseOrThrow(meetingAnalysisQuery, req.query, "query");
    const result = await deps.meetingAnalyses.get(id, { refresh: query.refresh });
    const body: MeetingAnalysisResponse = {
      meeting_id: id,
      status: result.status,
      computed_at: result.computedAt.toISOString(),
      version: result.version,
      ...result.analysis,
    };
    res.json(body);
  });
  return router;
}
