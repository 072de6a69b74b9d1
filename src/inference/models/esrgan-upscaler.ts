import type * as TfCore from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { STILL_IMAGE_LIMITS } from "../image-types.js";
import { PoolError } from "../pool-error.js";
import { RGB_CHANNELS, type RgbImage } from "../video/rgb-image.js";
import { ESRGAN_SCALES, esrganModelFiles, readLayersModel, type EsrganVariant } from "./esrgan-files.js";
import { errorText } from "./inference-error.js";
import { TfWasmRuntime } from "./tfjs-wasm.js";

/**
 * ESRGAN super-resolution on TF.js's wasm backend, on the calling thread (the registry runs it on a thread of its
 * own: esrgan-thread.ts). Input RGB 0–255 as float32 [1, H, W, 3], output [1, sH, sW, 3] 0–255, clipped and rounded.
 *
 * Images are cut into tiles whose output is at most `tileOutputSide` on a side (256×256 input tiles at ×2, 128×128 at
 * ×4), each grown by the model's receptive radius on every side inside the image and trimmed back after the run, so
 * the result is a whole-image run's (test/inference/esrgan.test.ts compares them). Measured on this 2-core machine,
 * slim, one thread, 512×512 input: untiled, ×4 held a 1.2–1.5 GB wasm heap and ×2 0.5–0.8 GB, and the wasm heap
 * never shrinks, so that memory would stay with the pool for good; tiled, 0.15–0.23 GB, for about the same time
 * (×4 7.7 s tiled vs 6.8–7.3 s whole, ×2 5.0 s vs 5.5 s, side by side on a busy machine): time per pixel is flat
 * from 64×64 inputs up, so tiles cost only their overlap (≈ 10–30 % more pixels at 512×512).
 */
export interface EsrganUpscalerOptions {
  variant: EsrganVariant;
  /** Its TF.js runtime: several share the realm's one backend (tfjs-wasm.ts). */
  runtime: TfWasmRuntime;
  scales: readonly number[];
  /** Largest output side of one tile (the memory bound); a multiple of every scale. */
  tileOutputSide: number;
  /** The largest input side accepted (STILL_IMAGE_LIMITS.maxEnhanceSide). */
  maxInputSide: number;
}

export const DEFAULT_ESRGAN_UPSCALER_OPTIONS: Omit<EsrganUpscalerOptions, "runtime"> = {
  variant: "slim",
  scales: ESRGAN_SCALES,
  tileOutputSide: 512,
  maxInputSide: STILL_IMAGE_LIMITS.maxEnhanceSide,
};

/** What the warm-up runs once per scale: the first run of a shape compiles and allocates. */
const WARMUP_SIDE = 32;

interface ScaleModel {
  model: LayersModel;
  receptiveRadius: number;
}

export interface EsrganLoadFigures {
  loadMs: number;
  weightBytes: number;
}

export class EsrganUpscaler {
  readonly variant: EsrganVariant;
  readonly scales: readonly number[];
  readonly figures: EsrganLoadFigures;
  readonly #tf: typeof TfCore;
  readonly #models: ReadonlyMap<number, ScaleModel>;
  readonly #options: EsrganUpscalerOptions;
  #closed = false;

  private constructor(tf: typeof TfCore, models: Map<number, ScaleModel>, options: EsrganUpscalerOptions, figures: EsrganLoadFigures) {
    this.#tf = tf;
    this.#models = models;
    this.#options = options;
    this.variant = options.variant;
    this.scales = [...models.keys()];
    this.figures = figures;
  }

  /** Loads one layers model per scale; rejects `model_unavailable` when TF.js or a model cannot load. */
  static async load(options: Partial<EsrganUpscalerOptions> = {}): Promise<EsrganUpscaler> {
    const settings: EsrganUpscalerOptions = { ...DEFAULT_ESRGAN_UPSCALER_OPTIONS, runtime: new TfWasmRuntime(), ...options };
    for (const scale of settings.scales) {
      if (settings.tileOutputSide % scale !== 0) throw new RangeError(`tileOutputSide ${settings.tileOutputSide} is not a multiple of ×${scale}`);
    }
    const startedMs = performance.now();
    const models = new Map<number, ScaleModel>();
    let weightBytes = 0;
    try {
      const { tf } = await settings.runtime.ready();
      // After the backend is selected: tfjs-layers runs on tfjs-core's engine as it finds it.
      const layers = await import("@tensorflow/tfjs-layers");
      for (const scale of settings.scales) {
        const files = await readLayersModel(esrganModelFiles(settings.variant, scale).modelJsonPath, scale);
        const model = await layers.loadLayersModel({ load: () => Promise.resolve(files.artifacts) });
        models.set(scale, { model, receptiveRadius: files.receptiveRadius });
        weightBytes += files.weightBytes;
      }
      return new EsrganUpscaler(tf, models, settings, { loadMs: performance.now() - startedMs, weightBytes });
    } catch (cause) {
      for (const { model } of models.values()) model.dispose();
      throw new PoolError("model_unavailable", `could not load ESRGAN ${settings.variant}: ${errorText(cause)}`, { cause });
    }
  }

  /** One small image through each scale. */
  async warmUp(): Promise<void> {
    const image = { width: WARMUP_SIDE, height: WARMUP_SIDE, data: new Uint8Array(WARMUP_SIDE * WARMUP_SIDE * RGB_CHANNELS).fill(128) };
    for (const scale of this.scales) await this.upscale(image, scale);
  }

  /**
   * The image `scale` times larger. Rejects `invalid_image` for a scale it lacks or an image over `maxInputSide`,
   * `internal` when the run fails. Every tensor is disposed before it returns.
   */
  upscale(image: RgbImage, scale: number): Promise<RgbImage> {
    if (this.#closed) return Promise.reject(new PoolError("model_unavailable", "the ESRGAN model is closed"));
    const entry = this.#models.get(scale);
    if (entry === undefined) {
      return Promise.reject(new PoolError("invalid_image", `ESRGAN ${this.variant} upscales ×${this.scales.join(" or ×")}, not ×${scale}`));
    }
    const refused = refusal(image, this.#options.maxInputSide);
    if (refused !== null) return Promise.reject(new PoolError("invalid_image", refused));
    try {
      return Promise.resolve(this.#tiled(image, scale, entry));
    } catch (cause) {
      return Promise.reject(new PoolError("internal", `ESRGAN ×${scale} run failed: ${errorText(cause)}`, { cause }));
    }
  }

  /** Bytes the wasm backend's heap holds now (it grows with the largest tile run and never shrinks). */
  heapBytes(): number | null {
    const backend: unknown = this.#tf.backend();
    if (typeof backend !== "object" || backend === null || !("wasm" in backend)) return null;
    const wasm: unknown = backend.wasm;
    return typeof wasm === "object" && wasm !== null && "HEAPU8" in wasm && wasm.HEAPU8 instanceof Uint8Array ? wasm.HEAPU8.byteLength : null;
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const { model } of this.#models.values()) model.dispose();
    }
    return Promise.resolve();
  }

  #tiled(image: RgbImage, scale: number, { model, receptiveRadius }: ScaleModel): RgbImage {
    const out: RgbImage = { width: image.width * scale, height: image.height * scale, data: new Uint8Array(image.width * image.height * scale * scale * RGB_CHANNELS) };
    const interior = this.#options.tileOutputSide / scale;
    for (const columns of spans(image.width, interior, receptiveRadius)) {
      for (const rows of spans(image.height, interior, receptiveRadius)) {
        const tile = this.#run(model, image, columns, rows, scale);
        // The tile's interior, in output pixels, copied row by row into the result.
        const tileWidth = (columns.to - columns.from) * scale;
        const keepFrom = (columns.keepFrom - columns.from) * scale;
        const keepWidth = (columns.keepTo - columns.keepFrom) * scale;
        for (let y = (rows.keepFrom - rows.from) * scale; y < (rows.keepTo - rows.from) * scale; y++) {
          const outY = rows.from * scale + y;
          for (let x = 0; x < keepWidth; x++) {
            const from = (y * tileWidth + keepFrom + x) * RGB_CHANNELS;
            const to = (outY * out.width + columns.keepFrom * scale + x) * RGB_CHANNELS;
            for (let c = 0; c < RGB_CHANNELS; c++) out.data[to + c] = tile[from + c] ?? 0;
          }
        }
      }
    }
    return out;
  }

  /** One tile through the model: its pixels in, the clipped and rounded output out (a plain array, tensors freed). */
  #run(model: LayersModel, image: RgbImage, columns: Span, rows: Span, scale: number): Float32Array {
    const tf = this.#tf;
    const width = columns.to - columns.from;
    const height = rows.to - rows.from;
    const input = new Float32Array(width * height * RGB_CHANNELS);
    for (let y = 0; y < height; y++) {
      const from = ((rows.from + y) * image.width + columns.from) * RGB_CHANNELS;
      for (let i = 0; i < width * RGB_CHANNELS; i++) input[y * width * RGB_CHANNELS + i] = image.data[from + i] ?? 0;
    }
    const output = tf.tidy(() => {
      const result = model.predict(tf.tensor4d(input, [1, height, width, RGB_CHANNELS]));
      if (Array.isArray(result)) throw new Error("expected one output tensor");
      return tf.round(tf.clipByValue(result, 0, 255));
    });
    try {
      const data = output.dataSync();
      if (!(data instanceof Float32Array) || data.length !== width * height * scale * scale * RGB_CHANNELS) {
        throw new Error(`expected [1, ${height * scale}, ${width * scale}, 3] floats, got ${data.length} values`);
      }
      return data;
    } finally {
      output.dispose();
    }
  }
}

/** One tile's extent along an axis: what it runs (`from`–`to`) and what of its output is kept (`keepFrom`–`keepTo`). */
interface Span {
  from: number;
  to: number;
  keepFrom: number;
  keepTo: number;
}

/**
 * Cuts `size` into the fewest kept spans of at most `interior` pixels, of near-equal lengths (no sliver at the end),
 * each run with `overlap` more pixels on either side where the image has them. A size that fits in one padded tile
 * runs whole.
 */
export function spans(size: number, interior: number, overlap: number): Span[] {
  if (size <= interior + 2 * overlap) return [{ from: 0, to: size, keepFrom: 0, keepTo: size }];
  const count = Math.ceil(size / interior);
  return Array.from({ length: count }, (_, i) => {
    const keepFrom = Math.round((i * size) / count);
    const keepTo = Math.round(((i + 1) * size) / count);
    return { from: Math.max(0, keepFrom - overlap), to: Math.min(size, keepTo + overlap), keepFrom, keepTo };
  });
}

function refusal(image: RgbImage, maxSide: number): string | null {
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1) {
    return `an image needs whole positive sides, got ${image.width}×${image.height}`;
  }
  if (image.width > maxSide || image.height > maxSide) return `super-resolution takes images up to ${maxSide}×${maxSide}, got ${image.width}×${image.height}`;
  if (image.data.length !== image.width * image.height * RGB_CHANNELS) {
    return `image data holds ${image.data.length} bytes, not ${image.width}×${image.height} RGB`;
  }
  return null;
}
