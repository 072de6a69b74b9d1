import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "jpeg-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlazeFace, type FaceDetection } from "../../src/inference/models/blazeface.js";
import { FaceExpression } from "../../src/inference/models/face-expression.js";
import { EXPRESSIONS } from "../../src/inference/pool-types.js";
import { isInferenceError } from "../../src/inference/models/inference-error.js";
import { TfWasmRuntime } from "../../src/inference/models/tfjs-wasm.js";
import { FaceAnalyzer, type AnalyzedFace } from "../../src/inference/video/face-analysis.js";
import { decodeJpegFrame } from "../../src/inference/video/jpeg-frame.js";
import type { RgbImage } from "../../src/inference/video/rgb-image.js";
import { isVideoError } from "../../src/inference/video/video-error.js";
import { rejection } from "../support/rejection.js";
import { createTestPhotos } from "../support/test-photos.js";

/**
 * The astronaut's face in scikit-image's 512×512 portrait, read off the image: cheeks and ears at x ≈ 175–280,
 * hairline to chin y ≈ 55–190. The detector's box must lie inside this, generously padded.
 */
const FACE_REGION = { left: 160, right: 290, top: 45, bottom: 200 };

function mirrored(image: RgbImage): RgbImage {
  const data = new Uint8Array(image.data.length);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const from = (y * image.width + (image.width - 1 - x)) * 3;
      data.set(image.data.subarray(from, from + 3), (y * image.width + x) * 3);
    }
  }
  return { width: image.width, height: image.height, data };
}

/** The image pasted at (`left`, `top`) into a black frame of `width`×`height`. */
function pasted(image: RgbImage, width: number, height: number, left: number, top: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3), ((top + y) * width + left) * 3);
  }
  return { width, height, data };
}

function expectSameFaces(actual: readonly (AnalyzedFace | FaceDetection)[], expected: readonly (AnalyzedFace | FaceDetection)[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((face, i) => {
    const other = expected[i];
    expect(other).toBeDefined();
    if (other === undefined) return;
    expect(face.score).toBeCloseTo(other.score, 5);
    for (const key of ["x", "y", "width", "height"] as const) expect(face.box[key]).toBeCloseTo(other.box[key], 3);
    if ("expression" in face && "expression" in other) {
      expect(face.expression.dominant).toBe(other.expression.dominant);
      for (const name of EXPRESSIONS) expect(face.expression.scores[name]).toBeCloseTo(other.expression.scores[name], 4);
    }
  });
}

describe("face analysis on real photos", () => {
  const photos = createTestPhotos();
  const runtime = new TfWasmRuntime();
  let analyzer: FaceAnalyzer;
  let astronautJpeg: Uint8Array;
  let astronaut: RgbImage;
  let cat: RgbImage;

  beforeAll(async () => {
    const [astronautPhoto, catPhoto] = await Promise.all([photos.photo("astronaut"), photos.photo("chelsea")]);
    astronautJpeg = astronautPhoto.jpeg;
    astronaut = decodeJpegFrame(astronautPhoto.jpeg);
    cat = decodeJpegFrame(catPhoto.jpeg);
    // The detector on its own thread (the default), as the pool would run it.
    analyzer = await FaceAnalyzer.load({ runtime });
  }, 180_000);

  afterAll(async () => {
    await analyzer?.close();
  });

  it("finds exactly one face on the astronaut, inside her face, smiling", async () => {
    const faces = await analyzer.analyzeJpeg(astronautJpeg);
    expect(faces).toHaveLength(1);
    const [face] = faces;
    if (face === undefined) return;
    const { x, y, width, height } = face.box;
    expect(x).toBeGreaterThanOrEqual(FACE_REGION.left);
    expect(x + width).toBeLessThanOrEqual(FACE_REGION.right);
    expect(y).toBeGreaterThanOrEqual(FACE_REGION.top);
    expect(y + height).toBeLessThanOrEqual(FACE_REGION.bottom);
    expect(width).toBeGreaterThan(60);
    expect(face.score).toBeGreaterThan(0.85);
    // Eyes in the box's upper half, the right eye (hers) on the image's left.
    const [rightEye, leftEye] = face.keypoints;
    for (const eye of [rightEye, leftEye]) {
      expect(eye?.x).toBeGreaterThan(x);
      expect(eye?.x).toBeLessThan(x + width);
      expect(eye?.y).toBeGreaterThan(y);
      expect(eye?.y).toBeLessThan(y + height / 2);
    }
    expect(rightEye?.x).toBeLessThan(leftEye?.x ?? 0);
    const total = EXPRESSIONS.reduce((sum, name) => sum + face.expression.scores[name], 0);
    expect(total).toBeCloseTo(1, 4);
    expect(face.expression.dominant).toBe("happy");
  });

  it("finds no face on the cat", async () => {
    expect(await analyzer.run([cat])).toEqual([[]]);
  });

  it("answers each bad frame with invalid_video, and the next good frame still analyses", async () => {
    const oversize = new Uint8Array(256 * 1024 + 1);
    oversize.set(astronautJpeg);
    const bad = [
      new TextEncoder().encode("GIF89a, not a JPEG"),
      astronautJpeg.subarray(0, Math.floor(astronautJpeg.length * 0.6)),
      astronautJpeg.subarray(0, astronautJpeg.length - 2),
      oversize,
      // A real encoding, one pixel wider than allowed (only its header is read).
      encode({ width: 1281, height: 8, data: new Uint8Array(1281 * 8 * 4) }, 50).data,
    ];
    for (const bytes of bad) {
      const error = await rejection(analyzer.analyzeJpeg(bytes));
      expect(isVideoError(error) && { code: error.code, retryable: error.retryable }).toEqual({ code: "invalid_video", retryable: false });
    }
    expect(await analyzer.analyzeJpeg(astronautJpeg)).toHaveLength(1);
  });

  it("gives each image of a mixed batch the faces it gets alone", async () => {
    const mirror = mirrored(astronaut);
    const framed = pasted(astronaut, 640, 512, 100, 0);
    const images = [astronaut, cat, mirror, framed, cat, astronaut, mirror];
    const batch = await analyzer.run(images);
    expect(batch.map((faces) => faces.length)).toEqual([1, 0, 1, 1, 0, 1, 1]);
    for (const [i, image] of images.entries()) {
      const [alone] = await analyzer.run([image]);
      expectSameFaces(batch[i] ?? [], alone ?? []);
    }
    // The mirror's face is the original's, reflected; the framed one is shifted 100 px right.
    const original = batch[0]?.[0]?.box;
    const reflected = batch[2]?.[0]?.box;
    const shifted = batch[3]?.[0]?.box;
    expect(Math.abs((reflected?.x ?? 0) - (512 - (original?.x ?? 0) - (original?.width ?? 0)))).toBeLessThan(8);
    expect(Math.abs((shifted?.x ?? 0) - 100 - (original?.x ?? 0))).toBeLessThan(8);
  });

  it("runs a batch through the opened graph to the same faces as the shipped one, one image at a time", async () => {
    const modelsDir = await mkdtemp(join(tmpdir(), "blazeface-"));
    const opened = await BlazeFace.load({ batching: "opened", modelsDir, thread: "current" });
    try {
      const images = [astronaut, cat, mirrored(astronaut), pasted(astronaut, 640, 512, 100, 0)];
      const together = await opened.run(images);
      const oneAtATime = await analyzer.detector.run(images);
      expect(analyzer.detector.batching).toBe("one_at_a_time");
      images.forEach((_, i) => expectSameFaces(together[i] ?? [], oneAtATime[i] ?? []));
    } finally {
      await opened.close();
      await rm(modelsDir, { recursive: true, force: true });
    }
  });

  it("leaves no TF.js tensor behind, run after run", async () => {
    const { tf } = await runtime.ready();
    await analyzer.run([astronaut, cat]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) await analyzer.run([astronaut, mirrored(astronaut), cat]);
    await analyzer.expression.run([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("answers model_unavailable for a model that cannot load, never a made-up result", async () => {
    const missing = await rejection(FaceExpression.load({ runtime, modelJsonPath: "/nonexistent/emotion.json" }));
    expect(isInferenceError(missing, "model_unavailable")).toBe(true);
    const noFolder = await rejection(BlazeFace.load({ batching: "opened", thread: "current" }));
    expect(isInferenceError(noFolder, "model_unavailable")).toBe(true);
  });
});
