import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tensor } from "onnxruntime-node";
import { z } from "zod";
import { PoolError } from "../pool-error.js";
import { ModelAbsentError } from "../registry/model-absent.js";
import type { DeepfakeModel, ModelModule } from "../registry/model-module.js";
import { resampleRegion, RGB_CHANNELS, type RgbImage } from "../video/rgb-image.js";
import { checkDeepfakeContract, deepfakeConfigSchema, type DeepfakeConfig, type DeepfakeContract } from "./deepfake-contract.js";
import { errorText } from "./inference-error.js";
import { type ExecutionDevice } from "./model-files.js";
import { modelRunError, openModelSession, sessionSettingsFor, type ModelSession, type ModelThread } from "./model-session.js";
import { readOnnxSignature } from "./onnx-signature.js";

/**
 * A deepfake / face anti-spoofing classifier in ONNX, loaded from `${MODELS_DIR}/deepfake/model.onnx` when someone
 * places one there. None ships with the engine: no validated deepfake or anti-spoofing model is reachable offline,
 * so by default this model is absent and every deepfake request answers `model_unavailable`, never a score.
 *
 * The contract a model must meet (checked at load, refused with the reason otherwise; deepfake-contract.ts):
 * - one float32 input `[N, 3, H, W]`: RGB, each channel (pixel / 255 − mean) / std (defaults 0.5 and 0.5: −1…1);
 *   H and W fixed in the graph, or given by model.json when the graph leaves them symbolic; N symbolic (one run a
 *   batch) or 1 (one run an image).
 * - one float32 output `[N, 1]` or `[N, 2]`, read as model.json's `output` says: `probability` (default: the graph
 *   ends in its own sigmoid or softmax; values must be within 0–1), `sigmoid` (`[N, 1]` logits), `softmax` (`[N, 2]`
 *   logits). With two columns, `fake_index` (default 1) is the "fake" class.
 * - model.json beside it (optional), every field optional:
 *   `{"input_size": [h, w], "mean": [r, g, b], "std": [r, g, b], "output": "probability" | "sigmoid" | "softmax",
 *   "fake_index": 0 | 1}`.
 * Each image (a face crop, or a whole frame) is resized to H × W as it is (no letterbox), area-averaged when
 * shrinking (resampleRegion).
 */
export const DEEPFAKE_FOLDER = "deepfake";

export function deepfakeModelPaths(modelsDir: string): { modelPath: string; configPath: string } {
  return { modelPath: join(modelsDir, DEEPFAKE_FOLDER, "model.onnx"), configPath: join(modelsDir, DEEPFAKE_FOLDER, "model.json") };
}

export interface DeepfakeOnnxOptions {
  /** Where `deepfake/model.onnx` (and model.json) are looked for: the pool's MODELS_DIR. */
  modelsDir: string;
  device: ExecutionDevice;
  intraOpNumThreads: number;
  /** 3 = errors only. */
  logSeverityLevel: 0 | 1 | 2 | 3 | 4;
  /** Its own thread by default: a classifier run of tens of ms must not hold the pool's event loop. */
  thread: ModelThread;
}

export const DEFAULT_DEEPFAKE_ONNX_OPTIONS: Omit<DeepfakeOnnxOptions, "modelsDir"> = {
  device: "cpu",
  intraOpNumThreads: 1,
  logSeverityLevel: 3,
  thread: "worker",
};

/** Values a `probability` output may stray past 0 or 1 (float rounding) before it is refused. */
const PROBABILITY_SLACK = 1e-4;

export class DeepfakeOnnx implements DeepfakeModel {
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly modelPath: string;
  readonly config: DeepfakeConfig;
  readonly contract: DeepfakeContract;
  readonly #session: ModelSession;

  private constructor(session: ModelSession, modelPath: string, config: DeepfakeConfig, contract: DeepfakeContract) {
    this.#session = session;
    this.modelPath = modelPath;
    this.config = config;
    this.contract = contract;
    this.inputWidth = contract.width;
    this.inputHeight = contract.height;
  }

  /**
   * Loads the model from `modelsDir`. Rejects `model_unavailable`: a ModelAbsentError when no file is there (the
   * default), a PoolError naming the file and the broken rule when it does not meet the contract or cannot load.
   */
  static async load(options: Partial<DeepfakeOnnxOptions> & Pick<DeepfakeOnnxOptions, "modelsDir">): Promise<DeepfakeOnnx> {
    const settings: DeepfakeOnnxOptions = { ...DEFAULT_DEEPFAKE_ONNX_OPTIONS, ...options };
    const { modelPath, configPath } = deepfakeModelPaths(settings.modelsDir);
    const absent = deepfakeModelAbsence(settings.modelsDir);
    if (absent !== null) throw new ModelAbsentError(absent);
    const refuse = (reason: string, cause?: unknown) =>
      new PoolError("model_unavailable", `the deepfake model at ${modelPath} was not loaded: ${reason}`, cause === undefined ? undefined : { cause });
    const config = await readConfig(configPath).catch((cause: unknown) => {
      throw refuse(errorText(cause), cause);
    });
    let signature;
    try {
      signature = readOnnxSignature(await readFile(modelPath));
    } catch (cause) {
      throw refuse(errorText(cause), cause);
    }
    let session: ModelSession;
    try {
      session = await openModelSession(
        modelPath,
        sessionSettingsFor(settings),
        settings.thread,
      );
    } catch (cause) {
      throw refuse(`onnxruntime could not open it: ${errorText(cause)}`, cause);
    }
    try {
      // Graph inputs the session does not feed are initializers (models of IR version < 4 list them as inputs).
      const feeds = { inputs: signature.inputs.filter((input) => session.inputNames.includes(input.name)), outputs: signature.outputs };
      return new DeepfakeOnnx(session, modelPath, config, checkDeepfakeContract(feeds, config));
    } catch (cause) {
      await session.release();
      throw refuse(errorText(cause), cause);
    }
  }

  /** The fake probability of each image, in order; one run for the batch (one per image for a batch-1 graph). */
  async run(images: readonly RgbImage[]): Promise<number[]> {
    if (images.length === 0) return [];
    for (const image of images) {
      if (!(image.width >= 1 && image.height >= 1 && image.data.length >= image.width * image.height * RGB_CHANNELS)) {
        throw new PoolError("invalid_image", `an image needs whole positive sides and their RGB bytes, got ${image.width}×${image.height}`);
      }
    }
    if (this.contract.batch === "dynamic") return this.#runBatch(images);
    const probabilities: number[] = [];
    for (const image of images) probabilities.push(...(await this.#runBatch([image])));
    return probabilities;
  }

  /** One mid-grey image: the first run allocates. */
  async warmUp(): Promise<void> {
    const { inputWidth: width, inputHeight: height } = this;
    await this.run([{ width, height, data: new Uint8Array(width * height * RGB_CHANNELS).fill(128) }]);
  }

  async close(): Promise<void> {
    await this.#session.release();
  }

  async #runBatch(images: readonly RgbImage[]): Promise<number[]> {
    const { width, height, inputName, outputName, classes } = this.contract;
    const plane = width * height;
    const input = new Float32Array(images.length * RGB_CHANNELS * plane);
    const { mean, std } = this.config;
    images.forEach((image, i) => {
      const rgb = resampleRegion(image, { x: 0, y: 0, width: image.width, height: image.height }, width, height);
      for (let c = 0; c < RGB_CHANNELS; c++) {
        const offset = (i * RGB_CHANNELS + c) * plane;
        const [m, s] = [mean[c] ?? 0, std[c] ?? 1];
        for (let p = 0; p < plane; p++) input[offset + p] = ((rgb[p * RGB_CHANNELS + c] ?? 0) / 255 - m) / s;
      }
    });
    let outputs: Record<string, Tensor>;
    try {
      outputs = await this.#session.run({ [inputName]: new Tensor("float32", input, [images.length, RGB_CHANNELS, height, width]) });
    } catch (cause) {
      throw modelRunError("deepfake model run", cause);
    }
    const data = outputs[outputName]?.data;
    if (!(data instanceof Float32Array) || data.length !== images.length * classes) {
      throw new PoolError("internal", `the deepfake model's output ${outputName} is not [${images.length}, ${classes}] float32`);
    }
    return images.map((_, i) => this.#probability(data.subarray(i * classes, (i + 1) * classes)));
  }

  #probability(row: Float32Array): number {
    const { output, fake_index: fakeIndex } = this.config;
    const at = (i: number) => row[i] ?? Number.NaN;
    const fakeColumn = row.length === 1 ? 0 : fakeIndex;
    if (output === "sigmoid") return 1 / (1 + Math.exp(-at(0)));
    if (output === "softmax") {
      const top = Math.max(at(0), at(1));
      const [a, b] = [Math.exp(at(0) - top), Math.exp(at(1) - top)];
      return (fakeIndex === 0 ? a : b) / (a + b);
    }
    const value = at(fakeColumn);
    if (!(value >= -PROBABILITY_SLACK && value <= 1 + PROBABILITY_SLACK)) {
      throw new PoolError("internal", `the deepfake model gave ${value}, not a probability: if it outputs logits, say "output": "sigmoid" or "softmax" in its model.json`);
    }
    return Math.min(1, Math.max(0, value));
  }
}

async function readConfig(configPath: string): Promise<DeepfakeConfig> {
  if (!existsSync(configPath)) return deepfakeConfigSchema.parse({});
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(configPath, "utf8"));
  } catch (cause) {
    throw new Error(`its model.json is not JSON: ${errorText(cause)}`, { cause });
  }
  const parsed = deepfakeConfigSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`its model.json does not fit the contract: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Why no deepfake model can load from `modelsDir` (where one would go, and what it must look like), or null. */
export function deepfakeModelAbsence(modelsDir: string): string | null {
  const { modelPath } = deepfakeModelPaths(modelsDir);
  if (existsSync(modelPath)) return null;
  return (
    `no validated deepfake or anti-spoofing model is available offline, and none ships with the engine: ` +
    `place an ONNX model at ${modelPath} (input [N, 3, H, W] float32 RGB, output [N, 1] or [N, 2]; ` +
    `an optional model.json beside it) and restart the pool`
  );
}

/**
 * The deepfake classifier in the registry (task `deepfake`): skipped unless a model is placed in MODELS_DIR (the
 * registry then answers `model_unavailable` with where it would go). Stateless, a batch of face crops a run.
 */
export const DEEPFAKE_ONNX_MODULE: ModelModule<"deepfake"> = {
  name: "deepfake_onnx",
  task: "deepfake",
  runtime: "onnxruntime-node",
  batching: "dynamic",
  placement: (_cores, requested) => ({ instances: 1, threads: requested.threads ?? DEFAULT_DEEPFAKE_ONNX_OPTIONS.intraOpNumThreads }),
  unsupported: (_device, modelsDir) => deepfakeModelAbsence(modelsDir),
  async load(context) {
    const model = await DeepfakeOnnx.load({ modelsDir: context.modelsDir, device: context.device, intraOpNumThreads: context.placement.threads });
    const { width, height, classes, batch } = model.contract;
    context.logger.info({ model: "deepfake_onnx", path: model.modelPath, width, height, classes, batch, output: model.config.output }, "deepfake model found");
    return { model, warmup: () => model.warmUp(), dispose: () => model.close() };
  },
};
