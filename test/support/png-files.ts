import { deflateSync } from "node:zlib";
import { PNG } from "pngjs";
import type { RgbImage } from "../../src/inference/video/rgb-image.js";

/**
 * PNG files of every layout the pool reads, made from real pixels: pngjs writes grey, RGB and RGBA at 8 and 16 bits;
 * the layouts it cannot write (palette, Adam7-interlaced) are assembled here chunk by chunk, as the PNG spec lays
 * them out, so the decoder is tested on files no library of ours wrote the same way it reads them.
 */

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function ihdr(width: number, height: number, bitDepth: number, colorType: number, interlace: 0 | 1): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data.set([bitDepth, colorType, 0, 0, interlace], 8);
  return data;
}

/** A PNG file of these chunks (IHDR first, IEND added), each with its CRC. */
export function assemblePng(header: Uint8Array, chunks: readonly [string, Uint8Array][]): Uint8Array {
  const parts = [Uint8Array.from(SIGNATURE), chunk("IHDR", header), ...chunks.map(([type, data]) => chunk(type, data)), chunk("IEND", new Uint8Array(0))];
  return new Uint8Array(Buffer.concat(parts));
}

/** RGB → RGBA with `alpha` everywhere. */
export function withAlpha(image: RgbImage, alpha: number): Uint8Array {
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let p = 0; p < image.width * image.height; p++) rgba.set([...image.data.subarray(p * 3, p * 3 + 3), alpha], p * 4);
  return rgba;
}

/**
 * pngjs's writer: colour type 0 (grey), 2 (RGB), 4 (grey + alpha) or 6 (RGBA), 8 or 16 bits, from 8-bit RGBA pixels
 * (widened to 16 bits, v × 257, for a 16-bit file: pngjs reads 16-bit input then).
 */
export function writePng(width: number, height: number, rgba: Uint8Array, colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16): Uint8Array {
  const png = new PNG({ width, height });
  png.data = bitDepth === 8 ? Buffer.from(rgba) : Buffer.from(Uint16Array.from(rgba, (v) => v * 257).buffer);
  return new Uint8Array(PNG.sync.write(png, { colorType, bitDepth, inputColorType: 6 }));
}

/** An 8-bit palette image: `indices` (one byte a pixel) into `palette` (RGB triples). */
export function palettePng(width: number, height: number, palette: readonly [number, number, number][], indices: Uint8Array): Uint8Array {
  const rows = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) rows.set(indices.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return assemblePng(ihdr(width, height, 8, 3, 0), [
    ["PLTE", Uint8Array.from(palette.flat())],
    ["IDAT", deflateSync(rows)],
  ]);
}

/** Adam7's passes: first column, first row, column step, row step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

/** An 8-bit RGB image, Adam7-interlaced (filter type 0 on every row). */
export function interlacedPng(image: RgbImage): Uint8Array {
  const bytes: number[] = [];
  for (const [x0, y0, dx, dy] of ADAM7) {
    if (x0 >= image.width || y0 >= image.height) continue;
    for (let y = y0; y < image.height; y += dy) {
      bytes.push(0);
      for (let x = x0; x < image.width; x += dx) bytes.push(...image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));
    }
  }
  return assemblePng(ihdr(image.width, image.height, 8, 2, 1), [["IDAT", deflateSync(Uint8Array.from(bytes))]]);
}

/** An interlaced header whose image data inflates to `inflatedBytes` of zeros: far more than its size allows. */
export function interlacedBombPng(width: number, height: number, inflatedBytes: number): Uint8Array {
  return assemblePng(ihdr(width, height, 8, 2, 1), [["IDAT", deflateSync(new Uint8Array(inflatedBytes))]]);
}

/** Only a header (and an empty IDAT): a file that declares `width`×`height` in a few dozen bytes. */
export function headerOnlyPng(width: number, height: number): Uint8Array {
  return assemblePng(ihdr(width, height, 8, 2, 0), [["IDAT", deflateSync(new Uint8Array(0))]]);
}
