import { monitor } from "@colyseus/monitor";
import express, { type Router } from "express";
import type { EngineMetrics } from "../metrics/engine-metrics.js";
import { localMonitorPanel, MONITOR_COLUMNS } from "./monitor-panel.js";
import { requireMetricsToken, requireMonitorLogin } from "./operator-auth.js";
import { limitRequests } from "./request-limiter.js";

export interface OperatorDeps {
  metrics: EngineMetrics;
  /** Null: `/metrics` is open (it carries no personal data). */
  metricsToken: string | null;
  adminApiKey: string;
}

/** Where the Colyseus monitor panel (and its JSON API under `/monitor/api`) is served. */
export const MONITOR_PATH = "/monitor";

/** `GET /metrics` (Prometheus text) and the Colyseus monitor at `/monitor`, each behind its own credential. */
export function operatorRoutes(deps: OperatorDeps): Router {
  const router = express.Router();
  // Both take a secret: a per-address budget slows guessing it.
  router.use(["/metrics", MONITOR_PATH], limitRequests());
  router.get("/metrics", requireMetricsToken(deps.metricsToken), async (_req, res) => {
    const text = await deps.metrics.text();
    res.setHeader("Content-Type", deps.metrics.contentType);
    res.setHeader("Cache-Control", "no-store");
    res.send(text);
  });
  // The panel rebases its routes on the mount path; a path mount keeps the login in front of every one of them.
  router.use(MONITOR_PATH, requireMonitorLogin(deps.adminApiKey), localMonitorPanel(), monitor({ columns: MONITOR_COLUMNS }));
  return router;
}
