import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode as decodeJpeg, encode as encodeJpeg } from "jpeg-js";
import { PNG } from "pngjs";
import { Client, credentials, Metadata } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STILL_IMAGE_LIMITS } from "../../src/inference/image-types.js";
import { PoolError } from "../../src/inference/pool-error.js";
import { EXPRESSIONS } from "../../src/inference/pool-types.js";
import { cropImage, downscaleArea, psnr, resizeBicubic, resizeNearest } from "../../src/inference/video/image-quality.js";
import type { RgbImage } from "../../src/inference/video/rgb-image.js";
import { debianPackageFiles } from "../support/debian-package-files.js";
import { eventually } from "../support/engine.js";
import { startTestPool, type TestPool } from "../support/pool-audio-call.js";
import { headerOnlyPng, withAlpha, writePng } from "../support/png-files.js";
import { TEST_INFERENCE_TOKEN } from "../support/pool-process.js";
import { rejection } from "../support/rejection.js";
import { createTestPhotos, type TestPhoto } from "../support/test-photos.js";

/**
 * DetectFaces, EnhanceImage and DetectDeepfake on a real pool over real gRPC: real photos (Debian's scikit-image
 * samples) through BlazeFace and the expression model, ESRGAN slim, and what each bad image gets back.
 */

let testPool: TestPool;
let astronaut: TestPhoto;
let cat: TestPhoto;
/** The portrait as Debian ships it: scikit-image's own PNG file. */
let astronautPng: Uint8Array;

beforeAll(async () => {
  const photos = createTestPhotos();
  const dir = debianPackageFiles("python3-skimage", "usr/lib/python3/dist-packages/skimage/data", ["astronaut.png"]);
  [testPool, astronaut, cat] = await Promise.all([startTestPool(), photos.photo("astronaut"), photos.photo("chelsea")]);
  astronautPng = new Uint8Array(await readFile(join(await dir, "astronaut.png")));
}, 180_000);
afterAll(async () => {
  await testPool?.close();
});

const pngOf = (image: RgbImage) => writePng(image.width, image.height, withAlpha(image, 255), 2, 8);
const jpegOf = (image: RgbImage, quality = 90) => new Uint8Array(encodeJpeg({ width: image.width, height: image.height, data: withAlpha(image, 255) }, quality).data);
const rgbOf = (rgba: Uint8Array, width: number, height: number): RgbImage => ({ width, height, data: Uint8Array.from(rgba.filter((_, i) => i % 4 !== 3)) });

async function poolCode(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await rejection(promise);
  if (!(error instanceof PoolError)) throw new Error(`expected a PoolError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe("DetectFaces", () => {
  it("finds the one face of the portrait, as JPEG and as its own PNG, with an expression; the cat has none", async () => {
    for (const [bytes, format] of [[astronaut.jpeg, "jpeg"], [astronautPng, "png"]] as const) {
      const result = await testPool.client.detectFaces(bytes);
      expect(result).toMatchObject({ width: 512, height: 512, format });
      expect(result.faces).toHaveLength(1);
      const [face] = result.faces;
      if (face === undefined) throw new Error("expected a face");
      expect(face.score).toBeGreaterThan(0.75);
      expect(face.box.x).toBeGreaterThanOrEqual(0);
      expect(face.box.x + face.box.width).toBeLessThanOrEqual(512);
      expect(EXPRESSIONS).toContain(face.expression);
      expect(Object.values(face.scores).reduce((sum, score) => sum + score, 0)).toBeCloseTo(1, 3);
      expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.decodeMs);
    }
    expect((await testPool.client.detectFaces(cat.jpeg)).faces).toEqual([]);
  });

  it("takes a photo larger than a camera frame, its face's box in the photo's own pixels", async () => {
    // The portrait enlarged to 1920×1920, its top 1080 rows: a 1920×1080 photo with the face as large in it as in the
    // 512-pixel portrait (BlazeFace's short-range model misses faces far smaller than the frame).
    const enlarged = resizeBicubic(astronaut.rgb, 1_920, 1_920);
    const wide: RgbImage = { width: 1_920, height: 1_080, data: enlarged.data.subarray(0, 1_920 * 1_080 * 3) };
    const jpeg = jpegOf(wide);
    expect(jpeg.byteLength).toBeGreaterThan(256 * 1024); // over a camera frame's 256 KB too
    const [small] = (await testPool.client.detectFaces(astronaut.jpeg)).faces;
    const result = await testPool.client.detectFaces(jpeg);
    expect(result).toMatchObject({ width: 1_920, height: 1_080, format: "jpeg" });
    expect(result.faces).toHaveLength(1);
    const [face] = result.faces;
    if (face === undefined || small === undefined) throw new Error("expected a face");
    // Where the portrait's face lies, scaled by 1920/512 (within 3 % of the photo's height).
    const scale = 1_920 / 512;
    for (const side of ["x", "y", "width", "height"] as const) expect(Math.abs(face.box[side] - small.box[side] * scale), side).toBeLessThan(0.03 * 1_080);

    // A message of the largest image accepted (the portrait padded after its end marker to 4 MB) crosses gRPC whole.
    const largest = new Uint8Array(STILL_IMAGE_LIMITS.maxBytes);
    largest.set(astronaut.jpeg);
    expect((await testPool.client.detectFaces(largest)).faces).toHaveLength(1);
  });

  it("refuses garbage, a cut JPEG, a GIF, an over-size PNG and an empty request with invalid_image", async () => {
    const bad = [
      Uint8Array.from({ length: 2_000 }, (_, i) => (i * 131 + 7) & 0xff),
      astronaut.jpeg.slice(0, astronaut.jpeg.byteLength >> 1),
      new TextEncoder().encode("GIF89a\u0002\u0000\u0002\u0000\u0080\u0000\u0000"),
      headerOnlyPng(STILL_IMAGE_LIMITS.maxWidth + 1, 64),
      new Uint8Array(0),
    ];
    for (const bytes of bad) expect(await poolCode(testPool.client.detectFaces(bytes))).toMatchObject({ code: "invalid_image" });
    // And the pool goes on.
    expect((await testPool.client.detectFaces(astronaut.jpeg)).faces).toHaveLength(1);
  });
});

describe("messages that do not decode", () => {
  it("are answered invalid_image by each image RPC and counted as malformed", async () => {
    const client = new Client(testPool.server.address, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.add("authorization", `Bearer ${TEST_INFERENCE_TOKEN}`);
    const before = (await testPool.client.status()).server.malformedMessages;
    try {
      for (const rpc of ["DetectFaces", "EnhanceImage", "DetectDeepfake"] as const) {
        const method = `/engine.inference.v1.Inference/${rpc}`;
        const details = await new Promise<string>((resolve) =>
          // Wire type 7 in the first byte: no protobuf message decodes it.
          client.makeUnaryRequest(method, (bytes: Buffer) => bytes, (bytes: Buffer) => bytes, Buffer.from([0x0f, 0xff, 0x01]), metadata, (error) => resolve(error?.details ?? "answered")),
        );
        expect(details, rpc).toMatch(/^invalid_image: the request did not decode/);
      }
    } finally {
      client.close();
    }
    expect((await testPool.client.status()).server.malformedMessages - before).toBe(3);
  });
});

describe("DetectDeepfake", () => {
  it("answers model_unavailable naming where the model would be loaded, never a score; not-images invalid_image first", async () => {
    const { code, message } = await poolCode(testPool.client.detectDeepfake(astronaut.jpeg));
    expect(code).toBe("model_unavailable");
    // The registry's message: the file it would load from the pool's MODELS_DIR.
    expect(message).toContain(join(tmpdir(), "engine-test-models", "deepfake", "model.onnx"));
    expect(await poolCode(testPool.client.detectDeepfake(new TextEncoder().encode("not an image")))).toMatchObject({ code: "invalid_image" });
    // GetStatus shows no deepfake model loaded either.
    expect((await testPool.client.status()).models.filter((m) => m.task === "deepfake" && m.loaded)).toEqual([]);
  });
});

describe("EnhanceImage", () => {
  /** 256×256 of the portrait around the face, and that crop shrunk to 128×128 (area mean of each 2×2 block). */
  const original = () => cropImage(astronaut.rgb, 128, 32, 256, 256);

  it("×2 of a 128×128 photo is a 256×256 PNG closer to the original than nearest-neighbour upscaling", async () => {
    const small = downscaleArea(original(), 2);
    const result = await testPool.client.enhanceImage({ image: pngOf(small), scale: 2, format: "png" });
    expect(result).toMatchObject({ format: "png", width: 256, height: 256, inputWidth: 128, inputHeight: 128, scale: 2, model: "esrgan_slim" });
    const png = PNG.sync.read(Buffer.from(result.image));
    expect({ width: png.width, height: png.height }).toEqual({ width: 256, height: 256 });
    const enhanced = rgbOf(png.data, 256, 256);
    const esrgan = psnr(enhanced, original());
    const nearest = psnr(resizeNearest(small, 256, 256), original());
    console.log(`EnhanceImage ×2 128→256: PSNR ${esrgan.toFixed(2)} dB (nearest ${nearest.toFixed(2)} dB), ${result.timings.totalMs.toFixed(0)} ms (upscale ${result.timings.upscaleMs.toFixed(0)} ms)`);
    expect(esrgan).toBeGreaterThan(nearest);
  });

  it("encodes JPEG at the quality asked; refuses ×3, a 600×600 image, a quality outside 1–100 and a format it lacks", async () => {
    const small = downscaleArea(original(), 2);
    const jpeg = await testPool.client.enhanceImage({ image: jpegOf(small), scale: 2, format: "jpeg", quality: 80 });
    expect(jpeg).toMatchObject({ format: "jpeg", width: 256, height: 256 });
    const decoded = decodeJpeg(jpeg.image, { useTArray: true });
    expect({ width: decoded.width, height: decoded.height }).toEqual({ width: 256, height: 256 });

    const image = pngOf(small);
    expect(await poolCode(testPool.client.enhanceImage({ image, scale: 3, format: "png" }))).toMatchObject({ code: "invalid_image", message: expect.stringMatching(/scale 3/) });
    const large = pngOf(resizeBicubic(astronaut.rgb, 600, 600));
    expect(await poolCode(testPool.client.enhanceImage({ image: large, scale: 2, format: "png" }))).toMatchObject({ code: "invalid_image", message: expect.stringMatching(/600×600/) });
    // Checked by the client first, and by the pool for a client that does not (raw calls).
    for (const quality of [101, 2.5]) {
      expect(await poolCode(testPool.client.enhanceImage({ image, scale: 2, format: "jpeg", quality }))).toMatchObject({ code: "invalid_image" });
    }
    for (const request of [{ image, scale: 2, format: "gif" }, { image, scale: 2, format: "jpeg", quality: 101 }, { image, scale: 5, format: "png" }]) {
      const details = await new Promise<string>((resolve) => testPool.client.grpc.EnhanceImage(request, (error) => resolve(error?.details ?? "answered")));
      expect(details).toMatch(/^invalid_image: /);
    }
  });

  it("bounds the work: past its queue a request is refused overloaded, the rest are answered, GetStatus counts both", async () => {
    const image = pngOf(downscaleArea(cropImage(astronaut.rgb, 192, 64, 128, 128), 2));
    const before = (await testPool.client.status()).models.find((m) => m.task === "super_resolution");
    expect(before).toMatchObject({ name: "esrgan_slim", loaded: true });
    const outcomes = await Promise.allSettled(Array.from({ length: 14 }, () => testPool.client.enhanceImage({ image, scale: 2, format: "png" })));
    const refused = outcomes.flatMap((o) => (o.status === "rejected" ? [(o.reason as PoolError).code] : []));
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(["overloaded"]));
    for (const o of outcomes) if (o.status === "fulfilled") expect(o.value).toMatchObject({ width: 128, height: 128 });
    const after = (await testPool.client.status()).models.find((m) => m.task === "super_resolution");
    expect((after?.queue?.rejectedOverloaded ?? 0) - (before?.queue?.rejectedOverloaded ?? 0)).toBe(refused.length);
    expect((after?.queue?.completed ?? 0) - (before?.queue?.completed ?? 0)).toBe(outcomes.length - refused.length);
  });

  it("a queued request whose caller gives up never runs; the others are answered", async () => {
    const image = pngOf(downscaleArea(original(), 2));
    const queue = async () => (await testPool.client.status()).models.find((m) => m.task === "super_resolution")?.queue;
    const before = (await queue())?.completed ?? 0;
    const first = testPool.client.enhanceImage({ image, scale: 4, format: "png" });
    await eventually(async () => ((await queue())?.running === 1 ? true : undefined));
    const giveUp = new AbortController();
    const queued = rejection(testPool.client.enhanceImage({ image, scale: 4, format: "png" }, { signal: giveUp.signal }));
    await eventually(async () => (((await queue())?.queuedLive ?? 0) >= 1 ? true : undefined));
    giveUp.abort();
    expect(await queued).toMatchObject({ code: "ABORT_ERR" });
    const last = testPool.client.enhanceImage({ image, scale: 2, format: "png" });
    expect(await first).toMatchObject({ width: 512, height: 512 });
    expect(await last).toMatchObject({ width: 256, height: 256 });
    // Had it stayed queued it would have run before `last`.
    expect(((await queue())?.completed ?? 0) - before).toBe(2);
  });
});
