import { isRetryable } from "../../protocol/error-codes.js";
import type { PoolErrorCode } from "../pool-types.js";

export type InferenceErrorCode = Extract<PoolErrorCode, "model_unavailable" | "recording_too_long" | "internal">;

/**
 * A model could not be loaded or run. `code` is one of the pool's error codes so it crosses the gRPC boundary
 * unchanged; callers match on it, never on the message.
 */
export class InferenceError extends Error {
  readonly code: InferenceErrorCode;
  readonly retryable: boolean;

  constructor(code: InferenceErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "InferenceError";
    this.code = code;
    this.retryable = isRetryable(code);
  }
}

export function isInferenceError(error: unknown, code?: InferenceErrorCode): error is InferenceError {
  return error instanceof InferenceError && (code === undefined || error.code === code);
}

/** A cause's message for wrapping errors; onnxruntime throws plain Errors and occasionally strings. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
