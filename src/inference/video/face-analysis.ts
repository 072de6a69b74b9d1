import { BlazeFace, type BlazeFaceOptions, type FaceBox, type Point } from "../models/blazeface.js";
import { FaceExpression, type ExpressionScores, type FaceExpressionOptions } from "../models/face-expression.js";
import type { TfWasmRuntime } from "../models/tfjs-wasm.js";
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

export class FaceAnalyzer {
  readonly detector: BlazeFace;
  readonly expression: FaceExpression;

  constructor(detector: BlazeFace, expression: FaceExpression) {
    this.detector = detector;
    this.expression = expression;
  }

  static async load(options: Partial<FaceAnalyzerOptions> & Pick<FaceAnalyzerOptions, "runtime">): Promise<FaceAnalyzer> {
    const [detector, expression] = await Promise.allSettled([
      BlazeFace.load(options.detector),
      FaceExpression.load({ ...options.expression, runtime: options.runtime }),
    ]);
    if (detector.status === "fulfilled" && expression.status === "fulfilled") {
      return new FaceAnalyzer(detector.value, expression.value);
    }
    // Free whichever half did load before reporting the other's failure.
    if (detector.status === "fulfilled") await detector.value.close();
    if (expression.status === "fulfilled") await expression.value.close();
    const failed = [detector, expression].find((result): result is PromiseRejectedResult => result.status === "rejected");
    throw failed?.reason;
  }

  /** Faces of each image (best first), one entry per image, in order. */
  async run(images: readonly RgbImage[]): Promise<AnalyzedFace[][]> {
    const detections = await this.detector.run(images);
    const crops = detections.flatMap((faces, i) => {
      const image = images[i];
      return image === undefined ? [] : faces.map((face) => ({ image, box: face.box }));
    });
    const expressions = await this.expression.run(crops);
    let next = 0;
    return detections.map((faces) =>
      faces.flatMap((face) => {
        const expression = expressions[next++];
        return expression === undefined ? [] : [{ box: face.box, score: face.score, keypoints: face.keypoints, expression }];
      }),
    );
  }

  /** One JPEG frame, decoded under `limits`; rejects with a `VideoError` (`invalid_video`) for a bad frame. */
  async analyzeJpeg(bytes: Uint8Array, limits: JpegFrameLimits = VIDEO_FRAME_LIMITS): Promise<AnalyzedFace[]> {
    const [faces] = await this.run([decodeJpegFrame(bytes, limits)]);
    return faces ?? [];
  }

  async close(): Promise<void> {
    await Promise.all([this.detector.close(), this.expression.close()]);
  }
}
