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
