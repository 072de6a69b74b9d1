import type { PoolErrorCode } from "./pool-types.js";

const RETRYABLE: ReadonlySet<PoolErrorCode> = new Set(["overloaded", "deadline_exceeded", "internal"]);

/** An error of the inference pool, bound to one stream or job. */
export class PoolError extends Error {
  readonly code: PoolErrorCode;
  readonly retryable: boolean;

  constructor(code: PoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PoolError";
    this.code = code;
    this.retryable = RETRYABLE.has(code);
  }
}
