import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ESRGAN_SLIM_MODULE, loadEsrgan, type EsrganModel } from "../../src/inference/models/esrgan.js";
import { EsrganUpscaler, spans } from "../../src/inference/models/esrgan-upscaler.js";
import { PoolError } from "../../src/inference/pool-error.js";
import { ModelRegistry } from "../../src/inference/registry/model-registry.js";
import type { LoadedModel } from "../../src/inference/registry/model-module.js";
import { cropImage, downscaleArea, psnr, resizeBicubic, resizeNearest } from "../../src/inference/video/image-quality.js";
import type { RgbImage } from "../../src/inference/video/rgb-image.js";
import { createLogger } from "../../src/logger.js";
import { createTestPhotos } from "../support/test-photos.js";
import { rejection } from "../support/rejection.js";

const logger = createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent");
const photos = createTestPhotos();
let loaded: LoadedModel<"super_resolution"> & { model: EsrganModel };
let astronaut: RgbImage;

beforeAll(async () => {
  [loaded, astronaut] = await Promise.all([loadEsrgan({ variant: "slim", logger, threads: 1 }), photos.photo("astronaut").then((p) => p.rgb)]);
  await loaded.warmup?.();
}, 60_000);

afterAll(async () => {
  await loaded?.dispose();
});

describe("ESRGAN slim on its thread (real weights, real photo)", () => {
  it("doubles a downscaled face crop closer to the original than nearest-neighbour", async () => {
    // The astronaut's face, 128×128, shrunk to 64×64 and enlarged back.
    const original = cropImage(astronaut, 176, 48, 128, 128);
    const small = downscaleArea(original, 2);
    const run = await loaded.model.run(small, 2);
    expect([run.image.width, run.image.height, run.image.data.length]).toEqual([128, 128, 128 * 128 * 3]);
    const esrgan = psnr(original, run.image);
    const nearest = psnr(original, resizeNearest(small, 128, 128));
    const bicubic = psnr(original, resizeBicubic(small, 128, 128));
    console.log(`esrgan ×2 on 64×64: ${run.upscaleMs.toFixed(0)} ms; PSNR esrgan ${esrgan.toFixed(2)} dB, bicubic ${bicubic.toFixed(2)}, nearest ${nearest.toFixed(2)}`);
    expect(esrgan).toBeGreaterThan(nearest);
    // The caller's image is untouched (a copy went to the thread).
    expect(small.data.length).toBe(64 * 64 * 3);
  });

  it("quadruples, and reports the run and its thread's heap", async () => {
    const original = cropImage(astronaut, 176, 48, 128, 128);
    const small = downscaleArea(original, 4);
    const run = await loaded.model.run(small, 4);
    expect([run.image.width, run.image.height]).toEqual([128, 128]);
    expect(psnr(original, run.image)).toBeGreaterThan(psnr(original, resizeNearest(small, 128, 128)));
    expect(run.upscaleMs).toBeGreaterThan(0);
    expect(run.heapBytes).toBeGreaterThan(0);
    expect(loaded.model.figures).toMatchObject({ scales: [2, 4], weightBytes: 888_300 + 933_804 });
  });

  it("refuses a scale it lacks and an image over 512 pixels a side with invalid_image", async () => {
    const tiny: RgbImage = { width: 4, height: 4, data: new Uint8Array(48) };
    const third = await rejection(loaded.model.upscale(tiny, 3));
    expect(third).toBeInstanceOf(PoolError);
    expect(third).toMatchObject({ code: "invalid_image", message: "ESRGAN slim upscales ×2 or ×4, not ×3" });
    const wide: RgbImage = { width: 513, height: 2, data: new Uint8Array(513 * 2 * 3) };
    expect(await rejection(loaded.model.upscale(wide, 2))).toMatchObject({ code: "invalid_image", message: expect.stringContaining("up to 512×512") });
    // The thread goes on serving.
    expect((await loaded.model.upscale(tiny, 2)).width).toBe(8);
    expect(loaded.model.threadStats()).toMatchObject({ live: 1, restarts: 0 });
  });
});

describe("ESRGAN tiles", () => {
  it("cut an axis into near-equal kept spans, each run with the overlap inside the image", () => {
    expect(spans(100, 128, 10)).toEqual([{ from: 0, to: 100, keepFrom: 0, keepTo: 100 }]);
    expect(spans(512, 128, 10).map((s) => [s.from, s.to, s.keepFrom, s.keepTo])).toEqual([
      [0, 138, 0, 128],
      [118, 266, 128, 256],
      [246, 394, 256, 384],
      [374, 512, 384, 512],
    ]);
  });

  it("give the whole-image result (the overlap covers the model's receptive radius)", async () => {
    const whole = await EsrganUpscaler.load({ tileOutputSide: 512 });
    const tiled = await EsrganUpscaler.load({ tileOutputSide: 64 });
    try {
      const image = cropImage(astronaut, 150, 40, 100, 90);
      for (const scale of [2, 4]) {
        const [a, b] = [await whole.upscale(image, scale), await tiled.upscale(image, scale)];
        let largest = 0;
        for (let i = 0; i < a.data.length; i++) largest = Math.max(largest, Math.abs((a.data[i] ?? 0) - (b.data[i] ?? 0)));
        // Measured 0; a rounding step of 1 is allowed for kernels picked per tile shape.
        expect(largest).toBeLessThanOrEqual(1);
      }
    } finally {
      await Promise.all([whole.close(), tiled.close()]);
    }
  });
});

describe("esrgan_slim in the registry", () => {
  it("loads on this machine, warms up and serves super_resolution", async () => {
    expect(ESRGAN_SLIM_MODULE.unsupported("cpu", tmpdir())).toBeNull();
    const registry = ModelRegistry.start({ modules: [ESRGAN_SLIM_MODULE], modelsDir: join(tmpdir(), "engine-test-models"), logger, cores: 2 });
    try {
      const model = await registry.whenLoaded("super_resolution");
      expect(model.scales).toEqual([2, 4]);
      const [status] = registry.status();
      expect(status).toMatchObject({ name: "esrgan_slim", task: "super_resolution", runtime: "tfjs-wasm", batching: "none", state: "loaded", instances: 1, threads: 1 });
      expect(status?.warmupMs).toBeGreaterThan(0);
      const out = await model.upscale(cropImage(astronaut, 0, 0, 16, 12), 4);
      expect([out.width, out.height]).toEqual([64, 48]);
    } finally {
      await registry.close();
    }
  });
});
