import { isRetryable } from "../protocol/error-codes.js";
import type { PoolErrorCode } from "./pool-types.js";

/** An error of the inference pool, bound to one stream or job. */
export class PoolError extends Error {
  readonly code: PoolErrorCode;
  readonly retryable: boolean;

  constructor(code: PoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PoolError";
    this.code = code;
    this.retryable = isRetryable(code);
  }
}

/** The registry's `model_unavailable` error, or one for anything else that stands in for it. */
export function asUnavailable(error: unknown): PoolError {
  if (error instanceof PoolError) return error;
  return new PoolError("model_unavailable", error instanceof Error ? error.message : "the model is not loaded", { cause: error });
}
