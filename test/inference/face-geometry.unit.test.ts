import { describe, expect, it } from "vitest";
import {
  BLAZEFACE_ANCHOR_COUNT,
  BLAZEFACE_REGRESSORS,
  blazeFaceAnchors,
  decodeDetections,
  toSourcePixels,
  type DecodeOptions,
} from "../../src/inference/models/blazeface-decode.js";
import { expressionCropRegion } from "../../src/inference/models/face-expression.js";
import { resampleRegion, type RgbImage } from "../../src/inference/video/rgb-image.js";

function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  return { width, height, data };
}

describe("resampleRegion", () => {
  it("keeps a solid colour solid, enlarging or shrinking", () => {
    const solid = image(37, 23, () => [10, 120, 250]);
    for (const [w, h] of [
      [128, 128],
      [5, 3],
      [64, 64],
    ] as const) {
      const out = resampleRegion(solid, { x: 0, y: 0, width: 37, height: 23 }, w, h);
      let worst = 0;
      for (let p = 0; p < w * h; p++) {
        worst = Math.max(worst, Math.abs((out[p * 3] ?? 0) - 10), Math.abs((out[p * 3 + 1] ?? 0) - 120), Math.abs((out[p * 3 + 2] ?? 0) - 250));
      }
      expect(worst).toBeLessThan(1e-3);
    }
  });

  it("averages when shrinking: 1-pixel stripes shrunk 8× come out mid-grey, not aliased to black or white", () => {
    const stripes = image(256, 8, (x) => (x % 2 === 0 ? [0, 0, 0] : [255, 255, 255]));
    const out = resampleRegion(stripes, { x: 0, y: 0, width: 256, height: 8 }, 32, 1);
    for (let x = 1; x < 31; x++) expect(Math.abs((out[x * 3] ?? 0) - 127.5)).toBeLessThan(8);
  });

  it("reads 0 outside the image: a region half off the left edge is black on its left half", () => {
    const white = image(10, 10, () => [255, 255, 255]);
    const out = resampleRegion(white, { x: -10, y: 0, width: 20, height: 10 }, 20, 10);
    for (let y = 0; y < 10; y++) {
      expect(out[(y * 20 + 4) * 3]).toBe(0);
      expect(out[(y * 20 + 15) * 3]).toBeCloseTo(255, 3);
    }
  });

  it("writes at the given offset and leaves the rest of the array alone", () => {
    const out = new Float32Array(2 * 4 * 3).fill(-7);
    resampleRegion(image(2, 2, () => [1, 2, 3]), { x: 0, y: 0, width: 2, height: 2 }, 2, 2, out, 12);
    expect(Array.from(out.subarray(0, 12))).toEqual(new Array(12).fill(-7));
    expect(out[12]).toBeCloseTo(1, 5);
  });
});

describe("BlazeFace decoding", () => {
  const options: DecodeOptions = { minScore: 0.5, iouThreshold: 0.3, maxFaces: 8 };
  const anchors = blazeFaceAnchors();

  /** Raw outputs with every anchor far below threshold except the given ones. */
  function raw(faces: { anchor: number; logit: number; dx?: number; dy?: number; size: number }[]) {
    const logits = new Float32Array(BLAZEFACE_ANCHOR_COUNT).fill(-20);
    const regressors = new Float32Array(BLAZEFACE_ANCHOR_COUNT * BLAZEFACE_REGRESSORS);
    for (const face of faces) {
      logits[face.anchor] = face.logit;
      regressors.set([face.dx ?? 0, face.dy ?? 0, face.size, face.size, -5, -5, 5, -5, 0, 0, 0, 5, -8, 0, 8, 0], face.anchor * BLAZEFACE_REGRESSORS);
    }
    return { logits, regressors };
  }

  it("lays 896 anchors: 16×16 cells × 2 at stride 8, then 8×8 × 6 at stride 16", () => {
    expect(anchors.length).toBe(BLAZEFACE_ANCHOR_COUNT * 2);
    expect(Array.from(anchors.subarray(0, 6))).toEqual([4, 4, 4, 4, 12, 4]);
    expect(Array.from(anchors.subarray(512 * 2, 512 * 2 + 2))).toEqual([8, 8]);
    expect(Array.from(anchors.subarray(anchors.length - 2))).toEqual([120, 120]);
  });

  it("decodes a box and keypoints from offsets to the anchor centre, with the sigmoid score", () => {
    // Anchor 512 is the first of the 8×8 grid, centred at (8, 8).
    const [face] = decodeDetections(raw([{ anchor: 512, logit: 2, dx: 2, dy: -1, size: 10 }]), anchors, options);
    expect(face?.score).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(face?.box).toEqual({ x: 5, y: 2, width: 10, height: 10 });
    expect(face?.keypoints[0]).toEqual({ x: 3, y: 3 });
    expect(face?.keypoints).toHaveLength(6);
  });

  it("merges overlapping candidates into one, averaged by score, and keeps apart faces apart, best first", () => {
    const faces = decodeDetections(
      raw([
        { anchor: 0, logit: 3, size: 20 }, // centre (4, 4)
        { anchor: 1, logit: 1, dx: 2, size: 20 }, // same cell, shifted 2 px: overlaps
        { anchor: 895, logit: 4, size: 20 }, // (120, 120): far away
        { anchor: 300, logit: -3, size: 20 }, // below the threshold
      ]),
      anchors,
      options,
    );
    expect(faces.map((face) => Math.round(face.score * 1000) / 1000)).toEqual([0.982, 0.953]);
    const sigmoid = (logit: number) => 1 / (1 + Math.exp(-logit));
    const expectedX = -6 + (2 * sigmoid(1)) / (sigmoid(3) + sigmoid(1));
    expect(faces[1]?.box.x).toBeCloseTo(expectedX, 5);
    expect(decodeDetections(raw([{ anchor: 0, logit: 3, size: 20 }, { anchor: 895, logit: 4, size: 20 }]), anchors, { ...options, maxFaces: 1 })).toHaveLength(1);
  });

  it("maps 128-pixel input units to the source image through the letterbox square, clamping the box", () => {
    const face = { box: { x: 0, y: 32, width: 64, height: 64 }, score: 0.9, keypoints: [{ x: 64, y: 64 }] };
    // A 512×256 image letterboxed: the square is 512 wide, starting 128 px above the image.
    const mapped = toSourcePixels(face, { x: 0, y: -128, width: 512, height: 512 }, { width: 512, height: 256 });
    expect(mapped.box).toEqual({ x: 0, y: 0, width: 256, height: 256 });
    expect(mapped.keypoints[0]).toEqual({ x: 256, y: 128 });
  });
});

describe("the expression crop", () => {
  it("grows the box 1.4× about its centre and squares it on the longer side, in whole pixels", () => {
    expect(expressionCropRegion({ x: 100, y: 100, width: 50, height: 100 }, 1.4)).toEqual({ x: 55, y: 80, width: 140, height: 140 });
  });
});
