import type { RnnoiseEmscriptenModule } from "@echogarden/rnnoise-wasm";

/** RNNoise works on 10 ms frames of 48 kHz mono. */
export const RNNOISE_SAMPLE_RATE = 48_000;
export const RNNOISE_FRAME_SAMPLES = 480;
/** RNNoise expects int16-scaled floats; the engine's samples are in [-1, 1). */
const INT16_SCALE = 32_768;

/**
 * The two wasm builds, behind one interface so they can be measured against each other:
 * - `echogarden`: `@echogarden/rnnoise-wasm` 0.2.0, BSD-3-Clause, loads the .wasm next to it.
 * - `jitsi`: `@jitsi/rnnoise-wasm` 0.2.1 `dist/rnnoise-sync.js`, Apache-2.0, RNNoise 0.2 with the wasm inlined.
 */
export type RnnoiseBuild = "echogarden" | "jitsi";
export const RNNOISE_BUILDS: readonly RnnoiseBuild[] = ["echogarden", "jitsi"];
/**
 * How far each build's output lags its input, in 48 kHz samples. RNNoise analyses overlapping two-frame windows and
 * rebuilds by overlap-add, so a frame comes back one frame late; the jitsi build (RNNoise 0.2) returns it two frames
 * late. Measured by cross-correlating speech in and out (test/inference/denoiser.test.ts checks it).
 */
export const RNNOISE_LAG_SAMPLES: Readonly<Record<RnnoiseBuild, number>> = {
  echogarden: RNNOISE_FRAME_SAMPLES,
  jitsi: 2 * RNNOISE_FRAME_SAMPLES,
};
/**
 * Chosen from scripts/bench/denoise-bench.ts (2 shared cores): neither build is the better one for Whisper's WER (white
 * 5 dB with 3 s pauses: 61 % → 46 % echogarden, 44 % jitsi; on babble each wins some cells and loses others), while
 * jitsi's costs ≈ 3× the CPU (RNNoise alone ≈ 115–123 against ≈ 39–43 ms per second of audio) and lags 10 ms more.
 */
export const DEFAULT_RNNOISE_BUILD: RnnoiseBuild = "echogarden";

/** One RNNoise state and its frame buffer in the wasm heap: the per-stream part. */
export interface RnnoiseState {
  readonly build: RnnoiseBuild;
  /** Output lag of this build in 48 kHz samples (RNNOISE_LAG_SAMPLES). */
  readonly lagSamples: number;
  /** Denoises `samples[offset … offset + 480)` in place; returns RNNoise's voice probability for the frame. */
  processFrame(samples: Float32Array, offset?: number): number;
  /** Back to a fresh state (a new stream), keeping the allocation. */
  reset(): void;
  /** Frees the state and the buffer; idempotent. */
  close(): void;
}

/** One instantiated wasm module (one heap): created once per worker by an `RnnoiseLoader`, shared by its streams. */
export class RnnoiseRuntime {
  readonly build: RnnoiseBuild;
  readonly #module: RnnoiseEmscriptenModule;
  #open = 0;

  private constructor(build: RnnoiseBuild, module: RnnoiseEmscriptenModule) {
    this.build = build;
    this.#module = module;
  }

  static async instantiate(build: RnnoiseBuild): Promise<RnnoiseRuntime> {
    if (build === "echogarden") {
      const { default: create } = await import("@echogarden/rnnoise-wasm");
      return new RnnoiseRuntime(build, await create());
    }
    const { default: createSync } = await import("@jitsi/rnnoise-wasm/dist/rnnoise-sync.js");
    const module = createSync();
    await module.ready;
    return new RnnoiseRuntime(build, module);
  }

  /** Size of the wasm heap: it grows on demand and never shrinks, so a leak of states shows as growth. */
  get heapBytes(): number {
    return this.#module.HEAPU8.byteLength;
  }

  /** States opened and not yet closed. */
  get openStates(): number {
    return this.#open;
  }

  openState(): RnnoiseState {
    const module = this.#module;
    const state = module._rnnoise_create(0);
    if (state === 0) throw new Error(`rnnoise (${this.build}): out of wasm memory creating a state`);
    const buffer = module._malloc(RNNOISE_FRAME_SAMPLES * Float32Array.BYTES_PER_ELEMENT);
    if (buffer === 0) {
      module._rnnoise_destroy(state);
      throw new Error(`rnnoise (${this.build}): out of wasm memory allocating a frame`);
    }
    this.#open += 1;
    const base = buffer >> 2;
    let closed = false;
    return {
      build: this.build,
      lagSamples: RNNOISE_LAG_SAMPLES[this.build],
      processFrame(samples, offset = 0) {
        if (closed) throw new Error("rnnoise state is closed");
        if (offset < 0 || offset + RNNOISE_FRAME_SAMPLES > samples.length) throw new RangeError("rnnoise frame out of bounds");
        // The view is taken per frame: another stream's malloc may have grown (replaced) the heap since.
        const heap = module.HEAPF32;
        for (let i = 0; i < RNNOISE_FRAME_SAMPLES; i++) heap[base + i] = (samples[offset + i] ?? 0) * INT16_SCALE;
        const voice = module._rnnoise_process_frame(state, buffer, buffer);
        for (let i = 0; i < RNNOISE_FRAME_SAMPLES; i++) samples[offset + i] = (heap[base + i] ?? 0) / INT16_SCALE;
        return voice;
      },
      reset() {
        if (!closed) module._rnnoise_init(state, 0);
      },
      close: () => {
        if (closed) return;
        closed = true;
        module._free(buffer);
        module._rnnoise_destroy(state);
        this.#open -= 1;
      },
    };
  }
}

/**
 * Instantiates each build's wasm module at most once for its owner (one loader per worker thread or process), so
 * every stream of that worker shares one heap. Not a module-level singleton: tests and benches get separate heaps.
 */
export class RnnoiseLoader {
  readonly #runtimes = new Map<RnnoiseBuild, Promise<RnnoiseRuntime>>();

  load(build: RnnoiseBuild = DEFAULT_RNNOISE_BUILD): Promise<RnnoiseRuntime> {
    let runtime = this.#runtimes.get(build);
    if (runtime === undefined) {
      runtime = RnnoiseRuntime.instantiate(build);
      // A failed load is not cached: the next stream retries.
      runtime.catch(() => this.#runtimes.delete(build));
      this.#runtimes.set(build, runtime);
    }
    return runtime;
  }
}
