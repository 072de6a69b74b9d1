import { afterAll, describe, expect, it } from "vitest";
import { PoolError } from "../../src/inference/pool-error.js";
import { defaultJpegDecoderThreads, JpegDecoder } from "../../src/inference/video/jpeg-decoder.js";
import { decodeJpegFrame, VIDEO_FRAME_LIMITS } from "../../src/inference/video/jpeg-frame.js";
import { VideoError } from "../../src/inference/video/video-error.js";
import { createLogger } from "../../src/logger.js";
import { rejection } from "../support/rejection.js";
import { createTestPhotos } from "../support/test-photos.js";

/**
 * The face pipeline's decoding threads: the same pixels as decoding in place on whichever thread, bad frames refused
 * alone, their shutdown.
 */

const decoder = new JpegDecoder(createLogger("silent"), { threads: 2 });
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

  it("spreads concurrent frames over its threads, each giving the in-place pixels and its own decode time", async () => {
    const { jpeg } = await photos.photo("astronaut");
    const inPlace = decodeJpegFrame(jpeg);
    const frames = await Promise.all(Array.from({ length: 4 }, () => decoder.decodeTimed(jpeg, VIDEO_FRAME_LIMITS)));
    expect(new Set(frames.map((frame) => frame.thread)).size).toBe(2);
    for (const frame of frames) {
      expect(Buffer.from(frame.image.data).equals(Buffer.from(inPlace.data))).toBe(true);
      expect(frame.decodeMs).toBeGreaterThan(0);
    }
    expect(decoder.stats()).toMatchObject({ threads: 2, live: 2, inFlight: 0 });
  });

  it("a corrupt frame is refused alone: frames beside it on either thread decode, and both threads go on", async () => {
    const [astronaut, cat] = await Promise.all([photos.photo("astronaut"), photos.photo("chelsea")]);
    const corrupt = new Uint8Array(astronaut.jpeg);
    // Past the headers, into the entropy-coded data: the header check passes, the decode fails.
    for (let i = 2_000; i < corrupt.length - 2; i += 97) corrupt[i] = ((corrupt[i] ?? 0) * 31 + 7) & 0xff;
    const truncated = cat.jpeg.subarray(0, Math.floor(cat.jpeg.byteLength * 0.9));
    const frames = [astronaut.jpeg, corrupt, cat.jpeg, truncated, astronaut.jpeg, cat.jpeg];
    const results = await Promise.allSettled(frames.map((frame) => decoder.decodeTimed(frame, VIDEO_FRAME_LIMITS)));
    const widths = results.map((result) => (result.status === "fulfilled" ? result.value.image.width : result.reason));
    expect(widths[0]).toBe(astronaut.width);
    expect(widths[2]).toBe(cat.width);
    expect(widths[4]).toBe(astronaut.width);
    expect(widths[5]).toBe(cat.width);
    for (const refused of [widths[1], widths[3]]) {
      expect(refused).toBeInstanceOf(VideoError);
      expect(refused).toMatchObject({ code: "invalid_video" });
    }
    const decodedOn = results.flatMap((result) => (result.status === "fulfilled" ? [result.value.thread] : []));
    expect(new Set(decodedOn).size).toBe(2);
    expect(decoder.stats().restarts).toBe(0);
  });

  it("terminates every thread on close", async () => {
    const closing = new JpegDecoder(createLogger("silent"), { threads: 2 });
    const { jpeg } = await photos.photo("chelsea");
    await Promise.all([closing.decode(jpeg, VIDEO_FRAME_LIMITS), closing.decode(jpeg, VIDEO_FRAME_LIMITS)]);
    expect(closing.stats().live).toBe(2);
    await closing.close();
    expect(closing.stats()).toMatchObject({ live: 0, inFlight: 0 });
  });

  it("takes one thread per core up to 4, keeping a core free above 2", () => {
    expect([1, 2, 3, 4, 8, 64].map((cores) => defaultJpegDecoderThreads(cores))).toEqual([1, 2, 2, 3, 4, 4]);
  });
});
