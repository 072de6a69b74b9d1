import { ENHANCE_DEFAULTS, JPEG_QUALITY_LIMITS, STILL_IMAGE_FORMATS, type EnhanceImageRequest } from "../image-types.js";
import { PoolError } from "../pool-error.js";

/**
 * What an enhancement asks for, checked where it is made (the engine's PoolClient, before a round trip) and where it
 * is served (the pool): its format and quality, its scale's shape. Whether the image fits and the model has the scale
 * only the pool can say. No codec imports: the engine's process loads this too. Refuses `invalid_image`; returns the
 * JPEG quality to encode with.
 */
export function checkEnhanceRequest(request: EnhanceImageRequest): number {
  if (!(STILL_IMAGE_FORMATS as readonly string[]).includes(request.format)) {
    throw new PoolError("invalid_image", `format must be one of ${STILL_IMAGE_FORMATS.join(", ")}`);
  }
  const quality = request.quality ?? ENHANCE_DEFAULTS.quality;
  if (!Number.isInteger(quality) || quality < JPEG_QUALITY_LIMITS.min || quality > JPEG_QUALITY_LIMITS.max) {
    throw new PoolError("invalid_image", `quality must be a whole number from ${JPEG_QUALITY_LIMITS.min} to ${JPEG_QUALITY_LIMITS.max}`);
  }
  // Whole and within uint32, so that the wire carries it unchanged (the model's own scales are the pool's to check).
  if (!Number.isInteger(request.scale) || request.scale < 1 || request.scale > 0xffff_ffff) throw new PoolError("invalid_image", "scale must be a whole number ≥ 1");
  return quality;
}

