import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as TfCore from "@tensorflow/tfjs-core";
import { z } from "zod";

/**
 * UpscalerJS's ESRGAN weights as their npm packages ship them (MIT, Kevin Scott; /work/shared/MODELS.md): one Keras
 * layers model per scale under `models/x<scale>/` (model.json + one shard), read from the file system (TF.js's own
 * loaders need `fetch`, which cannot read files). Both variants are UpscalerJS's "rdn" architecture (residual dense
 * network: convolutions, a nearest UpSampling2D, one last convolution), made of built-in Keras layers only, so
 * tfjs-layers loads them without the custom layers (MultiplyBeta, PixelShuffle) its other architectures register.
 */
export const ESRGAN_VARIANTS = {
  /** ≈ 0.9 MB a scale: 2 residual dense blocks of 4 channels. */
  slim: "@upscalerjs/esrgan-slim",
  /** ≈ 2.8 MB a scale: 10 blocks of 64 channels; 2.5–5× slower than slim (the bench measures it; no registry module). */
  medium: "@upscalerjs/esrgan-medium",
} as const;
export type EsrganVariant = keyof typeof ESRGAN_VARIANTS;

/** The scales served: the packages also ship ×3 and ×8, which the pool's API does not offer. */
export const ESRGAN_SCALES = [2, 4] as const;

export interface EsrganModelFiles {
  modelJsonPath: string;
  packageName: string;
}

/**
 * The model.json of one variant and scale. The packages' `exports` map hides their package.json and model files
 * from `require.resolve`, so the package folder is found from its entry point: the nearest folder above it with a
 * package.json (the dist folders have none, and one of them is named `models` too).
 */
export function esrganModelFiles(variant: EsrganVariant, scale: number): EsrganModelFiles {
  const packageName = ESRGAN_VARIANTS[variant];
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(packageName);
  } catch {
    throw new Error(`package ${packageName} is not installed`);
  }
  for (let folder = dirname(entry); dirname(folder) !== folder; folder = dirname(folder)) {
    if (!existsSync(join(folder, "package.json"))) continue;
    const modelJsonPath = join(folder, "models", `x${scale}`, "model.json");
    if (!existsSync(modelJsonPath)) throw new Error(`${packageName} has no ×${scale} model (models/x${scale}/model.json)`);
    return { modelJsonPath, packageName };
  }
  throw new Error(`${packageName} has no package folder above ${entry}`);
}

/** Why a variant's weights cannot be found on this machine, or null. */
export function missingEsrgan(variant: EsrganVariant): string | null {
  try {
    for (const scale of ESRGAN_SCALES) esrganModelFiles(variant, scale);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Loose objects: tfjs-layers reads the rest of each layer (names, inbound nodes) as it is. */
const layerSchema = z.looseObject({
  class_name: z.string(),
  config: z.looseObject({
    kernel_size: z.array(z.number().int().positive()).optional(),
    dilation_rate: z.union([z.number().int().positive(), z.array(z.number().int().positive())]).optional(),
  }),
});

const layersModelJsonSchema = z.object({
  format: z.literal("layers-model"),
  modelTopology: z.looseObject({ model_config: z.looseObject({ config: z.looseObject({ layers: z.array(layerSchema).min(1) }) }) }),
  weightsManifest: z
    .array(
      z.object({
        // Shard names are relative file names beside model.json: no folders, no way out of it.
        paths: z.array(z.string().regex(/^[\w.-]+$/)).min(1),
        // Strict: a quantization entry would be dropped silently and the bytes read as floats.
        weights: z.array(z.strictObject({ name: z.string(), shape: z.array(z.number().int().nonnegative()), dtype: z.literal("float32") })),
      }),
    )
    .min(1),
});

export interface LayersModelFiles {
  /** What `tf.loadLayersModel` takes from an IOHandler. */
  artifacts: TfCore.io.ModelArtifacts;
  /** Bytes of weights read. */
  weightBytes: number;
  /** How far (in input pixels) an output pixel's value reaches: the overlap tiles need to match a whole-image run. */
  receptiveRadius: number;
}

/** Reads a layers model.json and its shards (kept as separate buffers: TF.js 4 takes them so). */
export async function readLayersModel(modelJsonPath: string, scale: number): Promise<LayersModelFiles> {
  const parsed = layersModelJsonSchema.safeParse(JSON.parse(await readFile(modelJsonPath, "utf8")));
  if (!parsed.success) throw new Error(`${modelJsonPath} is not a float32 TF.js layers model: ${z.prettifyError(parsed.error)}`);
  const { modelTopology, weightsManifest } = parsed.data;
  const folder = dirname(modelJsonPath);
  const shards = await Promise.all(weightsManifest.flatMap((group) => group.paths).map((path) => readFile(join(folder, path))));
  // Own buffers of their exact length (a Buffer from readFile may sit in a larger pooled one).
  const weightData = shards.map((shard) => new Uint8Array(shard).buffer);
  return {
    artifacts: {
      modelTopology,
      format: "layers-model",
      weightSpecs: weightsManifest.flatMap((group) => group.weights),
      weightData,
    },
    weightBytes: weightData.reduce((total, shard) => total + shard.byteLength, 0),
    receptiveRadius: receptiveRadius(modelTopology.model_config.config.layers, scale),
  };
}

/**
 * An upper bound on the receptive radius in input pixels: every convolution's half-kernel summed (as if all ran in
 * one chain, which bounds any path through the residual branches), those after the upsampling counted in output
 * pixels and converted back. A tile cut inside the image makes its "same" zero padding differ from the image's
 * pixels, and the difference spreads inward by one half-kernel per layer; output pixels at least this far from a
 * cut are exactly those of a whole-image run. Slim: 9 input pixels + 1 output pixel → 10; medium: 18.
 */
function receptiveRadius(layers: readonly z.infer<typeof layerSchema>[], scale: number): number {
  let before = 0;
  let after = 0;
  let upsampled = false;
  for (const layer of layers) {
    if (layer.class_name === "UpSampling2D") upsampled = true;
    if (layer.class_name !== "Conv2D") continue;
    const kernel = Math.max(...(layer.config.kernel_size ?? [1]));
    const dilation = layer.config.dilation_rate;
    const radius = Math.floor(kernel / 2) * Math.max(...(Array.isArray(dilation) ? dilation : [dilation ?? 1]));
    if (upsampled) after += radius;
    else before += radius;
  }
  return before + Math.ceil(after / scale);
}
