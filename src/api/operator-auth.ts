import type { RequestHandler } from "express";
import { EngineError } from "../errors.js";
import { bearerToken, secretMatcher } from "./admin-auth.js";

/** Realm of the monitor's HTTP basic challenge: browsers show it in their login prompt. */
export const MONITOR_REALM = "session-engine monitor";

/** `GET /metrics`: `Authorization: Bearer <METRICS_TOKEN>` when a token is configured, open otherwise. */
export function requireMetricsToken(metricsToken: string | null): RequestHandler {
  if (metricsToken === null) return (_req, _res, next) => next();
  const matches = secretMatcher(metricsToken);
  return (req, _res, next) => {
    const header = req.get("authorization") ?? "";
    const token = bearerToken(header);
    if (token === null || !matches(token)) {
      next(new EngineError("unauthorized", header === "" ? "missing metrics token" : "wrong metrics token"));
      return;
    }
    next();
  };
}

/** The password of an `Authorization: Basic base64(user:password)` header, or null. */
function basicPassword(header: string): string | null {
  const encoded = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)?.[1];
  if (encoded === undefined) return null;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon === -1 ? null : decoded.slice(colon + 1);
}

/**
 * The monitor is a browser page, which cannot send a bearer header: HTTP basic with any user name and the admin key
 * as the password, compared in constant time. A refusal carries the basic challenge so the browser prompts.
 */
export function requireMonitorLogin(adminApiKey: string): RequestHandler {
  const matches = secretMatcher(adminApiKey);
  return (req, res, next) => {
    const header = req.get("authorization") ?? "";
    const password = basicPassword(header);
    if (password === null || !matches(password)) {
      res.setHeader("WWW-Authenticate", `Basic realm="${MONITOR_REALM}"`);
      next(new EngineError("unauthorized", header === "" ? "the monitor needs the admin key" : "wrong admin key"));
      return;
    }
    next();
  };
}
