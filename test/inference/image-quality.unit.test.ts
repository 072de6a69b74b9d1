import { describe, expect, it } from "vitest";
import { cropImage, downscaleArea, psnr, resizeBicubic, resizeNearest } from "../../src/inference/video/image-quality.js";
import type { RgbImage } from "../../src/inference/video/rgb-image.js";

function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  return { width, height, data };
}

const grey = (value: number) => (): [number, number, number] => [value, value, value];

describe("psnr", () => {
  it("is Infinity for identical images and 10·log10(255²/MSE) otherwise", () => {
    const a = image(4, 3, (x, y) => [x * 20, y * 30, 100]);
    expect(psnr(a, { ...a, data: a.data.slice() })).toBe(Number.POSITIVE_INFINITY);
    // Every sample off by 10: MSE 100.
    expect(psnr(image(2, 2, grey(0)), image(2, 2, grey(10)))).toBeCloseTo(10 * Math.log10(65_025 / 100), 10);
    // One sample of 12 off by 255: MSE 255²/12, so PSNR 10·log10(12).
    const one = image(2, 2, grey(0));
    const data = one.data.slice();
    data[5] = 255;
    expect(psnr(one, { ...one, data })).toBeCloseTo(10 * Math.log10(12), 10);
  });

  it("refuses images of different sizes", () => {
    expect(() => psnr(image(2, 2, grey(0)), image(2, 3, grey(0)))).toThrow(RangeError);
  });
});

describe("downscaleArea", () => {
  it("averages each factor × factor block and rounds", () => {
    const source = image(4, 2, (x, y) => [x * 10 + y * 20, 1 + (x % 2), 255]);
    const small = downscaleArea(source, 2);
    expect([small.width, small.height]).toEqual([2, 1]);
    // Block 0: 0, 10, 20, 30 → 15; block 1: 20, 30, 40, 50 → 35. Green 1, 2, 1, 2 → 1.5 → 2.
    expect([...small.data]).toEqual([15, 2, 255, 35, 2, 255]);
  });

  it("drops columns and rows past the last whole block, and keeps the image at factor 1", () => {
    const source = image(5, 3, (x, y) => [x, y, 7]);
    expect(downscaleArea(source, 2)).toMatchObject({ width: 2, height: 1 });
    expect(downscaleArea(source, 1).data).toEqual(source.data);
  });
});

describe("resizeNearest", () => {
  it("repeats each pixel when doubling", () => {
    const source = image(2, 1, (x) => [x === 0 ? 10 : 200, 0, 0]);
    expect([...resizeNearest(source, 4, 2).data.filter((_, i) => i % 3 === 0)]).toEqual([10, 10, 200, 200, 10, 10, 200, 200]);
  });
});

describe("resizeBicubic", () => {
  it("keeps a constant image constant and reproduces a linear ramp away from the edges", () => {
    expect(resizeBicubic(image(3, 3, grey(77)), 7, 5).data.every((v) => v === 77)).toBe(true);
    // A ramp of 8 pixels, 20 apart; doubled, output x samples source (x + 0.5)/2 − 0.5, which cubic convolution
    // interpolates exactly on a line wherever its 4 taps lie inside the image.
    const ramp = resizeBicubic(image(8, 1, (x) => [x * 20 + 30, 0, 0]), 16, 1);
    for (let x = 3; x <= 12; x++) expect(ramp.data[x * 3]).toBe(Math.round(((x + 0.5) / 2 - 0.5) * 20 + 30));
  });

  it("follows Keys' kernel (a = −0.5) between two pixels: weights −1/16, 9/16, 9/16, −1/16 at the midpoint", () => {
    // Halving 0, 0, 160, 160, 0, 0: output 1 samples source 2.5, half-way between the two 160s (taps 1–4).
    const source = image(6, 1, (x) => [x === 2 || x === 3 ? 160 : 0, 0, 0]);
    const half = resizeBicubic(source, 3, 1);
    expect(half.data[1 * 3]).toBe(Math.round((9 / 16) * 160 * 2));
    // Output 0 samples 0.5: taps 0, 0, 0, 160 weighted −1/16 at the 160, so −10, clamped to 0.
    expect(half.data[0]).toBe(0);
  });

  it("restores a smooth photo-like gradient better than nearest-neighbour", () => {
    const smooth = image(64, 64, (x, y) => [
      Math.round(127 + 100 * Math.sin(x / 7) * Math.cos(y / 9)),
      Math.round(128 + 90 * Math.cos((x + y) / 11)),
      Math.round(2 * x + y),
    ]);
    const small = downscaleArea(smooth, 4);
    const bicubic = psnr(smooth, resizeBicubic(small, 64, 64));
    const nearest = psnr(smooth, resizeNearest(small, 64, 64));
    expect(bicubic).toBeGreaterThan(nearest + 3);
  });
});

describe("cropImage", () => {
  it("copies the rectangle and refuses one reaching outside", () => {
    const source = image(4, 4, (x, y) => [x, y, x + y]);
    const crop = cropImage(source, 1, 2, 2, 2);
    expect([...crop.data]).toEqual([1, 2, 3, 2, 2, 4, 1, 3, 4, 2, 3, 5]);
    expect(() => cropImage(source, 3, 0, 2, 2)).toThrow(RangeError);
  });
});
