import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as TfCore from "@tensorflow/tfjs-core";
import type { GraphModel } from "@tensorflow/tfjs-converter";
import { errorText, InferenceError } from "./inference-error.js";

/**
 * TensorFlow.js on its WebAssembly backend, for the models that ship only in TF.js format (MODELS.md: the pure-JS
 * cpu backend is 30–35× slower, tfjs-node downloads a native library at install). TF.js keeps one engine per
 * realm (the process, or each worker thread), so a runtime owns no engine: `ready()` is idempotent, and any number of
 * runtimes may be created, even starting at once: the first to start selects the wasm backend, the others wait for
 * that start and reuse it. So a model may own its runtime (the registry's FACE_EXPRESSION_MODULE does) rather than
 * share a mutable singleton. Nothing frees the backend: removing it would break every other runtime of the realm,
 * and a wasm heap never shrinks anyway; what a model frees on close is its own weights.
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

const TFJS_WASM_PACKAGES = ["@tensorflow/tfjs-core", "@tensorflow/tfjs-converter", "@tensorflow/tfjs-backend-wasm"] as const;
/** What the backend package ships; it picks one by the platform's SIMD and thread support. */
const WASM_BINARIES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"] as const;

/**
 * Why TF.js on wasm cannot start on this machine (a package or the backend's .wasm binaries missing), or null.
 * Resolves the packages without importing them, for the same reason `ready()` imports them late.
 */
export function missingTfWasm(): string | null {
  const require = createRequire(import.meta.url);
  for (const name of TFJS_WASM_PACKAGES) {
    try {
      require.resolve(name);
    } catch {
      return `package ${name} is not installed`;
    }
  }
  const folder = wasmBinaryFolder();
  const missing = WASM_BINARIES.filter((file) => !existsSync(join(folder, file)));
  return missing.length === 0 ? null : `@tensorflow/tfjs-backend-wasm lacks ${missing.join(", ")}`;
}

/** The .wasm files sit beside the package's entry point; Emscripten reads them from disk in Node. */
function wasmBinaryFolder(): string {
  return dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"));
}

async function startWasmBackend(): Promise<TfWasm> {
  try {
    const [tf, converter, wasm] = await Promise.all([
      import("@tensorflow/tfjs-core"),
      import("@tensorflow/tfjs-converter"),
      import("@tensorflow/tfjs-backend-wasm"),
    ]);
    // `getBackend()` only reads what was selected. `findBackend` would start the backend's initialisation as a side
    // effect, and a second initialisation makes a start in progress answer false: two runtimes starting at once
    // failed so (and one alone initialised the wasm module twice).
    if (tf.getBackend() !== "wasm") wasm.setWasmPaths(`${wasmBinaryFolder()}/`);
    await withoutAddedProcessHandlers(async () => {
      // Another runtime's start in progress: wait for it rather than start a second (tf.ready() waits for it, or
      // retries a start that failed); then select the backend, which reuses an initialised one.
      if (tf.getBackend() === "wasm") await tf.ready();
      if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
    });
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
