import { BlazeFace, type BlazeFaceOptions, type FaceBox, type Point } from "../models/blazeface.js";
import { FaceExpression, type ExpressionScores, type FaceExpressionOptions } from "../models/face-expression.js";
import type { TfWasmRuntime } from "../models/tfjs-wasm.js";
import type { FaceDetectModel, FaceExpressionModel } from "../registry/model-module.js";
import { decodeJpegFrame, VIDEO_FRAME_LIMITS, type JpegFrameLimits } from "./jpeg-frame.js";
import type { RgbImage } from "./rgb-image.js";

/**
 * A camera frame → its faces, each with its expression: JPEG decode (jpeg-frame.ts), BlazeFace, then the expression
 * model on every face found. `run(images)` is batch-shaped for the dynamic batcher: the detector runs the batch,
 * then every face of every image goes to the expression model in one execution. Decoding is per frame and can fail
 * per frame (`invalid_video`), so it belongs before the batcher (`decodeJpegFrame`), where a bad frame is answered
 * alone instead of failing the batch it would have joined.
 */
export interface AnalyzedFace {
  box: FaceBox;
  /** The detector's confidence, 0–1. */
  score: number;
  keypoints: Point[];
  expression: ExpressionScores;
}

export interface FaceAnalyzerOptions {
  detector: Partial<BlazeFaceOptions>;
  expression: Partial<Omit<FaceExpressionOptions, "runtime">>;
  /** The process's TF.js runtime (one engine per process). */
  runtime: TfWasmRuntime;
}

/**
 * Over any detector and expression model of the registry's contracts: the registry's own (`whenLoaded("face_detect")`,
 * `whenLoaded("face_expression")`), or the two it loads itself (`load`: the type's defaults, so its callers keep
 * BlazeFace's and FaceExpression's own members).
 */
export class FaceAnalyzer<D extends FaceDetectModel = BlazeFace, E extends FaceExpressionModel = FaceExpression> {
  readonly detector: D;
  readonly expression: E;
  readonly #release: () => Promise<void>;

  /**
   * `release` is what `close` frees. By default nothing: models handed in belong to whoever loaded them (the
   * registry disposes its own once the pool stops), and an analyzer is only one of their users.
   */
  constructor(detector: D, expression: E, release: () => Promise<void> = () => Promise.resolve()) {
    this.detector = detector;
    this.expression = expression;
    this.#release = release;
  }

  /** BlazeFace and the expression model loaded side by side; `close` frees both. */
  static async load(options: Partial<FaceAnalyzerOptions> & Pick<FaceAnalyzerOptions, "runtime">): Promise<FaceAnalyzer> {
    const [detector, expression] = await Promise.allSettled([
      BlazeFace.load(options.detector),
      FaceExpression.load({ ...options.expression, runtime: options.runtime }),
    ]);
    if (detector.status === "fulfilled" && expression.status === "fulfilled") {
      const [loadedDetector, loadedExpression] = [detector.value, expression.value];
      return new FaceAnalyzer(loadedDetector, loadedExpression, async () => {
        await Promise.all([loadedDetector.close(), loadedExpression.close()]);
      });
    }
    // Free whichever half did load before reporting the other's failure.
    if (detector.status === "fulfilled") await detector.value.close();
    if (expression.status === "fulfilled") await expression.value.close();
    const failed = [detector, expression].find((result): result is PromiseRejectedResult => result.status === "rejected");
    throw failed?.reason;
  }

  /** Faces of each image (best first), one entry per image, in order. */
  async run(images: readonly RgbImage[]): Promise<AnalyzedFace[][]> {
    return (await this.runTimed(images)).faces;
  }

  /** As `run`, with the time the detector's run and the expression model's run took (each one run per batch). */
  async runTimed(images: readonly RgbImage[]): Promise<{ faces: AnalyzedFace[][]; detectMs: number; expressionMs: number }> {
    const startedAtMs = performance.now();
    const detections = await this.detector.run(images);
    const detectedAtMs = performance.now();
    const crops = detections.flatMap((faces, i) => {
      const image = images[i];
      return image === undefined ? [] : faces.map((face) => ({ image, box: face.box }));
    });
    const expressions = crops.length === 0 ? [] : await this.expression.run(crops);
    let next = 0;
    const faces = detections.map((found) =>
      found.flatMap((face) => {
        const expression = expressions[next++];
        return expression === undefined ? [] : [{ box: face.box, score: face.score, keypoints: face.keypoints, expression }];
      }),
    );
    return { faces, detectMs: detectedAtMs - startedAtMs, expressionMs: performance.now() - detectedAtMs };
  }

  /** One JPEG frame, decoded under `limits`; rejects with a `VideoError` (`invalid_video`) for a bad frame. */
  async analyzeJpeg(bytes: Uint8Array, limits: JpegFrameLimits = VIDEO_FRAME_LIMITS): Promise<AnalyzedFace[]> {
    const [faces] = await this.run([decodeJpegFrame(bytes, limits)]);
    return faces ?? [];
  }

  /** Frees what the analyzer owns (see the constructor); call it once, after its last run. */
  close(): Promise<void> {
    return this.#release();
  }
}
