import express, { Router, type ErrorRequestHandler, type RequestHandler } from "express";
import type { z } from "zod";
import { EngineError, type ErrorCode } from "../errors.js";
import type { InferenceGateway } from "../inference/inference-gateway.js";
import type { TranscribeResult } from "../inference/pool-types.js";
import type { Logger } from "../logger.js";
import type { LlmClient } from "../tutor/llm/llm-client.js";
import { requireAdminKey } from "./admin-auth.js";
import { asrModelView } from "./asr-languages.js";
import {
  optimizeBody,
  transcribeAndOptimizeFields,
  transcribeFields,
  type healthAnswer,
  type optimizeAnswer,
  type ServiceErrorBody,
  type statusAnswer,
  type transcribeAndOptimizeAnswer,
  type transcribeAnswer,
} from "./asr-service-schemas.js";
import { requireRecognisedLanguage } from "./asr-languages.js";
import { refuseDeclaredOver } from "./body-limits.js";
import { parseOrThrow, requestFailure, setErrorHeaders } from "./http-errors.js";
import { LlmProbe } from "./llm-probe.js";
import { limitRequests } from "./request-limiter.js";
import { checkOptimizeRequest, TranscriptOptimizer, type OptimizeRequest } from "./transcript-optimizer.js";
import { closedSignal, transcriptionError } from "./pool-calls.js";
import { readMultipart, refuseUploadOver } from "./uploads.js";

/** `/api/llm/optimize` bodies: 20,000 characters of text, each up to 6 bytes as a JSON escape, and the prompt. */
const MAX_OPTIMIZE_BODY_BYTES = 256 * 1024;

export interface AsrServiceDeps {
  inference: InferenceGateway;
  /** The engine's language model client (`createLlmClient(config)`): it fails every call when none is configured. */
  llm: LlmClient;
  /** LLM_MODEL (null when unset). */
  llmModel: string | null;
  /** LLM_URL is set. */
  llmConfigured: boolean;
  adminApiKey: string;
  /** ASR_API_OPEN: `/api/asr/*`, `/api/llm/*` and `/api/status` answer without the admin key. */
  open: boolean;
  /** `/api/health`'s `service` and `version`. */
  service: string;
  version: string;
  logger: Logger;
  /** Told each error code answered (metrics). */
  onError?: (code: ErrorCode) => void;
}

/** The service's error shape: `{success: false, error, code, retryable}` (+ `details`, + what was kept). */
function serviceError(error: EngineError, extra: Partial<ServiceErrorBody> = {}): ServiceErrorBody {
  const body: ServiceErrorBody = { success: false, error: error.message, code: error.code, retryable: error.retryable, ...extra };
  if (Array.isArray(error.details)) body.details = error.details as ServiceErrorBody["details"];
  return body;
}

/** The transcript as the service gave it: `raw_text` as decoded, `text` trimmed and whitespace collapsed. */
function transcriptView(result: TranscribeResult) {
  const raw = result.segments.map((segment) => segment.text).join(" ");
  return { text: raw.replace(/\s+/gu, " ").trim(), raw_text: raw, language: "en" as const, duration: result.durationMs / 1000 };
}

/** An error carrying what the request had already produced (the transcript), so nothing is lost. */
class KeptError extends Error {
  constructor(
    readonly failure: unknown,
    readonly kept: Partial<ServiceErrorBody>,
  ) {
    super("failed with a partial answer kept", { cause: failure });
  }
}

/**
 * The ASR service's API, mounted at `/api`: `POST /asr/transcribe`, `POST /asr/transcribe-and-optimize`,
 * `POST /llm/optimize`, `GET /status` (admin key unless `open`, rate-limited) and `GET /health` (open). Every other
 * path is left to the routers after this one; unknown paths under `/asr` and `/llm` are answered here.
 */
export function asrServiceRoutes(deps: AsrServiceDeps): Router {
  const router = Router();
  const optimizer = new TranscriptOptimizer(deps.llm, { model: deps.llmModel });
  const probe = new LlmProbe(deps.llm);
  const transcribe = (file: Uint8Array) => deps.inference.transcribeWav(file).catch((error: unknown) => Promise.reject(transcriptionError(error)));
  const guarded: RequestHandler[] = deps.open ? [limitRequests()] : [limitRequests(), requireAdminKey(deps.adminApiKey)];
  // Prefixes the service owns whole; `/status` is one exact route (`/api/status/x` is not the service's).
  const servicePrefixes = ["/asr", "/llm"];

  router.get("/health", (_req, res) => {
    res.json({ status: "healthy", service: deps.service, version: deps.version } satisfies z.infer<typeof healthAnswer>);
  });
  router.use(servicePrefixes, ...guarded);

  router.post("/asr/transcribe", refuseUploadOver(), async (req, res) => {
    const upload = await readMultipart(req, res, { fileField: "audio", fields: ["language"] });
    const fields = parseOrThrow(transcribeFields, upload.fields, "body");
    await requireRecognisedLanguage(fields.language, deps.inference, "body.language");
    const result = await transcribe(upload.file);
    res.json({ success: true, ...transcriptView(result) } satisfies z.infer<typeof transcribeAnswer>);
  });

  router.post("/llm/optimize", refuseDeclaredOver(MAX_OPTIMIZE_BODY_BYTES), express.json({ limit: MAX_OPTIMIZE_BODY_BYTES }), async (req, res) => {
    const body = parseOrThrow(optimizeBody, req.body, "body");
    const request: OptimizeRequest = body.prompt === undefined ? { text: body.text, mode: body.mode } : { text: body.text, mode: body.mode, prompt: body.prompt };
    const text = await optimizer.optimize(request, closedSignal(res));
    res.json({ success: true, text, original_text: body.text, mode: body.mode, model: optimizer.model ?? "" } satisfies z.infer<typeof optimizeAnswer>);
  });

  router.post("/asr/transcribe-and-optimize", refuseUploadOver(), async (req, res) => {
    const upload = await readMultipart(req, res, { fileField: "audio", fields: ["language", "mode", "prompt"] });
    const fields = parseOrThrow(transcribeAndOptimizeFields, upload.fields, "body");
    await requireRecognisedLanguage(fields.language, deps.inference, "body.language");
    const promptOnly = { mode: fields.mode, ...(fields.prompt === undefined ? {} : { prompt: fields.prompt }) };
    // The prompt is checked before Whisper runs: a request that cannot be optimised is refused at once.
    checkOptimizeRequest({ text: "x", ...promptOnly });
    const transcript = transcriptView(await transcribe(upload.file));
    const answer = { success: true as const, raw_text: transcript.raw_text, language: transcript.language, duration: transcript.duration, mode: fields.mode, model: optimizer.model };
    if (transcript.text === "") {
      res.json({ ...answer, text: "", optimized: false } satisfies z.infer<typeof transcribeAndOptimizeAnswer>);
      return;
    }
    const text = await optimizer.optimize({ text: transcript.text, ...promptOnly }, closedSignal(res)).catch((error: unknown) => {
      throw new KeptError(error, { raw_text: transcript.raw_text, language: transcript.language, duration: transcript.duration });
    });
    res.json({ ...answer, text, optimized: true } satisfies z.infer<typeof transcribeAndOptimizeAnswer>);
  });

  router.get("/status", ...guarded, async (_req, res) => {
    const status = await deps.inference.status().catch(() => null);
    const llm = deps.llmConfigured ? await probe.check() : { reachable: false, latencyMs: null };
    res.json({
      success: true,
      asr: asrModelView(status?.models ?? []),
      llm: { configured: deps.llmConfigured, reachable: llm.reachable, model: deps.llmModel, latency_ms: llm.latencyMs },
      pool: {
        reachable: status !== null,
        execution_provider: status?.executionProvider ?? null,
        models: (status?.models ?? []).map((model) => ({ name: model.name, task: model.task, state: model.state })),
      },
    } satisfies z.infer<typeof statusAnswer>);
  });

  router.use(servicePrefixes, () => {
    throw new EngineError("not_found", "no such route of the ASR service");
  });

  const answerErrors: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const kept = error instanceof KeptError ? error : null;
    const answer = requestFailure(kept === null ? error : kept.failure, deps.logger, req.path);
    deps.onError?.(answer.code);
    setErrorHeaders(res, answer);
    res.status(answer.status).json(serviceError(answer, kept?.kept));
  };
  router.use([...servicePrefixes, "/status"], answerErrors);
  return router;
}
