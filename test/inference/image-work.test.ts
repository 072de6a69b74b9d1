import { beforeAll, describe, expect, it } from "vitest";
import { deepfakeFaces, deepfakeRegions, scaleFaceBox } from "../../src/inference/images/image-work.js";
import { fitImage } from "../../src/inference/images/still-image.js";
import type { FaceDetection } from "../../src/inference/models/blazeface.js";
import { PoolError } from "../../src/inference/pool-error.js";
import { cropImage, psnr, resizeBicubic } from "../../src/inference/video/image-quality.js";
import { createTestPhotos, type TestPhoto } from "../support/test-photos.js";

/**
 * The steps around the still-image models on a real photo: a face box found on the detector's fitted copy back in
 * the photo's pixels, each face's crop for the deepfake model (its margin kept inside the photo, at the model's
 * input size), the whole photo when no face is found, and a model's answer that does not fit its inputs refused.
 */

let astronaut: TestPhoto;
beforeAll(async () => {
  astronaut = await createTestPhotos().photo("astronaut");
}, 120_000);

const MODEL = { inputWidth: 64, inputHeight: 48 };
const face = (x: number, y: number, width: number, height: number, score = 0.9): FaceDetection => ({ box: { x, y, width, height }, score, keypoints: [] });

describe("still-image work", () => {
  it("scales a box from the fitted copy to the photo, kept inside it", () => {
    const photo = { width: 1_920, height: 1_080 };
    const fitted = { width: 1_280, height: 720 };
    expect(scaleFaceBox({ x: 100, y: 50, width: 200, height: 100 }, fitted, photo)).toEqual({ x: 150, y: 75, width: 300, height: 150 });
    // A box reaching past the fitted copy's edge ends at the photo's.
    expect(scaleFaceBox({ x: 1_200, y: -10, width: 200, height: 100 }, fitted, photo)).toEqual({ x: 1_800, y: 0, width: 120, height: 135 });
  });

  it("crops each face with its margin at the model's size, and the whole photo when none is found", () => {
    const image = astronaut.rgb;
    const [one, edge] = deepfakeRegions([face(180, 60, 120, 140), face(0, 0, 100, 100)], image, 0.15, MODEL);
    if (one === undefined || edge === undefined) throw new Error("expected two regions");
    expect({ width: one.crop.width, height: one.crop.height }).toEqual({ width: 64, height: 48 });
    // The first face's crop is its box and 15 % more on every side, resampled: the same cut done by hand matches it
    // (up to the resamplers' difference), the same cut 40 pixels over does not.
    const byHand = (x: number) => resizeBicubic(cropImage(image, x, 39, 156, 182), 64, 48);
    expect(psnr(one.crop, byHand(162))).toBeGreaterThan(20);
    expect(psnr(one.crop, byHand(162))).toBeGreaterThan(psnr(one.crop, byHand(202)) + 5);
    expect(edge.face?.box).toEqual({ x: 0, y: 0, width: 100, height: 100 });
    const [whole] = deepfakeRegions([], image, 0.15, MODEL);
    expect(whole?.face).toBeNull();
    expect(psnr(whole?.crop ?? image, resizeBicubic(image, 64, 48))).toBeGreaterThan(20);
  });

  it("answers per face in the photo's pixels, or the whole photo; refuses probabilities that do not fit", () => {
    const photo = { width: 1_024, height: 1_024 };
    const fitted = fitImage({ width: 1_024, height: 1_024, data: new Uint8Array(1_024 * 1_024 * 3) }, { maxLongSide: 1_280, maxShortSide: 720 });
    expect({ width: fitted.width, height: fitted.height }).toEqual({ width: 720, height: 720 });
    const regions = deepfakeRegions([face(360, 180, 90, 90, 0.8)], fitted, 0.15, MODEL);
    const [scored] = deepfakeFaces(regions, [0.25], fitted, photo);
    expect(scored).toEqual({ box: { x: 512, y: 256, width: 128, height: 128 }, fakeProbability: 0.25, faceScore: 0.8 });
    const whole = deepfakeFaces(deepfakeRegions([], fitted, 0.15, MODEL), [0.5], fitted, photo);
    expect(whole).toEqual([{ box: { x: 0, y: 0, width: 1_024, height: 1_024 }, fakeProbability: 0.5, faceScore: null }]);
    for (const probabilities of [[], [0.1, 0.2], [Number.NaN], [1.5]]) {
      expect(() => deepfakeFaces(regions, probabilities, fitted, photo)).toThrow(PoolError);
    }
  });
});
