/**
 * Which driver errors mean "the database is not answering now" (try again later) rather than "this statement is
 * wrong" (a constraint, a bug). Both backends' errors: postgres.js (SQLSTATE on `PostgresError`, its own connection
 * codes, Node's socket errnos) and PGlite (closed). Drizzle wraps a failed query in `DrizzleQueryError` with the
 * driver's error as `cause`, so every test looks down the cause chain.
 */
import { isEngineError } from "../errors.js";

/** postgres.js' own codes for a connection that is gone or never came (src/connection.js, src/index.js). */
const DRIVER_CONNECTION_CODES: ReadonlySet<string> = new Set(["CONNECTION_CLOSED", "CONNECTION_DESTROYED", "CONNECTION_ENDED", "CONNECT_TIMEOUT"]);

/** Node's socket errors on the way to the server. */
const SOCKET_ERRNOS: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * Operator intervention that ends the session: admin_shutdown (57P01, `pg_terminate_backend`, a fast shutdown),
 * crash_shutdown (57P02), cannot_connect_now (57P03, starting up or in recovery).
 */
const SESSION_ENDING_SQLSTATES: ReadonlySet<string> = new Set(["57P01", "57P02", "57P03"]);

/** Class 08, connection exception. */
const CONNECTION_EXCEPTION_CLASS = "08";
/** Class 53, insufficient resources (disk full, out of memory, too many connections): the server is up but cannot take it now. */
const INSUFFICIENT_RESOURCES_CLASS = "53";

/** PGlite's error for a query after `close()`: a plain `Error`, so its text is all there is to match. */
const PGLITE_CLOSED_MESSAGE = "PGlite is closed";

/** How far down `cause` (and `AggregateError.errors`) to look: Drizzle adds one level, a caller's wrapper another. */
const MAX_DEPTH = 5;

/**
 * The connection this error came on is gone: the server ended the session (any FATAL or PANIC, 57P01 from
 * `pg_terminate_backend`, class 08), the socket closed or never opened. postgres.js opens a new connection for the
 * next query.
 */
export function isConnectionLost(error: unknown): boolean {
  return someInChain(error, (link) => {
    const code = stringField(link, "code");
    if (code !== null && (DRIVER_CONNECTION_CODES.has(code) || SOCKET_ERRNOS.has(code))) return true;
    if (code !== null && isSqlState(code) && (SESSION_ENDING_SQLSTATES.has(code) || code.startsWith(CONNECTION_EXCEPTION_CLASS))) return true;
    // A FATAL error is the server's last message on that connection (55000 "not accepting connections", 3D000 no
    // such database, 28P01 bad password, ...): whatever its code, the session is over.
    const severity = stringField(link, "severity");
    return severity === "FATAL" || severity === "PANIC";
  });
}

/**
 * The database cannot serve now, whatever the statement: the connection was lost (above), the server is short of
 * resources (class 53), the embedded database is closed, or the engine already said so (`database_unavailable`).
 * Trying the same write again later can succeed; an API request answers 503 `database_unavailable`.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (isConnectionLost(error)) return true;
  return someInChain(error, (link) => {
    if (isEngineError(link, "database_unavailable")) return true;
    const code = stringField(link, "code");
    if (code !== null && isSqlState(code) && code.startsWith(INSUFFICIENT_RESOURCES_CLASS)) return true;
    return link instanceof Error && link.message === PGLITE_CLOSED_MESSAGE;
  });
}

function isSqlState(code: string): boolean {
  return /^[0-9A-Z]{5}$/.test(code);
}

function stringField(value: object, key: string): string | null {
  const field: unknown = key in value ? Reflect.get(value, key) : undefined;
  return typeof field === "string" ? field : null;
}

function someInChain(error: unknown, test: (link: object) => boolean, depth = 0): boolean {
  if (depth > MAX_DEPTH || typeof error !== "object" || error === null) return false;
  if (test(error)) return true;
  if (error instanceof AggregateError && error.errors.some((inner: unknown) => someInChain(inner, test, depth + 1))) return true;
  return "cause" in error && someInChain(error.cause, test, depth + 1);
}
