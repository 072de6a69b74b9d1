import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as TfCore from "@tensorflow/tfjs-core";
import type { GraphModel } from "@tensorflow/tfjs-converter";
import { errorText, InferenceError } from "./inference-error.js";

/**
 * TensorFlow.js on its WebAssembly backend, for the models that ship only in TF.js format (MODELS.md: the pure-JS
 * cpu backend is 30–35× slower, tfjs-node downloads a native library at install). TF.js keeps one engine per
 * process, so whoever composes the process creates one runtime and hands it to every TF.js model; `ready()` is
 * idempotent, and a second runtime finds the backend already up and only reuses it.
 *
 * The packages are imported on first `ready()`, not with this module: importing the wasm backend registers it
 * with TF.js's engine, and processes without a TF.js model should not load ≈ 3 MB of TF.js for nothing.
 */
export interface TfWasm {
  readonly tf: typeof TfCore;
  /** A converted graph model from its model.json and weight files (TF.js's own loader needs `fetch` for files). */
  loadGraphModel(modelJsonPath: string): Promise<GraphModel>;
}

export class TfWasmRuntime {
  #ready: Promise<TfWasm> | undefined;

  ready(): Promise<TfWasm> {
    if (this.#ready === undefined) {
      const starting = startWasmBackend();
      this.#ready = starting;
      // A failed start is not cached: the next call tries again.
      starting.catch(() => {
        if (this.#ready === starting) this.#ready = undefined;
      });
    }
    return this.#ready;
  }
}

async function startWasmBackend(): Promise<TfWasm> {
  try {
    const [tf, converter, wasm] = await Promise.all([
      import("@tensorflow/tfjs-core"),
      import("@tensorflow/tfjs-converter"),
      import("@tensorflow/tfjs-backend-wasm"),
    ]);
    if (tf.findBackend("wasm") === null) {
      // The .wasm files sit beside the package's entry point; Emscripten reads them from disk in Node.
      const wasmDir = dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"));
      wasm.setWasmPaths(`${wasmDir}/`);
      await withoutAddedProcessHandlers(async () => {
        if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
      });
    } else if (tf.getBackend() !== "wasm") {
      await tf.setBackend("wasm");
    }
    await tf.ready();
    return {
      tf,
      loadGraphModel: async (modelJsonPath) => converter.loadGraphModel(await fileHandler(tf, modelJsonPath)),
    };
  } catch (cause) {
    throw new InferenceError("model_unavailable", `could not start TF.js on the wasm backend: ${errorText(cause)}`, {
      cause,
    });
  }
}

/**
 * The Emscripten runtime adds `uncaughtException` and `unhandledRejection` listeners that rethrow, printing its
 * whole minified source with any unrelated error; Node's own handling is what the engine wants, so they are removed.
 */
async function withoutAddedProcessHandlers(start: () => Promise<void>): Promise<void> {
  const uncaught = new Set(process.listeners("uncaughtException"));
  const rejections = new Set(process.listeners("unhandledRejection"));
  try {
    await start();
  } finally {
    for (const listener of process.listeners("uncaughtException")) {
      if (!uncaught.has(listener)) process.removeListener("uncaughtException", listener);
    }
    for (const listener of process.listeners("unhandledRejection")) {
      if (!rejections.has(listener)) process.removeListener("unhandledRejection", listener);
    }
  }
}

/** An IOHandler over the file system: model.json, then its weight shards in manifest order. */
async function fileHandler(tf: typeof TfCore, modelJsonPath: string): Promise<TfCore.io.IOHandler> {
  const parsed: unknown = JSON.parse(await readFile(modelJsonPath, "utf8"));
  if (!isModelJson(parsed)) throw new Error(`${modelJsonPath} is not a TF.js model.json`);
  const folder = dirname(modelJsonPath);
  return {
    load: () =>
      tf.io.getModelArtifactsForJSON(parsed, async (manifest) => {
        const shards = await Promise.all(manifest.flatMap((group) => group.paths).map((path) => readFile(join(folder, path))));
        const weightData = new Uint8Array(shards.reduce((total, shard) => total + shard.byteLength, 0));
        let at = 0;
        for (const shard of shards) {
          weightData.set(shard, at);
          at += shard.byteLength;
        }
        return [manifest.flatMap((group) => group.weights), weightData.buffer];
      }),
  };
}

function isModelJson(value: unknown): value is TfCore.io.ModelJSON {
  if (typeof value !== "object" || value === null) return false;
  if (!("modelTopology" in value) || typeof value.modelTopology !== "object" || value.modelTopology === null) return false;
  if (!("weightsManifest" in value) || !Array.isArray(value.weightsManifest)) return false;
  return value.weightsManifest.every(
    (group: unknown) =>
      typeof group === "object" &&
      group !== null &&
      "paths" in group &&
      Array.isArray(group.paths) &&
      group.paths.every((path: unknown) => typeof path === "string" && !path.includes("..")) &&
      "weights" in group &&
      Array.isArray(group.weights),
  );
}
