import type { GraphModel } from "@tensorflow/tfjs-converter";
import type * as TfCore from "@tensorflow/tfjs-core";
import { resampleRegion, RGB_CHANNELS, type Region, type RgbImage } from "../video/rgb-image.js";
import type { FaceBox } from "./blazeface-decode.js";
import { faceExpressionModel } from "./face-model-files.js";
import { errorText, InferenceError } from "./inference-error.js";
import { missingTfWasm, TfWasmRuntime, type TfWasm } from "./tfjs-wasm.js";
import { EXPRESSIONS, type Expression } from "../pool-types.js";
import type { ModelModule } from "../registry/model-module.js";
import { VIDEO_FRAME_LIMITS } from "../video/jpeg-frame.js";
import { missingPackagedFile } from "./model-files.js";

/**
 * Facial expression from a face crop: the 7-class classifier (oarriaga/face_classification, as converted and shipped
 * by @vladmandic/human) on TF.js's wasm backend. Crops are taken the way human takes them: the detector's box
 * enlarged 1.4× about its centre, made square on its longer side, grey (0.2989 R + 0.587 G + 0.114 B) 64×64,
 * scaled to (grey − 0.5) × 2. One difference: the crop is resampled to 64×64 once, where human cuts a larger crop
 * and resizes it again. `run` takes a batch, [N, 64, 64, 1] → [N, 7] in one execution.
 */

export interface ExpressionScores {
  dominant: Expression;
  /** The model's softmax, summing to 1. */
  scores: Record<Expression, number>;
}

export interface FaceCrop {
  image: RgbImage;
  /** The detector's box, in the image's pixels. */
  box: FaceBox;
}

export interface FaceExpressionOptions {
  /** Its TF.js runtime: one shared by several models, or one of its own (every runtime uses the realm's one engine). */
  runtime: TfWasmRuntime;
  /** Defaults to human's models/emotion.json. */
  modelJsonPath?: string;
  /** Human's detector scale: the box grown this much before cropping. */
  boxScale: number;
  /** One blank face at load: the first execution compiles kernels and is ≈ 10× slower. */
  warmUp: boolean;
}

export const DEFAULT_FACE_EXPRESSION_OPTIONS: Omit<FaceExpressionOptions, "runtime"> = { boxScale: 1.4, warmUp: true };

export const EXPRESSION_INPUT_SIZE = 64;
const CROP_PIXELS = EXPRESSION_INPUT_SIZE * EXPRESSION_INPUT_SIZE;
const BLANK_CROP: FaceCrop = {
  image: { width: 1, height: 1, data: new Uint8Array(RGB_CHANNELS).fill(128) },
  box: { x: 0, y: 0, width: 1, height: 1 },
};

export class FaceExpression {
  readonly #tf: typeof TfCore;
  readonly #model: GraphModel;
  readonly #boxScale: number;
  #closed = false;

  private constructor(tf: TfWasm, model: GraphModel, boxScale: number) {
    this.#tf = tf.tf;
    this.#model = model;
    this.#boxScale = boxScale;
  }

  static async load(options: Partial<FaceExpressionOptions> & Pick<FaceExpressionOptions, "runtime">): Promise<FaceExpression> {
    const settings: FaceExpressionOptions = { ...DEFAULT_FACE_EXPRESSION_OPTIONS, ...options };
    let model: FaceExpression;
    try {
      const tf = await settings.runtime.ready();
      const graph = await tf.loadGraphModel(settings.modelJsonPath ?? faceExpressionModel().path);
      const shape = graph.inputs[0]?.shape;
      if (shape?.length !== 4 || shape[1] !== EXPRESSION_INPUT_SIZE || shape[3] !== 1) {
        graph.dispose();
        throw new Error(`expected a [N, 64, 64, 1] input, found [${shape?.join(", ") ?? ""}]`);
      }
      model = new FaceExpression(tf, graph, settings.boxScale);
    } catch (cause) {
      throw new InferenceError("model_unavailable", `could not load the facial-expression model: ${errorText(cause)}`, {
        cause,
      });
    }
    if (settings.warmUp) {
      try {
        await model.warmUp();
      } catch (cause) {
        await model.close();
        throw new InferenceError("model_unavailable", `the facial-expression model failed its warm-up: ${errorText(cause)}`, {
          cause,
        });
      }
    }
    return model;
  }

  /**
   * One face through the model: what `warmUp: true` does at load (a blank pixel), for a loader that warms up later,
   * with a crop of its own (the registry's module: a face-sized box of a full camera frame).
   */
  async warmUp(crop: FaceCrop = BLANK_CROP): Promise<void> {
    await this.run([crop]);
  }

  /** Scores for each crop, in order. Every tensor it makes is disposed before it returns. */
  async run(crops: readonly FaceCrop[]): Promise<ExpressionScores[]> {
    if (this.#closed) throw new InferenceError("model_unavailable", "the facial-expression model is closed");
    if (crops.length === 0) return [];
    const input = new Float32Array(crops.length * CROP_PIXELS);
    crops.forEach((crop, i) => writeGreyCrop(crop, this.#boxScale, input, i * CROP_PIXELS));
    const tf = this.#tf;
    let probabilities: Float32Array;
    try {
      const output = tf.tidy(() => {
        const result = this.#model.execute(
          tf.tensor4d(input, [crops.length, EXPRESSION_INPUT_SIZE, EXPRESSION_INPUT_SIZE, 1]),
        );
        if (Array.isArray(result) || !(result instanceof tf.Tensor)) throw new Error("expected one output tensor");
        return result;
      });
      try {
        const data = await output.data();
        if (!(data instanceof Float32Array) || data.length !== crops.length * EXPRESSIONS.length) {
          throw new Error(`expected [${crops.length}, ${EXPRESSIONS.length}] float scores, got ${data.length} values`);
        }
        probabilities = data;
      } finally {
        output.dispose();
      }
    } catch (cause) {
      throw new InferenceError("internal", `facial-expression run failed: ${errorText(cause)}`, { cause });
    }
    return crops.map((_, i) => toScores(probabilities.subarray(i * EXPRESSIONS.length, (i + 1) * EXPRESSIONS.length)));
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#model.dispose();
    }
    return Promise.resolve();
  }
}

/**
 * The expression model in the registry (task `face_expression`): stateless, so faces of every stream's frames share
 * one execution (the pool's dynamic batcher). One instance of one thread, whatever is asked: TF.js has one engine
 * per realm, and its wasm backend runs single-threaded in Node (getThreadsCount() is 1), on the CPU whatever the
 * pool's device. The loaded model owns its runtime (TfWasmRuntime: creating several is safe, they share the realm's
 * backend), so no module-level runtime is kept; disposing the model frees its weights.
 */
export const FACE_EXPRESSION_MODULE: ModelModule<"face_expression"> = {
  name: "human_emotion",
  task: "face_expression",
  runtime: "tfjs-wasm",
  batching: "dynamic",
  placement: () => ({ instances: 1, threads: 1 }),
  unsupported: () => missingPackagedFile(faceExpressionModel) ?? missingTfWasm(),
  async load() {
    const expression = await FaceExpression.load({ runtime: new TfWasmRuntime(), warmUp: false });
    return { model: expression, warmup: () => expression.warmUp(cameraFaceCrop()), dispose: () => expression.close() };
  },
};

/**
 * The warm-up's face: a face-sized box (a third of the height) in the middle of a mid-grey frame as large as the pool
 * accepts (VIDEO_FRAME_LIMITS), cropped as a detected face is.
 */
function cameraFaceCrop(): FaceCrop {
  const { maxLongSide: width, maxShortSide: height } = VIDEO_FRAME_LIMITS;
  const image = { width, height, data: new Uint8Array(width * height * RGB_CHANNELS).fill(128) };
  const side = Math.round(height / 3);
  return { image, box: { x: (width - side) / 2, y: (height - side) / 2, width: side, height: side } };
}

/** Human's face crop: enlarged about the centre, square on the longer side, rounded to whole pixels. */
export function expressionCropRegion(box: FaceBox, scale: number): Region {
  const centreX = box.x + box.width / 2;
  const centreY = box.y + box.height / 2;
  const half = (Math.max(box.width, box.height) * scale) / 2;
  const left = Math.round(centreX - half);
  const top = Math.round(centreY - half);
  const side = Math.round(centreX + half) - left;
  return { x: left, y: top, width: side, height: Math.round(centreY + half) - top };
}

function writeGreyCrop(crop: FaceCrop, scale: number, input: Float32Array, offset: number): void {
  const region = expressionCropRegion(crop.box, scale);
  const rgb = resampleRegion(crop.image, region, EXPRESSION_INPUT_SIZE, EXPRESSION_INPUT_SIZE);
  for (let p = 0; p < CROP_PIXELS; p++) {
    const grey = (0.2989 * (rgb[p * 3] ?? 0) + 0.587 * (rgb[p * 3 + 1] ?? 0) + 0.114 * (rgb[p * 3 + 2] ?? 0)) / 255;
    input[offset + p] = (grey - 0.5) * 2;
  }
}

function toScores(row: Float32Array): ExpressionScores {
  const at = (i: number) => row[i] ?? 0;
  const scores: Record<Expression, number> = {
    angry: at(0),
    disgust: at(1),
    fear: at(2),
    happy: at(3),
    sad: at(4),
    surprise: at(5),
    neutral: at(6),
  };
  let dominant: Expression = EXPRESSIONS[0];
  for (const name of EXPRESSIONS) if (scores[name] > scores[dominant]) dominant = name;
  return { dominant, scores };
}
