/**
 * BlazeFace's output → faces, as MediaPipe's front-camera face detector does it: 896 SSD anchors (a 16×16 grid with 2
 * per cell, then 8×8 with 6), box centre and size plus 6 keypoints as offsets in 128-pixel units from each anchor's
 * centre, sigmoid scores, then weighted non-max suppression (overlapping candidates are averaged, weighted by score,
 * instead of dropped, which steadies the box from frame to frame). Pure arithmetic, no model.
 */

export const BLAZEFACE_INPUT_SIZE = 128;
export const BLAZEFACE_ANCHOR_COUNT = 896;
/** Per anchor: centre x, y, width, height, then 6 keypoints × (x, y). */
export const BLAZEFACE_REGRESSORS = 16;
/** MediaPipe's keypoint order; left and right are the subject's own. */
export const BLAZEFACE_KEYPOINTS = ["right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear"] as const;

export interface Point {
  x: number;
  y: number;
}

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FaceDetection {
  box: FaceBox;
  /** Sigmoid of the anchor's logit, 0–1. */
  score: number;
  /** In `BLAZEFACE_KEYPOINTS` order. */
  keypoints: Point[];
}

export interface DecodeOptions {
  /**
   * 0.75, the default of the Unity port this export comes from. MediaPipe's 0.5 passes non-faces here: on
   * scikit-image's sample photos (letterboxed) a cat scored 0.52 and a colour chart 0.58; the astronaut 0.92.
   */
  minScore: number;
  /** Candidates overlapping the best one by more than this (IoU) join its cluster. MediaPipe: 0.3. */
  iouThreshold: number;
  maxFaces: number;
}

export const DEFAULT_DECODE_OPTIONS: DecodeOptions = { minScore: 0.75, iouThreshold: 0.3, maxFaces: 8 };

/** Anchor centres in 128-pixel units, [x0, y0, x1, y1, …], in the order of the concatenated outputs (512 then 384). */
export function blazeFaceAnchors(): Float32Array {
  const anchors = new Float32Array(BLAZEFACE_ANCHOR_COUNT * 2);
  let at = 0;
  for (const { stride, perCell } of [
    { stride: 8, perCell: 2 },
    { stride: 16, perCell: 6 },
  ]) {
    const cells = BLAZEFACE_INPUT_SIZE / stride;
    for (let row = 0; row < cells; row++) {
      for (let column = 0; column < cells; column++) {
        for (let n = 0; n < perCell; n++) {
          anchors[at++] = (column + 0.5) * stride;
          anchors[at++] = (row + 0.5) * stride;
        }
      }
    }
  }
  return anchors;
}

/** One image's raw outputs: logits [896] and regressors [896 × 16], both in anchor order. */
export interface RawDetections {
  logits: Float32Array;
  regressors: Float32Array;
}

interface Candidate {
  score: number;
  /** xmin, ymin, xmax, ymax, then keypoints x, y: 4 + 12 values, 128-pixel units. */
  values: Float64Array;
}

/** Faces in 128-pixel input units, best first. */
export function decodeDetections(raw: RawDetections, anchors: Float32Array, options: DecodeOptions): FaceDetection[] {
  const candidates: Candidate[] = [];
  for (let i = 0; i < BLAZEFACE_ANCHOR_COUNT; i++) {
    const score = sigmoid(raw.logits[i] ?? Number.NEGATIVE_INFINITY);
    if (!(score >= options.minScore)) continue;
    const r = i * BLAZEFACE_REGRESSORS;
    const anchorX = anchors[i * 2] ?? 0;
    const anchorY = anchors[i * 2 + 1] ?? 0;
    const centreX = anchorX + (raw.regressors[r] ?? 0);
    const centreY = anchorY + (raw.regressors[r + 1] ?? 0);
    const halfWidth = (raw.regressors[r + 2] ?? 0) / 2;
    const halfHeight = (raw.regressors[r + 3] ?? 0) / 2;
    const values = new Float64Array(4 + BLAZEFACE_KEYPOINTS.length * 2);
    values[0] = centreX - halfWidth;
    values[1] = centreY - halfHeight;
    values[2] = centreX + halfWidth;
    values[3] = centreY + halfHeight;
    for (let k = 0; k < BLAZEFACE_KEYPOINTS.length; k++) {
      values[4 + k * 2] = anchorX + (raw.regressors[r + 4 + k * 2] ?? 0);
      values[5 + k * 2] = anchorY + (raw.regressors[r + 5 + k * 2] ?? 0);
    }
    candidates.push({ score, values });
  }
  return weightedSuppression(candidates, options).map(toDetection);
}

/** Maps a detection from 128-pixel input units through `region` (the source rectangle the input was sampled from). */
export function toSourcePixels(
  face: FaceDetection,
  region: FaceBox,
  image: { width: number; height: number },
): FaceDetection {
  const sx = region.width / BLAZEFACE_INPUT_SIZE;
  const sy = region.height / BLAZEFACE_INPUT_SIZE;
  const left = clamp(region.x + face.box.x * sx, 0, image.width);
  const top = clamp(region.y + face.box.y * sy, 0, image.height);
  const right = clamp(region.x + (face.box.x + face.box.width) * sx, 0, image.width);
  const bottom = clamp(region.y + (face.box.y + face.box.height) * sy, 0, image.height);
  return {
    box: { x: left, y: top, width: right - left, height: bottom - top },
    score: face.score,
    keypoints: face.keypoints.map((point) => ({ x: region.x + point.x * sx, y: region.y + point.y * sy })),
  };
}

function weightedSuppression(candidates: Candidate[], options: DecodeOptions): Candidate[] {
  let remaining = candidates.sort((a, b) => b.score - a.score);
  const kept: Candidate[] = [];
  while (remaining.length > 0 && kept.length < options.maxFaces) {
    const best = remaining[0];
    if (best === undefined) break;
    const cluster: Candidate[] = [];
    const rest: Candidate[] = [];
    for (const candidate of remaining) {
      (candidate === best || iou(best.values, candidate.values) > options.iouThreshold ? cluster : rest).push(candidate);
    }
    const merged = new Float64Array(best.values.length);
    let total = 0;
    for (const member of cluster) {
      total += member.score;
      for (let v = 0; v < merged.length; v++) merged[v] = (merged[v] ?? 0) + member.score * (member.values[v] ?? 0);
    }
    for (let v = 0; v < merged.length; v++) merged[v] = (merged[v] ?? 0) / total;
    kept.push({ score: best.score, values: merged });
    remaining = rest;
  }
  return kept;
}

function toDetection(candidate: Candidate): FaceDetection {
  const v = candidate.values;
  const keypoints: Point[] = [];
  for (let k = 0; k < BLAZEFACE_KEYPOINTS.length; k++) keypoints.push({ x: v[4 + k * 2] ?? 0, y: v[5 + k * 2] ?? 0 });
  const x = v[0] ?? 0;
  const y = v[1] ?? 0;
  return { box: { x, y, width: (v[2] ?? 0) - x, height: (v[3] ?? 0) - y }, score: candidate.score, keypoints };
}

function iou(a: Float64Array, b: Float64Array): number {
  const width = Math.min(a[2] ?? 0, b[2] ?? 0) - Math.max(a[0] ?? 0, b[0] ?? 0);
  const height = Math.min(a[3] ?? 0, b[3] ?? 0) - Math.max(a[1] ?? 0, b[1] ?? 0);
  if (width <= 0 || height <= 0) return 0;
  const overlap = width * height;
  const area = (box: Float64Array) => ((box[2] ?? 0) - (box[0] ?? 0)) * ((box[3] ?? 0) - (box[1] ?? 0));
  return overlap / (area(a) + area(b) - overlap);
}

/** MediaPipe clips logits to ±100 before the sigmoid; the clip only keeps exp() finite. */
function sigmoid(logit: number): number {
  const clipped = Math.max(-100, Math.min(100, logit));
  return 1 / (1 + Math.exp(-clipped));
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
