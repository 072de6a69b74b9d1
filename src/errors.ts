/**
 * Typed errors with a stable `code` and a `retryable` flag. Callers match on `code`, never on message text.
 * `status` is the HTTP status the management API answers with.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_message: 400,
  unauthorized: 401,
  forbidden: 403,
  session_not_found: 404,
  not_found: 404,
  session_exists: 409,
  session_ended: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  max_sessions: 503,
  not_ready: 503,
  database_unavailable: 503,
  model_unavailable: 503,
  invalid_audio: 400,
  recording_too_long: 413,
  overloaded: 503,
  deadline_exceeded: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface EngineErrorOptions {
  retryable?: boolean;
  details?: unknown;
  cause?: unknown;
}

export class EngineError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: EngineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EngineError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isEngineError(error: unknown, code?: ErrorCode): error is EngineError {
  return error instanceof EngineError && (code === undefined || error.code === code);
}
