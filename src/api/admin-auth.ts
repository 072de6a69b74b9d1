import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { EngineError } from "../errors.js";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Constant-time check against `secret`: both sides are hashed first, so lengths leak nothing either. */
export function secretMatcher(secret: string): (candidate: string) => boolean {
  const expected = digest(secret);
  return (candidate) => timingSafeEqual(digest(candidate), expected);
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null;
}

/** `Authorization: Bearer <ADMIN_API_KEY>` on every management route; compared in constant time. */
export function requireAdminKey(adminApiKey: string): RequestHandler {
  const matches = secretMatcher(adminApiKey);
  return (req, _res, next) => {
    const header = req.get("authorization") ?? "";
    const token = bearerToken(header);
    if (token === null || !matches(token)) {
      next(new EngineError("unauthorized", header === "" ? "missing admin API key" : "wrong admin API key"));
      return;
    }
    next();
  };
}
