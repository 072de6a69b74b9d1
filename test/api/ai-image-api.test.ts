import { decode as decodeJpeg, encode as encodeJpeg } from "jpeg-js";
import { PNG } from "pngjs";
import type { AnyEnvelope } from "../../src/events/event-types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { encodePng } from "../../src/inference/images/png-image.js";
import { cropImage, downscaleArea, psnr, resizeBicubic, resizeNearest } from "../../src/inference/video/image-quality.js";
import type { RgbImage } from "../../src/inference/video/rgb-image.js";
import { ADMIN_KEY, startTestEngine, type TestEngine } from "../support/engine.js";
import { headerOnlyPng } from "../support/png-files.js";
import { createTestPhotos, type TestPhoto } from "../support/test-photos.js";

/**
 * The meeting system's image routes on a real engine with its real models (BlazeFace + the expression model, ESRGAN
 * slim; no deepfake model), fed real photos (scikit-image's astronaut and cat, from Debian's python3-skimage).
 */

let t: TestEngine;
let astronaut: TestPhoto;
let chelsea: TestPhoto;

beforeAll(async () => {
  // The deepfake module is configured too: with no validated model in MODELS_DIR it fails to load, as on any machine.
  t = await startTestEngine({ inferenceModels: ["blazeface_front_128", "human_emotion", "esrgan_slim", "deepfake_onnx"] });
  const photos = createTestPhotos();
  [astronaut, chelsea] = await Promise.all([photos.photo("astronaut"), photos.photo("chelsea")]);
  const models = (await t.engine.pool?.ready()) ?? [];
  expect(models.filter((m) => m.loaded).map((m) => m.name).sort()).toEqual(["blazeface_front_128", "esrgan_slim", "human_emotion"]);
}, 180_000);

afterAll(async () => {
  await t?.close();
});

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

const box = z.strictObject({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });
const emotionShape = z.strictObject({
  faces: z.array(z.strictObject({ box, score: z.number(), expression: z.string(), scores: z.record(z.string(), z.number()) })),
  dominant_expression: z.string().nullable(),
  width: z.number(),
  height: z.number(),
  timings: z.strictObject({ queue_ms: z.number(), decode_ms: z.number(), detect_ms: z.number(), expression_ms: z.number(), total_ms: z.number() }),
});
const enhancementShape = z.strictObject({
  image: z.string(),
  format: z.enum(["png", "jpeg"]),
  width: z.number(),
  height: z.number(),
  input_width: z.number(),
  input_height: z.number(),
  scale: z.number(),
  model: z.string(),
  timings: z.strictObject({ queue_ms: z.number(), decode_ms: z.number(), upscale_ms: z.number(), encode_ms: z.number(), total_ms: z.number() }),
});
const errorShape = z.strictObject({ error: z.strictObject({ code: z.string(), message: z.string(), retryable: z.boolean(), details: z.unknown().optional() }) });

function rgbOf(rgba: Uint8Array, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(rgba.subarray(p * 4, p * 4 + 3), p * 3);
  return { width, height, data };
}

function rgbaOf(image: RgbImage): Uint8Array {
  const rgba = new Uint8Array(image.width * image.height * 4).fill(255);
  for (let p = 0; p < image.width * image.height; p++) rgba.set(image.data.subarray(p * 3, p * 3 + 3), p * 4);
  return rgba;
}

function pixelsOfJpeg(jpeg: Uint8Array): RgbImage {
  const decoded = decodeJpeg(jpeg, { useTArray: true, formatAsRGBA: true });
  return rgbOf(decoded.data, decoded.width, decoded.height);
}

function pixelsOfPng(png: Uint8Array): RgbImage {
  const decoded = PNG.sync.read(Buffer.from(png));
  return rgbOf(new Uint8Array(decoded.data), decoded.width, decoded.height);
}

const jpegOf = (image: RgbImage, quality = 90) => new Uint8Array(encodeJpeg({ width: image.width, height: image.height, data: rgbaOf(image) }, quality).data);

const post = (path: string, body: unknown) => t.api("POST", path, body);

function codeOf(body: unknown): string {
  return errorShape.parse(body).error.code;
}

async function expectRefused(path: string, body: unknown, status: number, code: string): Promise<void> {
  const res = await post(path, body);
  expect(res.status).toBe(status);
  expect(codeOf(res.body)).toBe(code);
}

const EMOTION = "/api/v1/ai/emotion-detection";
const DEEPFAKE = "/api/v1/ai/deepfake-detection";
const ENHANCE = "/api/v1/ai/video-enhancement";

describe("POST /api/v1/ai/emotion-detection", () => {
  it("the astronaut: one face with an expression", async () => {
    const res = await post(EMOTION, { video_frame: base64(astronaut.jpeg), format: "jpeg" });
    expect(res.status).toBe(200);
    const body = emotionShape.parse(res.body);
    expect(body.faces).toHaveLength(1);
    expect(body).toMatchObject({ width: astronaut.width, height: astronaut.height });
    const face = body.faces[0];
    expect(face?.score).toBeGreaterThan(0.5);
    expect(body.dominant_expression).toBe(face?.expression);
    const total = Object.values(face?.scores ?? {}).reduce((sum, score) => sum + score, 0);
    expect(total).toBeCloseTo(1, 3);
  }, 30_000);

  it("a data: URL prefix is taken, as is a PNG", async () => {
    const res = await post(EMOTION, { video_frame: `data:image/jpeg;base64,${base64(astronaut.jpeg)}` });
    expect(res.status).toBe(200);
    const png = encodePng(pixelsOfJpeg(astronaut.jpeg));
    const asPng = await post(EMOTION, { video_frame: base64(png), format: "png" });
    expect(asPng.status).toBe(200);
    expect(emotionShape.parse(asPng.body).faces).toHaveLength(1);
  }, 30_000);

  it("the cat: no faces, dominant_expression null", async () => {
    const res = await post(EMOTION, { video_frame: base64(chelsea.jpeg), format: "jpeg" });
    expect(res.status).toBe(200);
    expect(emotionShape.parse(res.body)).toMatchObject({ faces: [], dominant_expression: null, width: chelsea.width, height: chelsea.height });
  }, 30_000);

  it("with meeting_id: stored as an expression analysis of user_id, and published on ai_events", async () => {
    const { id } = await t.createSession({ kind: "meeting" });
    let published: (envelope: AnyEnvelope) => void = () => {};
    const event = new Promise<AnyEnvelope>((resolve) => (published = resolve));
    const unsubscribe = await t.engine.events.subscribe("ai_events", (envelope) => {
      if (envelope.type === "emotion_detection.completed" && envelope.session_id === id) published(envelope);
    });
    const res = await post(EMOTION, { video_frame: base64(astronaut.jpeg), format: "jpeg", meeting_id: id, user_id: 17 });
    expect(res.status).toBe(200);
    const answer = emotionShape.parse(res.body);
    const analyses = await t.api("GET", `/api/v1/sessions/${id}/analyses?kind=expression`);
    expect(analyses.status).toBe(200);
    const list = analyses.body as { total: number; items: { participant_id: string | null; kind: string; at_ms: number; payload: Record<string, unknown> }[] };
    expect(list.total).toBe(1);
    expect(list.items[0]).toMatchObject({
      participant_id: "17",
      kind: "expression",
      payload: { faces: 1, expression: answer.dominant_expression, scores: answer.faces[0]?.scores, box: answer.faces[0]?.box, score: answer.faces[0]?.score },
    });
    expect(list.items[0]?.at_ms).toBeGreaterThanOrEqual(0);
    expect(await event).toMatchObject({ data: { source: "api", participant_id: "17", faces: 1, expression: answer.dominant_expression } });
    await unsubscribe();
  }, 30_000);

  it("a meeting_id naming no session: 404 session_not_found", async () => {
    const res = await post(EMOTION, { video_frame: base64(astronaut.jpeg), meeting_id: 987_654_321 });
    expect(res.status).toBe(404);
    expect(codeOf(res.body)).toBe("session_not_found");
  });

  it("a 640×480 JPEG (well over the 64 KB JSON limit in base64) is accepted", async () => {
    const frame = jpegOf(resizeBicubic(pixelsOfJpeg(astronaut.jpeg), 640, 480));
    expect(base64(frame).length).toBeGreaterThan(64 * 1024);
    const res = await post(EMOTION, { video_frame: base64(frame), format: "jpeg" });
    expect(res.status).toBe(200);
    expect(emotionShape.parse(res.body)).toMatchObject({ width: 640, height: 480 });
  }, 30_000);
});

describe("bad images: a stable code each, never a 500", () => {
  const gif = Uint8Array.from(Buffer.from("GIF89a\u0001\u0000\u0001\u0000\u0000\u0000\u0000;", "latin1"));
  it.each([
    ["base64 garbage", () => ({ video_frame: "@@@ not base64 @@@" }), 400, "invalid_image"],
    ["a GIF", () => ({ video_frame: base64(gif) }), 400, "invalid_image"],
    ["text", () => ({ video_frame: base64(new TextEncoder().encode("just some text, not an image")) }), 400, "invalid_image"],
    ["format png for a JPEG", () => ({ video_frame: base64(astronaut.jpeg), format: "png" }), 400, "invalid_image"],
    ["a data: URL that says PNG for a JPEG", () => ({ video_frame: `data:image/png;base64,${base64(astronaut.jpeg)}` }), 400, "invalid_image"],
    ["a truncated JPEG", () => ({ video_frame: base64(astronaut.jpeg.subarray(0, 2_000)) }), 400, "invalid_image"],
    ["a PNG over 4096×4096", () => ({ video_frame: base64(headerOnlyPng(5_000, 5_000)) }), 400, "invalid_image"],
    ["an image over 4 MB", () => ({ video_frame: base64(new Uint8Array(4 * 1024 * 1024 + 3).fill(0xff)) }), 413, "payload_too_large"],
    ["an unknown format", () => ({ video_frame: base64(astronaut.jpeg), format: "webp" }), 400, "invalid_request"],
    ["an unknown field", () => ({ video_frame: base64(astronaut.jpeg), colour: true }), 400, "invalid_request"],
    ["no video_frame", () => ({ format: "jpeg" }), 400, "invalid_request"],
  ])("emotion-detection refuses %s", async (_name, body, status, code) => expectRefused(EMOTION, body(), status, code), 30_000);

  it("a body declared over 8 MB is refused up front: 413 payload_too_large", async () => {
    const res = await fetch(`${t.engine.httpUrl}${EMOTION}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ video_frame: "A".repeat(8 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(codeOf(await res.json())).toBe("payload_too_large");
  }, 30_000);
});

describe("POST /api/v1/ai/deepfake-detection", () => {
  it("no validated model: 503 model_unavailable saying so and where one would be loaded, never a score", async () => {
    const res = await post(DEEPFAKE, { video_frame: base64(astronaut.jpeg), format: "jpeg", meeting_id: 1, user_id: 2 });
    expect(res.status).toBe(503);
    const body = errorShape.parse(res.body);
    expect(body.error.code).toBe("model_unavailable");
    expect(body.error.message).toMatch(/deepfake/i);
    expect(body.error.message).toContain("model.onnx");
    expect(JSON.stringify(res.body)).not.toMatch(/probability/);
  });

  it("refuses bytes that are no image first: 400 invalid_image", async () => {
    const res = await post(DEEPFAKE, { video_frame: base64(new TextEncoder().encode("nope")) });
    expect(res.status).toBe(400);
    expect(codeOf(res.body)).toBe("invalid_image");
  });
});

describe("POST /api/v1/ai/video-enhancement", () => {
  /** A 256×256 crop of the astronaut (her face), and its 128×128 box-filtered reduction. */
  function testCrop(): { original: RgbImage; small: RgbImage } {
    const original = cropImage(pixelsOfJpeg(astronaut.jpeg), 128, 0, 256, 256);
    return { original, small: downscaleArea(original, 2) };
  }

  it("×2 of a 128×128 crop: a 256×256 PNG closer to the original than nearest-neighbour upscaling", async () => {
    const { original, small } = testCrop();
    const res = await post(ENHANCE, { video_frame: base64(encodePng(small)), scale: 2 });
    expect(res.status).toBe(200);
    const body = enhancementShape.parse(res.body);
    expect(body).toMatchObject({ format: "png", width: 256, height: 256, input_width: 128, input_height: 128, scale: 2 });
    const enhanced = pixelsOfPng(new Uint8Array(Buffer.from(body.image, "base64")));
    expect([enhanced.width, enhanced.height]).toEqual([256, 256]);
    const esrgan = psnr(enhanced, original);
    const nearest = psnr(resizeNearest(small, 256, 256), original);
    expect(esrgan).toBeGreaterThan(nearest);
  }, 60_000);

  it("?raw=true and Accept: image/jpeg answer the image itself", async () => {
    const { small } = testCrop();
    const body = JSON.stringify({ video_frame: base64(encodePng(small)) });
    const headers = { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" };
    const raw = await fetch(`${t.engine.httpUrl}${ENHANCE}?raw=true`, { method: "POST", headers, body });
    expect(raw.status).toBe(200);
    expect(raw.headers.get("content-type")).toBe("image/png");
    expect(raw.headers.get("x-image-width")).toBe("256");
    const png = pixelsOfPng(new Uint8Array(await raw.arrayBuffer()));
    expect([png.width, png.height]).toEqual([256, 256]);
    const jpeg = await fetch(`${t.engine.httpUrl}${ENHANCE}`, { method: "POST", headers: { ...headers, accept: "image/jpeg" }, body });
    expect(jpeg.status).toBe(200);
    expect(jpeg.headers.get("content-type")).toBe("image/jpeg");
    const decoded = pixelsOfJpeg(new Uint8Array(await jpeg.arrayBuffer()));
    expect([decoded.width, decoded.height]).toEqual([256, 256]);
  }, 60_000);

  it.each([
    ["a frame over 512×512", () => ({ video_frame: base64(jpegOf(resizeBicubic(pixelsOfJpeg(astronaut.jpeg), 513, 513))) }), 400, "invalid_image"],
    ["scale 3", () => ({ video_frame: base64(astronaut.jpeg), scale: 3 }), 400, "invalid_request"],
    ["quality 0", () => ({ video_frame: base64(astronaut.jpeg), output_format: "jpeg", quality: 0 }), 400, "invalid_request"],
    ["output_format gif", () => ({ video_frame: base64(astronaut.jpeg), output_format: "gif" }), 400, "invalid_request"],
    ["base64 garbage", () => ({ video_frame: "!!!!" }), 400, "invalid_image"],
  ])("refuses %s", async (_name, body, status, code) => expectRefused(ENHANCE, body(), status, code), 30_000);
});
