import busboy from "busboy";
import express, { Router, type Request } from "express";
import { z } from "zod";
import { EngineError, isEngineError } from "../errors.js";
import { AudioError } from "../inference/audio/audio-error.js";
import type { InferenceGateway } from "../inference/inference-gateway.js";
import { MAX_RECORDING_MS, poolErrorCodeOf, SUPPORTED_SAMPLE_RATES, type TranscribeResult } from "../inference/pool-types.js";
import type { SessionStore } from "../persistence/store.js";
import type { TranscriptStore } from "../persistence/transcript-store.js";
import { storable } from "../storable-text.js";
import { refuseDeclaredOver } from "./body-limits.js";
import { parseOrThrow } from "./http-errors.js";
import { sessionIdParam } from "./schemas.js";
import { speakerNames, toSrt, toVtt } from "./subtitles.js";

/** A 10-minute recording at 48 kHz, base64: the largest body the recognition route reads. */
const MAX_RECOGNITION_BODY_BYTES = 80 * 1024 * 1024;
const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
/** Room for the multipart framing around the file when a declared length is checked before reading. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const speechRecognitionBody = z.strictObject({
  audio_data: z.string().min(1),
  format: z.enum(["pcm", "wav"]),
  sample_rate: z.union(SUPPORTED_SAMPLE_RATES.map((rate) => z.literal(rate)) as [z.ZodLiteral<8000>, ...z.ZodLiteral<number>[]]).optional(),
  session_id: storable(z.string().max(128)).optional(),
  participant_id: storable(z.string().max(128)).optional(),
});

const transcriptQuery = z.object({ format: z.enum(["json", "vtt", "srt"]).default("json") });

/** Pool failures as API errors, by the pool's stable code. */
function apiError(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  const code = error instanceof AudioError ? "invalid_audio" : poolErrorCodeOf(error);
  const message = error instanceof Error ? error.message : "transcription failed";
  switch (code) {
    case "invalid_audio":
    case "recording_too_long":
    case "model_unavailable":
    case "overloaded":
    case "deadline_exceeded":
      return new EngineError(code, message, { cause: error });
    default:
      return new EngineError("internal", message, { cause: error });
  }
}

function segmentsView(result: TranscribeResult) {
  return result.segments.map((s) => ({ text: s.text, start_ms: s.startMs, end_ms: s.endMs }));
}

/** Reads the first file field of a multipart upload, bounded. */
function readUpload(req: Request): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: MAX_UPLOAD_BYTES, fields: 10 } });
    } catch {
      reject(new EngineError("invalid_request", "expected a multipart/form-data upload with a WAV file"));
      return;
    }
    let found = false;
    const unreadable = () => reject(new EngineError("invalid_request", "the multipart body could not be read"));
    parser.on("file", (_name, file) => {
      found = true;
      const parts: Buffer[] = [];
      file.on("data", (data: Buffer) => parts.push(data));
      file.on("limit", () => reject(new EngineError("payload_too_large", `uploads are limited to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`)));
      // A form that ends inside the file ("Unexpected end of form") fails the file stream: unhandled, it would be
      // an uncaught exception.
      file.on("error", unreadable);
      file.on("end", () => resolve(new Uint8Array(Buffer.concat(parts))));
    });
    parser.on("error", unreadable);
    parser.on("close", () => {
      if (!found) reject(new EngineError("invalid_request", "no file in the upload", { details: [{ path: "body.file", message: "a WAV file is required" }] }));
    });
    // A client gone before the end of its upload: nothing more will come, and nobody is left to answer.
    req.once("close", () => {
      if (!req.complete) unreadable();
    });
    req.pipe(parser);
  });
}

/** Transcripts of sessions and transcription of recordings (`/api/v1`). */
export function speechRoutes(deps: { inference: InferenceGateway; store: SessionStore; transcripts: TranscriptStore }): Router {
  const router = Router();

  router.get("/sessions/:id/transcript", async (req, res) => {
    const id = parseOrThrow(sessionIdParam, req.params["id"], "path");
    const { format } = parseOrThrow(transcriptQuery, req.query, "query");
    if ((await deps.store.getSession(id)) === null) throw new EngineError("session_not_found", "no session has that id");
    const segments = await deps.transcripts.listSegments(id);
    if (format === "vtt" || format === "srt") {
      // Subtitles name the speakers: the display names recorded at join.
      const names = speakerNames(await deps.store.listParticipants(id));
      if (format === "vtt") res.type("text/vtt").send(toVtt(segments, names));
      else res.type("application/x-subrip").send(toSrt(segments, names));
    } else {
      res.json({
        session_id: id,
        segments: segments.map((s) => ({ segment_id: s.segmentId, participant_id: s.participantId, text: s.text, start_ms: s.startMs, end_ms: s.endMs })),
      });
    }
  });

  router.post("/ai/speech-recognition", refuseDeclaredOver(MAX_RECOGNITION_BODY_BYTES), express.json({ limit: MAX_RECOGNITION_BODY_BYTES }), async (req, res) => {
    const body = parseOrThrow(speechRecognitionBody, req.body, "body");
    if (!BASE64.test(body.audio_data) || body.audio_data.length % 4 !== 0) {
      throw new EngineError("invalid_audio", "audio_data is not valid base64", { details: [{ path: "body.audio_data", message: "base64" }] });
    }
    const bytes = new Uint8Array(Buffer.from(body.audio_data, "base64"));
    let result: TranscribeResult;
    if (body.format === "wav") {
      // The pool decodes it, off every event loop that serves rooms.
      result = await deps.inference.transcribeWav(bytes).catch((error: unknown) => Promise.reject(apiError(error)));
    } else {
      if (body.sample_rate === undefined) {
        throw new EngineError("invalid_request", "format pcm needs sample_rate", { details: [{ path: "body.sample_rate", message: "required for pcm" }] });
      }
      if (bytes.byteLength % 2 !== 0) throw new EngineError("invalid_audio", "16-bit PCM needs an even number of bytes");
      // Refused here, before the pool resamples it.
      if ((bytes.byteLength / 2 / body.sample_rate) * 1000 > MAX_RECORDING_MS) {
        throw new EngineError("recording_too_long", `recordings are limited to ${MAX_RECORDING_MS / 60_000} minutes`);
      }
      result = await deps.inference.transcribe(bytes, body.sample_rate).catch((error: unknown) => Promise.reject(apiError(error)));
    }
    res.json({ text: result.text, segments: segmentsView(result), language: "en", duration_ms: result.durationMs, timings: { vad_ms: result.timings.vadMs, asr_ms: result.timings.asrMs, total_ms: result.timings.totalMs } });
  });

  // A declared length is refused up front; a chunked upload is cut at the file limit while it is read.
  router.post("/transcribe", refuseDeclaredOver(MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES), async (req, res) => {
    const upload = await readUpload(req).catch((error: unknown) => {
      // The rest of an over-long upload is not worth reading: close the connection after the answer.
      if (isEngineError(error, "payload_too_large")) res.setHeader("Connection", "close");
      throw error;
    });
    const result = await deps.inference.transcribeWav(upload).catch((error: unknown) => Promise.reject(apiError(error)));
    res.json({ text: result.text, segments: segmentsView(result), duration_ms: result.durationMs });
  });

  return router;
}
