import { z } from "zod";
import { ENHANCE_DEFAULTS, STILL_IMAGE_FORMATS, type DeepfakeResult, type EnhanceImageRequest, type EnhanceImageResult, type ImageFacesResult, type StillImageFormat } from "../image-types.js";
import { PoolError } from "../pool-error.js";
import type { DeepfakeResponse, DeepfakeResponse__Output } from "./generated/engine/inference/v1/DeepfakeResponse.js";
import type { EnhanceRequest, EnhanceRequest__Output } from "./generated/engine/inference/v1/EnhanceRequest.js";
import type { EnhanceResponse, EnhanceResponse__Output } from "./generated/engine/inference/v1/EnhanceResponse.js";
import type { ImageFaces, ImageFaces__Output } from "./generated/engine/inference/v1/ImageFaces.js";
import type { ImageTimings__Output } from "./generated/engine/inference/v1/ImageTimings.js";
import { faceFromWire, faceToWire } from "./video-wire.js";

/**
 * DetectFaces, EnhanceImage and DetectDeepfake both ways, side by side so they agree: the engine's request to protobuf
 * (client) and back (server), the pool's results to protobuf (server) and back (client). proto3 has no unset: a zero
 * scale, an empty format and a zero quality are the defaults (`ENHANCE_DEFAULTS`). The three share one timings message;
 * each result reads the fields it has.
 */

const format = z.enum(STILL_IMAGE_FORMATS);

/** The pool's answer names a format this engine reads, or the answer is unusable. */
function formatFromWire(value: string, rpc: string): StillImageFormat {
  const parsed = format.safeParse(value);
  if (!parsed.success) throw new PoolError("internal", `the pool answered ${rpc} with an unknown image format`);
  return parsed.data;
}

/** Every field of the shared timings message (0 when absent); each result keeps its own. */
function timingsFromWire(t: ImageTimings__Output | null) {
  return {
    queueMs: t?.queue_ms ?? 0,
    decodeMs: t?.decode_ms ?? 0,
    detectMs: t?.detect_ms ?? 0,
    expressionMs: t?.expression_ms ?? 0,
    runMs: t?.run_ms ?? 0,
    encodeMs: t?.encode_ms ?? 0,
    totalMs: t?.total_ms ?? 0,
  };
}

export function enhanceRequestToWire(request: EnhanceImageRequest): EnhanceRequest {
  return { image: request.image, scale: request.scale, format: request.format, quality: request.quality ?? 0 };
}

/** The server's side: defaults for the zero values; a format other than png or jpeg is `invalid_image`. */
export function enhanceRequestFromWire(wire: EnhanceRequest__Output): EnhanceImageRequest {
  const asked = wire.format === "" ? ENHANCE_DEFAULTS.format : wire.format;
  const parsed = format.safeParse(asked);
  if (!parsed.success) throw new PoolError("invalid_image", `format must be one of ${STILL_IMAGE_FORMATS.join(", ")}`);
  return {
    image: wire.image,
    scale: wire.scale === 0 ? ENHANCE_DEFAULTS.scale : wire.scale,
    format: parsed.data,
    ...(wire.quality === 0 ? {} : { quality: wire.quality }),
  };
}

export function facesResultToWire(result: ImageFacesResult): ImageFaces {
  const { queueMs, decodeMs, detectMs, expressionMs, totalMs } = result.timings;
  return {
    width: result.width,
    height: result.height,
    format: result.format,
    faces: result.faces.map(faceToWire),
    timings: { queue_ms: queueMs, decode_ms: decodeMs, detect_ms: detectMs, expression_ms: expressionMs, total_ms: totalMs },
  };
}

export function facesResultFromWire(wire: ImageFaces__Output): ImageFacesResult {
  const { queueMs, decodeMs, detectMs, expressionMs, totalMs } = timingsFromWire(wire.timings);
  return {
    width: wire.width,
    height: wire.height,
    format: formatFromWire(wire.format, "DetectFaces"),
    faces: wire.faces.flatMap((face) => faceFromWire(face) ?? []),
    timings: { queueMs, decodeMs, detectMs, expressionMs, totalMs },
  };
}

export function enhanceResultToWire(result: EnhanceImageResult): EnhanceResponse {
  const { queueMs, decodeMs, upscaleMs, encodeMs, totalMs } = result.timings;
  return {
    image: result.image,
    format: result.format,
    width: result.width,
    height: result.height,
    input_width: result.inputWidth,
    input_height: result.inputHeight,
    model: result.model,
    scale: result.scale,
    timings: { queue_ms: queueMs, decode_ms: decodeMs, run_ms: upscaleMs, encode_ms: encodeMs, total_ms: totalMs },
  };
}

export function enhanceResultFromWire(wire: EnhanceResponse__Output): EnhanceImageResult {
  if (wire.image.byteLength === 0) throw new PoolError("internal", "the pool answered EnhanceImage without an image");
  const { queueMs, decodeMs, runMs: upscaleMs, encodeMs, totalMs } = timingsFromWire(wire.timings);
  return {
    // A copy that owns its bytes: the wire's Buffer may be a view of gRPC's receive buffer.
    image: new Uint8Array(wire.image),
    format: formatFromWire(wire.format, "EnhanceImage"),
    width: wire.width,
    height: wire.height,
    inputWidth: wire.input_width,
    inputHeight: wire.input_height,
    scale: wire.scale,
    model: wire.model,
    timings: { queueMs, decodeMs, upscaleMs, encodeMs, totalMs },
  };
}

export function deepfakeResultToWire(result: DeepfakeResult): DeepfakeResponse {
  const { queueMs, decodeMs, detectMs, runMs, totalMs } = result.timings;
  return {
    width: result.width,
    height: result.height,
    format: result.format,
    model: result.model,
    faces: result.faces.map((face) => ({ ...face.box, fake_probability: face.fakeProbability, face_score: face.faceScore ?? 0 })),
    whole_image: result.wholeImage,
    timings: { queue_ms: queueMs, decode_ms: decodeMs, detect_ms: detectMs, run_ms: runMs, total_ms: totalMs },
  };
}

export function deepfakeResultFromWire(wire: DeepfakeResponse__Output): DeepfakeResult {
  const { queueMs, decodeMs, detectMs, runMs, totalMs } = timingsFromWire(wire.timings);
  return {
    width: wire.width,
    height: wire.height,
    format: formatFromWire(wire.format, "DetectDeepfake"),
    model: wire.model,
    faces: wire.faces.map((face) => ({
      box: { x: face.x, y: face.y, width: face.width, height: face.height },
      fakeProbability: face.fake_probability,
      faceScore: wire.whole_image ? null : face.face_score,
    })),
    wholeImage: wire.whole_image,
    timings: { queueMs, decodeMs, detectMs, runMs, totalMs },
  };
}
