import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PoolError } from "../../src/inference/pool-error.js";
import { EXPRESSIONS } from "../../src/inference/pool-types.js";
import { KNOWN_MODEL_MODULES } from "../../src/inference/registry/known-models.js";
import { ModelRegistry } from "../../src/inference/registry/model-registry.js";
import { FaceAnalyzer } from "../../src/inference/video/face-analysis.js";
import { decodeJpegFrame } from "../../src/inference/video/jpeg-frame.js";
import type { RgbImage } from "../../src/inference/video/rgb-image.js";
import { createLogger } from "../../src/logger.js";
import { rejection } from "../support/rejection.js";
import { createTestPhotos } from "../support/test-photos.js";

/**
 * The face models as the pool gets them: the registry loads the real modules on their real weights, and what
 * `whenLoaded` hands out finds and scores the face of a real photo, alone and behind a FaceAnalyzer.
 */
const FACE_MODELS = ["blazeface_front_128", "human_emotion"];

function startRegistry(models: readonly string[]): ModelRegistry {
  return ModelRegistry.start({ models, modules: KNOWN_MODEL_MODULES, modelsDir: "/nowhere", logger: createLogger("silent"), cores: 2 });
}

describe("the registry's face models on real weights", () => {
  const photos = createTestPhotos();
  let registry: ModelRegistry;
  let astronaut: RgbImage;
  let cat: RgbImage;

  beforeAll(async () => {
    registry = startRegistry(FACE_MODELS);
    const [astronautPhoto, catPhoto] = await Promise.all([photos.photo("astronaut"), photos.photo("chelsea")]);
    astronaut = decodeJpegFrame(astronautPhoto.jpeg);
    cat = decodeJpegFrame(catPhoto.jpeg);
  }, 180_000);

  afterAll(async () => {
    await registry?.close();
  });

  it("loads both, warmed up, and reports task, runtime, batching and placement", async () => {
    const status = await registry.settled();
    expect(status.map((m) => [m.name, m.task, m.runtime, m.batching, m.state, m.loaded, m.error, m.instances, m.threads])).toEqual([
      ["blazeface_front_128", "face_detect", "onnxruntime-node", "dynamic", "loaded", true, null, 1, 1],
      ["human_emotion", "face_expression", "tfjs-wasm", "dynamic", "loaded", true, null, 1, 1],
    ]);
    for (const model of status) {
      expect(model.loadMs).toBeGreaterThan(0);
      expect(model.warmupMs).toBeGreaterThan(0);
    }
  });

  it("face_detect finds the astronaut's one face and none on the cat; face_expression scores it happy", async () => {
    const detect = await registry.whenLoaded("face_detect");
    const [faces, catFaces] = await detect.run([astronaut, cat]);
    expect(catFaces).toEqual([]);
    expect(faces).toHaveLength(1);
    const face = faces?.[0];
    if (face === undefined) return;
    expect(face.score).toBeGreaterThan(0.85);
    // Inside her face (cheeks to ears x ≈ 175–280, hairline to chin y ≈ 55–190), generously padded.
    expect(face.box.x).toBeGreaterThanOrEqual(160);
    expect(face.box.x + face.box.width).toBeLessThanOrEqual(290);

    const expression = await registry.whenLoaded("face_expression");
    const [scored] = await expression.run([{ image: astronaut, box: face.box }]);
    expect(scored?.dominant).toBe("happy");
    const total = EXPRESSIONS.reduce((sum, name) => sum + (scored?.scores[name] ?? 0), 0);
    expect(total).toBeCloseTo(1, 4);
  });

  it("a FaceAnalyzer over the two gives the face with its expression, and its close leaves them to the registry", async () => {
    const analyzer = new FaceAnalyzer(await registry.whenLoaded("face_detect"), await registry.whenLoaded("face_expression"));
    const [faces] = await analyzer.run([astronaut]);
    expect(faces?.map((f) => f.expression.dominant)).toEqual(["happy"]);
    await analyzer.close();
    expect(await analyzer.run([astronaut, cat])).toMatchObject([[{ expression: { dominant: "happy" } }], []]);
  });
});

describe("a registry configured without the face models", () => {
  it("answers whenLoaded for both tasks with model_unavailable, naming the model left out", async () => {
    const registry = startRegistry(["silero_vad_v5"]);
    try {
      for (const [task, name] of [["face_detect", "blazeface_front_128"], ["face_expression", "human_emotion"]] as const) {
        const error = await rejection(registry.whenLoaded(task));
        expect(error).toBeInstanceOf(PoolError);
        expect(error).toMatchObject({
          code: "model_unavailable",
          retryable: true,
          message: `no ${task} model is configured (${name}: not in the pool's configured models (INFERENCE_MODELS))`,
        });
      }
    } finally {
      await registry.close();
    }
  }, 60_000);
});

describe("closing the registry", () => {
  it("disposes the face models: their runs answer model_unavailable, never a made-up result", async () => {
    const registry = startRegistry(FACE_MODELS);
    const [detect, expression] = await Promise.all([registry.whenLoaded("face_detect"), registry.whenLoaded("face_expression")]);
    await registry.close();
    const grey: RgbImage = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(128) };
    expect(await rejection(detect.run([grey]))).toMatchObject({ code: "model_unavailable" });
    expect(await rejection(expression.run([{ image: grey, box: { x: 8, y: 8, width: 48, height: 48 } }]))).toMatchObject({ code: "model_unavailable" });
  }, 120_000);
});
