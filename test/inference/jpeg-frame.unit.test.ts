import { encode } from "jpeg-js";
import { describe, expect, it } from "vitest";
import { decodeJpegFrame, readJpegHeader, VIDEO_FRAME_LIMITS } from "../../src/inference/video/jpeg-frame.js";
import { isVideoError } from "../../src/inference/video/video-error.js";

/** A solid-colour JPEG from jpeg-js's encoder (baseline, 3 components). */
function solidJpeg(width: number, height: number, rgb: [number, number, number] = [200, 100, 50], quality = 90): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) rgba.set([...rgb, 255], p * 4);
  return encode({ width, height, data: rgba }, quality).data;
}

/** SOI, a frame header declaring `width`×`height`, EOI: a header with no image behind it. */
function headerOnly(width: number, height: number, options: { marker?: number; precision?: number; components?: number } = {}): Uint8Array {
  const components = options.components ?? 3;
  const length = 8 + components * 3;
  const frame = [0xff, options.marker ?? 0xc0, length >> 8, length & 0xff, options.precision ?? 8, height >> 8, height & 0xff, width >> 8, width & 0xff, components];
  for (let c = 1; c <= components; c++) frame.push(c, 0x11, 0);
  return Uint8Array.from([0xff, 0xd8, ...frame, 0xff, 0xd9]);
}

function refusal(bytes: Uint8Array): { code: string; retryable: boolean; message: string } {
  try {
    decodeJpegFrame(bytes);
  } catch (error) {
    if (!isVideoError(error)) throw error;
    return { code: error.code, retryable: error.retryable, message: error.message };
  }
  throw new Error("the frame decoded");
}

describe("decodeJpegFrame", () => {
  it("decodes a JPEG to RGB, 3 bytes a pixel, with its colour", () => {
    const image = decodeJpegFrame(solidJpeg(32, 16));
    expect([image.width, image.height, image.data.length]).toEqual([32, 16, 32 * 16 * 3]);
    for (let p = 0; p < 32 * 16; p++) {
      expect(Math.abs((image.data[p * 3] ?? 0) - 200)).toBeLessThanOrEqual(3);
      expect(Math.abs((image.data[p * 3 + 1] ?? 0) - 100)).toBeLessThanOrEqual(3);
      expect(Math.abs((image.data[p * 3 + 2] ?? 0) - 50)).toBeLessThanOrEqual(3);
    }
  });

  it("accepts 1280×720 and its upright twin 720×1280", () => {
    expect(decodeJpegFrame(solidJpeg(1280, 720)).width).toBe(1280);
    expect(decodeJpegFrame(solidJpeg(720, 1280)).height).toBe(1280);
  });

  it("refuses bytes that are not a JPEG: empty, text, a PNG signature, random bytes", () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const random = Uint8Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 251);
    expect(refusal(new Uint8Array())).toMatchObject({ code: "invalid_video", retryable: false, message: "the frame is empty" });
    for (const bytes of [new TextEncoder().encode("hello, not a picture"), png, random]) {
      expect(refusal(bytes)).toMatchObject({ code: "invalid_video", message: expect.stringContaining("not a JPEG") });
    }
  });

  it("refuses a truncated JPEG wherever it is cut: in the header, in the image data, before the end marker", () => {
    const whole = solidJpeg(64, 48, [10, 200, 90]);
    for (const length of [2, 3, 20, 200, Math.floor(whole.length / 2), whole.length - 2]) {
      const result = refusal(whole.subarray(0, length));
      expect(result.code).toBe("invalid_video");
      expect(result.message).toMatch(/truncated/);
    }
  });

  it("refuses a frame over 256 KB before reading it, and takes one of exactly 256 KB", () => {
    const jpeg = solidJpeg(16, 16);
    const padded = (length: number) => {
      const bytes = new Uint8Array(length);
      bytes.set(jpeg);
      return bytes; // zeros after the end marker: ignored by decoders
    };
    expect(decodeJpegFrame(padded(VIDEO_FRAME_LIMITS.maxBytes)).width).toBe(16);
    expect(refusal(padded(VIDEO_FRAME_LIMITS.maxBytes + 1))).toMatchObject({
      code: "invalid_video",
      message: `the frame is ${VIDEO_FRAME_LIMITS.maxBytes + 1} bytes; at most 262144 are accepted`,
    });
  });

  it("refuses dimensions over 1280×720 in either orientation", () => {
    for (const [width, height] of [
      [1281, 8],
      [8, 1281],
      [721, 721],
    ] as const) {
      expect(refusal(solidJpeg(width, height))).toMatchObject({
        code: "invalid_video",
        message: `the JPEG is ${width}×${height}; at most 1280×720 (either orientation) is accepted`,
      });
    }
  });

  it("refuses a tiny file declaring 65535×65535 from its header alone, without allocating the image", () => {
    const startedAt = performance.now();
    expect(refusal(headerOnly(65_535, 65_535)).message).toContain("65535×65535");
    expect(performance.now() - startedAt).toBeLessThan(50);
  });

  it("refuses JPEG codings and layouts the decoder lacks, each naming why", () => {
    expect(refusal(headerOnly(16, 16, { marker: 0xc3 })).message).toContain("SOF3");
    expect(refusal(headerOnly(16, 16, { marker: 0xc9 })).message).toContain("SOF9");
    expect(refusal(headerOnly(16, 16, { precision: 12 })).message).toContain("12-bit");
    expect(refusal(headerOnly(16, 16, { components: 4 })).message).toContain("4 colour components");
    expect(refusal(headerOnly(16, 0)).message).toContain("16×0");
    // A valid header with no image data behind it: the decoder's own failure, still invalid_video.
    expect(refusal(headerOnly(16, 16))).toMatchObject({ code: "invalid_video", message: expect.stringContaining("corrupt") });
  });
});

describe("readJpegHeader", () => {
  it("reads size, components and coding without decoding", () => {
    expect(readJpegHeader(solidJpeg(40, 30))).toEqual({ width: 40, height: 30, components: 3, coding: "baseline" });
    expect(readJpegHeader(headerOnly(640, 480, { marker: 0xc2 }))).toMatchObject({ width: 640, height: 480, coding: "progressive" });
  });
});
