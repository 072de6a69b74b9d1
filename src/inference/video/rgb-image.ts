/** Decoded pixels and the one resampler the video models share (detector input, face crops). */

/** RGB, 3 bytes a pixel, row-major from the top row. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A rectangle in source pixels; it may reach past the image's edges. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const RGB_CHANNELS = 3;

/**
 * Resamples `region` of `image` to `outWidth` × `outHeight` RGB floats (0–255, HWC) written into `out` at `offset`.
 * Separable: area averaging when shrinking, so a 1280-pixel frame averages into 128 pixels instead of skipping most
 * of them; bilinear when enlarging. Output pixels whose centre falls outside the image are 0,
 * like `tf.image.cropAndResize`'s extrapolation value; edge pixels are repeated for taps just past the edge.
 */
export function resampleRegion(
  image: RgbImage,
  region: Region,
  outWidth: number,
  outHeight: number,
  out: Float32Array = new Float32Array(outWidth * outHeight * RGB_CHANNELS),
  offset = 0,
): Float32Array {
  if (image.data.length < image.width * image.height * RGB_CHANNELS) {
    throw new RangeError(`image data holds ${image.data.length} bytes, fewer than ${image.width}×${image.height} RGB`);
  }
  if (out.length < offset + outWidth * outHeight * RGB_CHANNELS) throw new RangeError("output array too small");
  const columns = axisTaps(region.x, region.width, outWidth, image.width);
  const rows = axisTaps(region.y, region.height, outHeight, image.height);
  // Horizontal pass over the source rows the vertical taps read; vertical pass into `out`.
  const rowFrom = rows.minIndex;
  const rowCount = Math.max(0, rows.maxIndex - rowFrom + 1);
  const horizontal = new Float32Array(rowCount * outWidth * RGB_CHANNELS);
  const source = image.data;
  for (let r = 0; r < rowCount; r++) {
    const rowStart = (rowFrom + r) * image.width * RGB_CHANNELS;
    for (let x = 0; x < outWidth; x++) {
      let red = 0;
      let green = 0;
      let blue = 0;
      const count = columns.count[x] ?? 0;
      for (let k = 0; k < count; k++) {
        const weight = columns.weights[x * columns.taps + k] ?? 0;
        const at = rowStart + (columns.index[x * columns.taps + k] ?? 0) * RGB_CHANNELS;
        red += weight * (source[at] ?? 0);
        green += weight * (source[at + 1] ?? 0);
        blue += weight * (source[at + 2] ?? 0);
      }
      const to = (r * outWidth + x) * RGB_CHANNELS;
      horizontal[to] = red;
      horizontal[to + 1] = green;
      horizontal[to + 2] = blue;
    }
  }
  for (let y = 0; y < outHeight; y++) {
    const count = rows.count[y] ?? 0;
    for (let x = 0; x < outWidth; x++) {
      let red = 0;
      let green = 0;
      let blue = 0;
      for (let k = 0; k < count; k++) {
        const weight = rows.weights[y * rows.taps + k] ?? 0;
        const at = (((rows.index[y * rows.taps + k] ?? 0) - rowFrom) * outWidth + x) * RGB_CHANNELS;
        red += weight * (horizontal[at] ?? 0);
        green += weight * (horizontal[at + 1] ?? 0);
        blue += weight * (horizontal[at + 2] ?? 0);
      }
      const to = offset + (y * outWidth + x) * RGB_CHANNELS;
      out[to] = red;
      out[to + 1] = green;
      out[to + 2] = blue;
    }
  }
  return out;
}

/** For each output index along one axis: which source indices it reads and with what (normalised) weight. */
interface AxisTaps {
  taps: number;
  index: Int32Array;
  weights: Float32Array;
  count: Int32Array;
  minIndex: number;
  maxIndex: number;
}

function axisTaps(start: number, length: number, outSize: number, sourceSize: number): AxisTaps {
  const scale = length / outSize;
  const shrinking = scale > 1;
  // Shrinking: each output averages the source pixels its footprint covers, weighted by overlap (area
  // resampling; every source pixel is read about once). Enlarging: a triangle of radius 1 (bilinear).
  const taps = shrinking ? Math.ceil(scale) + 1 : 3;
  const index = new Int32Array(outSize * taps);
  const weights = new Float32Array(outSize * taps);
  const count = new Int32Array(outSize);
  let minIndex = Number.POSITIVE_INFINITY;
  let maxIndex = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < outSize; i++) {
    const centre = start + (i + 0.5) * scale;
    if (!(centre >= 0 && centre < sourceSize)) continue;
    const from = shrinking ? centre - scale / 2 : centre - 1;
    const to = shrinking ? centre + scale / 2 : centre + 1;
    const first = Math.floor(from);
    let n = 0;
    let sum = 0;
    for (let j = first; j < first + taps && j < to; j++) {
      const weight = shrinking ? Math.min(j + 1, to) - Math.max(j, from) : 1 - Math.abs(j + 0.5 - centre);
      if (weight <= 0) continue;
      const clamped = Math.min(sourceSize - 1, Math.max(0, j));
      index[i * taps + n] = clamped;
      weights[i * taps + n] = weight;
      sum += weight;
      n++;
      minIndex = Math.min(minIndex, clamped);
      maxIndex = Math.max(maxIndex, clamped);
    }
    for (let k = 0; k < n; k++) weights[i * taps + k] = (weights[i * taps + k] ?? 0) / sum;
    count[i] = n;
  }
  // No tap at all (the region misses the image): an empty row range.
  if (!Number.isFinite(minIndex)) return { taps, index, weights, count, minIndex: 0, maxIndex: -1 };
  return { taps, index, weights, count, minIndex, maxIndex };
}
