import express, { Router, type Request } from "express";
import type { z } from "zod";
import { EngineError } from "../errors.js";
import type { EventPublisher } from "../events/event-publisher.js";
import type { ImageFacesResult, StillImageFormat } from "../inference/image-types.js";
import type { InferenceGateway } from "../inference/inference-gateway.js";
import type { AnalysisStore } from "../persistence/analysis-store.js";
import type { SessionStore } from "../persistence/store.js";
import { enhancementBody, enhancementQuery, imageAnalysisBody, type deepfakeAnswer, type emotionAnswer, type enhancementAnswer } from "./ai-image-schemas.js";
import { refuseDeclaredOver } from "./body-limits.js";
import { parseOrThrow } from "./http-errors.js";
import { idText } from "./meeting-system-ids.js";
import { closedSignal, imageCallError } from "./pool-calls.js";
import { decodeStillImage, MAX_IMAGE_BODY_BYTES } from "./still-images.js";

export interface AiImageDeps {
  inference: InferenceGateway;
  store: SessionStore;
  analyses: AnalysisStore;
  /** Where a stored emotion analysis is announced (`emotion_detection.completed`). */
  events: EventPublisher;
  now?: () => Date;
}

const IMAGE_TYPES: Readonly<Record<StillImageFormat, string>> = { png: "image/png", jpeg: "image/jpeg" };

/** What the faces of one image are as an `expression` analysis: the payload the rooms store for a camera frame. */
function expressionPayload(result: ImageFacesResult): Record<string, unknown> {
  const main = result.faces[0] ?? null;
  return { faces: result.faces.length, expression: main?.expression ?? null, scores: main?.scores ?? null, box: main?.box ?? null, score: main?.score ?? null };
}

/**
 * The image format an `Accept` header asks for, when it asks for exactly one of PNG and JPEG (and not JSON): the
 * answer is then the image itself.
 */
function acceptedImage(req: Request): StillImageFormat | null {
  const accept = (req.get("accept") ?? "").toLowerCase();
  if (accept.includes("application/json")) return null;
  const png = accept.includes("image/png");
  const jpeg = accept.includes("image/jpeg");
  return png === jpeg ? null : png ? "png" : "jpeg";
}

/**
 * The meeting system's image routes (`/api/v1/ai/...`), each with its own JSON limit (8 MB: base64 of a 4 MB image):
 * emotion detection through the pool's face pipeline (stored as an analysis when `meeting_id` names a session),
 * deepfake detection (503 `model_unavailable` unless a validated model is loaded: never a score), and ESRGAN
 * super-resolution of one frame.
 */
export function aiImageRoutes(deps: AiImageDeps): Router {
  const router = Router();
  const now = deps.now ?? (() => new Date());
  const json = [refuseDeclaredOver(MAX_IMAGE_BODY_BYTES), express.json({ limit: MAX_IMAGE_BODY_BYTES })];

  router.post("/ai/emotion-detection", ...json, async (req, res) => {
    const body = parseOrThrow(imageAnalysisBody, req.body, "body");
    const image = decodeStillImage(body.video_frame, body.format);
    // The session is looked up first: a frame for an unknown meeting is refused before any inference.
    const sessionId = body.meeting_id === undefined ? null : idText(body.meeting_id);
    const session = sessionId === null ? null : await deps.store.getSession(sessionId);
    if (sessionId !== null && session === null) throw new EngineError("session_not_found", "no session has that meeting_id");
    const result = await deps.inference.detectFaces(image.bytes, { signal: closedSignal(res) }).catch((error: unknown) => Promise.reject(imageCallError(error)));
    if (session !== null) {
      const at = now();
      const participantId = body.user_id === undefined ? null : idText(body.user_id);
      // As transcripts count: from the session's creation.
      const atMs = Math.max(0, at.getTime() - session.createdAt.getTime());
      await deps.analyses.saveAnalyses([{ sessionId: session.id, participantId, kind: "expression", atMs, payload: expressionPayload(result), createdAt: at }]);
      const main = result.faces[0];
      deps.events.publish("emotion_detection.completed", session.id, { source: "api", participant_id: participantId, at_ms: atMs, faces: result.faces.length, expression: main?.expression ?? null, scores: main?.scores ?? null });
    }
    const { timings } = result;
    res.json({
      faces: result.faces.map((face) => ({ box: face.box, score: face.score, expression: face.expression, scores: face.scores })),
      dominant_expression: result.faces[0]?.expression ?? null,
      width: result.width,
      height: result.height,
      timings: { queue_ms: timings.queueMs, decode_ms: timings.decodeMs, detect_ms: timings.detectMs, expression_ms: timings.expressionMs, total_ms: timings.totalMs },
    } satisfies z.infer<typeof emotionAnswer>);
  });

  router.post("/ai/deepfake-detection", ...json, async (req, res) => {
    const body = parseOrThrow(imageAnalysisBody, req.body, "body");
    const image = decodeStillImage(body.video_frame, body.format);
    // The pool answers model_unavailable, with the registry's message, unless a validated model is loaded.
    const result = await deps.inference.detectDeepfake(image.bytes, { signal: closedSignal(res) }).catch((error: unknown) => Promise.reject(imageCallError(error)));
    res.json({ faces: result.faces.map((face) => ({ box: face.box, fake_probability: face.fakeProbability })), model: result.model } satisfies z.infer<typeof deepfakeAnswer>);
  });

  router.post("/ai/video-enhancement", ...json, async (req, res) => {
    const query = parseOrThrow(enhancementQuery, req.query, "query");
    const body = parseOrThrow(enhancementBody, req.body, "body");
    const accepted = acceptedImage(req);
    if (accepted !== null && body.output_format !== undefined && body.output_format !== accepted) {
      throw new EngineError("invalid_request", `Accept asks for ${IMAGE_TYPES[accepted]} but output_format is ${body.output_format}`, { details: [{ path: "body.output_format", message: "conflicts with Accept" }] });
    }
    const image = decodeStillImage(body.video_frame, body.format);
    const format = body.output_format ?? accepted ?? "png";
    const request = { image: image.bytes, scale: body.scale, format, ...(body.quality === undefined ? {} : { quality: body.quality }) };
    const result = await deps.inference.enhanceImage(request, { signal: closedSignal(res) }).catch((error: unknown) => Promise.reject(imageCallError(error)));
    if (accepted !== null || query.raw === "true" || query.raw === "1") {
      res.set({
        "X-Image-Width": String(result.width),
        "X-Image-Height": String(result.height),
        "X-Input-Width": String(result.inputWidth),
        "X-Input-Height": String(result.inputHeight),
        "X-Scale": String(result.scale),
        "X-Model": result.model,
      });
      res.type(IMAGE_TYPES[result.format]).send(Buffer.from(result.image.buffer, result.image.byteOffset, result.image.byteLength));
      return;
    }
    const { timings } = result;
    res.json({
      image: Buffer.from(result.image.buffer, result.image.byteOffset, result.image.byteLength).toString("base64"),
      format: result.format,
      width: result.width,
      height: result.height,
      input_width: result.inputWidth,
      input_height: result.inputHeight,
      scale: result.scale,
      model: result.model,
      timings: { queue_ms: timings.queueMs, decode_ms: timings.decodeMs, upscale_ms: timings.upscaleMs, encode_ms: timings.encodeMs, total_ms: timings.totalMs },
    } satisfies z.infer<typeof enhancementAnswer>);
  });

  return router;
}
