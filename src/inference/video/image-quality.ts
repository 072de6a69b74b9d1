import { RGB_CHANNELS, type RgbImage } from "./rgb-image.js";

/**
 * Reference resamplers and a fidelity measure for judging super-resolution (the bench and the tests): a photo is
 * shrunk with `downscaleArea`, enlarged again by the model and by `resizeBicubic` / `resizeNearest`, and each result
 * is compared with the photo by `psnr`. Plain loops over 8-bit RGB; none of them is on a serving path.
 */

const MAX_LEVEL = 255;

/** Peak signal-to-noise ratio in dB over every R, G and B sample (8-bit peak); Infinity for identical images. */
export function psnr(a: RgbImage, b: RgbImage): number {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(`psnr compares images of one size, got ${a.width}×${a.height} and ${b.width}×${b.height}`);
  }
  const samples = checkedSamples(a);
  checkedSamples(b);
  let squared = 0;
  for (let i = 0; i < samples; i++) {
    const difference = (a.data[i] ?? 0) - (b.data[i] ?? 0);
    squared += difference * difference;
  }
  if (squared === 0) return Number.POSITIVE_INFINITY;
  return 10 * Math.log10((MAX_LEVEL * MAX_LEVEL * samples) / squared);
}

/**
 * Bicubic resampling with the Keys kernel (a = −0.5, Catmull-Rom's cubic), pixel centres aligned
 * (source x = (x + 0.5) · scale − 0.5) and edge pixels repeated: what image editors call "bicubic" when enlarging.
 * No prefilter when shrinking (use `downscaleArea` for that). Rounded and clamped to 0–255.
 */
export function resizeBicubic(image: RgbImage, width: number, height: number): RgbImage {
  checkedSamples(image);
  checkSize(width, height);
  const columns = cubicTaps(image.width, width);
  const rows = cubicTaps(image.height, height);
  // Horizontal pass into floats (full precision between passes), then vertical into bytes.
  const horizontal = new Float32Array(image.height * width * RGB_CHANNELS);
  for (let y = 0; y < image.height; y++) {
    const rowStart = y * image.width * RGB_CHANNELS;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < RGB_CHANNELS; c++) {
        let sum = 0;
        for (let k = 0; k < CUBIC_TAPS; k++) {
          const at = x * CUBIC_TAPS + k;
          sum += (columns.weights[at] ?? 0) * (image.data[rowStart + (columns.index[at] ?? 0) * RGB_CHANNELS + c] ?? 0);
        }
        horizontal[(y * width + x) * RGB_CHANNELS + c] = sum;
      }
    }
  }
  const data = new Uint8Array(width * height * RGB_CHANNELS);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < RGB_CHANNELS; c++) {
        let sum = 0;
        for (let k = 0; k < CUBIC_TAPS; k++) {
          const at = y * CUBIC_TAPS + k;
          sum += (rows.weights[at] ?? 0) * (horizontal[((rows.index[at] ?? 0) * width + x) * RGB_CHANNELS + c] ?? 0);
        }
        data[(y * width + x) * RGB_CHANNELS + c] = toByte(sum);
      }
    }
  }
  return { width, height, data };
}

/** Nearest-neighbour resampling (the source pixel under each output pixel's centre): the baseline to beat. */
export function resizeNearest(image: RgbImage, width: number, height: number): RgbImage {
  checkedSamples(image);
  checkSize(width, height);
  const data = new Uint8Array(width * height * RGB_CHANNELS);
  for (let y = 0; y < height; y++) {
    const sourceY = Math.min(image.height - 1, Math.floor(((y + 0.5) * image.height) / height));
    for (let x = 0; x < width; x++) {
      const sourceX = Math.min(image.width - 1, Math.floor(((x + 0.5) * image.width) / width));
      const from = (sourceY * image.width + sourceX) * RGB_CHANNELS;
      data.set(image.data.subarray(from, from + RGB_CHANNELS), (y * width + x) * RGB_CHANNELS);
    }
  }
  return { width, height, data };
}

/**
 * Shrinks by a whole `factor` on each side, each output pixel the rounded mean of its factor × factor block (a box
 * filter: how a low-resolution test input is made from a photo). Columns and rows past the last whole block are
 * dropped, so crop to a multiple of `factor` first to keep every pixel.
 */
export function downscaleArea(image: RgbImage, factor: number): RgbImage {
  checkedSamples(image);
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`downscaleArea takes a whole factor ≥ 1, got ${factor}`);
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  checkSize(width, height);
  const data = new Uint8Array(width * height * RGB_CHANNELS);
  const block = factor * factor;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < RGB_CHANNELS; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          const rowStart = ((y * factor + dy) * image.width + x * factor) * RGB_CHANNELS + c;
          for (let dx = 0; dx < factor; dx++) sum += image.data[rowStart + dx * RGB_CHANNELS] ?? 0;
        }
        data[(y * width + x) * RGB_CHANNELS + c] = Math.round(sum / block);
      }
    }
  }
  return { width, height, data };
}

/** The `width` × `height` rectangle at (`x`, `y`), which must lie inside the image. */
export function cropImage(image: RgbImage, x: number, y: number, width: number, height: number): RgbImage {
  checkedSamples(image);
  checkSize(width, height);
  if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x + width > image.width || y + height > image.height) {
    throw new RangeError(`crop ${width}×${height} at (${x}, ${y}) reaches outside a ${image.width}×${image.height} image`);
  }
  const data = new Uint8Array(width * height * RGB_CHANNELS);
  const rowBytes = width * RGB_CHANNELS;
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * image.width + x) * RGB_CHANNELS;
    data.set(image.data.subarray(from, from + rowBytes), row * rowBytes);
  }
  return { width, height, data };
}

const CUBIC_TAPS = 4;
const KEYS_A = -0.5;

/** Keys' cubic convolution kernel. */
function keys(distance: number): number {
  const t = Math.abs(distance);
  if (t <= 1) return (KEYS_A + 2) * t * t * t - (KEYS_A + 3) * t * t + 1;
  if (t < 2) return KEYS_A * t * t * t - 5 * KEYS_A * t * t + 8 * KEYS_A * t - 4 * KEYS_A;
  return 0;
}

/** For each output index: the 4 source indices it reads (clamped to the edge) and their weights (summing to 1). */
function cubicTaps(sourceSize: number, outSize: number): { index: Int32Array; weights: Float64Array } {
  const index = new Int32Array(outSize * CUBIC_TAPS);
  const weights = new Float64Array(outSize * CUBIC_TAPS);
  const scale = sourceSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale - 0.5;
    const first = Math.floor(centre) - 1;
    for (let k = 0; k < CUBIC_TAPS; k++) {
      const j = first + k;
      index[i * CUBIC_TAPS + k] = Math.min(sourceSize - 1, Math.max(0, j));
      weights[i * CUBIC_TAPS + k] = keys(centre - j);
    }
  }
  return { index, weights };
}

function toByte(value: number): number {
  return Math.min(MAX_LEVEL, Math.max(0, Math.round(value)));
}

function checkedSamples(image: RgbImage): number {
  const samples = image.width * image.height * RGB_CHANNELS;
  if (image.data.length < samples) {
    throw new RangeError(`image data holds ${image.data.length} bytes, fewer than ${image.width}×${image.height} RGB`);
  }
  return samples;
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`an image needs whole positive sides, got ${width}×${height}`);
  }
}
