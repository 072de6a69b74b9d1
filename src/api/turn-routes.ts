import { Router } from "express";
import { z } from "zod";
import { EngineError } from "../errors.js";
import type { SessionStore } from "../persistence/store.js";
import type { TurnStore } from "../persistence/turn-store.js";
import { parseOrThrow } from "./http-errors.js";
import { sessionIdParam } from "./schemas.js";

export const listTurnsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export const turnList = z.object({
  session_id: z.string(),
  total: z.number().int(),
  items: z.array(
    z.object({
      turn_id: z.number().int(),
      role: z.enum(["student", "tutor"]),
      kind: z.enum(["greeting", "answer", "question"]),
      text: z.string(),
      outcome: z.enum(["completed", "interrupted", "failed"]),
      error_code: z.string().nullable(),
      /** The tutor's: `timings` (ms from the turn's start), `sources`, and `interrupt_reason` / `played_ms`. */
      details: z.record(z.string(), z.unknown()),
      started_at: z.string(),
      ended_at: z.string(),
    }),
  ),
});

/** A tutoring session's conversation (`/api/v1/sessions/{id}/turns`): the student's words and each reply, by turn. */
export function turnRoutes(deps: { store: SessionStore; turns: TurnStore }): Router {
  const router = Router();
  router.get("/sessions/:id/turns", async (req, res) => {
    const id = parseOrThrow(sessionIdParam, req.params["id"], "path");
    const query = parseOrThrow(listTurnsQuery, req.query, "query");
    if ((await deps.store.getSession(id)) === null) throw new EngineError("session_not_found", "no session has that id");
    const page = await deps.turns.listTurns(id, query);
    const body: z.infer<typeof turnList> = {
      session_id: id,
      total: page.total,
      items: page.items.map((turn) => ({
        turn_id: turn.turnId,
        role: turn.role,
        kind: turn.kind,
        text: turn.text,
        outcome: turn.outcome,
        error_code: turn.errorCode,
        details: turn.details,
        started_at: turn.startedAt.toISOString(),
        ended_at: turn.endedAt.toISOString(),
      })),
    };
    res.json(body);
  });
  return router;
}
