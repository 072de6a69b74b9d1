import { describe, expect, it } from "vitest";
import { ConfigError, configFromEnv } from "../../src/config.js";
import { PoolError } from "../../src/inference/pool-error.js";
import type { AsrModel, AnyModelModule, LoadedModel, ModelModule } from "../../src/inference/registry/model-module.js";
import { ModelRegistry, type ModelRegistryOptions } from "../../src/inference/registry/model-registry.js";
import { KNOWN_MODEL_NAMES } from "../../src/inference/registry/model-names.js";
import type { BatchedVadModel } from "../../src/inference/vad/vad-batcher-contract.js";
import { createLogger } from "../../src/logger.js";
import { rejection } from "../support/rejection.js";

/** The registry over fake modules: no model files, no runtimes; loads are settled by the test. */

const fakeVadModel: BatchedVadModel = {
  chunkSamples: 512,
  stateSize: 256,
  runBatch: async (_input, state, batchSize) => ({ probabilities: new Float32Array(batchSize), state: state.slice() }),
};
const fakeAsrModel: AsrModel = { transcribe: async () => ({ text: "fake", runMs: 0, windowFrames: 1500, retried: false }) };

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Counts its disposals. */
function loaded<T extends "vad" | "asr">(model: LoadedModel<T>["model"], warmup?: () => Promise<void>): LoadedModel<T> & { disposed: number } {
  const handle = {
    model,
    disposed: 0,
    ...(warmup === undefined ? {} : { warmup }),
    async dispose() {
      handle.disposed += 1;
    },
  };
  return handle;
}

function vadModule(load: ModelModule<"vad">["load"], extra: Partial<ModelModule<"vad">> = {}): ModelModule<"vad"> {
  return { name: "fake_vad", task: "vad", runtime: "onnxruntime-node", batching: "sequence", placement: () => ({ instances: 1, threads: 1 }), unsupported: () => null, load, ...extra };
}

function asrModule(load: ModelModule<"asr">["load"], extra: Partial<ModelModule<"asr">> = {}): ModelModule<"asr"> {
  return {
    name: "fake_asr",
    task: "asr",
    runtime: "onnxruntime-node",
    batching: "none",
    placement: (cores, requested) => ({ instances: requested.instances ?? cores, threads: requested.threads ?? 1 }),
    unsupported: () => null,
    load,
    ...extra,
  };
}

function start(modules: readonly AnyModelModule[], options: Partial<ModelRegistryOptions> = {}): ModelRegistry {
  return ModelRegistry.start({ modules, modelsDir: "/nowhere", logger: createLogger("silent"), cores: 4, ...options });
}

async function unavailable(action: () => unknown): Promise<PoolError> {
  let error: unknown;
  try {
    await action();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(PoolError);
  expect(error).toMatchObject({ code: "model_unavailable", retryable: true });
  return error instanceof PoolError ? error : new PoolError("internal", "unreachable");
}

describe("the model registry", () => {
  it("a module that fails to load stops none of the others", async () => {
    const registry = start([vadModule(async () => Promise.reject(new Error("weights missing"))), asrModule(async () => loaded<"asr">(fakeAsrModel))]);
    const models = await registry.settled();
    expect(models.map((m) => [m.name, m.state, m.loaded, m.error])).toEqual([
      ["fake_vad", "failed", false, "weights missing"],
      ["fake_asr", "loaded", true, null],
    ]);
    expect(registry.model("asr")).toBe(fakeAsrModel);
    expect(await registry.whenLoaded("asr")).toBe(fakeAsrModel);
    const failed = await unavailable(() => registry.model("vad"));
    expect(failed.message).toBe("fake_vad is not loaded: weights missing");
    expect((await unavailable(() => registry.whenLoaded("vad"))).message).toBe(failed.message);
  });

  it("reports each model loading, then loaded with its load and warm-up times, task, runtime, batching and placement", async () => {
    const vadLoad = deferred<LoadedModel<"vad">>();
    let warmed = 0;
    const registry = start([
      vadModule(() => vadLoad.promise),
      asrModule(async () =>
        loaded<"asr">(fakeAsrModel, async () => {
          warmed += 1;
        }),
      ),
    ], { placement: { asr: { instances: 2 } } });
    const [vadBefore] = registry.status();
    expect(vadBefore).toMatchObject({ name: "fake_vad", task: "vad", state: "loading", loaded: false, error: null, loadMs: null, warmupMs: null });
    expect((await unavailable(() => registry.model("vad"))).message).toBe("fake_vad is still loading");

    vadLoad.resolve(loaded<"vad">(fakeVadModel));
    const [vad, asr] = await registry.settled();
    expect(vad).toMatchObject({ state: "loaded", loaded: true, runtime: "onnxruntime-node", batching: "sequence", instances: 1, threads: 1, warmupMs: null, batch: null, queue: null });
    expect(vad?.loadMs).toBeGreaterThanOrEqual(0);
    expect(asr).toMatchObject({ task: "asr", state: "loaded", batching: "none", instances: 2, threads: 1 });
    expect(asr?.warmupMs).toBeGreaterThanOrEqual(0);
    expect(warmed).toBe(1);
    expect(registry.placement("asr")).toEqual({ instances: 2, threads: 1 });
    expect(registry.model("vad")).toBe(fakeVadModel);
  });

  it("a warm-up that fails leaves the model failed and disposed", async () => {
    const handle = loaded<"asr">(fakeAsrModel, () => Promise.reject(new Error("does not run")));
    const registry = start([asrModule(async () => handle)]);
    const [asr] = await registry.settled();
    expect(asr).toMatchObject({ state: "failed", loaded: false, error: "does not run", warmupMs: null });
    expect(handle.disposed).toBe(1);
    expect((await unavailable(() => registry.model("asr"))).message).toBe("fake_asr is not loaded: does not run");
  });

  it("a task whose model is not configured answers model_unavailable, as a failed one does, naming the model and why", async () => {
    let asrLoads = 0;
    const modules = [vadModule(async () => loaded<"vad">(fakeVadModel)), asrModule(async () => (asrLoads++, loaded<"asr">(fakeAsrModel)))];
    const registry = start(modules, { models: ["fake_vad"] });
    expect((await registry.settled()).map((m) => m.name)).toEqual(["fake_vad"]);
    expect(asrLoads).toBe(0);
    const sync = await unavailable(() => registry.model("asr"));
    expect(sync.message).toBe("no asr model is configured (fake_asr: not in the pool's configured models (INFERENCE_MODELS))");
    expect((await unavailable(() => registry.whenLoaded("asr"))).message).toBe(sync.message);
    expect(registry.placement("asr")).toBeUndefined();
    // Reporting a scheduler for a task without a model changes nothing.
    registry.attach("asr", () => ({ batch: null, queue: null }));
    expect(registry.status()).toHaveLength(1);
  });

  it("by default loads every module this machine can run, and says why the others are not loaded", async () => {
    const registry = start([vadModule(async () => loaded<"vad">(fakeVadModel)), asrModule(async () => loaded<"asr">(fakeAsrModel), { unsupported: () => "package fake-asr is not installed" })]);
    expect((await registry.settled()).map((m) => m.name)).toEqual(["fake_vad"]);
    expect((await unavailable(() => registry.model("asr"))).message).toBe("no asr model is configured (fake_asr: cannot run on this machine: package fake-asr is not installed)");
    const asrOnly = start([asrModule(async () => loaded<"asr">(fakeAsrModel))]);
    expect((await unavailable(() => asrOnly.model("vad"))).message).toBe("no vad model is configured (this pool knows none)");
  });

  it("an unknown model name, or two models for one task, is an invalid_config start-up error", () => {
    const modules = [vadModule(async () => loaded<"vad">(fakeVadModel)), asrModule(async () => loaded<"asr">(fakeAsrModel))];
    const unknown = (() => {
      try {
        start(modules, { models: ["fake_vad", "whisper_large"] });
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(unknown).toBeInstanceOf(ConfigError);
    expect(unknown).toMatchObject({ code: "invalid_config", message: 'invalid configuration: INFERENCE_MODELS: unknown model "whisper_large" (known: fake_vad, fake_asr)' });
    const twice = [...modules, vadModule(async () => loaded<"vad">(fakeVadModel), { name: "other_vad" })];
    expect(() => start(twice, { models: ["fake_vad", "other_vad"] })).toThrow(/fake_vad and other_vad all serve vad/);
  });

  it("INFERENCE_MODELS: known names only, listing them when one is not", () => {
    expect(configFromEnv({ INFERENCE_MODELS: " silero_vad_v5 , whisper_tiny_en_int8,silero_vad_v5" }).inferenceModels).toEqual(["silero_vad_v5", "whisper_tiny_en_int8"]);
    expect(configFromEnv({ INFERENCE_MODELS: "blazeface_front_128,human_emotion" }).inferenceModels).toEqual(["blazeface_front_128", "human_emotion"]);
    expect(configFromEnv({}).inferenceModels).toBeNull();
    const read = (value: string) => {
      try {
        configFromEnv({ INFERENCE_MODELS: value });
      } catch (error) {
        return error;
      }
      return null;
    };
    expect(read("silero_vad_v5,whisper_large")).toMatchObject({
      code: "invalid_config",
      message: `invalid configuration: INFERENCE_MODELS: unknown model "whisper_large" (known: ${KNOWN_MODEL_NAMES.join(", ")})`,
    });
    expect(read(" , ")).toMatchObject({ code: "invalid_config", message: expect.stringContaining("INFERENCE_MODELS: name at least one model") });
  });

  it("status carries what the scheduler in front of a model reports", async () => {
    const registry = start([vadModule(async () => loaded<"vad">(fakeVadModel))]);
    await registry.settled();
    const queue = { queuedLive: 3, queuedFile: 0, running: 1, completed: 9, rejectedOverloaded: 0, rejectedDeadline: 0 };
    registry.attach("vad", () => ({ batch: null, queue }));
    expect(registry.status()[0]).toMatchObject({ batch: null, queue });
  });

  it("close waits for a load in progress, then disposes every loaded model once", async () => {
    const asrLoad = deferred<LoadedModel<"asr">>();
    const vad = loaded<"vad">(fakeVadModel);
    const asr = loaded<"asr">(fakeAsrModel);
    const registry = start([vadModule(async () => vad), asrModule(() => asrLoad.promise)]);
    await registry.whenLoaded("vad");
    let closed = false;
    const closing = registry.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    asrLoad.resolve(asr);
    await closing;
    await registry.close();
    expect([vad.disposed, asr.disposed]).toEqual([1, 1]);
    expect((await unavailable(() => registry.model("vad"))).message).toBe("the pool is closing");
  });

  it("a load that throws synchronously is a failed load, not a thrown start", async () => {
    const registry = start([
      vadModule(() => {
        throw new Error("no runtime");
      }),
    ]);
    expect((await registry.settled())[0]).toMatchObject({ state: "failed", error: "no runtime" });
    expect(await rejection(registry.whenLoaded("vad"))).toMatchObject({ code: "model_unavailable" });
  });
});
