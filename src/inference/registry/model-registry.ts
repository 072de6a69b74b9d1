import { ConfigError } from "../../env-fields.js";
import type { Logger } from "../../logger.js";
import type { ExecutionDevice } from "../models/model-files.js";
import { PoolError } from "../pool-error.js";
import type { ModelLoadState, ModelServingStats, ModelStatusView } from "../pool-service.js";
import { isModelAbsent } from "./model-absent.js";
import type { AnyModelModule, LoadedModel, ModelModule, ModelPlacement, ModelTask, ServedTask, TaskModels } from "./model-module.js";

export interface ModelRegistryOptions {
  /** Models to load, by name (INFERENCE_MODELS); null → every module of `modules` this machine can run. */
  models: readonly string[] | null;
  /** The modules it knows: `KNOWN_MODEL_MODULES` in a pool, fakes in tests. */
  modules: readonly AnyModelModule[];
  modelsDir: string;
  device: ExecutionDevice;
  logger: Logger;
  /** Cores the modules size their placement for. */
  cores: number;
  /** Instances and threads asked for per task (ASR_LANES, ASR_THREADS); unset ones are the module's choice. */
  placement: Partial<Record<ModelTask, Partial<ModelPlacement>>>;
}

export const DEFAULT_MODEL_REGISTRY_OPTIONS: Pick<ModelRegistryOptions, "models" | "device" | "placement"> = {
  models: null,
  device: "cpu",
  placement: {},
};

interface Slot<T extends ServedTask> {
  readonly module: ModelModule<T>;
  readonly placement: ModelPlacement;
  state: ModelLoadState;
  error: string | null;
  loadMs: number | null;
  warmupMs: number | null;
  loaded: LoadedModel<T> | null;
  /** Never rejects: the loaded model, or why it is unavailable. */
  settled: Promise<LoadedModel<T> | PoolError>;
  serving: (() => ModelServingStats) | null;
}

type Slots = { [T in ServedTask]?: Slot<T> };

/**
 * The pool's models: loads the configured modules in the background, each on its own (one failing stops none of
 * the others), keeps each one's state, timings and error, and answers a task with its loaded model or a
 * `model_unavailable` PoolError naming the model and why: not configured, cannot run here, still loading, failed.
 * One model per task; the pool owns the registry and closes it after the schedulers in front of its models.
 */
export class ModelRegistry {
  readonly #options: ModelRegistryOptions;
  readonly #log: Logger;
  readonly #slots: Slots = {};
  /** Configured slots in configuration order, for status. */
  readonly #order: Slot<ServedTask>[] = [];
  /** Known modules not loaded, and why: the answer for their task. */
  readonly #skipped = new Map<string, string>();
  #closing: Promise<void> | null = null;

  private constructor(options: ModelRegistryOptions) {
    this.#options = options;
    // The owner's logger as is: its component (the pool) stays the one on these lines.
    this.#log = options.logger;
  }

  /** Validates the configuration (ConfigError `invalid_config`), then starts every configured load in the background. */
  static start(options: Partial<ModelRegistryOptions> & Pick<ModelRegistryOptions, "modules" | "modelsDir" | "logger" | "cores">): ModelRegistry {
    const registry = new ModelRegistry({ ...DEFAULT_MODEL_REGISTRY_OPTIONS, ...options });
    for (const module of registry.#select()) registry.#start(module);
    return registry;
  }

  #select(): AnyModelModule[] {
    const { modules, models, device, modelsDir } = this.#options;
    const known = modules.map((m) => m.name);
    if (new Set(known).size !== known.length) throw new ConfigError(`invalid configuration: model names repeat among ${known.join(", ")}`);
    const unknown = (models ?? []).filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      throw new ConfigError(`invalid configuration: INFERENCE_MODELS: unknown model ${unknown.map((n) => `"${n}"`).join(", ")} (known: ${known.join(", ")})`);
    }
    const chosen = modules.filter((m) => {
      if (models !== null) {
        if (!models.includes(m.name)) this.#skipped.set(m.name, "not in the pool's configured models (INFERENCE_MODELS)");
        return models.includes(m.name);
      }
      const why = m.unsupported(device, modelsDir);
      if (why !== null) this.#skipped.set(m.name, `cannot run on this machine: ${why}`);
      return why === null;
    });
    for (const task of new Set(chosen.map((m) => m.task))) {
      const serving = chosen.filter((m) => m.task === task).map((m) => m.name);
      if (serving.length > 1) throw new ConfigError(`invalid configuration: INFERENCE_MODELS: ${serving.join(" and ")} all serve ${task}; name one`);
    }
    return chosen;
  }

  #start<T extends ServedTask>(module: ModelModule<T>): void {
    const { cores, placement, modelsDir, device } = this.#options;
    const slot: Slot<T> = {
      module,
      placement: module.placement(cores, placement[module.task] ?? {}),
      state: "loading",
      error: null,
      loadMs: null,
      warmupMs: null,
      loaded: null,
      settled: Promise.resolve(new PoolError("model_unavailable", `${module.name} is still loading`)),
      serving: null,
    };
    slot.settled = this.#load(slot, { modelsDir, device, logger: this.#log, placement: slot.placement });
    // Typed over T alone, so that TypeScript accepts the write of a Slot<T> under key T.
    const slots: { [P in T]?: Slot<P> } = this.#slots;
    slots[module.task] = slot;
    this.#order.push(slot);
  }

  async #load<T extends ServedTask>(slot: Slot<T>, context: Parameters<ModelModule<T>["load"]>[0]): Promise<LoadedModel<T> | PoolError> {
    const { name, task } = slot.module;
    let loaded: LoadedModel<T>;
    const loadStart = performance.now();
    try {
      loaded = await slot.module.load(context);
    } catch (error) {
      return this.#failed(slot, error);
    }
    slot.loadMs = performance.now() - loadStart;
    if (loaded.warmup !== undefined) {
      const warmStart = performance.now();
      try {
        await loaded.warmup();
      } catch (error) {
        await loaded.dispose().catch((disposeError: unknown) => this.#log.warn({ err: disposeError, model: name }, "model not disposed"));
        return this.#failed(slot, error);
      }
      slot.warmupMs = performance.now() - warmStart;
    }
    slot.loaded = loaded;
    slot.state = "loaded";
    const { instances, threads } = slot.placement;
    this.#log.info({ model: name, task, instances, threads, load_ms: Math.round(slot.loadMs), warmup_ms: slot.warmupMs === null ? null : Math.round(slot.warmupMs) }, "model loaded");
    return loaded;
  }

  #failed(slot: Slot<ServedTask>, error: unknown): PoolError {
    slot.state = "failed";
    slot.error = error instanceof Error ? error.message : String(error);
    // A model nobody placed (named in INFERENCE_MODELS all the same) is a fact of this installation, not a fault.
    if (isModelAbsent(error)) this.#log.info({ model: slot.module.name, reason: slot.error }, "model absent");
    else this.#log.error({ err: error, model: slot.module.name }, "model unavailable");
    return new PoolError("model_unavailable", `${slot.module.name} is not loaded: ${slot.error}`, { cause: error });
  }

  /** The task's loaded model; PoolError `model_unavailable` while it loads, when it failed or none is configured. */
  model<T extends ServedTask>(task: T): TaskModels[T] {
    const slot = this.#slots[task];
    if (slot === undefined) throw this.#unconfigured(task);
    if (this.#closing !== null) throw new PoolError("model_unavailable", "the pool is closing");
    if (slot.loaded !== null) return slot.loaded.model;
    if (slot.state === "loading") throw new PoolError("model_unavailable", `${slot.module.name} is still loading`);
    throw new PoolError("model_unavailable", `${slot.module.name} is not loaded: ${slot.error ?? "loading failed"}`);
  }

  /** The task's model once loaded; rejects with `model_unavailable` (at once when none is configured). */
  async whenLoaded<T extends ServedTask>(task: T): Promise<TaskModels[T]> {
    const slot = this.#slots[task];
    if (slot === undefined) throw this.#unconfigured(task);
    const outcome = await slot.settled;
    if (outcome instanceof PoolError) throw outcome;
    return outcome.model;
  }

  #unconfigured(task: ModelTask): PoolError {
    const candidates = this.#options.modules.filter((m) => m.task === task);
    const why = candidates.map((m) => `${m.name}: ${this.#skipped.get(m.name) ?? "not loaded"}`);
    return new PoolError("model_unavailable", `no ${task} model is configured${why.length === 0 ? " (this pool knows none)" : ` (${why.join("; ")})`}`);
  }

  /** Instances and threads the task's model is (being) loaded with; undefined when none is configured. */
  placement(task: ServedTask): ModelPlacement | undefined {
    return this.#slots[task]?.placement;
  }

  /** Reports the scheduler in front of the task's model (its batcher or queue) in that model's status. */
  attach(task: ServedTask, serving: () => ModelServingStats): void {
    const slot = this.#slots[task];
    if (slot !== undefined) slot.serving = serving;
  }

  /** Every configured model, in configuration order. */
  status(): ModelStatusView[] {
    return this.#order.map((slot) => {
      const { module, placement } = slot;
      const serving = slot.serving?.() ?? { batch: null, queue: null };
      return {
        name: module.name,
        task: module.task,
        runtime: module.runtime,
        batching: module.batching,
        threads: placement.threads,
        instances: placement.instances,
        state: slot.state,
        loaded: slot.state === "loaded",
        error: slot.error,
        loadMs: slot.loadMs,
        warmupMs: slot.warmupMs,
        ...serving,
      };
    });
  }

  /** Resolves once every configured model has loaded or failed. */
  async settled(): Promise<ModelStatusView[]> {
    await Promise.all(this.#order.map((slot) => slot.settled));
    return this.status();
  }

  /** Waits for loads in progress, then disposes every loaded model (call it after the schedulers using them closed). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all(this.#order.map((slot) => slot.settled));
      await Promise.all(
        this.#order.map(async (slot) => {
          const loaded = slot.loaded;
          slot.loaded = null;
          await loaded?.dispose().catch((error: unknown) => this.#log.warn({ err: error, model: slot.module.name }, "model not disposed"));
        }),
      );
    })();
    return this.#closing;
  }
}
