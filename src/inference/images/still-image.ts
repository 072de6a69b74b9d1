import { encode as encodeJpeg } from "jpeg-js";
import type { StillImageFormat } from "../image-types.js";
import { STILL_IMAGE_LIMITS } from "../image-types.js";
import { PoolError } from "../pool-error.js";
import { checkJpegEnd, readJpegHeader } from "../video/jpeg-frame.js";
import { RGB_CHANNELS, resampleRegion, type RgbImage } from "../video/rgb-image.js";
import type { TurboJpeg } from "../video/turbo-jpeg.js";
import { isVideoError } from "../video/video-error.js";
import { checkPngChunks, decodePng, encodePng, isPng, readPngHeader } from "./png-image.js";

/**
 * Still images (a photo, an upload), JPEG or PNG: the format sniffed from the first bytes, the size and the declared
 * dimensions checked from the header before any pixel is decoded, then decoded to RGB (libjpeg-turbo for JPEG, as
 * camera frames are; pngjs for PNG), encoded back (pngjs, jpeg-js). Not camera frames: those keep their own, smaller
 * limits (jpeg-frame.ts). Every refusal is a `PoolError` `invalid_image` whose message says which rule it broke.
 * `readStillImageHeader` is cheap (the pool's event loop runs it before queueing); the rest runs on a codec thread.
 */

export interface StillImageLimits {
  maxBytes: number;
  maxWidth: number;
  maxHeight: number;
}

export const DEFAULT_STILL_IMAGE_LIMITS: StillImageLimits = STILL_IMAGE_LIMITS;

export interface StillImageHeader {
  format: StillImageFormat;
  width: number;
  height: number;
}

/** Signatures of formats people send that are not read here, to say what the image was. */
const OTHER_FORMATS: readonly [string, (bytes: Uint8Array) => boolean][] = [
  ["GIF", (b) => ascii(b, 0, 4) === "GIF8"],
  ["WebP", (b) => ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP"],
  ["BMP", (b) => ascii(b, 0, 2) === "BM"],
  ["TIFF", (b) => ascii(b, 0, 4) === "II*\u0000" || ascii(b, 0, 4) === "MM\u0000*"],
  ["HEIF/AVIF", (b) => ascii(b, 4, 4) === "ftyp"],
];

const invalid = (message: string) => new PoolError("invalid_image", message);

export function sniffImageFormat(bytes: Uint8Array): StillImageFormat | null {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return "jpeg";
  if (isPng(bytes)) return "png";
  return null;
}

/** The format and dimensions, checked against `limits`, from the header alone (no pixels). */
export function readStillImageHeader(bytes: Uint8Array, limits: StillImageLimits = DEFAULT_STILL_IMAGE_LIMITS): StillImageHeader {
  if (bytes.length === 0) throw invalid("the image is empty");
  if (bytes.length > limits.maxBytes) throw invalid(`the image is ${bytes.length} bytes; at most ${limits.maxBytes} are accepted`);
  const format = sniffImageFormat(bytes);
  if (format === null) {
    const other = OTHER_FORMATS.find(([, matches]) => matches(bytes))?.[0];
    throw invalid(other === undefined ? "the image is not a JPEG or PNG" : `the image is a ${other}; only JPEG and PNG are read`);
  }
  const { width, height } = format === "jpeg" ? jpegHeader(bytes) : readPngHeader(bytes);
  if (width > limits.maxWidth || height > limits.maxHeight) {
    throw invalid(`the image is ${width}×${height}; at most ${limits.maxWidth}×${limits.maxHeight} is accepted`);
  }
  return { format, width, height };
}

/** Header, structure, then pixels; `codec` decodes JPEG (this thread's libjpeg-turbo). */
export function decodeStillImage(bytes: Uint8Array, limits: StillImageLimits, codec: TurboJpeg): { header: StillImageHeader; image: RgbImage } {
  const header = readStillImageHeader(bytes, limits);
  if (header.format === "png") {
    const png = readPngHeader(bytes);
    const { imageDataBytes } = checkPngChunks(bytes);
    return { header, image: decodePng(bytes, png, imageDataBytes) };
  }
  try {
    checkJpegEnd(bytes);
    const decoded = codec.decode(bytes);
    if (decoded.width !== header.width || decoded.height !== header.height) throw invalid("the JPEG is corrupt: its decoded size differs from its header");
    return { header, image: { width: decoded.width, height: decoded.height, data: decoded.data } };
  } catch (error) {
    throw isVideoError(error) ? invalid(error.message) : error;
  }
}

/** RGB → `format`; `quality` is JPEG's (1–100). */
export function encodeStillImage(image: RgbImage, format: StillImageFormat, quality: number): Uint8Array {
  if (format === "png") return encodePng(image);
  // jpeg-js reads 4 bytes a pixel (the fourth ignored).
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let i = 0, o = 0; o < rgba.length; i += 3, o += 4) {
    rgba[o] = image.data[i] ?? 0;
    rgba[o + 1] = image.data[i + 1] ?? 0;
    rgba[o + 2] = image.data[i + 2] ?? 0;
    rgba[o + 3] = 255;
  }
  return new Uint8Array(encodeJpeg({ width: image.width, height: image.height, data: rgba }, quality).data);
}

/** A box a copy of an image is fitted into, either orientation (a camera frame's: 1280×720). */
export interface FitBox {
  maxLongSide: number;
  maxShortSide: number;
}

/** The image itself when it fits `box`, else a copy shrunk to fit (area averaging), aspect kept. */
export function fitImage(image: RgbImage, box: FitBox): RgbImage {
  const long = Math.max(image.width, image.height);
  const short = Math.min(image.width, image.height);
  const factor = Math.min(1, box.maxLongSide / long, box.maxShortSide / short);
  if (factor === 1) return image;
  const width = Math.max(1, Math.round(image.width * factor));
  const height = Math.max(1, Math.round(image.height * factor));
  return resizeRegion(image, { x: 0, y: 0, width: image.width, height: image.height }, width, height);
}

/** `region` of `image` resampled to `width`×`height` 8-bit RGB (rgb-image.ts's resampler, rounded). */
export function resizeRegion(image: RgbImage, region: { x: number; y: number; width: number; height: number }, width: number, height: number): RgbImage {
  const floats = resampleRegion(image, region, width, height);
  const data = new Uint8Array(width * height * RGB_CHANNELS);
  for (let i = 0; i < floats.length; i++) data[i] = Math.round(floats[i] ?? 0);
  return { width, height, data };
}

function jpegHeader(bytes: Uint8Array): { width: number; height: number } {
  try {
    return readJpegHeader(bytes);
  } catch (error) {
    throw isVideoError(error) ? invalid(error.message.replace("the frame is", "the image is")) : error;
  }
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}
