import { STILL_IMAGE_LIMITS } from "../inference/image-types.js";
import { deepfakeAnswer, emotionAnswer, enhancementAnswer, enhancementBody, imageAnalysisBody } from "./ai-image-schemas.js";
import { formatBytes } from "./body-limits.js";
import { MAX_IMAGE_BODY_BYTES } from "./still-images.js";
import type { OpenApiParts } from "./tutor-openapi.js";

/** `/api/v1/ai/emotion-detection`, `/api/v1/ai/deepfake-detection`, `/api/v1/ai/video-enhancement`. */
export function aiImageApiPaths(parts: OpenApiParts): Record<string, unknown> {
  const { json, error, standardErrors } = parts;
  const bodyLimit = `JSON, at most ${formatBytes(MAX_IMAGE_BODY_BYTES)} (this route's own limit: base64 of a ${formatBytes(STILL_IMAGE_LIMITS.maxBytes)} image).`;
  const imageErrors = {
    ...standardErrors,
    "400": error("invalid_image (base64 garbage, not a JPEG or PNG, a format or data: URL type the bytes contradict, truncated or corrupt, over the dimensions), invalid_request (failing fields, listed in details)"),
    "413": error(`payload_too_large: a body over ${formatBytes(MAX_IMAGE_BODY_BYTES)} or an image over ${formatBytes(STILL_IMAGE_LIMITS.maxBytes)}`),
    "503": error("model_unavailable (the model is not loaded, or the pool is unreachable), overloaded"),
    "504": error("deadline_exceeded"),
  };
  return {
    "/api/v1/ai/emotion-detection": {
      post: {
        summary: `Faces of one frame (≤ ${STILL_IMAGE_LIMITS.maxWidth}×${STILL_IMAGE_LIMITS.maxHeight}) with boxes and expression scores; with meeting_id, also stored as an expression analysis of user_id (GET /api/v1/sessions/{id}/analyses)`,
        requestBody: { required: true, description: bodyLimit, ...json(imageAnalysisBody, "input") },
        responses: { "200": { description: "the faces, best first", ...json(emotionAnswer) }, ...imageErrors, "404": error("session_not_found: meeting_id names no session") },
      },
    },
    "/api/v1/ai/deepfake-detection": {
      post: {
        summary: "Per face, the probability it is synthetic or manipulated, from a validated ONNX model in MODELS_DIR/deepfake/model.onnx; without one (the default), 503 model_unavailable saying so: never a score",
        requestBody: { required: true, description: bodyLimit, ...json(imageAnalysisBody, "input") },
        responses: {
          "200": { description: "per face (or one entry for the whole image)", ...json(deepfakeAnswer) },
          ...imageErrors,
          "503": error("model_unavailable: no validated deepfake or anti-spoofing model is loaded (the message names where one would be), or the pool is unreachable"),
        },
      },
    },
    "/api/v1/ai/video-enhancement": {
      post: {
        summary: `Super-resolution of one frame (≤ ${STILL_IMAGE_LIMITS.maxEnhanceSide}×${STILL_IMAGE_LIMITS.maxEnhanceSide}) ×2 or ×4 with ESRGAN, PNG or JPEG out; ?raw=true or Accept: image/png | image/jpeg answers the image itself (sizes in X-Image-Width, X-Image-Height, X-Input-Width, X-Input-Height, X-Scale, X-Model)`,
        parameters: [{ name: "raw", in: "query", schema: { type: "string", enum: ["true", "false", "1", "0"] }, description: "true: the image bytes instead of JSON" }],
        requestBody: { required: true, description: bodyLimit, ...json(enhancementBody, "input") },
        responses: {
          "200": {
            description: "the enhanced image",
            content: { ...json(enhancementAnswer).content, "image/png": { schema: { type: "string", format: "binary" } }, "image/jpeg": { schema: { type: "string", format: "binary" } } },
          },
          ...imageErrors,
        },
      },
    },
  };
}
