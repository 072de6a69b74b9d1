import { MAX_RECORDING_MS } from "../inference/pool-types.js";
import {
  healthAnswer,
  optimizeAnswer,
  optimizeBody,
  serviceErrorBody,
  statusAnswer,
  transcribeAndOptimizeAnswer,
  transcribeAnswer,
} from "./asr-service-schemas.js";
import { OPTIMIZE_LIMITS, OPTIMIZE_MODES } from "./transcript-optimizer.js";
import type { OpenApiParts } from "./tutor-openapi.js";
import { MAX_UPLOAD_BYTES } from "./uploads.js";

const uploadMb = `${MAX_UPLOAD_BYTES / 1024 / 1024} MB`;
const minutes = `${MAX_RECORDING_MS / 60_000} minutes`;

/** The form of the two upload routes: the WAV in `audio`, text fields beside it. */
function form(withMode: boolean): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    audio: { type: "string", format: "binary", contentMediaType: "audio/wav", description: `a WAV file: 8–48 kHz, any bit depth and channel count, up to ${minutes} and ${uploadMb}` },
    language: { type: "string", maxLength: 64, description: "en, english or unset: only English is recognised (Whisper tiny.en)" },
  };
  if (withMode) {
    properties["mode"] = { type: "string", enum: [...OPTIMIZE_MODES], default: "optimize" };
    properties["prompt"] = { type: "string", maxLength: OPTIMIZE_LIMITS.maxPromptChars, description: "the instruction of mode custom (required there)" };
  }
  return { content: { "multipart/form-data": { schema: { type: "object", properties, required: ["audio"] } } } };
}

/**
 * `/api/asr/transcribe`, `/api/asr/transcribe-and-optimize`, `/api/llm/optimize`, `/api/status`, `/api/health`: the
 * ASR service's API, its errors in its own shape (`{success: false, error, code, retryable}`).
 */
export function asrServiceApiPaths(parts: OpenApiParts): Record<string, unknown> {
  const { json } = parts;
  const failure = (description: string) => ({ description, ...json(serviceErrorBody) });
  // The admin key unless ASR_API_OPEN=true opens these routes.
  const security = [{ adminKey: [] }, {}];
  const common = {
    "400": failure("invalid_request: a missing file or field, a bad mode (listed in details)"),
    "401": failure("unauthorized: missing or wrong admin API key (unless ASR_API_OPEN=true)"),
    "429": failure("rate_limited"),
  };
  const audioErrors = {
    "413": failure(`payload_too_large (a file over ${uploadMb}) or recording_too_long (over ${minutes})`),
    "503": failure("model_unavailable (Whisper not loaded or the pool unreachable), overloaded (the pool's queue is full)"),
    "504": failure("deadline_exceeded: the recording waited past its deadline in the pool's queue"),
  };
  const audio400 = failure("invalid_audio (not a WAV the pool reads), language_unsupported (a language other than English; the message names those available), invalid_request");
  const text400 = `invalid_text: empty text, text over ${OPTIMIZE_LIMITS.maxTextChars.toLocaleString("en")} characters or a prompt over ${OPTIMIZE_LIMITS.maxPromptChars.toLocaleString("en")}`;
  return {
    "/api/asr/transcribe": {
      post: {
        summary: "Transcribe an uploaded WAV (the ASR service's contract): text, raw_text, language, duration in seconds",
        security,
        requestBody: { required: true, ...form(false) },
        responses: { "200": { description: "the transcript", ...json(transcribeAnswer) }, ...common, "400": audio400, ...audioErrors },
      },
    },
    "/api/asr/transcribe-and-optimize": {
      post: {
        summary: "Transcribe an uploaded WAV, then clean the transcript up with the language model (mode optimize by default)",
        security,
        requestBody: { required: true, ...form(true) },
        responses: {
          "200": { description: "the model's text and the transcript", ...json(transcribeAndOptimizeAnswer) },
          ...common,
          "400": failure(`invalid_audio, language_unsupported, invalid_request (a bad mode, custom without prompt), ${text400}`),
          ...audioErrors,
          "503": failure("llm_unavailable (no LLM configured, or it failed: the body still carries raw_text, language and duration), model_unavailable, overloaded"),
        },
      },
    },
    "/api/llm/optimize": {
      post: {
        summary: "Clean a transcript up with the language model: optimize (fix recognition errors), format (paragraphs), punctuate (punctuation and casing only), custom (your prompt)",
        security,
        requestBody: { required: true, description: "JSON, at most 256 KB.", ...json(optimizeBody, "input") },
        responses: {
          "200": { description: "the model's text", ...json(optimizeAnswer) },
          ...common,
          "400": failure(`invalid_request (malformed JSON, an unknown mode, custom without prompt), ${text400}`),
          "413": failure("payload_too_large: a body over 256 KB"),
          "503": failure("llm_unavailable: no LLM configured (LLM_URL), or it did not answer in time or failed; never the text back as if optimised"),
        },
      },
    },
    "/api/status": {
      get: {
        summary: "The speech model (loaded, languages), the language model (configured, reachable: probed at most every 5 s) and the pool's models",
        security,
        responses: { "200": { description: "the status", ...json(statusAnswer) }, "401": common["401"], "429": common["429"] },
      },
    },
    "/api/health": {
      get: { summary: "The ASR service's liveness: {status: \"healthy\", service, version}; always open", security: [], responses: { "200": { description: "healthy", ...json(healthAnswer) } } },
    },
  };
}
