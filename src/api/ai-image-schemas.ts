import { z } from "zod";
import { EXPRESSIONS } from "../inference/pool-types.js";
import { JPEG_QUALITY_LIMITS, STILL_IMAGE_LIMITS } from "../inference/image-types.js";
import { meetingSystemId } from "./meeting-system-ids.js";
import { declaredImageFormat } from "./still-images.js";

const maxMb = `${STILL_IMAGE_LIMITS.maxBytes / 1024 / 1024} MB`;
const videoFrame = z
  .string()
  .min(1)
  .describe(`base64 of a JPEG or PNG (a data:image/...;base64, prefix allowed), at most ${maxMb} and ${STILL_IMAGE_LIMITS.maxWidth}×${STILL_IMAGE_LIMITS.maxHeight} decoded`);
const format = declaredImageFormat.optional().describe("what the image is (optional): the bytes are sniffed, a mismatch is refused");

/** `POST /api/v1/ai/emotion-detection` (and deepfake-detection): a frame, and where it belongs. */
export const imageAnalysisBody = z.strictObject({
  video_frame: videoFrame,
  format,
  meeting_id: meetingSystemId.optional().describe("a session id: the result is also stored as an expression analysis of user_id"),
  user_id: meetingSystemId.optional(),
});

export const enhancementBody = z.strictObject({
  video_frame: videoFrame.describe(`base64 of a JPEG or PNG, at most ${STILL_IMAGE_LIMITS.maxEnhanceSide}×${STILL_IMAGE_LIMITS.maxEnhanceSide}`),
  format,
  scale: z.union([z.literal(2), z.literal(4)]).default(2),
  output_format: z.enum(["png", "jpeg"]).optional().describe("png unless set (or unless Accept asks for image/jpeg)"),
  quality: z.number().int().min(JPEG_QUALITY_LIMITS.min).max(JPEG_QUALITY_LIMITS.max).optional().describe("JPEG quality (default 90), ignored for PNG"),
});

export const enhancementQuery = z.object({ raw: z.enum(["true", "false", "1", "0"]).optional() });

const box = z.strictObject({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });
const scores = z.strictObject(Object.fromEntries(EXPRESSIONS.map((name) => [name, z.number()])) as Record<(typeof EXPRESSIONS)[number], z.ZodNumber>);

export const emotionAnswer = z.strictObject({
  faces: z.array(z.strictObject({ box, score: z.number(), expression: z.enum(EXPRESSIONS), scores })).describe("best first; none is an answer too"),
  dominant_expression: z.enum(EXPRESSIONS).nullable().describe("the best face's expression, null when no face is found"),
  width: z.number().int(),
  height: z.number().int(),
  timings: z.strictObject({ queue_ms: z.number(), decode_ms: z.number(), detect_ms: z.number(), expression_ms: z.number(), total_ms: z.number() }),
});

export const deepfakeAnswer = z.strictObject({
  faces: z.array(z.strictObject({ box, fake_probability: z.number().min(0).max(1) })),
  model: z.string(),
});

export const enhancementAnswer = z.strictObject({
  image: z.string().describe("base64 of the result"),
  format: z.enum(["png", "jpeg"]),
  width: z.number().int(),
  height: z.number().int(),
  input_width: z.number().int(),
  input_height: z.number().int(),
  scale: z.number().int(),
  model: z.string(),
  timings: z.strictObject({ queue_ms: z.number(), decode_ms: z.number(), upscale_ms: z.number(), encode_ms: z.number(), total_ms: z.number() }),
});
