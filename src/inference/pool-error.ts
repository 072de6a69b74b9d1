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

/**
 * The caller gave up on the work (its AbortSignal fired, its call was cancelled): nobody is answered, so it is no
 * code of the error table. `code` and `name` are Node's own for an abort (`ABORT_ERR`, `AbortError`): match on them.
 */
export class AbortedError extends Error {
  readonly code = "ABORT_ERR";
  override readonly name = "AbortError";

  constructor(message = "the request was aborted by its caller") {
    super(message);
  }
}

/** An abort by its code: ours, or Node's own (`fetch`, `events.once` with a signal). */
export function isAborted(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "ABORT_ERR";
}
