import { Router, type Request } from "express";
import type { SessionStatus } from "../domain.js";
import { parseOrThrow } from "./http-errors.js";
import { createSessionBody, issueTokenBody, listSessionsQuery, seedCreateSessionBody, sessionIdParam } from "./schemas.js";
import type { SessionsService } from "./sessions-service.js";
import { sessionDetailView, sessionSummaryView } from "./session-views.js";

function sessionId(req: Request): string {
  return parseOrThrow(sessionIdParam, req.params["id"], "path");
}

/** `/api/v1/sessions…`: the engine's own management API. */
export function sessionRoutes(service: SessionsService, engineUrl: () => string): Router {
  const router = Router();

  router.post("/sessions", async (req, res) => {
    const body = parseOrThrow(createSessionBody, req.body, "body");
    const created = await service.create({
      kind: body.kind,
      title: body.title,
      tutorId: body.tutor_id,
      studentId: body.student_id,
      kbId: body.kb_id,
      maxParticipants: body.max_participants,
      idleTimeoutMs: body.idle_timeout_ms,
      maxDurationMs: body.max_duration_ms,
      noiseSuppression: body.noise_suppression,
      videoFps: body.video_fps,
    });
    res.status(201).json({
      session_id: created.session.id,
      kind: created.session.kind,
      status: created.status,
      engine_url: engineUrl(),
      engine_token: created.engineToken,
      created_at: created.session.createdAt.toISOString(),
    });
  });

  router.get("/sessions", async (req, res) => {
    const query = parseOrThrow(listSessionsQuery, req.query, "query");
    const page = await service.list({ statuses: query.status, limit: query.limit, offset: query.offset });
    res.json({ items: page.items.map(sessionSummaryView), total: page.total, limit: query.limit, offset: query.offset });
  });

  router.get("/sessions/:id", async (req, res) => {
    const { session, participants } = await service.get(sessionId(req));
    res.json(sessionDetailView(session, participants));
  });

  router.delete("/sessions/:id", async (req, res) => {
    await service.end(sessionId(req));
    res.status(204).end();
  });

  router.post("/sessions/:id/tokens", async (req, res) => {
    const id = sessionId(req);
    const body = parseOrThrow(issueTokenBody, req.body, "body");
    const issued = await service.issueToken(id, { participantId: body.participant_id, name: body.name, role: body.role, ttlMs: body.ttl_ms });
    res.status(201).json({ token: issued.token, expires_at: issued.expiresAt.toISOString(), engine_url: engineUrl() });
  });

  return router;
}

/** Seed clients know sessions as `active` until they end. */
function seedStatus(status: SessionStatus): "active" | "ended" {
  return status === "ended" ? "ended" : "active";
}

/** `/v1/sessions…` and `/mgmt/v1/sessions`: the seed's contract, tutoring sessions by tutor and student. */
export function seedSessionRoutes(service: SessionsService, engineUrl: () => string): Router {
  const router = Router();

  router.post("/sessions", async (req, res) => {
    const body = parseOrThrow(seedCreateSessionBody, req.body, "body");
    const created = await service.create({ kind: "tutoring", tutorId: body.tutor_id, studentId: body.student_id, kbId: body.kb_id });
    res.status(201).json({
      session_id: created.session.id,
      // That server's clients open `${engine_url}?token=${engine_token}`: the bridge's path for this session.
      engine_url: `${engineUrl()}/ws/${encodeURIComponent(created.session.id)}`,
      engine_token: created.engineToken,
      status: "active",
    });
  });

  router.get("/sessions", async (req, res) => {
    const query = parseOrThrow(listSessionsQuery, req.query, "query");
    const page = await service.list({ statuses: query.status, limit: query.limit, offset: query.offset });
    res.json({
      items: page.items.map((session) => ({ ...sessionSummaryView(session), status: seedStatus(session.status), lifecycle_status: session.status })),
      total: page.total,
      limit: query.limit,
      offset: query.offset,
    });
  });

  router.get("/sessions/:id", async (req, res) => {
    const { session, participants } = await service.get(sessionId(req));
    res.json({ ...sessionDetailView(session, participants), status: seedStatus(session.status), lifecycle_status: session.status });
  });

  router.delete("/sessions/:id", async (req, res) => {
    await service.end(sessionId(req));
    res.status(204).end();
  });

  return router;
}
