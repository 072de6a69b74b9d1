import { Router } from "express";
import { z } from "zod";
import { EngineError } from "../errors.js";
import type { AnalysisStore } from "../persistence/analysis-store.js";
import type { SessionStore } from "../persistence/store.js";
import { parseOrThrow } from "./http-errors.js";
import { storable } from "../storable-text.js";
import { sessionIdParam } from "./schemas.js";

const kindName = z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, "a kind is a lower-case name such as expression");

export const listAnalysesQuery = z.object({
  kind: z
    .string()
    .max(1_000)
    .optional()
    .transform((value) => (value === undefined || value === "" ? undefined : value.split(",")))
    .pipe(z.array(kindName).max(20).optional()),
  participant_id: storable(z.string().min(1).max(128)).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export const analysisList = z.object({
  session_id: z.string(),
  total: z.number().int(),
  items: z.array(
    z.object({
      participant_id: z.string().nullable(),
      kind: z.string(),
      /** Ms since the session's creation, as transcripts count. */
      at_ms: z.number(),
      payload: z.record(z.string(), z.unknown()),
      created_at: z.string(),
    }),
  ),
});

/** A session's analyses (`/api/v1/sessions/{id}/analyses`): camera expressions and `no_face` events, by time. */
export function analysisRoutes(deps: { store: SessionStore; analyses: AnalysisStore }): Router {
  const router = Router();
  router.get("/sessions/:id/analyses", async (req, res) => {
    const id = parseOrThrow(sessionIdParam, req.params["id"], "path");
    const query = parseOrThrow(listAnalysesQuery, req.query, "query");
    if ((await deps.store.getSession(id)) === null) throw new EngineError("session_not_found", "no session has that id");
    const page = await deps.analyses.listAnalyses(id, {
      ...(query.kind === undefined ? {} : { kinds: query.kind }),
      ...(query.participant_id === undefined ? {} : { participantId: query.participant_id }),
      limit: query.limit,
      offset: query.offset,
    });
    const body: z.infer<typeof analysisList> = {
      session_id: id,
      total: page.total,
      items: page.items.map((item) => ({
        participant_id: item.participantId,
        kind: item.kind,
        at_ms: item.atMs,
        payload: item.payload,
        created_at: item.createdAt.toISOString(),
      })),
    };
    res.json(body);
  });
  return router;
}
