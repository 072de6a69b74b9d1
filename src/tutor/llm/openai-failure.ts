import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { LlmError } from "./llm-error.js";

/**
 * Socket errors that mean "the request never reached a server that could answer it": nothing was generated, so one
 * more attempt costs the server nothing. `UND_ERR_SOCKET` is undici's "other side closed" (a keep-alive socket the
 * server had already closed, or a server that died between accepting and answering).
 */
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

/** The socket error code somewhere in `error`'s cause chain (fetch wraps it once or twice), or null. */
export function socketErrorCode(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth += 1) {
    const code: unknown = (current as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * A refused or reset connection, the only failure worth one more attempt. An HTTP answer (4xx, 5xx) is not: the
 * server got the request and decided; a 4xx fails the same way again, and a 5xx from a loaded or broken model server
 * is better reported at once than doubled while the student waits out the first-token bound.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof APIConnectionTimeoutError) return false;
  return error instanceof APIConnectionError || socketErrorCode(error) !== null;
}

/**
 * Any failure of a call as `llm_unavailable`. Messages name the kind and status, never the URL (it may carry
 * credentials), the key or the server's error text (kept in `cause`). `deltas`: how many deltas had arrived; a socket
 * error after some is the reply breaking off, not an unreachable endpoint.
 */
export function asLlmError(error: unknown, what: string, deltas = 0): LlmError {
  if (error instanceof LlmError) return error;
  if (deltas > 0 && socketErrorCode(error) !== null) {
    return new LlmError("stream", `the connection to the language model closed after ${deltas} deltas of the ${what}`, { cause: error });
  }
  if (error instanceof APIError && typeof error.status === "number") {
    return new LlmError("http_status", `the language model endpoint answered the ${what} request with HTTP ${error.status}`, {
      cause: error,
      status: error.status,
    });
  }
  if (isConnectionFailure(error)) {
    const code = socketErrorCode(error);
    return new LlmError("connection", `could not reach the language model endpoint${code === null ? "" : ` (${code})`}`, { cause: error });
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new LlmError("connection", "the connection to the language model endpoint timed out", { cause: error });
  }
  if (error instanceof APIError) {
    // Status undefined: an `error` object inside the event stream (vLLM and others report failures mid-reply so).
    return new LlmError("stream", `the language model reported an error in its ${what} stream`, { cause: error });
  }
  if (error instanceof SyntaxError) {
    return new LlmError("stream", `the language model sent a malformed ${what} stream`, { cause: error });
  }
  return new LlmError("stream", `the language model's ${what} stream broke off`, { cause: error });
}
