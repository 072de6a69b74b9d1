import { isRetryable } from "../../protocol/error-codes.js";

/**
 * Why a language model call failed, for logs and metrics (the code clients see is always `llm_unavailable`):
 * - `unconfigured`: no `LLM_URL`;
 * - `first_token_timeout` / `total_timeout`: one of the client's two time bounds ran out;
 * - `connection`: refused, reset or closed before the server answered;
 * - `http_status`: the server answered with an error status (`status` holds it);
 * - `stream`: the reply stream broke off, was malformed or carried an error event.
 */
export type LlmFailureReason = "unconfigured" | "first_token_timeout" | "total_timeout" | "connection" | "http_status" | "stream";

/** A language model call that failed: the tutor says nothing rather than make a reply up. */
export class LlmError extends Error {
  readonly code = "llm_unavailable" as const;
  readonly retryable = isRetryable("llm_unavailable");
  readonly reason: LlmFailureReason;
  /** HTTP status of the server's answer when `reason` is `http_status`, else null. */
  readonly status: number | null;

  constructor(reason: LlmFailureReason, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LlmError";
    this.reason = reason;
    this.status = options.status ?? null;
  }
}

/**
 * The caller's own signal ended the call (barge-in, session end). Not an entry of the error table on purpose: it is
 * the caller's decision, never a failure to report on any surface, so it gets a class of its own that code mapping
 * errors to room or API answers cannot mistake for `llm_unavailable`. `code` is outside `ErrorCode` for the same
 * reason; match on it (or `isLlmAborted`), never on the message.
 */
export class LlmAborted extends Error {
  readonly code = "aborted" as const;
  readonly retryable = false;

  constructor(message = "the language model call was aborted by its caller") {
    super(message);
    this.name = "LlmAborted";
  }
}

export function isLlmError(error: unknown, reason?: LlmFailureReason): error is LlmError {
  return error instanceof LlmError && (reason === undefined || error.reason === reason);
}

export function isLlmAborted(error: unknown): error is LlmAborted {
  return error instanceof LlmAborted;
}
