import type { Server as HttpServer } from "node:http";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { isRetryable } from "./protocol/error-codes.js";

/**
 * Start-up failures a user can fix: a port in use, a service the configuration names that does not answer. Entry
 * points print the message alone (one line naming the variable) and exit 1; other failures keep their stack.
 */
export class StartupError extends Error {
  readonly code = "startup_failed";
  readonly retryable = isRetryable("startup_failed");
}

/** The URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(not a URL)";
  }
}

function reasonOf(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") return error.code;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Connects to REDIS_URL once, without retries, and pings it. Colyseus' Redis clients would otherwise retry for ever,
 * printing a stack trace per attempt, before the matchmaker gives up without naming the variable.
 */
export async function probeRedis(url: string, timeoutMs: number): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // The socket's own error (ECONNREFUSED, ENOTFOUND) says more than connect()'s "Connection is closed".
  let cause: unknown = null;
  client.on("error", (error: unknown) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new StartupError(`REDIS_URL: cannot reach Redis at ${redacted(url)} (${reasonOf(cause ?? error)})`);
  } finally {
    client.disconnect();
  }
}

/**
 * Runs `listen` and fails with a StartupError when the port cannot be bound (taken since `assertBindable`). Colyseus
 * attaches its error listener to the HTTP server only once listening succeeded: without this the start would hang.
 */
export async function listenOrFail(httpServer: HttpServer, listen: () => Promise<void>, where: { host: string; port: number }): Promise<void> {
  let onError: (error: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    onError = (error) => reject(error);
    httpServer.once("error", onError);
  });
  try {
    await Promise.race([listen(), failed]);
  } catch (error) {
    throw bindFailure(error, where);
  } finally {
    httpServer.off("error", onError);
  }
}

/**
 * Binds the port on a bare socket and releases it, before anything slow starts (models, database): a port in use is
 * then said at once, and before Colyseus' transport, which prints a bind failure's stack, ever tries it.
 */
export async function assertBindable(where: { host: string; port: number }): Promise<void> {
  if (where.port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error) => reject(bindFailure(error, where)));
    probe.listen(where.port, where.host, () => probe.close(() => resolve()));
  });
}

function bindFailure(error: unknown, where: { host: string; port: number }): unknown {
  const code = reasonOf(error);
  if (code === "EADDRINUSE") return new StartupError(`PORT: ${where.host}:${where.port} is already in use; stop what holds it or set another PORT`);
  if (code === "EACCES") return new StartupError(`PORT: not permitted to listen on ${where.host}:${where.port}; choose a port above 1023`);
  if (code === "EADDRNOTAVAIL") return new StartupError(`HOST: ${where.host} is not an address of this machine`);
  return error;
}
