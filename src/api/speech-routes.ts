import express, { Router } from "express";
import { z } from "zod";
import { BASE64_TEXT } from "./base64-text.js";
import { EngineError } from "../errors.js";
import { isAudioError } from "../inference/audio/audio-error.js";
import { readWavLayout } from "../inference/audio/wav.js";
import { DEFAULT_WAV_DECODER_OPTIONS } from "../inference/audio/wav-decoder.js";
import type { InferenceGateway } from "../inference/inference-gateway.js";
import { MAX_RECORDING_MS, SUPPORTED_SAMPLE_RATES, type TranscribeResult } from "../inference/pool-types.js";
import type { JobHandler, JobQueue } from "../jobs/job-queue.js";
import type { SessionStore } from "../persistence/store.js";
import type { TranscriptStore } from "../persistence/transcript-store.js";
import { storable } from "../storable-text.js";
import { requireRecognisedLanguage } from "./asr-languages.js";
import { refuseDeclaredOver } from "./body-limits.js";
import { parseOrThrow } from "./http-errors.js";
import { jobStatusUrl } from "./job-routes.js";
import { idText, meetingSystemId } from "./meeting-system-ids.js";
import { sessionIdParam } from "./schemas.js";
import { speakerNames, toSrt, toVtt } from "./subtitles.js";
import { transcriptionError } from "./pool-calls.js";
import { readMultipart, refuseUploadOver } from "./uploads.js";

/** A 10-minute recording at 48 kHz, base64: the largest body the recognition route reads. */
const MAX_RECOGNITION_BODY_BYTES = 80 * 1024 * 1024;

/**
 * The engine's body, and the meeting system's (`meeting_id`, `user_id`: aliases of `session_id`, `participant_id`;
 * `language`: only what the loaded models recognise).
 */
export const speechRecognitionBody = z
  .strictObject({
    audio_data: z.string().min(1),
    format: z.enum(["pcm", "wav"]),
    sample_rate: z.union(SUPPORTED_SAMPLE_RATES.map((rate) => z.literal(rate)) as [z.ZodLiteral<8000>, ...z.ZodLiteral<number>[]]).optional(),
    session_id: storable(z.string().max(128)).optional(),
    participant_id: storable(z.string().max(128)).optional(),
    meeting_id: meetingSystemId.optional(),
    user_id: meetingSystemId.optional(),
    language: storable(z.string().max(64)).optional().describe("en, en-US or english (case-insensitive); others are refused with language_unsupported"),
  })
  .refine((body) => body.meeting_id === undefined || body.session_id === undefined || idText(body.meeting_id) === body.session_id, {
    message: "meeting_id is an alias of session_id: send one, or the same value in both",
    path: ["meeting_id"],
  })
  .refine((body) => body.user_id === undefined || body.participant_id === undefined || idText(body.user_id) === body.participant_id, {
    message: "user_id is an alias of participant_id: send one, or the same value in both",
    path: ["user_id"],
  });

const transcriptQuery = z.object({ format: z.enum(["json", "vtt", "srt"]).default("json") });

/** `async=true`: answer 202 with a job id at once, and transcribe as a `transcription` job. */
const transcribeQuery = z.object({ async: z.enum(["true", "false"]).default("false").transform((value) => value === "true") });

function segmentsView(result: TranscribeResult) {
  return result.segments.map((s) => ({ text: s.text, start_ms: s.startMs, end_ms: s.endMs }));
}

/** What `POST /api/v1/transcribe` answers, and a `transcription` job's result. */
function uploadTranscriptionBody(result: TranscribeResult) {
  return { text: result.text, segments: segmentsView(result), duration_ms: result.durationMs };
}

function transcribeUpload(inference: InferenceGateway, wav: Uint8Array): Promise<TranscribeResult> {
  return inference.transcribeWav(wav).catch((error: unknown) => Promise.reject(transcriptionError(error)));
}

/** The `transcription` job: the upload, back from base64, through the pool. Its busy and unavailable answers are retried. */
export function transcriptionJob(inference: InferenceGateway): JobHandler<"transcription"> {
  return async (payload) => uploadTranscriptionBody(await transcribeUpload(inference, new Uint8Array(Buffer.from(payload.wav_base64, "base64"))));
}

/**
 * The header checks the pool makes (WAV, its rate, at most 10 minutes), made before a job is queued: a file that
 * cannot be transcribed is answered now, not as a failed job.
 */
function checkWavHeader(wav: Uint8Array): void {
  let layout: ReturnType<typeof readWavLayout>;
  try {
    layout = readWavLayout(wav);
  } catch (error) {
    if (isAudioError(error)) throw new EngineError("invalid_audio", error.message);
    throw error;
  }
  const { minRate, maxRate, maxRecordingMs } = DEFAULT_WAV_DECODER_OPTIONS;
  if (layout.sampleRate < minRate || layout.sampleRate > maxRate) {
    throw new EngineError("invalid_audio", `the WAV header declares ${layout.sampleRate} Hz; rates from ${minRate} to ${maxRate} Hz are accepted`);
  }
  if ((layout.frames / layout.sampleRate) * 1000 > maxRecordingMs) throw new EngineError("recording_too_long", `recordings are limited to ${maxRecordingMs / 60_000} minutes`);
}

/**
 * Transcripts of sessions and transcription of recordings (`/api/v1`). Registers the `transcription` jobs' handler
 * on `jobs`.
 */
export function speechRoutes(deps: { inference: InferenceGateway; store: SessionStore; transcripts: TranscriptStore; jobs: JobQueue }): Router {
  const router = Router();
  deps.jobs.handle("transcription", transcriptionJob(deps.inference));

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
    // Before any decoding: a recording in a language no model has would come back as made-up English.
    await requireRecognisedLanguage(body.language, deps.inference, "body.language");
    if (!BASE64_TEXT.test(body.audio_data) || body.audio_data.length % 4 !== 0) {
      throw new EngineError("invalid_audio", "audio_data is not valid base64", { details: [{ path: "body.audio_data", message: "base64" }] });
    }
    const bytes = new Uint8Array(Buffer.from(body.audio_data, "base64"));
    let result: TranscribeResult;
    if (body.format === "wav") {
      // The pool decodes it, off every event loop that serves rooms.
      result = await deps.inference.transcribeWav(bytes).catch((error: unknown) => Promise.reject(transcriptionError(error)));
    } else {
      if (body.sample_rate === undefined) {
        throw new EngineError("invalid_request", "format pcm needs sample_rate", { details: [{ path: "body.sample_rate", message: "required for pcm" }] });
      }
      if (bytes.byteLength % 2 !== 0) throw new EngineError("invalid_audio", "16-bit PCM needs an even number of bytes");
      // Refused here, before the pool resamples it.
      if ((bytes.byteLength / 2 / body.sample_rate) * 1000 > MAX_RECORDING_MS) {
        throw new EngineError("recording_too_long", `recordings are limited to ${MAX_RECORDING_MS / 60_000} minutes`);
      }
      result = await deps.inference.transcribe(bytes, body.sample_rate).catch((error: unknown) => Promise.reject(transcriptionError(error)));
    }
    res.json({ text: result.text, segments: segmentsView(result), language: "en", duration_ms: result.durationMs, timings: { vad_ms: result.timings.vadMs, asr_ms: result.timings.asrMs, total_ms: result.timings.totalMs } });
  });

  // A declared length is refused up front; a chunked upload is cut at the file limit while it is read.
  // With async=true the upload waits as the job's payload: in memory in process, on Redis with REDIS_URL (bounded by
  // the upload limit and the kind's maxQueued), dropped once the job finishes.
  router.post("/transcribe", refuseUploadOver(), async (req, res) => {
    const query = parseOrThrow(transcribeQuery, req.query, "query");
    const upload = await readMultipart(req, res);
    if (!query.async) {
      res.json(uploadTranscriptionBody(await transcribeUpload(deps.inference, upload.file)));
      return;
    }
    checkWavHeader(upload.file);
    const job = await deps.jobs.add("transcription", { wav_base64: Buffer.from(upload.file).toString("base64") });
    const statusUrl = jobStatusUrl(job.id);
    res.status(202).location(statusUrl).json({ job_id: job.id, state: job.state, status_url: statusUrl });
  });

  return router;
}
