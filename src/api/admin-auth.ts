import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { EngineError } from "../errors.js";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** `Authorization: Bearer <ADMIN_API_KEY>` on every management route; compared in constant time. */
export function requireAdminKey(adminApiKey: string): RequestHandler {
  const expected = digest(adminApiKey);
  return (req, _res, next) => {
    const header = req.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), expected)) {
      next(new EngineError("unauthorized", header === "" ? "missing admin API key" : "wrong admin API key"));
      return;
    }
    next();
  };
}
