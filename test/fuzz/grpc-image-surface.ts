import fc from "fast-check";
import { z } from "zod";
import type { EnhanceRequest } from "../../src/inference/grpc/generated/engine/inference/v1/EnhanceRequest.js";
import { loadInferenceProto } from "../../src/inference/grpc/proto.js";
import { STILL_IMAGE_LIMITS } from "../../src/inference/image-types.js";
import { headerOnlyPng, interlacedBombPng } from "../support/png-files.js";
import { toBase64 } from "./corpus.js";
import { authSpec, bytesSpec, rawMessages, textSpec, UINT32_MAX, wrongAuth } from "./grpc-values.js";
import { gradientJpeg, hostileJpeg, jpegSpec } from "./jpeg-specs.js";

/**
 * The pool's still-image RPCs: DetectFaces and DetectDeepfake with every kind of image (the real photos as JPEG and
 * as PNG, cut short or with a byte flipped; gradients of every PNG layout and size, at and past 4096; headers that
 * declare 65535×65535 in 40 bytes; an interlaced PNG whose data inflates to 64 MB; GIF, WebP, garbage, nothing),
 * EnhanceImage with those and hostile scales, formats and qualities, raw bytes that are not protobuf, and each
 * without the token. Images are stored as recipes (`imageOf`, grpc-image-replay.ts) and each has a verdict.
 */

const PHOTOS = ["astronaut", "chelsea"] as const;
const pngColor = z.union([z.literal(0), z.literal(2), z.literal(4), z.literal(6)]);
const side = z.number().int().min(1).max(65_535);

export const imageSpec = z.union([
  ...jpegSpec.options,
  /** The photo as a PNG (pngjs, RGB), cut short (`keep` bytes) or with the byte at `flip` inverted. */
  z.strictObject({ pngPhoto: z.enum(PHOTOS), keep: z.number().int().min(0).optional(), flip: z.number().int().min(0).optional() }),
  /** A colour gradient as a PNG of any layout pngjs writes. */
  z.strictObject({ pngGradient: z.strictObject({ width: side, height: side, colorType: pngColor, bitDepth: z.union([z.literal(8), z.literal(16)]) }) }),
]);
export type ImageSpec = z.infer<typeof imageSpec>;

const imageRequest = z.union([z.strictObject({ image: imageSpec }), z.strictObject({ raw: bytesSpec })]);
const common = { id: z.string(), note: z.string(), auth: authSpec };
export const imageFuzzEntries = [
  z.strictObject({ ...common, rpc: z.literal("DetectFaces"), request: imageRequest }),
  z.strictObject({ ...common, rpc: z.literal("DetectDeepfake"), request: imageRequest }),
  z.strictObject({
    ...common,
    rpc: z.literal("EnhanceImage"),
    request: z.union([
      z.strictObject({ image: imageSpec, scale: z.number().int().min(0).max(UINT32_MAX), format: textSpec, quality: z.number().int().min(0).max(UINT32_MAX) }),
      z.strictObject({ raw: bytesSpec }),
    ]),
  }),
] as const;
type ImageEntry = z.infer<(typeof imageFuzzEntries)[number]>;
type Draft = Omit<ImageEntry, "id">;

// ---- Images -------------------------------------------------------------------------------------------------

const exact = (bytes: Uint8Array): ImageSpec => ({ base64: toBase64(bytes) });
const gradientPng = (width: number, height: number) => ({ pngGradient: { width, height, colorType: 2 as const, bitDepth: 8 as const } });
const CRAFTED_PNGS = [
  headerOnlyPng(65_535, 65_535),
  headerOnlyPng(STILL_IMAGE_LIMITS.maxWidth + 1, 1),
  headerOnlyPng(64, 64), // a header, and image data that inflates to nothing
  interlacedBombPng(64, 64, 64 * 1024 * 1024),
  Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), // the signature alone
  Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]), // cut inside IHDR
];
const OTHER_FORMATS = ["GIF89a\u0001\u0000\u0001\u0000\u0080\u0000\u0000", "RIFF\u0000\u0000\u0000\u0000WEBPVP8 ", "BM6\u0000\u0000\u0000", "II*\u0000\u0008\u0000"].map((text) => new TextEncoder().encode(text));

/** Images a caller could send: the photos as JPEG or PNG, small gradients. */
const goodImage: fc.Arbitrary<ImageSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<ImageSpec>({ photo: "astronaut" }, { photo: "chelsea" }, { pngPhoto: "astronaut" }, { pngPhoto: "chelsea" }) },
  { weight: 2, arbitrary: fc.constantFrom(16, 64, 160).map((n): ImageSpec => ({ gradient: { width: n, height: n, quality: 80 } })) },
  { weight: 2, arbitrary: fc.record({ width: fc.constantFrom(1, 16, 96), height: fc.constantFrom(1, 16, 96), colorType: fc.constantFrom(0, 2, 4, 6), bitDepth: fc.constantFrom(8, 16) }).map((pngGradient): ImageSpec => ({ pngGradient })) },
);

const hostileImage: fc.Arbitrary<ImageSpec> = fc.oneof(
  { weight: 4, arbitrary: goodImage },
  { weight: 3, arbitrary: hostileJpeg },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...PHOTOS), fc.nat({ max: 200_000 })).map(([pngPhoto, keep]): ImageSpec => ({ pngPhoto, keep })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PHOTOS), fc.nat({ max: 500_000 })).map(([pngPhoto, flip]): ImageSpec => ({ pngPhoto, flip })) },
  // Larger than a camera frame (fine here), at the bound, and one past it.
  { weight: 1, arbitrary: fc.constantFrom<[number, number]>([1_920, 1_080], [2_048, 16], [4_096, 2], [4_097, 1], [1, 4_097]).map(([w, h]): ImageSpec => gradientPng(w, h)) },
  { weight: 2, arbitrary: fc.constantFrom(...CRAFTED_PNGS, ...OTHER_FORMATS).map(exact) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 256 }).map(exact) },
  { weight: 1, arbitrary: fc.constant(exact(new Uint8Array(0))) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: STILL_IMAGE_LIMITS.maxBytes - 16, max: STILL_IMAGE_LIMITS.maxBytes + 1_024 }), fc.nat({ max: 255 })).map(([length, fill]): ImageSpec => ({ prefix: toBase64(gradientJpeg(16, 16, 75)), fill, length })) },
);

/** Small images an enhancement runs on (ESRGAN takes seconds at 512×512: those come with a request it refuses). */
const smallImage: fc.Arbitrary<ImageSpec> = fc.oneof(
  fc.constantFrom(8, 32, 64).map((n): ImageSpec => ({ gradient: { width: n, height: n, quality: 80 } })),
  fc.record({ width: fc.constantFrom(1, 24, 48), height: fc.constantFrom(1, 24, 48), colorType: fc.constantFrom(0, 2, 4, 6), bitDepth: fc.constantFrom(8, 16) }).map((pngGradient): ImageSpec => ({ pngGradient })),
);
const scale = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 2, 4) }, { weight: 2, arbitrary: fc.constantFrom(1, 3, 5, 8, 2 ** 31, UINT32_MAX) });
const format = fc.oneof({ weight: 4, arbitrary: fc.constantFrom("", "png", "jpeg") }, { weight: 2, arbitrary: fc.constantFrom("jpg", "PNG", "gif", "webp", "png\u0000", "../png") });
const quality = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 75, 100) }, { weight: 1, arbitrary: fc.constantFrom(101, 1_000, UINT32_MAX) });
const refusedEnhance = fc.oneof(
  fc.record({ image: fc.constantFrom<ImageSpec>({ photo: "astronaut" }, { pngPhoto: "chelsea" }), scale: fc.constantFrom(3, 5), format, quality }),
  fc.record({ image: fc.constant<ImageSpec>(gradientPng(600, 600)), scale: fc.constantFrom(2, 4), format: fc.constant("png"), quality: fc.constant(0) }),
  fc.record({ image: fc.constant<ImageSpec>({ photo: "astronaut" }), scale: fc.constant(2), format: fc.constantFrom("gif", "jpg"), quality }),
);

// ---- Entries ------------------------------------------------------------------------------------------------

const service = loadInferenceProto().engine.inference.v1.Inference.service;
const imageRaw = rawMessages([new Uint8Array(service.DetectFaces.requestSerialize({ image: gradientJpeg(16, 16, 75) }))]);
const enhanceMessage = (message: EnhanceRequest) => new Uint8Array(service.EnhanceImage.requestSerialize(message));
const enhanceRaw = rawMessages([enhanceMessage({ image: gradientJpeg(16, 16, 75), scale: 2, format: "png", quality: 0 })], [
  // An ImageRequest sent to EnhanceImage reads as one with a default scale and format: a good request.
  new Uint8Array(service.DetectFaces.requestSerialize({ image: gradientJpeg(8, 8, 75) })),
  enhanceMessage({ image: new Uint8Array(0), scale: 2, format: "png", quality: 0 }),
]);

const imageCall = (rpc: "DetectFaces" | "DetectDeepfake"): fc.Arbitrary<Draft> =>
  fc.oneof(
    { weight: 6, arbitrary: hostileImage.map((image): Draft => ({ note: `${rpc}`, rpc, auth: "token", request: { image } })) },
    { weight: 2, arbitrary: imageRaw.map((raw): Draft => ({ note: `${rpc} raw bytes`, rpc, auth: "token", request: { raw } })) },
    { weight: 1, arbitrary: wrongAuth.map((auth): Draft => ({ note: `${rpc} without the token`, rpc, auth, request: { image: { photo: "astronaut" } } })) },
  );
const enhance: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ image: smallImage, scale, format, quality }).map((request): Draft => ({ note: "EnhanceImage", rpc: "EnhanceImage", auth: "token", request })) },
  { weight: 2, arbitrary: fc.record({ image: hostileImage.filter((spec) => !isPhotoOrLarge(spec)), scale: fc.constant(2), format: fc.constant("png"), quality: fc.constant(0) }).map((request): Draft => ({ note: "EnhanceImage hostile image", rpc: "EnhanceImage", auth: "token", request })) },
  { weight: 2, arbitrary: refusedEnhance.map((request): Draft => ({ note: "EnhanceImage refused", rpc: "EnhanceImage", auth: "token", request })) },
  { weight: 2, arbitrary: enhanceRaw.map((raw): Draft => ({ note: "EnhanceImage raw bytes", rpc: "EnhanceImage", auth: "token", request: { raw } })) },
  { weight: 1, arbitrary: wrongAuth.map((auth): Draft => ({ note: "EnhanceImage without the token", rpc: "EnhanceImage", auth, request: { image: { gradient: { width: 8, height: 8, quality: 80 } }, scale: 2, format: "png", quality: 0 } })) },
);

/** A photo (512×512) or a large gradient: seconds of ESRGAN when the request is otherwise good. */
function isPhotoOrLarge(spec: ImageSpec): boolean {
  if ("photo" in spec || "pngPhoto" in spec) return true;
  if ("gradient" in spec) return Math.max(spec.gradient.width, spec.gradient.height) > 96;
  if ("pngGradient" in spec) return Math.max(spec.pngGradient.width, spec.pngGradient.height) > 96;
  return false;
}

export const imageDraft: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 4, arbitrary: imageCall("DetectFaces") },
  { weight: 2, arbitrary: imageCall("DetectDeepfake") },
  { weight: 3, arbitrary: enhance },
);
