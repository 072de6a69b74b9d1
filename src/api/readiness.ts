import type { Application, Response } from "express";
import { EngineError } from "../errors.js";
import type { Logger } from "../logger.js";

/** One thing `/ready` depends on. `value` is what the 200 body reports under `name`; `reason` says why it is not ready. */
export type ReadinessResult = { ok: true; value: unknown } | { ok: false; value: unknown; reason: string };

export interface ReadinessCheck {
  /** Key of the check in `/ready`'s body (`database`, `rooms`, `persistence`, `inference`, …). */
  readonly name: string;
  check(): Promise<ReadinessResult>;
}

/**
 * `GET /ready`: 200 with every check's value when all pass, else 503 `not_ready` naming the first failing check,
 * with every check's value in `details` (a load balancer only needs the status; an operator reads why).
 * A check that throws counts as failing: readiness never answers 500.
 */
export function mountReadiness(app: Application, checks: readonly ReadinessCheck[], logger: Logger, fail: (res: Response, error: EngineError) => void): void {
  app.get("/ready", async (_req, res) => {
    const results = await Promise.all(
      checks.map(async (check): Promise<[string, ReadinessResult]> => {
        try {
          return [check.name, await check.check()];
        } catch (error) {
          logger.warn({ err: error, check: check.name }, "readiness check failed");
          return [check.name, { ok: false, value: "error", reason: `${check.name} check failed` }];
        }
      }),
    );
    const values = Object.fromEntries(results.map(([name, result]) => [name, result.value]));
    const failing = results.find(([, result]) => !result.ok);
    if (failing !== undefined && !failing[1].ok) {
      fail(res, new EngineError("not_ready", failing[1].reason, { details: values }));
      return;
    }
    res.json({ status: "ready", ...values });
  });
}
