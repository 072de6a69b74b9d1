import type { DeepfakeFace } from "../image-types.js";
import type { FaceBox, FaceDetection } from "../models/blazeface.js";
import { PoolError } from "../pool-error.js";
import type { DeepfakeModel } from "../registry/model-module.js";
import type { RgbImage } from "../video/rgb-image.js";
import { resizeRegion } from "./still-image.js";

/** The small steps of the pool's image calls around their models (pool-images.ts): boxes and crops. */

interface Size {
  width: number;
  height: number;
}

/** A box found in `from` (the detector's fitted copy) in `to`'s pixels (the image as it came), inside it. */
export function scaleFaceBox(box: FaceBox, from: Size, to: Size): FaceBox {
  const sx = to.width / from.width;
  const sy = to.height / from.height;
  const x = clamp(box.x * sx, 0, to.width);
  const y = clamp(box.y * sy, 0, to.height);
  return { x, y, width: clamp((box.x + box.width) * sx, 0, to.width) - x, height: clamp((box.y + box.height) * sy, 0, to.height) - y };
}

export interface DeepfakeRegion {
  /** The face it was cut around; null for the whole image. */
  face: FaceDetection | null;
  /** What the model scores: the face with its margin (or the whole image) at the model's input size. */
  crop: RgbImage;
}

/** Each face's crop, `margin` of its box more on every side (inside the image); none found: the whole image. */
export function deepfakeRegions(faces: readonly FaceDetection[], image: RgbImage, margin: number, model: Pick<DeepfakeModel, "inputWidth" | "inputHeight">): DeepfakeRegion[] {
  const { inputWidth, inputHeight } = model;
  if (faces.length === 0) {
    return [{ face: null, crop: resizeRegion(image, { x: 0, y: 0, width: image.width, height: image.height }, inputWidth, inputHeight) }];
  }
  return faces.map((face) => {
    const { x, y, width, height } = face.box;
    const left = clamp(x - width * margin, 0, image.width);
    const top = clamp(y - height * margin, 0, image.height);
    const right = clamp(x + width * (1 + margin), 0, image.width);
    const bottom = clamp(y + height * (1 + margin), 0, image.height);
    const region = { x: left, y: top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) };
    return { face, crop: resizeRegion(image, region, inputWidth, inputHeight) };
  });
}

/** The model's probabilities (one per region, in order) on the regions' boxes, in the image's own pixels. */
export function deepfakeFaces(regions: readonly DeepfakeRegion[], probabilities: readonly number[], fitted: Size, image: Size): DeepfakeFace[] {
  if (probabilities.length !== regions.length) {
    throw new PoolError("internal", `the deepfake model answered ${probabilities.length} probabilities for ${regions.length} images`);
  }
  return regions.map((region, i) => {
    const fakeProbability = probabilities[i] ?? Number.NaN;
    if (!(fakeProbability >= 0 && fakeProbability <= 1)) throw new PoolError("internal", "the deepfake model answered a probability outside 0–1");
    if (region.face === null) return { box: { x: 0, y: 0, width: image.width, height: image.height }, fakeProbability, faceScore: null };
    return { box: scaleFaceBox(region.face.box, fitted, image), fakeProbability, faceScore: region.face.score };
  });
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
