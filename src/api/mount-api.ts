import { orAfter } from "../or-after.js";
import { fileURLToPath } from "node:url";
import express, { type Application, type Response } from "express";
import { matchMaker } from "@colyseus/core";
import { EngineError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { InferenceGateway } from "../inference/inference-gateway.js";
import type { EngineMetrics } from "../metrics/engine-metrics.js";
import type { SessionStore } from "../persistence/store.js";
import type { TranscriptStore } from "../persistence/transcript-store.js";
import { analysisRoutes } from "./analysis-routes.js";
import type { AnalysisStore } from "../persistence/analysis-store.js";
import type { KnowledgeBaseStore } from "../persistence/knowledge-base-store.js";
import type { TutorStore } from "../persistence/tutor-store.js";
import { knowledgeRoutes } from "./knowledge-routes.js";
import { tutorRoutes } from "./tutor-routes.js";
import { turnRoutes } from "./turn-routes.js";
import type { TurnStore } from "../persistence/turn-store.js";
import type { TutorInstances } from "../tutor/tutor-instances.js";
import type { MeetingAnalyses } from "../analysis/meeting-analyses.js";
import type { EventPublisher } from "../events/event-publisher.js";
import type { JobQueue } from "../jobs/job-queue.js";
import type { LlmClient } from "../tutor/llm/llm-client.js";
import { requireAdminKey } from "./admin-auth.js";
import { aiImageRoutes } from "./ai-image-routes.js";
import { asrServiceRoutes } from "./asr-service-routes.js";
import { jobRoutes } from "./job-routes.js";
import { meetingAnalysisRoutes } from "./meeting-analysis-routes.js";
import { DEFAULT_JSON_BODY_BYTES, refuseDeclaredOver } from "./body-limits.js";
import { errorHandler, sendError } from "./http-errors.js";
import { docsRoutes } from "./docs-routes.js";
import { openApiDocument } from "./openapi.js";
import { mountReadiness, type ReadinessCheck } from "./readiness.js";
import { operatorRoutes } from "./operator-routes.js";
import { limitRequests } from "./request-limiter.js";
import { seedSessionRoutes, sessionRoutes } from "./session-routes.js";
import { speechRoutes } from "./speech-routes.js";
import type { SessionsService } from "./sessions-service.js";

/** The bundled browser client (`npm run build:web`); the same path from src/api and dist/api. */
const WEB_DIR = fileURLToPath(new URL("../../web/dist", import.meta.url));

const SERVICE_NAME = "realtime-session-engine";

export interface ApiDeps {
  service: SessionsService;
  store: SessionStore;
  transcripts: TranscriptStore;
  analyses: AnalysisStore;
  tutors: TutorStore;
  knowledge: KnowledgeBaseStore;
  tutorInstances: TutorInstances;
  turns: TurnStore;
  /** Events on `meeting_events`, `ai_events` and `signaling_events` (the REST emotion route publishes its results). */
  events: EventPublisher;
  /** Meeting analyses (`GET /api/v1/ai/analysis/{meeting_id}`): computed at session end, stored, served from the store. */
  meetingAnalyses: MeetingAnalyses;
  /** Background jobs: `POST /api/v1/transcribe?async=true` queues on it (its routes register the handler), `GET /api/v1/jobs…` reads it. */
  jobs: JobQueue;
  inference: InferenceGateway;
  /** The language model client the ASR service's optimize routes use (fails every call when LLM_URL is unset). */
  llm: LlmClient;
  /** LLM_MODEL (null when unset), and whether LLM_URL is set: `/api/status` reports them. */
  llmModel: string | null;
  llmConfigured: boolean;
  /** ASR_API_OPEN: `/api/asr/*`, `/api/llm/*`, `/api/status` answer without the admin key. */
  asrApiOpen: boolean;
  adminApiKey: string;
  /** MAX_SESSIONS, as `/health` reports it. */
  maxSessions: number;
  /** Read per request: with PORT=0 it is known only once the server listens. */
  engineUrl: () => string;
  version: string;
  logger: Logger;
  metrics: EngineMetrics;
  /** Bearer token `/metrics` requires; null → open. */
  metricsToken: string | null;
  /** What else `/ready` depends on (persistence, inference tasks, draining), after the database and the rooms. */
  readiness: readonly ReadinessCheck[];
}

/** A probe must answer even when a database connection hangs on a lost query: not ready past this. */
const DATABASE_PING_TIMEOUT_MS = 2_000;

/** The database answers a round trip within DATABASE_PING_TIMEOUT_MS. */
function databaseReadiness(store: SessionStore): ReadinessCheck {
  return {
    name: "database",
    check: async () => {
      const answer = await orAfter(store.ping().then(() => "ok" as const, () => "unreachable" as const), DATABASE_PING_TIMEOUT_MS, "timeout" as const);
      return answer === "ok" ? { ok: true, value: "ok" } : { ok: false, value: answer === "timeout" ? "not_answering" : "unreachable", reason: "the database is unreachable" };
    },
  };
}

/** Colyseus' matchmaker accepts clients (not starting up or shutting down). */
function roomsReadiness(): ReadinessCheck {
  return {
    name: "rooms",
    check: async () =>
      matchMaker.state === matchMaker.MatchMakerState.READY
        ? { ok: true, value: "accepting" }
        : { ok: false, value: "not_accepting", reason: "rooms are not accepting clients" },
  };
}

/** Mounts the management API, health probes and docs on the engine's Express app (same port as the WebSocket). */
export function mountApi(app: Application, deps: ApiDeps): void {
  app.disable("x-powered-by");
  const document = openApiDocument(deps.version);
  // Errors answered outside the error handler go through here too, so every one is counted.
  const fail = (res: Response, error: EngineError) => {
    deps.metrics.error("api", error.code);
    sendError(res, error);
  };

  // Liveness, in the virtual tutor server's shape: it answers while the database does not (`active_sessions` null).
  app.get("/health", async (_req, res) => {
    const active = await deps.store.countOpenSessions().catch(() => null);
    res.json({ status: "healthy", service: SERVICE_NAME, version: deps.version, active_sessions: active, max_sessions: deps.maxSessions });
  });
  mountReadiness(app, [databaseReadiness(deps.store), roomsReadiness(), ...deps.readiness], deps.logger, fail);
  app.use(docsRoutes(document));

  const management = express.Router();
  management.use(limitRequests());
  management.use(requireAdminKey(deps.adminApiKey));
  // Recognition bodies (recordings, uploads) are parsed by their own routes with their own limits.
  const speech = speechRoutes({ inference: deps.inference, store: deps.store, transcripts: deps.transcripts, jobs: deps.jobs });
  const analyses = analysisRoutes({ store: deps.store, analyses: deps.analyses });
  const json = [refuseDeclaredOver(DEFAULT_JSON_BODY_BYTES), express.json({ limit: DEFAULT_JSON_BODY_BYTES, strict: false })];
  const own = sessionRoutes(deps.service, deps.engineUrl);
  const seed = seedSessionRoutes(deps.service, deps.engineUrl);
  // Knowledge documents (up to 512 KB) are parsed by their own routes too.
  const knowledge = knowledgeRoutes({ knowledge: deps.knowledge });
  const tutors = tutorRoutes({ tutors: deps.tutors, instances: deps.tutorInstances });
  const turns = turnRoutes({ store: deps.store, turns: deps.turns });
  // The ASR service's contract answers only its own paths (its limiter, key check and error shape); others pass on.
  app.use(
    "/api",
    asrServiceRoutes({
      inference: deps.inference,
      llm: deps.llm,
      llmModel: deps.llmModel,
      llmConfigured: deps.llmConfigured,
      adminApiKey: deps.adminApiKey,
      open: deps.asrApiOpen,
      service: SERVICE_NAME,
      version: deps.version,
      logger: deps.logger,
      onError: (code) => deps.metrics.error("api", code),
    }),
  );
  // Image bodies (up to 8 MB of base64) are parsed by their own routes.
  const aiImages = aiImageRoutes({ inference: deps.inference, store: deps.store, analyses: deps.analyses, events: deps.events });
  const meetingAnalysis = meetingAnalysisRoutes({ meetingAnalyses: deps.meetingAnalyses });
  const jobs = jobRoutes({ jobs: deps.jobs });
  app.use("/api/v1", management, speech, aiImages, analyses, meetingAnalysis, jobs, turns, knowledge, json, own, tutors);
  app.use("/v1", management, json, seed);
  app.use("/mgmt/v1", management, json, seed);
  app.use(["/api", "/v1", "/mgmt"], (_req, res) => {
    fail(res, new EngineError("not_found", "no such route"));
  });
  // The browser client at `/` (index.html) and its bundles; absent until built, then requests fall through to 404.
  app.use(express.static(WEB_DIR, { index: "index.html", fallthrough: true }));
  app.use(operatorRoutes({ metrics: deps.metrics, metricsToken: deps.metricsToken, adminApiKey: deps.adminApiKey }));
  // Whatever no route or file answered (path tricks included) gets the engine's JSON error, not Express' HTML page.
  app.use((_req, res) => {
    fail(res, new EngineError("not_found", "no such route or file"));
  });
  app.use(errorHandler(deps.logger, (code) => deps.metrics.error("api", code)));
}
