import { isRetryable } from "../../protocol/error-codes.js";
import type { PoolErrorCode } from "../pool-types.js";

/**
 * Malformed or unsupported audio from a client. Never retryable: sending the same bytes again fails the same way.
 * The code is one of the pool's error codes so it crosses the gRPC boundary unchanged.
 */
export class AudioError extends Error {
  readonly code: Extract<PoolErrorCode, "invalid_audio"> = "invalid_audio";
  readonly retryable = isRetryable("invalid_audio");

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AudioError";
  }
}

export function isAudioError(error: unknown): error is AudioError {
  return error instanceof AudioError;
}
