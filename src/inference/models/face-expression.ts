import type { GraphModel } from "@tensorflow/tfjs-converter";
import type * as TfCore from "@tensorflow/tfjs-core";
import { resampleRegion, RGB_CHANNELS, type Region, type RgbImage } from "../video/rgb-image.js";
import type { FaceBox } from "./blazeface-decode.js";
import { faceExpressionModel } from "./face-model-files.js";
import { errorText, InferenceError } from "./inference-error.js";
import type { TfWasm, TfWasmRuntime } from "./tfjs-wasm.js";

/**
 * Facial expression from a face crop: the 7-class classifier (oarriaga/face_classification, as converted and shipped
 * by @vladmandic/human) on TF.js's wasm backend. Crops are taken the way human takes them: the detector's box
 * enlarged 1.4× about its centre, made square on its longer side, grey (0.2989 R + 0.587 G + 0.114 B) 64×64,
 * scaled to (grey − 0.5) × 2. One difference: the crop is resampled to 64×64 once, where human cuts a larger crop
 * and resizes it again. `run` takes a batch, [N, 64, 64, 1] → [N, 7] in one execution.
 */
export const EXPRESSIONS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"] as const;
export type Expression = (typeof EXPRESSIONS)[number];

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
  /** Shared by every TF.js model of the process (TF.js has one engine). */
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

  /** One blank face through the model (what `warmUp: true` does at load, for a loader that warms up later). */
  async warmUp(): Promise<void> {
    const grey = { width: 1, height: 1, data: new Uint8Array(RGB_CHANNELS).fill(128) };
    await this.run([{ image: grey, box: { x: 0, y: 0, width: 1, height: 1 } }]);
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
