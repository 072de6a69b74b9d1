import { decode as jpegJsDecode, encode } from "jpeg-js";
import { afterAll, describe, expect, it } from "vitest";
import { JpegDecoder } from "../../src/inference/video/jpeg-decoder.js";
import { checkJpegEnd, decodeJpegFrame, MAX_JPEG_SCANS, VIDEO_FRAME_LIMITS } from "../../src/inference/video/jpeg-frame.js";
import { DEFAULT_TURBO_JPEG_OPTIONS, TurboJpeg } from "../../src/inference/video/turbo-jpeg.js";
import { isVideoError, VideoError } from "../../src/inference/video/video-error.js";
import { createLogger } from "../../src/logger.js";
import { rejection } from "../support/rejection.js";
import { createTestPhotos } from "../support/test-photos.js";

/**
 * libjpeg-turbo (WebAssembly) as the camera-frame decoder: the pixels jpeg-js gives, truncated and corrupt frames
 * refused without harm to the next one, grey frames widened to RGB, and an instance replaced after its refusals.
 */

const photos = createTestPhotos();

/**
 * The astronaut with bytes of its entropy-coded data scrambled, its markers kept (no 0xFF made or changed): the header
 * check and the end-marker walk pass, so it is libjpeg-turbo that refuses it.
 */
function scrambled(jpeg: Uint8Array): Uint8Array {
  const corrupt = new Uint8Array(jpeg);
  for (let i = 2_000; i < corrupt.length - 2; i += 97) {
    const byte = corrupt[i] ?? 0;
    if (byte === 0xff || corrupt[i - 1] === 0xff) continue;
    const changed = (byte * 31 + 7) & 0xff;
    corrupt[i] = changed === 0xff ? 0xfe : changed;
  }
  return corrupt;
}

function gradientJpeg(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) rgba.set([p % 256, (p * 3) % 256, 100, 255], p * 4);
  return encode({ width, height, data: rgba }, 90).data;
}

/**
 * A grey (1-component) baseline JPEG of two 8×8 blocks, 50 and 200, written by hand: jpeg-js's encoder only writes
 * colour, and the package's own encoder traps in 1.2.8. DC only, quantiser 8, so each block is DC + 128 exactly.
 */
function greyJpeg(): Uint8Array {
  const dqt = [0xff, 0xdb, 0, 67, 0x00, ...new Array<number>(64).fill(8)];
  const sof = [0xff, 0xc0, 0, 11, 8, 0, 8, 0, 16, 1, 1, 0x11, 0];
  // DC table: categories 7 and 8, codes 00 and 01; AC table: end-of-block only, code 0.
  const dcTable = [0xff, 0xc4, 0, 21, 0x00, 0, 2, ...new Array<number>(14).fill(0), 7, 8];
  const acTable = [0xff, 0xc4, 0, 20, 0x10, 1, ...new Array<number>(15).fill(0), 0x00];
  const sos = [0xff, 0xda, 0, 8, 1, 1, 0x00, 0, 63, 0];
  // Block 1: DC −78 (category 7, bits 127 − 78 = 0110001); block 2: DC diff +150 (category 8, 10010110); 1s pad.
  const bits = "00" + "0110001" + "0" + "01" + "10010110" + "0" + "111";
  const data = Array.from({ length: bits.length / 8 }, (_, i) => Number.parseInt(bits.slice(i * 8, i * 8 + 8), 2));
  return Uint8Array.from([0xff, 0xd8, ...dqt, ...sof, ...dcTable, ...acTable, ...sos, ...data, 0xff, 0xd9]);
}

function refusal(run: () => unknown): VideoError {
  try {
    run();
  } catch (error) {
    if (isVideoError(error)) return error;
    throw error;
  }
  throw new Error("the frame decoded");
}

describe("libjpeg-turbo as the frame decoder", () => {
  it("decodes the astronaut photo to jpeg-js's pixels within a small tolerance", async () => {
    const { jpeg, width, height } = await photos.photo("astronaut");
    const turbo = decodeJpegFrame(jpeg);
    const reference = jpegJsDecode(jpeg, { useTArray: true, formatAsRGBA: false });
    expect([turbo.width, turbo.height, turbo.data.length]).toEqual([width, height, width * height * 3]);
    expect(turbo.data).toBeInstanceOf(Uint8Array);
    let sum = 0;
    let max = 0;
    for (let i = 0; i < turbo.data.length; i++) {
      const difference = Math.abs((turbo.data[i] ?? 0) - (reference.data[i] ?? 0));
      sum += difference;
      max = Math.max(max, difference);
    }
    // Both are IJG-family decoders; chroma upsampling and IDCT rounding differ by a level or so here and there.
    expect(sum / turbo.data.length).toBeLessThan(1);
    expect(max).toBeLessThanOrEqual(8); // 3 here, mean 0.45
  });

  it("refuses a truncated frame invalid_video wherever it is cut, before the codec (which would fill it grey)", async () => {
    const { jpeg } = await photos.photo("astronaut");
    const codec = TurboJpeg.loadSync();
    for (const length of [700, Math.floor(jpeg.length / 2), jpeg.length - 200, jpeg.length - 2, jpeg.length - 1]) {
      const error = refusal(() => decodeJpegFrame(jpeg.subarray(0, length), VIDEO_FRAME_LIMITS, codec));
      expect(error).toMatchObject({ code: "invalid_video", message: expect.stringMatching(/truncated/) });
    }
    // Refused by the end-marker walk: the codec never saw them.
    expect(codec.stats()).toMatchObject({ decoded: 0, refused: 0 });
    expect(() => checkJpegEnd(jpeg)).not.toThrow();
  });

  it("refuses a frame of over MAX_JPEG_SCANS scans from its markers alone", () => {
    const jpeg = gradientJpeg(16, 16);
    const sos = jpeg.findIndex((byte, i) => byte === 0xff && jpeg[i + 1] === 0xda);
    const scan = jpeg.subarray(sos, jpeg.length - 2); // SOS … entropy-coded data, without EOI
    const many = new Uint8Array(sos + scan.length * (MAX_JPEG_SCANS + 1) + 2);
    many.set(jpeg.subarray(0, sos));
    for (let s = 0; s <= MAX_JPEG_SCANS; s++) many.set(scan, sos + s * scan.length);
    many.set([0xff, 0xd9], many.length - 2);
    expect(refusal(() => checkJpegEnd(many)).message).toContain(`over ${MAX_JPEG_SCANS} scans`);
  });

  it("refuses a corrupt frame and decodes the next one on the same codec to the same pixels", async () => {
    const { jpeg } = await photos.photo("astronaut");
    const codec = TurboJpeg.loadSync();
    expect(() => checkJpegEnd(scrambled(jpeg))).not.toThrow();
    const before = decodeJpegFrame(jpeg, VIDEO_FRAME_LIMITS, codec);
    expect(refusal(() => decodeJpegFrame(scrambled(jpeg), VIDEO_FRAME_LIMITS, codec))).toMatchObject({
      code: "invalid_video",
      message: expect.stringContaining("corrupt"),
    });
    const after = decodeJpegFrame(jpeg, VIDEO_FRAME_LIMITS, codec);
    expect(Buffer.from(after.data).equals(Buffer.from(before.data))).toBe(true);
    expect(codec.stats()).toMatchObject({ decoded: 2, refused: 1, instances: 1 });
  });

  it("replaces its wasm instance after recreateAfterRefusals refusals, and decodes as before on the new one", async () => {
    expect(DEFAULT_TURBO_JPEG_OPTIONS.recreateAfterRefusals).toBe(1_000);
    const { jpeg } = await photos.photo("astronaut");
    const codec = await TurboJpeg.load({ recreateAfterRefusals: 3 });
    const reference = decodeJpegFrame(jpeg, VIDEO_FRAME_LIMITS, codec);
    const corrupt = scrambled(jpeg);
    for (let i = 0; i < 7; i++) refusal(() => codec.decode(corrupt));
    expect(codec.stats()).toMatchObject({ refused: 7, instances: 3, replacedForRefusals: 2, replacedForHeap: 0 });
    const again = decodeJpegFrame(jpeg, VIDEO_FRAME_LIMITS, codec);
    expect(Buffer.from(again.data).equals(Buffer.from(reference.data))).toBe(true);
    expect(() => TurboJpeg.loadSync({ recreateAfterRefusals: 0 })).toThrow(RangeError);
  });

  it("replaces an instance whose heap grew past maxHeapBytes after the decode that grew it", async () => {
    const { jpeg } = await photos.photo("astronaut");
    const codec = TurboJpeg.loadSync({ maxHeapBytes: 1 });
    const first = codec.decode(jpeg);
    const second = codec.decode(jpeg);
    expect(Buffer.from(second.data).equals(Buffer.from(first.data))).toBe(true);
    expect(codec.stats()).toMatchObject({ decoded: 2, instances: 3, replacedForHeap: 2 });
  });

  it("widens a grey JPEG to RGB", () => {
    const image = decodeJpegFrame(greyJpeg());
    expect([image.width, image.height, image.data.length]).toEqual([16, 8, 16 * 8 * 3]);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 16; x++) {
        const p = (y * 16 + x) * 3;
        expect([image.data[p], image.data[p + 1], image.data[p + 2]]).toEqual(new Array<number>(3).fill(x < 8 ? 50 : 200));
      }
    }
  });
});

describe("JpegDecoder on libjpeg-turbo", () => {
  const decoder = new JpegDecoder(createLogger("silent"), { threads: 1 });
  afterAll(async () => {
    await decoder.close();
  });

  it("refuses a corrupt and a truncated frame on its one thread, and that thread decodes the next frames", async () => {
    const [astronaut, cat] = await Promise.all([photos.photo("astronaut"), photos.photo("chelsea")]);
    const good = await decoder.decodeTimed(astronaut.jpeg, VIDEO_FRAME_LIMITS);
    for (const bad of [scrambled(astronaut.jpeg), cat.jpeg.subarray(0, cat.jpeg.length - 2)]) {
      const error = await rejection(decoder.decode(bad, VIDEO_FRAME_LIMITS));
      expect(error).toBeInstanceOf(VideoError);
      expect(error).toMatchObject({ code: "invalid_video" });
    }
    const next = await decoder.decodeTimed(astronaut.jpeg, VIDEO_FRAME_LIMITS);
    expect(next.thread).toBe(good.thread);
    expect(Buffer.from(next.image.data).equals(Buffer.from(good.image.data))).toBe(true);
    expect((await decoder.decode(cat.jpeg, VIDEO_FRAME_LIMITS)).width).toBe(cat.width);
    expect(decoder.stats()).toMatchObject({ live: 1, restarts: 0 });
  });
});
