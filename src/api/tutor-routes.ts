import { Router } from "express";
import type { z } from "zod";
import { EngineError } from "../errors.js";
import type { TutorStore } from "../persistence/tutor-store.js";
import type { TutorInstances } from "../tutor/tutor-instances.js";
import { tutorSettings, type TutorProfile } from "../tutor/tutor-profile.js";
import { parseOrThrow } from "./http-errors.js";
import { pageQuery, tutorIdParam, type tutorView } from "./tutor-schemas.js";

/** How long a prewarm waits for the voice and the LLM endpoint. */
const PREWARM_TIMEOUT_MS = 15_000;

/** A stored profile on the wire: ISO times. */
export function tutorProfileView(profile: TutorProfile): z.infer<typeof tutorView> {
  return { ...profile, created_at: profile.created_at.toISOString(), updated_at: profile.updated_at.toISOString() };
}

/** `/api/v1/tutors…`: tutor profiles. A PUT replaces the whole profile; fields it leaves out take their defaults. */
export function tutorRoutes(deps: { tutors: TutorStore; instances: TutorInstances; now?: () => Date }): Router {
  const router = Router();
  const now = deps.now ?? (() => new Date());

  router.put("/tutors/:tutor_id", async (req, res) => {
    const tutorId = parseOrThrow(tutorIdParam, req.params["tutor_id"], "path");
    const settings = parseOrThrow(tutorSettings, req.body, "body");
    const at = now();
    const stored = await deps.tutors.put({ tutor_id: tutorId, ...settings, created_at: at, updated_at: at });
    // Sessions from now on get the new profile; live ones keep the instance they started with.
    deps.instances.invalidate(tutorId);
    res.status(stored.created ? 201 : 200).json(tutorProfileView(stored.profile));
  });

  router.get("/tutors", async (req, res) => {
    const query = parseOrThrow(pageQuery, req.query, "query");
    const page = await deps.tutors.list(query);
    res.json({ items: page.items.map(tutorProfileView), total: page.total, limit: query.limit, offset: query.offset });
  });

  router.get("/tutors/:tutor_id", async (req, res) => {
    const tutorId = parseOrThrow(tutorIdParam, req.params["tutor_id"], "path");
    const profile = await deps.tutors.get(tutorId);
    if (profile === null) throw new EngineError("tutor_not_found", "no tutor profile has that id");
    res.json(tutorProfileView(profile));
  });

  router.delete("/tutors/:tutor_id", async (req, res) => {
    const tutorId = parseOrThrow(tutorIdParam, req.params["tutor_id"], "path");
    if (!(await deps.tutors.delete(tutorId))) throw new EngineError("tutor_not_found", "no tutor profile has that id");
    deps.instances.invalidate(tutorId);
    res.status(204).end();
  });

  // Makes the tutor's instance ready before its first session: its voice synthesized once, its LLM endpoint asked
  // for its models. A tutor without a stored profile is prewarmed with the default one (as its sessions would be).
  router.post("/tutors/:tutor_id/prewarm", async (req, res) => {
    const tutorId = parseOrThrow(tutorIdParam, req.params["tutor_id"], "path");
    const report = await deps.instances.prewarm(tutorId, AbortSignal.timeout(PREWARM_TIMEOUT_MS));
    res.json({ ...report, ready: report.voice.ok && report.llm.ok });
  });

  return router;
}
