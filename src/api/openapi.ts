import { z } from "zod";
import { DEFAULT_JSON_BODY_BYTES, formatBytes } from "./body-limits.js";
import { analysisList } from "./analysis-routes.js";
import {
  createdSession,
  createSessionBody,
  errorBody,
  issuedToken,
  issueTokenBody,
  seedCreatedSession,
  seedCreateSessionBody,
  sessionDetail,
  sessionList,
} from "./schemas.js";
import { aiImageApiPaths } from "./ai-image-openapi.js";
import { asrServiceApiPaths } from "./asr-service-openapi.js";
import { jobApiPaths } from "./job-openapi.js";
import { meetingAnalysisApiPaths } from "./meeting-analysis-openapi.js";
import { speechApiPaths } from "./speech-openapi.js";
import { tutorApiPaths } from "./tutor-openapi.js";
import { turnList } from "./turn-routes.js";

/** The parts of an operation the document's own checks read. */
interface Operation {
  requestBody?: unknown;
  responses: Record<string, unknown>;
  tags?: string[];
}

/** Swagger UI's groups, by path: the contracts apart from the engine's own routes. */
const TAGS = [
  { name: "sessions", description: "Sessions, tokens, transcripts, analyses and turns", match: /^\/api\/v1\/sessions/ },
  { name: "meeting AI", description: "The meeting system's AI service: speech, emotion, deepfake, enhancement, meeting analysis", match: /^\/api\/v1\/(ai\/|transcribe)/ },
  { name: "tutors", description: "Tutor profiles and knowledge bases", match: /^\/api\/v1\/(tutors|knowledge-bases)/ },
  { name: "ASR service", description: "The speech service's API, in its own shapes", match: /^\/api\/(asr|llm|status|health)/ },
  { name: "virtual tutor server", description: "The virtual tutor server's session routes", match: /^\/(v1|mgmt)\// },
] as const;
const OPERATOR_TAG = { name: "operators", description: "Probes, metrics, monitor and these docs" };

function tagOf(path: string): string {
  return TAGS.find((tag) => tag.match.test(path))?.name ?? OPERATOR_TAG.name;
}

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function openApiDocument(version: string): Record<string, unknown> {
  const schema = (type: z.ZodType, io: "input" | "output" = "output") => z.toJSONSchema(type, { io, unrepresentable: "any" });
  const json = (type: z.ZodType, io: "input" | "output" = "output") => ({ content: { "application/json": { schema: schema(type, io) } } });
  const error = (description: string) => ({ description, ...json(errorBody) });
  const standardErrors = {
    "400": error("invalid_request: malformed JSON or failing fields (listed in details)"),
    "401": error("unauthorized: missing or wrong admin API key"),
    "429": error("rate_limited"),
  };
  const idParam = [{ name: "id", in: "path", required: true, schema: { type: "string" } }];
  const listParams = [
    { name: "status", in: "query", schema: { type: "string" }, description: "comma-separated statuses" },
    { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
    { name: "offset", in: "query", schema: { type: "integer", minimum: 0, default: 0 } },
  ];
  const sessionPaths = (prefix: string, seed: boolean) => ({
    [`${prefix}/sessions`]: {
      post: {
        summary: seed ? "Create a tutoring session (seed contract)" : "Create a session",
        requestBody: { required: true, ...json(seed ? seedCreateSessionBody : createSessionBody, "input") },
        responses: {
          "201": { description: "created; the room exists and engine_token joins it", ...json(seed ? seedCreatedSession : createdSession) },
          ...standardErrors,
          "503": error("max_sessions: the engine holds its maximum of open sessions"),
        },
      },
      get: { summary: "List sessions, newest first", parameters: listParams, responses: { "200": { description: "a page", ...json(sessionList) }, ...standardErrors } },
    },
    [`${prefix}/sessions/{id}`]: {
      get: { summary: "A session with its participants", parameters: idParam, responses: { "200": { description: "the session", ...json(sessionDetail) }, ...standardErrors, "404": error("session_not_found") } },
      delete: { summary: "End a session: clients get session.ended and are disconnected", parameters: idParam, responses: { "204": { description: "ended" }, ...standardErrors, "404": error("session_not_found") } },
    },
  });
  const parts = { json, schema, error, standardErrors };
  const paths: Record<string, unknown> = {
    ...sessionPaths("/api/v1", false),
    "/api/v1/sessions/{id}/tokens": {
      post: {
        summary: "Issue a join token for a participant",
        parameters: idParam,
        requestBody: { required: true, ...json(issueTokenBody, "input") },
        responses: { "201": { description: "a token", ...json(issuedToken) }, ...standardErrors, "404": error("session_not_found"), "409": error("session_ended") },
      },
    },
    "/api/v1/sessions/{id}/analyses": {
      get: {
        summary: "A session's analyses by time: camera expressions (on change, at least every 2 s) and no_face events",
        parameters: [
          ...idParam,
          { name: "kind", in: "query", schema: { type: "string" }, description: "comma-separated kinds, e.g. expression,no_face" },
          { name: "participant_id", in: "query", schema: { type: "string" } },
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
          { name: "offset", in: "query", schema: { type: "integer", minimum: 0, default: 0 } },
        ],
        responses: { "200": { description: "a page", ...json(analysisList) }, ...standardErrors, "404": error("session_not_found") },
      },
    },
    "/api/v1/sessions/{id}/turns": {
      get: {
        summary: "A tutoring session's conversation by turn: the student's words, then the tutor's reply (completed, interrupted with what was said, or failed), with timings and sources",
        parameters: [
          ...idParam,
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
          { name: "offset", in: "query", schema: { type: "integer", minimum: 0, default: 0 } },
        ],
        responses: { "200": { description: "a page", ...json(turnList) }, ...standardErrors, "404": error("session_not_found") },
      },
    },
    ...speechApiPaths(parts),
    ...aiImageApiPaths(parts),
    ...meetingAnalysisApiPaths(parts),
    ...jobApiPaths(parts),
    ...asrServiceApiPaths(parts),
    ...tutorApiPaths(parts),
    "/api/v1/tutors/{tutor_id}/prewarm": {
      post: {
        summary: "Make the tutor's instance ready before its first session: synthesize with its voice once, ask its LLM endpoint for its models (a tutor without a profile is prewarmed with the default one)",
        parameters: [{ name: "tutor_id", in: "path", required: true, schema: { type: "string", pattern: "^[A-Za-z0-9._:@-]+$", maxLength: 128 } }],
        responses: { "200": { description: "what answered: `voice` and `llm`, each `{ok, ms, ...}` or `{ok: false, code, message}`; `ready` when both did", content: { "application/json": { schema: { type: "object" } } } }, ...standardErrors },
      },
    },
    ...sessionPaths("/v1", true),
    ...sessionPaths("/mgmt/v1", true),
    "/health": {
      get: {
        summary: "Process up, in the virtual tutor server's shape: {status: \"healthy\", service, version, active_sessions (null when the database does not answer), max_sessions}",
        security: [],
        responses: { "200": { description: "healthy" } },
      },
    },
    "/openapi.json": { get: { summary: "This document (OpenAPI 3.1), generated from the zod schemas that validate each request", security: [], responses: { "200": { description: "the document", content: { "application/json": { schema: { type: "object" } } } } } } },
    "/docs": { get: { summary: "Swagger UI over this document, served by the engine (no CDN); `/docs` redirects to `/docs/`", security: [], responses: { "200": { description: "the page", content: { "text/html": { schema: { type: "string" } } } }, "301": { description: "to /docs/" } } } },
    "/ready": { get: { summary: "Database reachable and rooms accepting", security: [], responses: { "200": { description: "ready" }, "503": error("not_ready") } } },
    "/metrics": {
      get: {
        summary: "Prometheus metrics (text format 0.0.4)",
        security: [{ metricsToken: [] }, {}],
        responses: { "200": { description: "the exposition", content: { "text/plain": { schema: { type: "string" } } } }, "401": error("unauthorized") },
      },
    },
    "/monitor/": {
      get: {
        summary: "Colyseus monitor panel: every room with its kind, status and participants (JSON at /monitor/api)",
        security: [{ monitorLogin: [] }],
        responses: { "200": { description: "the panel", content: { "text/html": { schema: { type: "string" } } } }, "401": error("unauthorized") },
      },
    },
  };
  // Every route that reads a body says its limit; the JSON routes that set none have the default one.
  const defaultLimit = error(`payload_too_large: JSON bodies over ${formatBytes(DEFAULT_JSON_BODY_BYTES)}`);
  for (const [path, methods] of Object.entries(paths)) {
    for (const operation of Object.values(methods as Record<string, Operation>)) {
      if (operation.requestBody !== undefined && operation.responses["413"] === undefined) operation.responses["413"] = defaultLimit;
      operation.tags ??= [tagOf(path)];
    }
  }
  return {
    openapi: "3.1.0",
    info: { title: "Realtime session engine — API", version },
    tags: [...TAGS.map(({ name, description }) => ({ name, description })), OPERATOR_TAG],
    components: {
      securitySchemes: {
        adminKey: { type: "http", scheme: "bearer", description: "ADMIN_API_KEY" },
        metricsToken: { type: "http", scheme: "bearer", description: "METRICS_TOKEN (the route is open when it is unset)" },
        monitorLogin: { type: "http", scheme: "basic", description: "any user name, ADMIN_API_KEY as the password" },
      },
    },
    security: [{ adminKey: [] }],
    paths,
  };
}
