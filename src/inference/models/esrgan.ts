import { createRequire } from "node:module";
import type { Logger } from "../../logger.js";
import { STILL_IMAGE_LIMITS } from "../image-types.js";
import { PoolError } from "../pool-error.js";
import type { LoadedModel, ModelModule, ModelPlacement, SuperResolutionModel } from "../registry/model-module.js";
import { RequestThreads, type RequestThreadsStats } from "../request-threads.js";
import { RGB_CHANNELS, type RgbImage } from "../video/rgb-image.js";
import { missingEsrgan, type EsrganVariant } from "./esrgan-files.js";
import type { EsrganReply, EsrganRequest } from "./esrgan-thread.js";
import { missingTfWasm } from "./tfjs-wasm.js";

/**
 * ESRGAN super-resolution in the registry (task `super_resolution`, UpscalerJS's MIT weights on TF.js wasm): ×2 and ×4
 * of one image at a time, up to STILL_IMAGE_LIMITS.maxEnhanceSide (512) on a side. Each run takes 0.4 s (128×128) to
 * ≈ 8 s (512×512) of one core, so it runs on threads of its own (esrgan-thread.ts, one by default), never on the
 * pool's event loop; requests beyond the threads wait in the thread's port, in order, unbounded: the caller bounds
 * them (a queue in front, as the TTS model has; `threadStats().inFlight` counts them). Unbatched: one image fills a
 * run, and time grows with pixels alone. The medium variant is not offered: on the bench's photos it gains 0.1–0.2 dB
 * PSNR over slim (both below bicubic) for 2.5–5× the time.
 */

/** The most super-resolution threads, whatever is asked: each holds its own TF.js wasm heap (≈ 0.1–0.2 GB in use). */
const MAX_ESRGAN_THREADS = 2;
/** The warm-up's image, once per scale: small, so it compiles the kernels without holding the pool's start up. */
const WARMUP_SIDE = 32;

export interface EsrganRun {
  image: RgbImage;
  /** The run on its thread (tiles included), without the wait for the thread and the copies. */
  upscaleMs: number;
  /** The thread's wasm heap after the run: it grows to the largest tile's need and never shrinks. */
  heapBytes: number | null;
}

export interface EsrganLoadFigures {
  scales: number[];
  /** The thread's TF.js start and the weights' load, as the thread measured it. */
  loadMs: number;
  weightBytes: number;
}

export interface EsrganModel extends SuperResolutionModel {
  readonly variant: EsrganVariant;
  readonly figures: EsrganLoadFigures;
  /** As `upscale`, with the run's figures. */
  run(image: RgbImage, scale: number): Promise<EsrganRun>;
  threadStats(): RequestThreadsStats;
}

export interface EsrganThreadsOptions {
  variant: EsrganVariant;
  logger: Logger;
  /** Threads running images side by side (the module's `instances`). */
  threads: number;
}

/**
 * Starts the threads and loads the variant on the first (outside the registry too: a bench, a test). The loaded
 * model's `warmup` runs a 32×32 image through each scale; `dispose` ends the threads.
 */
export async function loadEsrgan(options: EsrganThreadsOptions): Promise<LoadedModel<"super_resolution"> & { model: EsrganModel }> {
  const { variant, logger } = options;
  const threads = new RequestThreads<EsrganRequest, EsrganReply>(logger, {
    callerUrl: import.meta.url,
    entry: "./esrgan-thread",
    name: "super-resolution",
    threads: options.threads,
  });
  const loaded = await threads.request({ kind: "load", variant }).catch(async (error: unknown) => {
    await threads.close();
    throw error;
  });
  if (!loaded.ok || loaded.kind !== "load") {
    await threads.close();
    throw new PoolError("model_unavailable", loaded.ok ? "the super-resolution thread answered a load with the wrong kind" : loaded.message);
  }
  const figures: EsrganLoadFigures = { scales: loaded.scales, loadMs: loaded.loadMs, weightBytes: loaded.weightBytes };
  const model: EsrganModel = {
    variant,
    scales: loaded.scales,
    figures,
    async run(image, scale) {
      const refused = refusal(image, scale, loaded.scales, variant);
      if (refused !== null) throw new PoolError("invalid_image", refused);
      // A copy moves to the thread: the caller keeps its image.
      const data = image.data.slice(0, image.width * image.height * RGB_CHANNELS);
      const reply = await threads.request({ kind: "upscale", variant, scale, width: image.width, height: image.height, data }, [data.buffer]);
      if (reply.ok && reply.kind === "upscale") {
        return { image: { width: reply.width, height: reply.height, data: reply.data }, upscaleMs: reply.upscaleMs, heapBytes: reply.heapBytes };
      }
      const code = reply.ok ? "internal" : reply.code;
      const message = reply.ok ? "the super-resolution thread answered with the wrong kind" : reply.message;
      if (code !== "invalid_image") logger.error({ code, reason: message }, "super-resolution failed");
      throw new PoolError(code, message);
    },
    async upscale(image, scale) {
      return (await model.run(image, scale)).image;
    },
    threadStats: () => threads.stats(),
  };
  const warm: RgbImage = { width: WARMUP_SIDE, height: WARMUP_SIDE, data: new Uint8Array(WARMUP_SIDE * WARMUP_SIDE * RGB_CHANNELS).fill(128) };
  return {
    model,
    async warmup() {
      for (const scale of loaded.scales) await model.upscale(warm, scale);
    },
    dispose: () => threads.close(),
  };
}

function refusal(image: RgbImage, scale: number, scales: readonly number[], variant: EsrganVariant): string | null {
  if (!scales.includes(scale)) return `ESRGAN ${variant} upscales ×${scales.join(" or ×")}, not ×${scale}`;
  const side = STILL_IMAGE_LIMITS.maxEnhanceSide;
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1) {
    return `an image needs whole positive sides, got ${image.width}×${image.height}`;
  }
  if (image.width > side || image.height > side) return `super-resolution takes images up to ${side}×${side}, got ${image.width}×${image.height}`;
  if (image.data.length < image.width * image.height * RGB_CHANNELS) return `image data holds fewer bytes than ${image.width}×${image.height} RGB`;
  return null;
}

function missingLayers(): string | null {
  try {
    createRequire(import.meta.url).resolve("@tensorflow/tfjs-layers");
    return null;
  } catch {
    return "package @tensorflow/tfjs-layers is not installed";
  }
}

function esrganPlacement(_cores: number, requested: Partial<ModelPlacement>): ModelPlacement {
  return { instances: Math.max(1, Math.min(MAX_ESRGAN_THREADS, Math.floor(requested.instances ?? 1))), threads: 1 };
}

function esrganModule(name: string, variant: EsrganVariant): ModelModule<"super_resolution"> {
  return {
    name,
    task: "super_resolution",
    runtime: "tfjs-wasm",
    batching: "none",
    // One thread by default: on 2 cores a second image at once would take Whisper's core (TF.js wasm is one thread).
    placement: esrganPlacement,
    unsupported: () => missingEsrgan(variant) ?? missingTfWasm() ?? missingLayers(),
    load: ({ logger, placement }) => loadEsrgan({ variant, logger, threads: placement.instances }),
  };
}

/** ESRGAN slim ×2/×4 (≈ 0.9 MB of weights a scale): the default super-resolution model. */
export const ESRGAN_SLIM_MODULE = esrganModule("esrgan_slim", "slim");
