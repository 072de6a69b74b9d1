import { MAX_VIDEO_FRAME_HEIGHT, MAX_VIDEO_FRAME_WIDTH, MAX_VIDEO_MESSAGE_BYTES } from "../../protocol/client-messages.js";
import type { RgbImage } from "./rgb-image.js";
import { threadTurboJpeg, type TurboJpeg } from "./turbo-jpeg.js";
import { VideoError } from "./video-error.js";

/**
 * Camera frames arrive as JPEG (issue 11: ≤ 256 KB, decoded ≤ 1280×720). The size and the frame header are checked
 * before any pixel is decoded, so a 40-byte file that declares 65535×65535 costs a header scan, not a gigabyte; then
 * its marker segments are walked to its end-of-image marker (a frame cut short is refused here: libjpeg-turbo would
 * only warn and fill the rest grey). The decoding itself is libjpeg-turbo's (turbo-jpeg.ts, WebAssembly), whose heap
 * is bounded by the dimensions checked first and replaced past a cap. Every refusal is a `VideoError`
 * (`invalid_video`) whose message says which rule it broke.
 */
export interface JpegFrameLimits {
  maxBytes: number;
  /** The longer side, either orientation: a phone held upright sends 720×1280. */
  maxLongSide: number;
  maxShortSide: number;
}

/** The wire protocol's limits on a camera frame. */
export const VIDEO_FRAME_LIMITS: JpegFrameLimits = {
  maxBytes: MAX_VIDEO_MESSAGE_BYTES,
  maxLongSide: MAX_VIDEO_FRAME_WIDTH,
  maxShortSide: MAX_VIDEO_FRAME_HEIGHT,
};

export type JpegCoding = "baseline" | "extended" | "progressive";

export interface JpegHeader {
  width: number;
  height: number;
  /** 1 (grey) or 3 (YCbCr): what a camera sends. */
  components: 1 | 3;
  coding: JpegCoding;
}

/**
 * Scans (SOS) a frame may have. A progressive JPEG has about 10; each scan re-reads the whole coefficient buffer, so
 * thousands of tiny scans in 256 KB would cost seconds (libjpeg-turbo's own tools cap it at 500 for that reason).
 */
export const MAX_JPEG_SCANS = 100;

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
/** Huffman-coded frames the decoder reads; the other SOFn are lossless, hierarchical or arithmetic-coded. */
const SUPPORTED_SOF: ReadonlyMap<number, JpegCoding> = new Map([
  [0xc0, "baseline"],
  [0xc1, "extended"],
  [0xc2, "progressive"],
]);

/** Reads the frame header (SOFn) by walking the marker segments; nothing is decoded. */
export function readJpegHeader(bytes: Uint8Array): JpegHeader {
  if (bytes.length < 2 || bytes[0] !== 0xff || bytes[1] !== SOI) {
    throw new VideoError("the frame is not a JPEG (no start-of-image marker)");
  }
  let offset = 2;
  for (;;) {
    if (offset >= bytes.length) throw new VideoError("the JPEG is truncated: it ends before its frame header");
    if (bytes[offset] !== 0xff) throw new VideoError(`the JPEG is corrupt: expected a marker at byte ${offset}`);
    while (bytes[offset] === 0xff) offset++; // fill bytes may precede a marker
    const marker = bytes[offset];
    offset++;
    if (marker === undefined) throw new VideoError("the JPEG is truncated: it ends before its frame header");
    // Markers without a length: restart markers and TEM.
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (marker === EOI || marker === SOS || marker === SOI) {
      throw new VideoError("the JPEG is corrupt: it has no frame header before its image data");
    }
    if (offset + 2 > bytes.length) throw new VideoError("the JPEG is truncated: it ends inside a marker segment");
    const length = readUint16(bytes, offset);
    if (length < 2) throw new VideoError(`the JPEG is corrupt: a segment of length ${length} at byte ${offset}`);
    if (isFrameHeader(marker)) return frameHeader(bytes, marker, offset, length);
    offset += length;
  }
}

/** What decoding would refuse from the size and the frame header alone (a header scan, no pixels). */
export function checkJpegFrame(bytes: Uint8Array, limits: JpegFrameLimits = VIDEO_FRAME_LIMITS): JpegHeader {
  if (bytes.length === 0) throw new VideoError("the frame is empty");
  if (bytes.length > limits.maxBytes) {
    throw new VideoError(`the frame is ${bytes.length} bytes; at most ${limits.maxBytes} are accepted`);
  }
  const header = readJpegHeader(bytes);
  const longSide = Math.max(header.width, header.height);
  const shortSide = Math.min(header.width, header.height);
  if (longSide > limits.maxLongSide || shortSide > limits.maxShortSide) {
    throw new VideoError(
      `the JPEG is ${header.width}×${header.height}; at most ${limits.maxLongSide}×${limits.maxShortSide} ` +
        "(either orientation) is accepted",
    );
  }
  return header;
}

/**
 * Walks the marker segments after the frame header to the end-of-image marker, skipping each scan's entropy-coded
 * data (where 0xFF is always followed by 0x00 or a restart marker). A frame cut anywhere is refused here, before it
 * is decoded; bytes after the end marker are ignored (some encoders pad).
 */
export function checkJpegEnd(bytes: Uint8Array): void {
  let offset = 2;
  let scans = 0;
  while (offset < bytes.length) {
    if (bytes[offset] !== 0xff) throw new VideoError(`the JPEG is corrupt: expected a marker at byte ${offset}`);
    while (bytes[offset] === 0xff) offset++;
    const marker = bytes[offset];
    offset++;
    if (marker === undefined) break;
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (marker === EOI) {
      if (scans === 0) throw new VideoError("the JPEG is corrupt: it has no image data before its end marker");
      return;
    }
    if (marker === SOI) throw new VideoError("the JPEG is corrupt: a second start-of-image marker");
    if (offset + 2 > bytes.length) break;
    const length = readUint16(bytes, offset);
    if (length < 2) throw new VideoError(`the JPEG is corrupt: a segment of length ${length} at byte ${offset}`);
    offset += length;
    if (marker === SOS) {
      scans += 1;
      if (scans > MAX_JPEG_SCANS) throw new VideoError(`the JPEG has over ${MAX_JPEG_SCANS} scans`);
      offset = entropyDataEnd(bytes, offset);
    }
  }
  throw new VideoError("the JPEG is truncated: it ends before its end-of-image marker");
}

/** The offset of the marker that ends the entropy-coded data starting at `offset` (or the end of `bytes`). */
function entropyDataEnd(bytes: Uint8Array, offset: number): number {
  let at = offset;
  for (;;) {
    at = bytes.indexOf(0xff, at);
    if (at === -1 || at + 1 >= bytes.length) return bytes.length;
    const next = bytes[at + 1] ?? 0;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) at += 2;
    else return at;
  }
}

/**
 * Decodes a camera frame to RGB after checking its size and declared dimensions against `limits`, and that it
 * reaches its end marker. Synchronous (libjpeg-turbo, ≈ 4 ms for 512×512 here, ≈ 8 ms for 1280×720): run it where a
 * model runs (a `JpegDecoder` thread), not on a room's event loop. `codec`: this thread's unless given.
 */
export function decodeJpegFrame(bytes: Uint8Array, limits: JpegFrameLimits = VIDEO_FRAME_LIMITS, codec?: TurboJpeg): RgbImage {
  const header = checkJpegFrame(bytes, limits);
  checkJpegEnd(bytes);
  // A refusal is a VideoError from the codec; anything else (the package failing to load) is not the frame's fault.
  const decoded = (codec ?? threadTurboJpeg()).decode(bytes);
  if (decoded.width !== header.width || decoded.height !== header.height || decoded.components !== header.components) {
    throw new VideoError("the JPEG is corrupt: its decoded size differs from its header");
  }
  return { width: decoded.width, height: decoded.height, data: decoded.data };
}

function isFrameHeader(marker: number): boolean {
  // C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frame headers.
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function frameHeader(bytes: Uint8Array, marker: number, offset: number, length: number): JpegHeader {
  const coding = SUPPORTED_SOF.get(marker);
  if (coding === undefined) {
    throw new VideoError(`the JPEG uses coding SOF${marker - 0xc0} (lossless, hierarchical or arithmetic), which is not supported`);
  }
  if (length < 8 || offset + 8 > bytes.length) throw new VideoError("the JPEG is truncated: it ends inside its frame header");
  const precision = bytes[offset + 2];
  const height = readUint16(bytes, offset + 3);
  const width = readUint16(bytes, offset + 5);
  const components = bytes[offset + 7];
  if (precision !== 8) throw new VideoError(`the JPEG has ${String(precision)}-bit samples; only 8-bit is supported`);
  if (width === 0 || height === 0) {
    throw new VideoError(`the JPEG declares ${width}×${height}; a frame needs its size in its header`);
  }
  if (components !== 1 && components !== 3) {
    throw new VideoError(`the JPEG has ${String(components)} colour components; grey (1) or colour (3) is supported`);
  }
  return { width, height, components, coding };
}

function readUint16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}
