import type { FrameFace } from "./pool-types.js";

/**
 * The pool's still-image calls (`DetectFaces`, `EnhanceImage`, `DetectDeepfake`): what goes in and comes out, in
 * process. An image is the file as it came, JPEG or PNG, sniffed from its first bytes (never from a declared format)
 * and decoded by the pool off its event loop. The wire form is proto/inference.proto (grpc/image-wire.ts).
 */
export const STILL_IMAGE_FORMATS = ["jpeg", "png"] as const;
export type StillImageFormat = (typeof STILL_IMAGE_FORMATS)[number];

/** The largest still image the image calls take, and the largest super-resolution input. */
export const STILL_IMAGE_LIMITS = {
  /** Encoded bytes of one image (JPEG or PNG). */
  maxBytes: 4 * 1024 * 1024,
  maxWidth: 4096,
  maxHeight: 4096,
  /** ESRGAN's input: ×4 of 512×512 is 2048×2048 out (12 MB of RGB). */
  maxEnhanceSide: 512,
} as const;

/** What `EnhanceImage` takes when the request leaves it unset (the wire's zero values). */
export const ENHANCE_DEFAULTS = { scale: 2, format: "png", quality: 90 } as const satisfies { scale: number; format: StillImageFormat; quality: number };

/** JPEG quality bounds of `EnhanceImageRequest.quality`. */
export const JPEG_QUALITY_LIMITS = { min: 1, max: 100 } as const;

/** A caller's hold on one image call: aborting drops it (never run if still queued, its result discarded if running). */
export interface ImageCallOptions {
  signal?: AbortSignal;
}

/** A call as the pool serves it: the caller's signal, and its gRPC call's own deadline (absolute epoch ms). */
export interface PoolImageCall extends ImageCallOptions {
  deadlineMs?: number;
}

/** The faces of one still image, best first (none is an answer too), boxes in the image's own pixels. */
export interface ImageFacesResult {
  width: number;
  height: number;
  format: StillImageFormat;
  faces: FrameFace[];
  /**
   * `queueMs`: received → its work started (the queue, a model still loading); `decodeMs`: decoding and fitting the
   * detector's copy, on a decoding thread; the two model runs; `totalMs`: received → answered.
   */
  timings: { queueMs: number; decodeMs: number; detectMs: number; expressionMs: number; totalMs: number };
}

export interface EnhanceImageRequest {
  /** JPEG or PNG, at most 512×512 (`STILL_IMAGE_LIMITS.maxEnhanceSide`) and 4 MB. */
  image: Uint8Array;
  /** A scale the pool's `super_resolution` model has (2 or 4 with ESRGAN slim); others are `invalid_image`. */
  scale: number;
  /** What to encode the result as. */
  format: StillImageFormat;
  /** JPEG quality 1–100 (ignored for PNG); unset: 90. */
  quality?: number;
}

export interface EnhanceImageResult {
  /** The encoded result, `format` as asked. */
  image: Uint8Array;
  format: StillImageFormat;
  width: number;
  height: number;
  inputWidth: number;
  inputHeight: number;
  scale: number;
  /** The registry model that made it (e.g. `esrgan_slim`). */
  model: string;
  /** `upscaleMs`: the model's run; `decodeMs`, `encodeMs`: on a decoding thread. */
  timings: { queueMs: number; decodeMs: number; upscaleMs: number; encodeMs: number; totalMs: number };
}

/** One face's (or the whole image's) probability of being synthetic or manipulated, from a validated model in MODELS_DIR. */
export interface DeepfakeFace {
  box: FrameFace["box"];
  fakeProbability: number;
  /** The face detector's confidence; null for the whole image. */
  faceScore: number | null;
}

export interface DeepfakeResult {
  width: number;
  height: number;
  format: StillImageFormat;
  model: string;
  /** Per face when the face detector is loaded and finds one; else one entry for the whole image (box = the image). */
  faces: DeepfakeFace[];
  /** True when `faces` is that one whole-image entry. */
  wholeImage: boolean;
  /** `detectMs`: the face detector (0 without one); `runMs`: the deepfake model. */
  timings: { queueMs: number; decodeMs: number; detectMs: number; runMs: number; totalMs: number };
}
