import { z } from "zod";
import { OPTIMIZE_LIMITS, OPTIMIZE_MODES } from "./transcript-optimizer.js";

/**
 * The ASR service's wire shapes (`/api/asr/*`, `/api/llm/*`, `/api/status`, `/api/health`), as its clients read
 * them: `success` on every answer, `duration` in seconds, errors as `{success: false, error, code, retryable}`.
 */

const mode = z.enum(OPTIMIZE_MODES);
const language = z.string().max(64).describe("en, english or unset: the only language of the loaded model (Whisper tiny.en)");

/** `POST /api/llm/optimize`. Text and prompt lengths are checked after parsing (`invalid_text`). */
export const optimizeBody = z.strictObject({
  text: z.string().describe(`1–${OPTIMIZE_LIMITS.maxTextChars.toLocaleString("en")} characters`),
  mode,
  prompt: z.string().optional().describe(`the instruction of mode custom (required there), at most ${OPTIMIZE_LIMITS.maxPromptChars.toLocaleString("en")} characters`),
});

/** Text fields of `POST /api/asr/transcribe`'s form. */
export const transcribeFields = z.strictObject({ language: language.optional() });

/** Text fields of `POST /api/asr/transcribe-and-optimize`'s form. */
export const transcribeAndOptimizeFields = z.strictObject({
  language: language.optional(),
  mode: mode.default("optimize"),
  prompt: z.string().optional(),
});

export const transcribeAnswer = z.strictObject({
  success: z.literal(true),
  text: z.string().describe("the transcript, trimmed, whitespace collapsed"),
  raw_text: z.string().describe("Whisper's text as decoded, segments joined"),
  language: z.literal("en"),
  duration: z.number().describe("the recording's length in seconds"),
});

export const optimizeAnswer = z.strictObject({
  success: z.literal(true),
  text: z.string().describe("the model's text"),
  original_text: z.string(),
  mode,
  model: z.string(),
});

export const transcribeAndOptimizeAnswer = z.strictObject({
  success: z.literal(true),
  text: z.string().describe("the model's text (empty when the recording held no speech)"),
  raw_text: z.string(),
  language: z.literal("en"),
  duration: z.number(),
  mode,
  model: z.string().nullable(),
  optimized: z.boolean().describe("false only when the recording held no speech: nothing was sent to the model"),
});

export const statusAnswer = z.strictObject({
  success: z.literal(true),
  asr: z.strictObject({ model: z.string().nullable(), loaded: z.boolean(), languages: z.array(z.string()) }),
  llm: z.strictObject({
    configured: z.boolean(),
    reachable: z.boolean().describe("the endpoint answered its model list (checked at most every few seconds)"),
    model: z.string().nullable(),
    latency_ms: z.number().nullable(),
  }),
  pool: z.strictObject({
    reachable: z.boolean(),
    execution_provider: z.string().nullable(),
    models: z.array(z.strictObject({ name: z.string(), task: z.string().nullable(), state: z.enum(["loading", "loaded", "failed"]) })),
  }),
});

export const healthAnswer = z.strictObject({ status: z.literal("healthy"), service: z.string(), version: z.string() });

export const serviceErrorBody = z.strictObject({
  success: z.literal(false),
  error: z.string().describe("what went wrong"),
  code: z.string().describe("the engine's stable error code"),
  retryable: z.boolean(),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  raw_text: z.string().optional().describe("transcribe-and-optimize: the transcript, when only the language model failed"),
  language: z.literal("en").optional(),
  duration: z.number().optional(),
});
export type ServiceErrorBody = z.infer<typeof serviceErrorBody>;
