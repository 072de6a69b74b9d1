import type { ReadinessCheck } from "./api/readiness.js";
import { EngineError } from "./errors.js";

/**
 * Whether this process still takes new sessions. Set once when it starts shutting down (SIGTERM): from then on
 * creating a session or a token answers 503 `draining` (a load balancer retries elsewhere) and `/ready` turns 503,
 * while the sessions it holds drain.
 */
export class Draining {
  #sinceMs: number | null = null;

  get active(): boolean {
    return this.#sinceMs !== null;
  }

  begin(nowMs: number = Date.now()): void {
    this.#sinceMs ??= nowMs;
  }

  /** Throws `draining` once shutdown has begun. */
  assertAccepting(): void {
    if (this.#sinceMs !== null) throw new EngineError("draining", "this engine process is shutting down and takes no new sessions");
  }

  readiness(): ReadinessCheck {
    return {
      name: "accepting",
      check: async () => (this.#sinceMs === null ? { ok: true, value: true } : { ok: false, value: false, reason: "this process is draining (shutting down)" }),
    };
  }
}
