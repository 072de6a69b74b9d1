import type { DeepfakeResponse__Output } from "../../src/inference/grpc/generated/engine/inference/v1/DeepfakeResponse.js";
import type { EnhanceResponse__Output } from "../../src/inference/grpc/generated/engine/inference/v1/EnhanceResponse.js";
import type { ImageFaces__Output } from "../../src/inference/grpc/generated/engine/inference/v1/ImageFaces.js";
import { STILL_IMAGE_LIMITS } from "../../src/inference/image-types.js";
import { writePng } from "../support/png-files.js";
import type { ImageSpec } from "./grpc-image-surface.js";
import type { GrpcFuzzEntry } from "./grpc-surface.js";
import { bytesOf, textOf } from "./grpc-values.js";
import { jpegOf, type PhotoBytes } from "./jpeg-specs.js";

/**
 * One still-image entry's request bytes, and what the contract says of its answer. Each image recipe gets a verdict:
 * `refused` (never an answer: not an image, cut short, over a bound, a header no decoder takes), `image` (its size,
 * and the faces in it: the photos' as pool-images.test.ts asserts them, none in a gradient), or `any` (a flipped
 * byte: an answer of some kind, not a crash). An answer against it is named `wrong:...`, which the test refuses.
 */

type ImageEntry = Extract<GrpcFuzzEntry, { rpc: "DetectFaces" | "DetectDeepfake" | "EnhanceImage" }>;

/** The photos as JPEG (a camera's) and as PNG (pngjs, RGB, from the photo's own pixels). */
export interface StillPhotos {
  jpeg: PhotoBytes;
  png: PhotoBytes;
}

type ImageVerdict = { kind: "refused" } | { kind: "image"; width: number; height: number; faces: number } | { kind: "any" };
const REFUSED: ImageVerdict = { kind: "refused" };
const ANY: ImageVerdict = { kind: "any" };
const PHOTO_FACES = { astronaut: 1, chelsea: 0 } as const;
const PHOTO_SIDE = 512;
const ENHANCE_FORMATS = ["", "png", "jpeg"];
const ENHANCE_SCALES = [0, 2, 4];

const gradientPngs = new Map<string, Uint8Array>();

/** A colour gradient (no face in it) as a PNG of this layout. */
function gradientPng(width: number, height: number, colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16): Uint8Array {
  const key = `${width}x${height}c${colorType}b${bitDepth}`;
  let png = gradientPngs.get(key);
  if (png === undefined) {
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) rgba.set([(x * 255) / Math.max(1, width - 1), (y * 255) / Math.max(1, height - 1), 128, 200], (y * width + x) * 4);
    }
    gradientPngs.set(key, (png = writePng(width, height, rgba, colorType, bitDepth)));
  }
  return png;
}

export function imageOf(spec: ImageSpec, photos: StillPhotos): Uint8Array {
  if ("pngGradient" in spec) {
    const { width, height, colorType, bitDepth } = spec.pngGradient;
    return gradientPng(width, height, colorType, bitDepth);
  }
  if (!("pngPhoto" in spec)) return jpegOf(spec, photos.jpeg);
  const photo = photos.png[spec.pngPhoto];
  const bytes = Uint8Array.prototype.slice.call(photo, 0, spec.keep === undefined ? photo.byteLength : Math.min(spec.keep, photo.byteLength - 1));
  if (spec.flip !== undefined) {
    const at = spec.flip % bytes.byteLength;
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  }
  return bytes;
}

const fits = (width: number, height: number) => width >= 1 && height >= 1 && width <= STILL_IMAGE_LIMITS.maxWidth && height <= STILL_IMAGE_LIMITS.maxHeight;

function verdictOfImage(spec: ImageSpec, bytes: Uint8Array): ImageVerdict {
  if (bytes.byteLength === 0 || bytes.byteLength > STILL_IMAGE_LIMITS.maxBytes) return REFUSED;
  if ("pngGradient" in spec) {
    const { width, height } = spec.pngGradient;
    return fits(width, height) ? { kind: "image", width, height, faces: 0 } : REFUSED;
  }
  if ("pngPhoto" in spec) {
    if (spec.keep !== undefined) return REFUSED;
    return spec.flip === undefined ? { kind: "image", width: PHOTO_SIDE, height: PHOTO_SIDE, faces: PHOTO_FACES[spec.pngPhoto] } : ANY;
  }
  if ("photo" in spec) {
    if (spec.keep !== undefined) return REFUSED;
    return spec.flip === undefined && spec.pad === undefined ? { kind: "image", width: PHOTO_SIDE, height: PHOTO_SIDE, faces: PHOTO_FACES[spec.photo] } : ANY;
  }
  if ("gradient" in spec) {
    const { width, height } = spec.gradient;
    if (spec.sof === undefined) return { kind: "image", width, height, faces: 0 };
    // A frame header rewritten: past the still-image bounds (not a camera frame's), or a coding or sample layout the
    // decoder lacks, is refused; any other lie is an answer of some kind.
    const { sof } = spec;
    const unsupported = sof.marker !== undefined && ![0xc0, 0xc1, 0xc2].includes(sof.marker);
    const badSamples = (sof.precision !== undefined && sof.precision !== 8) || (sof.components !== undefined && sof.components !== 1 && sof.components !== 3);
    return !fits(sof.width ?? width, sof.height ?? height) || unsupported || badSamples ? REFUSED : ANY;
  }
  // Stored bytes: refused unless they start as a JPEG or a PNG; then anything.
  return startsAsImage(bytes) ? ANY : REFUSED;
}

/** Within the byte bound and with a JPEG's or a PNG's first bytes: what the header check lets through to the rest. */
function startsAsImage(bytes: Uint8Array): boolean {
  if (bytes.byteLength === 0 || bytes.byteLength > STILL_IMAGE_LIMITS.maxBytes) return false;
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  const png = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  return jpeg || png;
}

/** The request as sent: raw bytes, or the message with its image built. */
export function imageRequestOf(entry: ImageEntry, photos: StillPhotos): Uint8Array | Record<string, unknown> {
  const { request } = entry;
  if ("raw" in request) return bytesOf(request.raw);
  const image = imageOf(request.image, photos);
  if (entry.rpc !== "EnhanceImage" || !("scale" in request)) return { image };
  return { image, scale: request.scale, format: textOf(request.format), quality: request.quality };
}

/** What an OK answer says, as outcomes: `faces:<n>`, `enhanced:<w>x<h>:<format>`, or `wrong:deepfake_score`. */
export function describeAnswer(entry: ImageEntry, response: unknown): string[] {
  if (entry.rpc === "DetectFaces") return [`faces:${(response as ImageFaces__Output).faces.length}`];
  if (entry.rpc === "EnhanceImage") {
    const answer = response as EnhanceResponse__Output;
    return [`enhanced:${answer.width}x${answer.height}:${answer.format}`];
  }
  // No deepfake model ships: any score at all is made up.
  return [`wrong:deepfake_score:${(response as DeepfakeResponse__Output).faces.length}`];
}

/** `wrong:` outcomes where the answers contradict the request's verdict (none for raw bytes: they carry their own image). */
export function imageVerdictCheck(entry: ImageEntry, outcomes: readonly string[], photos: StillPhotos): string[] {
  const { request } = entry;
  if ("raw" in request || entry.auth !== "token") return [];
  const answered = outcomes.includes("status:OK");
  const refused = outcomes.includes("status:INVALID_ARGUMENT:invalid_image");
  const unavailable = outcomes.includes("status:UNAVAILABLE:model_unavailable");
  const bytes = imageOf(request.image, photos);
  const verdict = verdictOfImage(request.image, bytes);
  const wrong = (what: string) => [`wrong:${what}:${outcomes.join(",")}`];
  if (entry.rpc === "DetectDeepfake") {
    if (verdict.kind === "image" && !unavailable) return wrong("deepfake_not_unavailable");
    // Not an image at all (or over the byte bound) is refused before the model's absence is told.
    if (!startsAsImage(bytes) && !refused) return wrong("deepfake_not_an_image_not_refused");
    return answered ? wrong("deepfake_answered") : [];
  }
  if (entry.rpc === "DetectFaces") {
    if (verdict.kind === "refused" && !refused) return wrong("faces_for_refused_image");
    if (verdict.kind === "image" && !outcomes.includes(`faces:${verdict.faces}`)) return wrong(`expected_faces:${verdict.faces}`);
    return [];
  }
  if (!("scale" in request)) return [];
  const format = textOf(request.format);
  const badRequest = !ENHANCE_FORMATS.includes(format) || request.quality > 100 || !ENHANCE_SCALES.includes(request.scale);
  const tooLarge = verdict.kind === "image" && Math.max(verdict.width, verdict.height) > STILL_IMAGE_LIMITS.maxEnhanceSide;
  if (badRequest || tooLarge || verdict.kind === "refused") return refused ? [] : wrong("enhanced_a_refused_request");
  if (verdict.kind === "image") {
    const scale = request.scale === 0 ? 2 : request.scale;
    const expected = `enhanced:${verdict.width * scale}x${verdict.height * scale}:${format === "" ? "png" : format}`;
    if (!outcomes.includes(expected)) return wrong(`expected_${expected}`);
  }
  return [];
}
