import type { RequestHandler } from "express";
import { EngineError } from "../errors.js";

/** JSON bodies of the management routes above this are refused with 413 `payload_too_large` (routes that take media set their own). */
export const DEFAULT_JSON_BODY_BYTES = 64 * 1024;

/**
 * A body whose declared `Content-Length` is over `limitBytes` is refused (413 `payload_too_large`) before a byte of it
 * is read. The body parsers enforce the same limit on what they read, but they read a refused body to its end before
 * answering: past a large limit that is the whole upload, and a client that never sends it waits forever. The
 * connection is closed after the answer, since the unread body cannot be skipped.
 */
export function refuseDeclaredOver(limitBytes: number): RequestHandler {
  return (req, res, next) => {
    const declared = Number(req.get("content-length") ?? 0);
    if (declared > limitBytes) {
      res.setHeader("Connection", "close");
      next(new EngineError("payload_too_large", `bodies are limited to ${formatBytes(limitBytes)}`));
      return;
    }
    next();
  };
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`;
}
