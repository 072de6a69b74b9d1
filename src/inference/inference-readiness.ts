import type { ReadinessCheck, ReadinessResult } from "../api/readiness.js";
import type { InferenceGateway } from "./inference-gateway.js";
import { MODEL_TASKS, type ModelTask } from "./registry/model-module.js";

export interface InferenceReadinessOptions {
  /**
   * Tasks without which the engine is not ready when some pool is configured to serve them: speech detection and
   * recognition are what every session's audio needs. The other tasks are reported, never required: a session
   * runs without faces or speech synthesis, and answers `model_unavailable` for them.
   */
  requiredTasks: readonly ModelTask[];
}

export const DEFAULT_INFERENCE_READINESS_OPTIONS: InferenceReadinessOptions = { requiredTasks: ["vad", "asr"] };

/** A task as `/ready` reports it: some healthy pool has its model loaded, only loading, or none has it. */
export type TaskReadiness = "serving" | "loading" | "unavailable";

/**
 * `/ready`'s `inference` entry: each pool's health as the gateway last checked it, and per task whether some healthy
 * pool serves it (only tasks some pool is configured for are listed). Not ready when no pool is healthy, or when a
 * required task that a pool is configured for is served by no healthy pool: still loading counts as not served (a
 * session's audio would wait for it), and the reason says which. A pool that publishes no task names (an older
 * pool) counts for health alone.
 */
export function inferenceReadiness(gateway: Pick<InferenceGateway, "pools">, options: Partial<InferenceReadinessOptions> = {}): ReadinessCheck {
  const { requiredTasks } = { ...DEFAULT_INFERENCE_READINESS_OPTIONS, ...options };
  return {
    name: "inference",
    check: async (): Promise<ReadinessResult> => {
      const pools = gateway.pools();
      const healthy = pools.filter((p) => p.state === "healthy");
      const configured = new Set(pools.flatMap((p) => [...p.tasks, ...p.tasksLoading, ...p.tasksDown]));
      const tasks: Partial<Record<ModelTask, TaskReadiness>> = {};
      for (const task of MODEL_TASKS) {
        if (!configured.has(task)) continue;
        if (healthy.some((p) => p.tasks.includes(task))) tasks[task] = "serving";
        else tasks[task] = healthy.some((p) => p.tasksLoading.includes(task)) ? "loading" : "unavailable";
      }
      const value = {
        healthy_pools: healthy.length,
        pools: pools.map((p) => ({ address: p.address, state: p.state, tasks: p.tasks, links: p.links, reason: p.reason })),
        tasks,
      };
      if (healthy.length === 0) return { ok: false, value, reason: "no inference pool is healthy" };
      const missing = requiredTasks.filter((task) => tasks[task] !== undefined && tasks[task] !== "serving");
      if (missing.length > 0) {
        const which = missing.map((task) => `${task} (${tasks[task] === "loading" ? "its model is still loading" : "no healthy pool has its model"})`);
        return { ok: false, value, reason: `no healthy inference pool serves ${which.join(", ")}` };
      }
      return { ok: true, value };
    },
  };
}
