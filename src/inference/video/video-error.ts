import { isRetryable } from "../../protocol/error-codes.js";
import type { PoolErrorCode } from "../pool-types.js";

/**
 * A camera frame we refuse: not a JPEG, truncated or corrupt, a JPEG coding the decoder lacks, or over the byte or
 * pixel limits. Never retryable: the same bytes fail the same way. The code is one of the pool's error codes so it
 * crosses the gRPC boundary unchanged; callers match on it, never on the message.
 */
export class VideoError extends Error {
  readonly code: Extract<PoolErrorCode, "invalid_video"> = "invalid_video";
  readonly retryable = isRetryable("invalid_video");

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "VideoError";
  }
}

export function isVideoError(error: unknown): error is VideoError {
  return error instanceof VideoError;
}
