import type { RequestHandler } from "express";
import { EngineError } from "../errors.js";
import { TokenBucket } from "../token-bucket.js";

export interface RequestLimiterOptions {
  ratePerSecond: number;
  burst: number;
  /** Addresses tracked at once; the oldest are forgotten past this, bounding memory. */
  maxClients: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimiterOptions = { ratePerSecond: 50, burst: 100, maxClients: 10_000 };

/** Per-address request budget for the management API: over it → 429 `rate_limited`. */
export function limitRequests(options: Partial<RequestLimiterOptions> = {}): RequestHandler {
  const limits = { ...DEFAULT_REQUEST_LIMITS, ...options };
  const buckets = new Map<string, TokenBucket>();
  return (req, _res, next) => {
    const key = req.ip ?? "unknown";
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      if (buckets.size >= limits.maxClients) {
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) buckets.delete(oldest);
      }
      bucket = new TokenBucket(limits);
      buckets.set(key, bucket);
    }
    if (!bucket.take()) {
      next(new EngineError("rate_limited", "too many requests"));
      return;
    }
    next();
  };
}
