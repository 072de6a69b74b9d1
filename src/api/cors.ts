import { matchMaker } from "@colyseus/core";

/** What a cross-origin page may call: the management API and the SDK's matchmaking request. */
const ALLOWED_METHODS = "GET, HEAD, POST, DELETE, OPTIONS";
const ALLOWED_HEADERS = "Authorization, Content-Type, Accept";
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * CORS headers for a request from `origin`: only an origin of the configured list (exact match) gets any
 * Access-Control-* header. Credentials are allowed for those because the SDK sends its matchmaking request with
 * `credentials: "include"`; the engine sets no cookies, so they carry nothing else.
 */
export function corsHeadersFor(allowedOrigins: ReadonlySet<string>, origin: string | null): Record<string, string> {
  if (allowedOrigins.size === 0) return {};
  // The answer depends on Origin: caches must not hand one origin's answer to another.
  if (origin === null || !allowedOrigins.has(origin)) return { Vary: "Origin" };
  return {
    Vary: "Origin",
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Allow-Methods": ALLOWED_METHODS,
    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
    "Access-Control-Max-Age": String(PREFLIGHT_MAX_AGE_S),
  };
}

/**
 * Replaces Colyseus' CORS policy, which echoes any Origin with credentials on every route (its HTTP listener runs in
 * front of Express, answers every OPTIONS and sets these headers on every response: API, monitor, matchmaking).
 * Colyseus keeps the policy on its process-wide matchmaking controller, so this is set once per engine process.
 */
export function applyCorsPolicy(origins: readonly string[]): void {
  const allowed = new Set(origins);
  const controller = matchMaker.controller;
  const defaults: Record<string, string> = controller.DEFAULT_CORS_HEADERS;
  for (const header of Object.keys(defaults)) delete defaults[header];
  controller.getCorsHeaders = (headers: Headers) => corsHeadersFor(allowed, headers.get("origin"));
}
