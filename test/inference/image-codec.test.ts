import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { encode } from "jpeg-js";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STILL_IMAGE_LIMITS } from "../../src/inference/image-types.js";
import { ImageCodec } from "../../src/inference/images/image-codec.js";
import { PoolError } from "../../src/inference/pool-error.js";
import { cropImage, psnr } from "../../src/inference/video/image-quality.js";
import type { RgbImage } from "../../src/inference/video/rgb-image.js";
import { createLogger } from "../../src/logger.js";
import { debianPackageFiles } from "../support/debian-package-files.js";
import { headerOnlyPng, interlacedBombPng, interlacedPng, palettePng, withAlpha, writePng } from "../support/png-files.js";
import { rejection } from "../support/rejection.js";
import { createTestPhotos, type TestPhoto } from "../support/test-photos.js";

/**
 * The still-image codec thread on real photos: JPEG and PNG of every layout to the same RGB, encoding back, the
 * detector's fitted copy, and each kind of bad image refused `invalid_image` with the thread going on.
 */

const codec = new ImageCodec(createLogger("silent"));
const limits = STILL_IMAGE_LIMITS;
let astronaut: TestPhoto;
/** The photo file as Debian ships it (scikit-image's own PNG, not one written by pngjs). */
let astronautPng: Uint8Array;

beforeAll(async () => {
  astronaut = await createTestPhotos().photo("astronaut");
  const dir = await debianPackageFiles("python3-skimage", "usr/lib/python3/dist-packages/skimage/data", ["astronaut.png"]);
  astronautPng = new Uint8Array(await readFile(join(dir, "astronaut.png")));
}, 120_000);
afterAll(async () => {
  await codec.close();
});

const same = (a: RgbImage | null, b: RgbImage) => a !== null && a.width === b.width && a.height === b.height && Buffer.from(a.data).equals(Buffer.from(b.data));
const refusal = async (bytes: Uint8Array) => {
  const error = await rejection(codec.decode(bytes, { limits }));
  expect(error).toBeInstanceOf(PoolError);
  expect(error).toMatchObject({ code: "invalid_image" });
  return (error as PoolError).message;
};

describe("ImageCodec", () => {
  it("decodes the photo's own PNG to its pixels exactly, and its JPEG to nearly them", async () => {
    const png = await codec.decode(astronautPng, { limits });
    expect(png).toMatchObject({ format: "png", width: 512, height: 512 });
    expect(same(png.full, astronaut.rgb)).toBe(true);
    const jpeg = await codec.decode(astronaut.jpeg, { limits });
    expect(jpeg).toMatchObject({ format: "jpeg", width: 512, height: 512 });
    if (jpeg.full === null) throw new Error("expected the whole image");
    expect(psnr(jpeg.full, astronaut.rgb)).toBeGreaterThan(30);
  });

  it("reads grey, grey + alpha, RGBA and 16-bit PNGs to RGB (alpha dropped), palette and interlaced ones too", async () => {
    const part = cropImage(astronaut.rgb, 160, 40, 96, 80);
    for (const [colorType, bitDepth] of [[0, 8], [0, 16], [4, 8], [2, 16], [6, 8], [6, 16]] as const) {
      // Transparent where the file has alpha (pngjs blends alpha away when writing a layout without it).
      const rgba = withAlpha(part, colorType === 4 || colorType === 6 ? 0 : 255);
      const file = writePng(part.width, part.height, rgba, colorType, bitDepth);
      const decoded = await codec.decode(file, { limits });
      const reference = PNG.sync.read(Buffer.from(file));
      const expected = { width: part.width, height: part.height, data: Uint8Array.from(reference.data.filter((_, i) => i % 4 !== 3)) };
      expect(same(decoded.full, expected), `colour type ${colorType}, ${bitDepth} bits`).toBe(true);
      // A transparent PNG keeps its colours: alpha is dropped, not composited.
      if (colorType === 2 || colorType === 6) expect(psnr(decoded.full ?? part, part), `colour type ${colorType}, ${bitDepth} bits`).toBeGreaterThan(45);
    }
    const palette: [number, number, number][] = [[0, 0, 0], [255, 0, 0], [0, 255, 0], [30, 60, 90]];
    const indices = Uint8Array.from({ length: 7 * 5 }, (_, i) => i % 4);
    const paletted = await codec.decode(palettePng(7, 5, palette, indices), { limits });
    expect(same(paletted.full, { width: 7, height: 5, data: Uint8Array.from([...indices].flatMap((i) => palette[i] ?? [])) })).toBe(true);
    // Odd sizes: Adam7's passes do not divide them evenly.
    const odd = cropImage(astronaut.rgb, 200, 100, 13, 11);
    expect(same((await codec.decode(interlacedPng(odd), { limits })).full, odd)).toBe(true);
  });

  it("encodes PNG losslessly and JPEG at the quality asked, and fits a large photo into the detector's box", async () => {
    const png = await codec.encode(astronaut.rgb, "png", 90);
    expect(same((await codec.decode(png.bytes, { limits })).full, astronaut.rgb)).toBe(true);
    const low = await codec.encode(astronaut.rgb, "jpeg", 20);
    const high = await codec.encode(astronaut.rgb, "jpeg", 95);
    expect(low.bytes.byteLength).toBeLessThan(high.bytes.byteLength);
    const decodedHigh = (await codec.decode(high.bytes, { limits })).full;
    expect(psnr(decodedHigh ?? astronaut.rgb, astronaut.rgb)).toBeGreaterThan(35);
    // The caller's pixels are copied, not moved, unless it says so.
    expect(astronaut.rgb.data.byteLength).toBe(512 * 512 * 3);
    const mine = { ...astronaut.rgb, data: astronaut.rgb.data.slice() };
    await codec.encode(mine, "png", 90, true);
    expect(mine.data.byteLength).toBe(0);

    const wide = new Uint8Array(1920 * 1080 * 4).fill(200);
    const photo = new Uint8Array(encode({ width: 1920, height: 1080, data: wide }, 80).data);
    const fitted = await codec.decode(photo, { limits, fit: { maxLongSide: 1280, maxShortSide: 720 }, keepFull: false });
    expect(fitted).toMatchObject({ width: 1920, height: 1080, full: null, fitted: { width: 1280, height: 720 } });
    const small = await codec.decode(astronaut.jpeg, { limits, fit: { maxLongSide: 1280, maxShortSide: 720 } });
    expect(small.fitted?.width).toBe(512);
  });

  it("refuses what is not a JPEG or PNG, cut short, corrupt or over the limits, and goes on decoding", async () => {
    expect(await refusal(new Uint8Array(0))).toMatch(/empty/);
    expect(await refusal(new TextEncoder().encode("GIF89a\u0001\u0000\u0001\u0000"))).toMatch(/GIF/);
    expect(await refusal(new TextEncoder().encode("RIFF\u0000\u0000\u0000\u0000WEBPVP8 "))).toMatch(/WebP/);
    expect(await refusal(Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff))).toMatch(/not a JPEG or PNG/);
    expect(await refusal(astronaut.jpeg.slice(0, astronaut.jpeg.byteLength >> 1))).toMatch(/truncated/);
    expect(await refusal(astronautPng.slice(0, astronautPng.byteLength >> 1))).toMatch(/truncated/);
    const flipped = astronautPng.slice();
    const middle = flipped.byteLength >> 1;
    flipped[middle] = (flipped[middle] ?? 0) ^ 0xff;
    expect(await refusal(flipped)).toMatch(/corrupt/);
    expect(await refusal(headerOnlyPng(4097, 16))).toMatch(/4097×16; at most 4096×4096/);
    expect(await refusal(headerOnlyPng(65_535, 65_535))).toMatch(/at most 4096×4096/);
    expect(await refusal(interlacedBombPng(64, 64, 64 * 1024 * 1024))).toMatch(/does not inflate to its declared size/);
    const padded = new Uint8Array(STILL_IMAGE_LIMITS.maxBytes + 1);
    padded.set(astronaut.jpeg);
    expect(await refusal(padded)).toMatch(/bytes; at most/);
    // The thread is still there, and still right.
    expect(same((await codec.decode(astronautPng, { limits })).full, astronaut.rgb)).toBe(true);
    expect(codec.stats().restarts).toBe(0);
  });
});
