import { ERROR_TABLE, isRetryable, type ApiErrorCode } from "./protocol/error-codes.js";

export type { ApiErrorCode, ErrorCode } from "./protocol/error-codes.js";

/**
 * An error the management API answers with: a stable `code` from the engine's error table, which also gives its
 * HTTP status and whether it is `retryable`. Callers match on `code`, never on message text.
 */
export interface EngineErrorOptions {
  details?: unknown;
  cause?: unknown;
}

export class EngineError extends Error {
  readonly code: ApiErrorCode;
  readonly retryable: boolean;
  readonly details: unknown;

  constructor(code: ApiErrorCode, message: string, options: EngineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EngineError";
    this.code = code;
    this.retryable = isRetryable(code);
    this.details = options.details;
  }

  get status(): number {
    return ERROR_TABLE[this.code].http;
  }
}

export function isEngineError(error: unknown, code?: ApiErrorCode): error is EngineError {
  return error instanceof EngineError && (code === undefined || error.code === code);
}
