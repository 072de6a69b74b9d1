import { afterAll, describe, expect, it } from "vitest";
import { PoolError } from "../../src/inference/pool-error.js";
import { JpegDecoder } from "../../src/inference/video/jpeg-decoder.js";
import { decodeJpegFrame, VIDEO_FRAME_LIMITS } from "../../src/inference/video/jpeg-frame.js";
import { VideoError } from "../../src/inference/video/video-error.js";
import { createLogger } from "../../src/logger.js";
import { rejection } from "../support/rejection.js";
import { createTestPhotos } from "../support/test-photos.js";

/** The face pipeline's decoding thread: the same pixels as decoding in place, bad frames refused, its shutdown. */

const decoder = new JpegDecoder(createLogger("silent"));
const photos = createTestPhotos();
afterAll(async () => {
  await decoder.close();
});

describe("JpegDecoder", () => {
  it("decodes a real photo on its thread to the pixels an in-place decode gives, leaving the caller's bytes intact", async () => {
    const { jpeg } = await photos.photo("astronaut");
    const image = await decoder.decode(jpeg, VIDEO_FRAME_LIMITS);
    const inPlace = decodeJpegFrame(jpeg);
    expect({ width: image.width, height: image.height }).toEqual({ width: inPlace.width, height: inPlace.height });
    expect(Buffer.from(image.data).equals(Buffer.from(inPlace.data))).toBe(true);
    // The thread got a copy: the caller's frame is still whole.
    expect(jpeg.byteLength).toBeGreaterThan(0);
  });

  it("refuses a frame that is not a JPEG, or a truncated one, with invalid_video, and goes on decoding", async () => {
    const { jpeg } = await photos.photo("chelsea");
    for (const bad of [new TextEncoder().encode("GIF89a, not a JPEG"), jpeg.subarray(0, jpeg.byteLength / 2)]) {
      const error = await rejection(decoder.decode(bad, VIDEO_FRAME_LIMITS));
      expect(error).toBeInstanceOf(VideoError);
      expect(error).toMatchObject({ code: "invalid_video" });
    }
    expect((await decoder.decode(jpeg, VIDEO_FRAME_LIMITS)).width).toBeGreaterThan(0);
  });

  it("once closed with its pool, a decode in flight and any later one answer model_unavailable", async () => {
    const closing = new JpegDecoder(createLogger("silent"));
    const { jpeg } = await photos.photo("astronaut");
    const inFlight = rejection(closing.decode(jpeg, VIDEO_FRAME_LIMITS));
    await closing.close();
    for (const error of [await inFlight, await rejection(closing.decode(jpeg, VIDEO_FRAME_LIMITS))]) {
      expect(error).toBeInstanceOf(PoolError);
      expect(error).toMatchObject({ code: "model_unavailable", retryable: true });
    }
  });
});
