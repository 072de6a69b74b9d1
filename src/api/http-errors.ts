import type { ErrorRequestHandler, Response } from "express";
import { z } from "zod";
import { EngineError, isEngineError, type ErrorCode } from "../errors.js";
import type { Logger } from "../logger.js";
import { isDatabaseUnavailable } from "../persistence/database-errors.js";

/** Codes whose answer says when to try again: capacity and availability that come back on their own. */
const RETRY_AFTER_CODES: ReadonlySet<ErrorCode> = new Set(["max_sessions", "rate_limited", "draining", "database_unavailable"]);

/** The headers an error's code calls for, whatever the shape of the body that carries it. */
export function setErrorHeaders(res: Response, error: EngineError): void {
  // A route with another scheme (the monitor's basic login) sets its own challenge first.
  if (error.code === "unauthorized" && !res.hasHeader("WWW-Authenticate")) res.setHeader("WWW-Authenticate", 'Bearer realm="session-engine"');
  if (RETRY_AFTER_CODES.has(error.code)) res.setHeader("Retry-After", "5");
}

export function sendError(res: Response, error: EngineError): void {
  const body: { code: string; message: string; retryable: boolean; details?: unknown } = {
    code: error.code,
    message: error.message,
    retryable: error.retryable,
  };
  if (error.details !== undefined) body.details = error.details;
  setErrorHeaders(res, error);
  // A layer that failed after choosing a type (the static file server) must not leave it on a JSON error.
  res.type("application/json");
  res.status(error.status).json({ error: body });
}

/** Parses with a zod schema or throws `invalid_request` listing every failing field. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, where: "body" | "query" | "path"): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  throw new EngineError("invalid_request", `invalid request ${where}`, { details });
}

/** body-parser failures carry `type` (e.g. `entity.parse.failed`); nothing else is trusted from them. */
function bodyParserFailure(error: unknown): string | null {
  if (typeof error !== "object" || error === null || !("type" in error)) return null;
  return typeof error.type === "string" ? error.type : null;
}

/**
 * Client errors raised by Express' own layers (`http-errors` objects: 400 from the static file server on an encoded
 * NUL, 412/416 on conditional or range requests): their numeric `status`, when it is a 4xx.
 */
function clientErrorStatus(error: unknown): number | null {
  if (typeof error !== "object" || error === null) return null;
  const status = "status" in error ? error.status : "statusCode" in error ? error.statusCode : undefined;
  return typeof status === "number" && status >= 400 && status < 500 ? status : null;
}

/** A client error Express raised, as the closest code of the engine's table. */
function fromClientStatus(status: number): EngineError {
  if (status === 404) return new EngineError("not_found", "no such route or file");
  if (status === 413) return new EngineError("payload_too_large", "the body is too large");
  return new EngineError("invalid_request", `the request cannot be served as sent (${status})`);
}

/**
 * Any failure of a request as the engine's error, logged as its kind deserves: a refusal the error table describes
 * (max_sessions, overloaded, ...) is a warning with its code; only `internal` (the unexpected) carries the error.
 */
export function requestFailure(error: unknown, logger: Logger, path: string): EngineError {
  const answer = knownFailure(error);
  if (answer === null) {
    logger.error({ err: error, path }, "unexpected request failure");
    return new EngineError("internal", "internal error");
  }
  if (answer.code === "internal") logger.error({ err: answer, code: answer.code, path }, "request failed");
  else if (answer.status >= 500) logger.warn({ code: answer.code, path }, "request refused");
  return answer;
}

/**
 * The engine's own errors, body parsers', bad paths' and Express' client errors, as the engine's; null otherwise.
 * The database not answering (a driver's connection error, or an `internal` caused by one) is `database_unavailable`
 * on every route: retryable, not the 500 of a bug.
 */
function knownFailure(error: unknown): EngineError | null {
  if (isEngineError(error)) return error.code === "internal" && isDatabaseUnavailable(error.cause) ? databaseUnavailable(error) : error;
  if (isDatabaseUnavailable(error)) return databaseUnavailable(error);
  const parserFailure = bodyParserFailure(error);
  if (parserFailure === "entity.parse.failed") return new EngineError("invalid_request", "the body is not valid JSON");
  if (parserFailure === "entity.too.large") return new EngineError("payload_too_large", "the body is too large");
  if (parserFailure !== null) return new EngineError("invalid_request", `the body could not be read (${parserFailure})`);
  // Express decodes path parameters with decodeURIComponent: bad percent-encoding (`%ED%A0%80`, `%ff`) throws.
  if (error instanceof URIError) {
    return new EngineError("invalid_request", "the path is not valid percent-encoded UTF-8", { details: [{ path: "path", message: "invalid percent-encoding" }] });
  }
  const clientStatus = clientErrorStatus(error);
  return clientStatus === null ? null : fromClientStatus(clientStatus);
}

/** The answer's message says only that: the driver's error (its query and parameters) stays out of the body and the log. */
function databaseUnavailable(cause: unknown): EngineError {
  return new EngineError("database_unavailable", "the database is not answering; try again", { cause });
}

/**
 * Last middleware: every failure becomes `{ error: { code, message, retryable } }`. `onError` is told each code
 * answered (metrics).
 */
export function errorHandler(logger: Logger, onError: (code: ErrorCode) => void = () => {}): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    // A failure after the answer began (a file stream breaking): only Express' own handler can end it (it closes).
    if (res.headersSent) {
      next(error);
      return;
    }
    const answer = requestFailure(error, logger, req.path);
    onError(answer.code);
    sendError(res, answer);
  };
}
