import type { Client, Server } from "@grpc/grpc-js";
import { HealthImplementation, service as healthService, type ServingStatus } from "grpc-health-check";
import { z } from "zod";
import type { Logger } from "../../logger.js";
import type { InferencePoolService, ModelLoadState, ModelStatusView } from "../pool-service.js";
import { MODEL_TASKS, type ModelTask } from "../registry/model-module.js";

/**
 * The pool's grpc.health.v1 names. `""` and the service name say the server takes calls; one name per task says
 * whether that task's model is loaded, so an engine places work on a pool that can do it and `/ready` can say which
 * tasks some pool serves. A task's model still loading is UNKNOWN (not known yet whether it will serve), one that
 * failed to load NOT_SERVING. A task no configured model serves has no name at all (Check answers NOT_FOUND, List
 * leaves it out), so "not configured", "loading" and "failed" stay apart.
 */
export const TASK_HEALTH_PREFIX = "engine.inference.v1.task.";

export function taskHealthName(task: ModelTask): string {
  return `${TASK_HEALTH_PREFIX}${task}`;
}

export interface PoolHealthOptions {
  /** The service's own name, reported beside `""`. */
  serviceName: string;
  /** How often the task names are refreshed from the pool's models while any of them is still loading. */
  refreshMs: number;
}

export const DEFAULT_POOL_HEALTH_OPTIONS: PoolHealthOptions = { serviceName: "engine.inference.v1.Inference", refreshMs: 200 };

/**
 * Serves grpc.health.v1 on `server` for `pool`: `""` and the service name SERVING until `notServing()`, and each
 * configured task's name UNKNOWN while its model loads, then SERVING (loaded) or NOT_SERVING (failed). Models load in the background and only ever settle
 * once (loaded or failed), so the task names are refreshed on a timer only until none is loading.
 */
export class PoolHealthService {
  readonly #health: HealthImplementation;
  readonly #pool: Pick<InferencePoolService, "status">;
  readonly #log: Logger;
  readonly #options: PoolHealthOptions;
  #timer: NodeJS.Timeout | null = null;
  #serving = true;

  constructor(server: Server, pool: Pick<InferencePoolService, "status">, logger: Logger, options: Partial<PoolHealthOptions> = {}) {
    this.#options = { ...DEFAULT_POOL_HEALTH_OPTIONS, ...options };
    this.#pool = pool;
    this.#log = logger;
    this.#health = new HealthImplementation({ "": "SERVING", [this.#options.serviceName]: "SERVING" });
    this.#health.addToServer(server);
    if (this.#refresh()) {
      this.#timer = setInterval(() => {
        if (!this.#refresh()) this.#stop();
      }, this.#options.refreshMs);
      // Never what keeps a process alive.
      this.#timer.unref();
    }
  }

  /** Every name NOT_SERVING from now on (the server is closing): engines move their streams elsewhere. */
  notServing(): void {
    this.#serving = false;
    this.#stop();
    this.#health.setStatus("", "NOT_SERVING");
    this.#health.setStatus(this.#options.serviceName, "NOT_SERVING");
    for (const task of MODEL_TASKS) this.#health.setStatus(taskHealthName(task), "NOT_SERVING");
  }

  #stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Publishes each configured task's state; true while some model is still loading (refresh again). */
  #refresh(): boolean {
    if (!this.#serving) return false;
    let models: ModelStatusView[];
    try {
      models = this.#pool.status().models;
    } catch (error) {
      // A pool that cannot report its models publishes no task names (engines then place work on it blind).
      this.#log.warn({ err: error }, "pool status unavailable; health reports no tasks");
      return false;
    }
    for (const model of models) {
      if (model.task !== null) this.#health.setStatus(taskHealthName(model.task), TASK_STATUS[model.state]);
    }
    return models.some((model) => model.state === "loading");
  }
}

const TASK_STATUS = { loading: "UNKNOWN", loaded: "SERVING", failed: "NOT_SERVING" } as const satisfies Record<ModelLoadState, ServingStatus>;

/** What one List of a pool's health service said: the overall status and each task it names. */
export interface PoolHealthReport {
  serving: boolean;
  /** Tasks whose model is loaded. */
  tasks: ModelTask[];
  /** Tasks configured on the pool whose model is still loading. */
  tasksLoading: ModelTask[];
  /** Tasks configured on the pool whose model failed to load (or that stopped serving as the pool closes). */
  tasksDown: ModelTask[];
}

const listResponse = z.object({ statuses: z.record(z.string(), z.object({ status: z.string() })) });

/** grpc.health.v1's List, as grpc-health-check defines it. */
function listMethod() {
  const list = healthService["List"];
  if (list === undefined) throw new Error("grpc-health-check defines no List method");
  return list;
}

/**
 * One List of the health service on `client`'s channel (the pool's own connection: a dead pool fails it at once),
 * answered within `timeoutMs`. Rejects with the gRPC error when the pool does not answer.
 */
export function checkPoolHealth(client: Client, timeoutMs: number): Promise<PoolHealthReport> {
  const list = listMethod();
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(list.path, list.requestSerialize, list.responseDeserialize, {}, { deadline: Date.now() + timeoutMs }, (error, value) => {
      if (error) return reject(error);
      const parsed = listResponse.safeParse(value);
      if (!parsed.success) return reject(new Error(`health List answered an unreadable message: ${parsed.error.message}`));
      resolve(reportFrom(parsed.data.statuses));
    });
  });
}

function reportFrom(statuses: Record<string, { status: string }>): PoolHealthReport {
  const tasks: ModelTask[] = [];
  const tasksLoading: ModelTask[] = [];
  const tasksDown: ModelTask[] = [];
  for (const task of MODEL_TASKS) {
    const status = statuses[taskHealthName(task)]?.status;
    if (status === "SERVING") tasks.push(task);
    else if (status === "UNKNOWN") tasksLoading.push(task);
    else if (status !== undefined) tasksDown.push(task);
  }
  return { serving: statuses[""]?.status === "SERVING", tasks, tasksLoading, tasksDown };
}
