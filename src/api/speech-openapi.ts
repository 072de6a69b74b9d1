import { z } from "zod";
import { asyncTranscriptionParts } from "./job-openapi.js";
import { speechRecognitionBody } from "./speech-routes.js";
import type { OpenApiParts } from "./tutor-openapi.js";

export const transcriptView = z.object({
  session_id: z.string(),
  segments: z.array(z.object({ segment_id: z.string(), participant_id: z.string(), text: z.string(), start_ms: z.number(), end_ms: z.number() })),
});

const segmentView = z.object({ text: z.string(), start_ms: z.number(), end_ms: z.number() });

export const recognitionView = z.object({
  text: z.string(),
  segments: z.array(segmentView),
  language: z.literal("en"),
  duration_ms: z.number(),
  timings: z.object({ vad_ms: z.number(), asr_ms: z.number(), total_ms: z.number() }),
});

export const uploadTranscriptionView = z.object({ text: z.string(), segments: z.array(segmentView), duration_ms: z.number() });

const recognitionErrors = (error: OpenApiParts["error"]) => ({
  "503": error("model_unavailable (Whisper not loaded or the pool unreachable), overloaded (the pool's queue is full)"),
  "504": error("deadline_exceeded: the recording waited past its deadline in the pool's queue"),
});

/** `/api/v1/sessions/{id}/transcript`, `/api/v1/ai/speech-recognition` and `/api/v1/transcribe`. */
export function speechApiPaths(parts: OpenApiParts): Record<string, unknown> {
  const { json, error, standardErrors } = parts;
  const queued = asyncTranscriptionParts(parts);
  return {
    "/api/v1/sessions/{id}/transcript": {
      get: {
        summary: "A session's final transcript segments by time, as JSON, WebVTT or SubRip (speakers named by their display names)",
        parameters: [
          { name: "id", in: "path", required: true, schema: { type: "string" } },
          { name: "format", in: "query", schema: { type: "string", enum: ["json", "vtt", "srt"], default: "json" } },
        ],
        responses: {
          "200": {
            description: "the transcript",
            content: { ...json(transcriptView).content, "text/vtt": { schema: { type: "string" } }, "application/x-subrip": { schema: { type: "string" } } },
          },
          ...standardErrors,
          "404": error("session_not_found"),
        },
      },
    },
    "/api/v1/ai/speech-recognition": {
      post: {
        summary: "Transcribe one recording sent as base64 (the meeting system's body): up to 10 minutes; only English is recognised",
        requestBody: { required: true, description: "At most 80 MB (a 10-minute 48 kHz recording in base64).", ...json(speechRecognitionBody, "input") },
        responses: {
          "200": { description: "the transcript", ...json(recognitionView) },
          ...standardErrors,
          "413": error("payload_too_large (over 80 MB) or recording_too_long (over 10 minutes)"),
          ...recognitionErrors(error),
        },
      },
    },
    "/api/v1/transcribe": {
      post: {
        summary:
          "Transcribe an uploaded WAV file (multipart/form-data, its first file field): 8–48 kHz, any bit depth and channel count, up to 10 minutes; " +
          "with async=true, queued as a job (202; its result at GET /api/v1/jobs/{id} is this 200 body)",
        parameters: queued.parameters,
        requestBody: {
          required: true,
          description: "At most 64 MB of file.",
          content: { "multipart/form-data": { schema: { type: "object", properties: { file: { type: "string", format: "binary" } }, required: ["file"] } } },
        },
        responses: {
          "200": { description: "the transcript", ...json(uploadTranscriptionView) },
          ...standardErrors,
          "413": error("payload_too_large (over 64 MB) or recording_too_long (over 10 minutes)"),
          ...recognitionErrors(error),
          ...queued.responses,
        },
      },
    },
  };
}
