import fc from "fast-check";
import { encode } from "jpeg-js";
import { z } from "zod";
import type { TestPhotoName } from "../support/test-photos.js";
import { fromBase64, toBase64 } from "./corpus.js";
import { bytesSpec } from "./grpc-values.js";

/**
 * The camera frames StreamVideo fuzz steps carry, and what each one must get. Stored as exact bytes (crafted headers,
 * garbage), one byte repeated (frames over 256 KB), or a recipe built at replay time: a real photo from
 * `test/support/test-photos.ts` (Debian's scikit-image samples, 43–85 KB each as JPEG: too large to repeat in the
 * corpus), cut short, with a byte inverted or padded past the bound; or a gradient jpeg-js encodes at any size, its
 * frame header (SOFn) optionally rewritten to lie.
 */

/** proto/inference.proto, VideoFrame.jpeg: at most 256 KB and 1280×720, either orientation. */
export const FRAME_BOUNDS = { maxBytes: 256 * 1024, longSide: 1280, shortSide: 720 } as const;

const PHOTOS = ["astronaut", "chelsea"] as const satisfies readonly TestPhotoName[];
/** Faces in each photo, as pool-video.test.ts asserts them: the astronaut's portrait, a cat. */
const PHOTO_FACES: Record<(typeof PHOTOS)[number], number> = { astronaut: 1, chelsea: 0 };

const dimension = z.number().int().min(0).max(65_535);
const sofPatch = z.strictObject({
  marker: z.number().int().min(0xc0).max(0xcf).optional(),
  precision: z.number().int().min(0).max(255).optional(),
  width: dimension.optional(),
  height: dimension.optional(),
  components: z.number().int().min(0).max(255).optional(),
});
export type SofPatch = z.infer<typeof sofPatch>;

export const jpegSpec = z.union([
  ...bytesSpec.options,
  /** `prefix` (base64) then `fill` up to `length` bytes. */
  z.strictObject({ prefix: z.string(), fill: z.number().int().min(0).max(255), length: z.number().int().min(0).max(8 * 1024 * 1024) }),
  z.strictObject({
    photo: z.enum(PHOTOS),
    /** Bytes kept: the photo cut short (at most all but its last byte). */
    keep: z.number().int().min(0).optional(),
    /** The byte at this offset (modulo the photo's length) inverted. */
    flip: z.number().int().min(0).optional(),
    /** Zero bytes appended after its end-of-image marker. */
    pad: z.number().int().min(1).max(8 * 1024 * 1024).optional(),
  }),
  z.strictObject({
    gradient: z.strictObject({ width: z.number().int().min(1).max(2_048), height: z.number().int().min(1).max(2_048), quality: z.number().int().min(1).max(100) }),
    /** Fields of its frame header rewritten (the scan data stays the encoder's). */
    sof: sofPatch.optional(),
  }),
]);
export type JpegSpec = z.infer<typeof jpegSpec>;

/** The photos' JPEG bytes, loaded before the replay (`createTestPhotos`). */
export type PhotoBytes = Record<(typeof PHOTOS)[number], Uint8Array>;

// ---- Bytes --------------------------------------------------------------------------------------------------

/** A smooth colour gradient (no face in it) as a baseline JPEG. */
export function gradientJpeg(width: number, height: number, quality: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 4;
      data.set([(x * 255) / Math.max(1, width - 1), (y * 255) / Math.max(1, height - 1), 128, 255], i);
    }
  }
  return new Uint8Array(encode({ width, height, data }, quality).data);
}

/** Offset of the frame header's marker byte (C0–CF, not DHT/JPG/DAC) in a well-formed JPEG. */
function sofOffset(bytes: Uint8Array): number {
  let offset = 2;
  while (offset + 4 <= bytes.length && bytes[offset] === 0xff) {
    const marker = bytes[offset + 1] ?? 0;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return offset + 1;
    offset += 2 + (((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0));
  }
  throw new Error("the encoder's JPEG has no frame header");
}

function patchSof(jpeg: Uint8Array, patch: SofPatch): Uint8Array {
  const bytes = jpeg.slice();
  const at = sofOffset(bytes);
  // marker, length (2), precision, height (2), width (2), components
  if (patch.marker !== undefined) bytes[at] = patch.marker;
  if (patch.precision !== undefined) bytes[at + 3] = patch.precision;
  if (patch.height !== undefined) bytes.set([patch.height >> 8, patch.height & 0xff], at + 4);
  if (patch.width !== undefined) bytes.set([patch.width >> 8, patch.width & 0xff], at + 6);
  if (patch.components !== undefined) bytes[at + 8] = patch.components;
  return bytes;
}

const gradients = new Map<string, Uint8Array>();

export function jpegOf(spec: JpegSpec, photos: PhotoBytes): Uint8Array {
  if ("base64" in spec) return fromBase64(spec.base64);
  if ("prefix" in spec) {
    const prefix = fromBase64(spec.prefix);
    const bytes = new Uint8Array(Math.max(spec.length, prefix.byteLength)).fill(spec.fill);
    bytes.set(prefix, 0);
    return bytes;
  }
  if ("fill" in spec) return new Uint8Array(spec.length).fill(spec.fill);
  if ("gradient" in spec) {
    const { width, height, quality } = spec.gradient;
    const key = `${width}x${height}q${quality}`;
    let jpeg = gradients.get(key);
    if (jpeg === undefined) gradients.set(key, (jpeg = gradientJpeg(width, height, quality)));
    return spec.sof === undefined ? jpeg : patchSof(jpeg, spec.sof);
  }
  const photo = photos[spec.photo];
  // Copies (Uint8Array.prototype.slice, whatever the photo's class): a flip must never reach the shared photo.
  const copy = (end: number) => Uint8Array.prototype.slice.call(photo, 0, end);
  let bytes = copy(spec.keep === undefined ? photo.byteLength : Math.min(spec.keep, photo.byteLength - 1));
  if (spec.flip !== undefined) {
    const at = spec.flip % bytes.byteLength;
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  }
  if (spec.pad !== undefined) {
    const padded = new Uint8Array(bytes.byteLength + spec.pad);
    padded.set(bytes, 0);
    bytes = padded;
  }
  return bytes;
}

// ---- What each frame must get -------------------------------------------------------------------------------

/**
 * What the contract says of a frame: `refused` (never a `faces` answer: not a JPEG, truncated, over a bound, a header
 * the decoder refuses), `faces` (exactly that many), or `any` (a corrupt byte, a header lying within the bounds: an
 * answer of some kind, not a crash).
 */
export type FrameVerdict = { kind: "refused" } | { kind: "faces"; count: number } | { kind: "any" };
const REFUSED: FrameVerdict = { kind: "refused" };
const ANY: FrameVerdict = { kind: "any" };

const startsAsJpeg = (bytes: Uint8Array) => bytes[0] === 0xff && bytes[1] === 0xd8;
const withinBounds = (width: number, height: number) =>
  width > 0 && height > 0 && Math.max(width, height) <= FRAME_BOUNDS.longSide && Math.min(width, height) <= FRAME_BOUNDS.shortSide;

export function verdictOf(spec: JpegSpec, bytes: Uint8Array): FrameVerdict {
  if (bytes.byteLength === 0 || bytes.byteLength > FRAME_BOUNDS.maxBytes || !startsAsJpeg(bytes)) return REFUSED;
  if ("photo" in spec) {
    if (spec.keep !== undefined) return REFUSED;
    if (spec.flip !== undefined || spec.pad !== undefined) return ANY;
    return { kind: "faces", count: PHOTO_FACES[spec.photo] };
  }
  if ("gradient" in spec) {
    const { sof } = spec;
    const width = sof?.width ?? spec.gradient.width;
    const height = sof?.height ?? spec.gradient.height;
    if (!withinBounds(width, height)) return REFUSED;
    if (sof === undefined) return { kind: "faces", count: 0 };
    const unsupported = sof.marker !== undefined && ![0xc0, 0xc1, 0xc2].includes(sof.marker);
    const badSamples = (sof.precision !== undefined && sof.precision !== 8) || (sof.components !== undefined && sof.components !== 1 && sof.components !== 3);
    return unsupported || badSamples ? REFUSED : ANY;
  }
  return ANY;
}

// ---- Generation ---------------------------------------------------------------------------------------------

const u16 = (n: number) => [n >> 8, n & 0xff];
/** SOI, a frame header of `marker` declaring `width`×`height` with three components, then `tail`. */
const header = (marker: number, width: number, height: number, tail: number[] = []) =>
  Uint8Array.from([0xff, 0xd8, 0xff, marker, 0x00, 0x11, 0x08, ...u16(height), ...u16(width), 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, ...tail]);
const CRAFTED_JPEGS = [
  header(0xc0, 65_535, 65_535), // 40 bytes declaring 65535×65535
  header(0xc2, 65_535, 65_535, [0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, 0xff, 0xd9]),
  header(0xc0, 1_281, 720),
  header(0xc0, 0, 0),
  header(0xc0, 640, 480), // a header and nothing behind it
  header(0xc0, 640, 480, [0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0x12, 0x34, 0xff, 0xd9]), // a scan without tables
  Uint8Array.from([0xff, 0xd8]),
  Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]),
  Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02]), // image data before any frame header
  Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff, 0x4a, 0x46]), // a segment claiming 65535 bytes
  Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00]), // a segment of length 0
  Uint8Array.from([0xff, 0xd8, ...new Array<number>(64).fill(0xff)]), // fill bytes and no marker
];
const NOT_JPEG = [
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], // PNG
  [...new TextEncoder().encode("GIF89a, not a JPEG")],
  [...new TextEncoder().encode("RIFF\u0000\u0000\u0000\u0000WEBPVP8 ")],
  [0xd8, 0xff, 0xe0], // SOI bytes swapped
].map((bytes) => Uint8Array.from(bytes));

const exact = (bytes: Uint8Array): JpegSpec => ({ base64: toBase64(bytes) });
const overBound = fc.integer({ min: FRAME_BOUNDS.maxBytes + 1, max: 4 * 1024 * 1024 });

/** A frame a camera could send: mostly the face photo, sometimes the cat or a small gradient. */
export const goodJpeg: fc.Arbitrary<JpegSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<JpegSpec>({ photo: "astronaut" }) },
  { weight: 1, arbitrary: fc.constant<JpegSpec>({ photo: "chelsea" }) },
  { weight: 1, arbitrary: fc.constantFrom(16, 64, 160).map((side): JpegSpec => ({ gradient: { width: side, height: side, quality: 75 } })) },
);

const GRADIENT_SIZES: readonly [number, number][] = [[1, 1], [8, 8], [1, 720], [1_280, 1], [720, 1_280], [1_280, 720], [1_281, 720], [721, 721], [2_048, 16]];
const sofLie: fc.Arbitrary<SofPatch> = fc.oneof(
  fc.constantFrom<SofPatch>({ width: 65_535, height: 65_535 }, { width: 0 }, { height: 0 }, { width: 1_281 }, { width: 1_280, height: 720 }, { width: 1, height: 1 }),
  fc.constantFrom(0xc1, 0xc2, 0xc3, 0xc5, 0xc7, 0xc9, 0xcb, 0xcd, 0xcf).map((marker): SofPatch => ({ marker })),
  fc.constantFrom<SofPatch>({ precision: 12 }, { precision: 0 }, { components: 4 }, { components: 0 }, { components: 2 }),
);

/** Every kind of frame: good ones, photos damaged, gradients odd-sized or lying, crafted headers, not JPEG at all. */
export const hostileJpeg: fc.Arbitrary<JpegSpec> = fc.oneof(
  { weight: 3, arbitrary: goodJpeg },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...PHOTOS), fc.oneof(fc.nat({ max: 1_000 }), fc.nat({ max: 100_000 }))).map(([photo, keep]): JpegSpec => ({ photo, keep })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PHOTOS), fc.nat({ max: 100_000 })).map(([photo, flip]): JpegSpec => ({ photo, flip })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PHOTOS), fc.oneof(fc.integer({ min: 1, max: 1_024 }), overBound)).map(([photo, pad]): JpegSpec => ({ photo, pad })) },
  { weight: 1, arbitrary: fc.constantFrom(...GRADIENT_SIZES).map(([width, height]): JpegSpec => ({ gradient: { width, height, quality: 50 } })) },
  { weight: 2, arbitrary: sofLie.map((sof): JpegSpec => ({ gradient: { width: 64, height: 48, quality: 75 }, sof })) },
  { weight: 2, arbitrary: fc.constantFrom(...CRAFTED_JPEGS).map(exact) },
  { weight: 2, arbitrary: fc.oneof(fc.constantFrom(...NOT_JPEG), fc.uint8Array({ minLength: 1, maxLength: 512 })).map(exact) },
  { weight: 1, arbitrary: fc.constant(exact(new Uint8Array(0))) },
  { weight: 1, arbitrary: fc.tuple(overBound, fc.nat({ max: 255 })).map(([length, fill]): JpegSpec => ({ fill, length })) },
  { weight: 1, arbitrary: overBound.map((length): JpegSpec => ({ prefix: toBase64(header(0xc0, 640, 480)), fill: 0, length })) },
);
