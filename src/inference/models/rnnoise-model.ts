import { Denoiser, denoiseRecording } from "../audio/denoise/denoiser.js";
import { DEFAULT_RNNOISE_BUILD, RnnoiseLoader, type RnnoiseBuild } from "../audio/denoise/rnnoise-runtime.js";
import { MODEL_SAMPLE_RATE } from "../pool-types.js";
import type { DenoiseModel, ModelModule } from "../registry/model-module.js";
import { missingPackagedFile, rnnoiseWasmFile } from "./model-files.js";

/** Audio the warm-up pushes through a throw-away state: enough frames for the wasm to tier up. */
const WARMUP_MS = 500;

/**
 * RNNoise in the registry: a recurrent denoiser compiled to wasm (`echogarden` build, BSD-3-Clause; see
 * rnnoise-runtime.ts for why not `jitsi`). Sequence-style: each stream holds its own state in the module's one heap
 * (one per pool), opened when the stream asks for the `denoise` stage and freed when it closes or idles. No batching
 * across streams: RNNoise runs one 10 ms frame of one state at a time, on the calling thread, so one instance of one
 * thread.
 */
export function rnnoiseModule(build: RnnoiseBuild = DEFAULT_RNNOISE_BUILD): ModelModule<"denoise"> {
  return {
    name: "rnnoise",
    task: "denoise",
    runtime: "wasm",
    batching: "sequence",
    placement: () => ({ instances: 1, threads: 1 }),
    unsupported: () => missingPackagedFile(() => rnnoiseWasmFile(build)),
    async load() {
      // A loader of its own: the pool's streams share this one heap, a second pool (a test, a bench) gets another.
      const runtime = await new RnnoiseLoader().load(build);
      const model: DenoiseModel = {
        openStream: () => new Denoiser(runtime),
        get openStreams() {
          return runtime.openStates;
        },
      };
      return {
        model,
        async warmup() {
          const samples = new Float32Array((MODEL_SAMPLE_RATE * WARMUP_MS) / 1000);
          // A quiet deterministic tone rather than zeros, so every code path of a frame runs.
          for (let i = 0; i < samples.length; i++) samples[i] = 0.01 * Math.sin((2 * Math.PI * 440 * i) / MODEL_SAMPLE_RATE);
          denoiseRecording(runtime, samples);
        },
        // The wasm heap goes with the runtime; every stream's state was freed by the pool's stages before this.
        dispose: async () => undefined,
      };
    },
  };
}

export const RNNOISE_MODULE: ModelModule<"denoise"> = rnnoiseModule();
