import { writeFile } from "node:fs/promises";
import { decode } from "jpeg-js";

/**
 * A fake camera for Chromium (`--use-file-for-fake-video-capture=<file>.y4m`): a YUV4MPEG2 file of identical 4:2:0
 * frames made from an RGBA picture. Chromium loops the file, so a few frames are a steady camera.
 */
export interface RgbaImage {
  width: number;
  height: number;
  /** 4 bytes a pixel, row after row; alpha is ignored. */
  data: Uint8Array;
}

/** The stream's header: size, frame rate, progressive, square pixels, 4:2:0 with chroma centred (as JPEG has it). */
export function y4mHeader(width: number, height: number, fps: number): string {
  return `YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`;
}

/**
 * One frame's planes (Y, then Cb and Cr at half size each way) in BT.601 studio range, as camera frames are. The
 * picture is cropped to even dimensions (4:2:0 needs them); each chroma sample averages its 2 × 2 pixels.
 */
export function rgbaToI420(image: RgbaImage): { width: number; height: number; planes: Uint8Array } {
  const width = image.width & ~1;
  const height = image.height & ~1;
  if (width === 0 || height === 0) throw new Error(`a ${image.width}×${image.height} picture is too small for 4:2:0`);
  const chromaWidth = width / 2;
  const lumaSize = width * height;
  const chromaSize = chromaWidth * (height / 2);
  const planes = new Uint8Array(lumaSize + 2 * chromaSize);
  const clamp = (value: number) => Math.max(0, Math.min(255, Math.round(value)));
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * image.width + x) * 4;
      const r = image.data[i] ?? 0;
      const g = image.data[i + 1] ?? 0;
      const b = image.data[i + 2] ?? 0;
      planes[y * width + x] = clamp(16 + (65.738 * r + 129.057 * g + 25.064 * b) / 256);
    }
  }
  for (let cy = 0; cy < height / 2; cy += 1) {
    for (let cx = 0; cx < chromaWidth; cx += 1) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const i = ((cy * 2 + dy) * image.width + cx * 2 + dx) * 4;
        r += image.data[i] ?? 0;
        g += image.data[i + 1] ?? 0;
        b += image.data[i + 2] ?? 0;
      }
      r /= 4;
      g /= 4;
      b /= 4;
      const at = cy * chromaWidth + cx;
      planes[lumaSize + at] = clamp(128 + (-37.945 * r - 74.494 * g + 112.439 * b) / 256);
      planes[lumaSize + chromaSize + at] = clamp(128 + (112.439 * r - 94.154 * g - 18.285 * b) / 256);
    }
  }
  return { width, height, planes };
}

/** The whole file: the header, then `frames` copies of the picture, each after its `FRAME` line. */
export function encodeY4m(image: RgbaImage, options: { frames: number; fps: number }): Uint8Array {
  const { width, height, planes } = rgbaToI420(image);
  const header = Buffer.from(y4mHeader(width, height, options.fps), "ascii");
  const marker = Buffer.from("FRAME\n", "ascii");
  const parts: Uint8Array[] = [header];
  for (let frame = 0; frame < options.frames; frame += 1) parts.push(marker, planes);
  return Buffer.concat(parts);
}

/** A JPEG photo as a looping fake camera file at `path`. */
export async function writeY4mFromJpeg(jpeg: Uint8Array, path: string, options = { frames: 3, fps: 10 }): Promise<string> {
  const decoded = decode(jpeg, { useTArray: true, formatAsRGBA: true });
  await writeFile(path, encodeY4m({ width: decoded.width, height: decoded.height, data: decoded.data }, options));
  return path;
}
