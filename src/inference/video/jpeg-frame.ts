import { MAX_VIDEO_FRAME_HEIGHT, MAX_VIDEO_FRAME_WIDTH, MAX_VIDEO_MESSAGE_BYTES } from "../../protocol/client-messages.js";
import { decode } from "jpeg-js";
import type { RgbImage } from "./rgb-image.js";
import { VideoError } from "./video-error.js";

/**
 * Camera frames arrive as JPEG (issue 11: ≤ 256 KB, decoded ≤ 1280×720). The size and the frame header are checked
 * before any pixel is decoded, so a 40-byte file that declares 65535×65535 costs a header scan, not a gigabyte; the
 * decoding itself is jpeg-js's (a maintained library), with its own resolution and memory caps as a second fence.
 * Every refusal is a `VideoError` (`invalid_video`) whose message says which rule it broke.
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

/** Headroom for jpeg-js's working buffers (≈ 13 bytes a pixel at 1280×720, ≈ 12 MB); only hostile files reach it. */
const DECODER_MEMORY_MB = 64;

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
/** Huffman-coded frames jpeg-js decodes; the other SOFn are lossless, hierarchical or arithmetic-coded. */
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
 * Decodes a camera frame to RGB after checking its size and declared dimensions against `limits`. Synchronous:
 * jpeg-js is plain JavaScript, ≈ 10–40 ms a frame here, so run it where a model runs, not on a room's event loop.
 */
export function decodeJpegFrame(bytes: Uint8Array, limits: JpegFrameLimits = VIDEO_FRAME_LIMITS): RgbImage {
  const header = checkJpegFrame(bytes, limits);
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      // The default (tolerant) fills missing blocks silently: a truncated frame would decode as a partly grey image.
      tolerantDecoding: false,
      maxResolutionInMP: (limits.maxLongSide * limits.maxShortSide) / 1e6,
      maxMemoryUsageInMB: DECODER_MEMORY_MB,
    });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new VideoError(`the JPEG is truncated or corrupt (${reason})`, { cause });
  }
  if (decoded.width !== header.width || decoded.height !== header.height) {
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
