/**
 * The slice of the two RNNoise Emscripten builds the denoiser uses; neither package ships types. Both export the same
 * C API (`rnnoise_create(0)` picks the built-in model).
 */
declare module "@echogarden/rnnoise-wasm" {
  export interface RnnoiseEmscriptenModule {
    /** Replaced when the heap grows (a malloc): read it afresh after allocating. */
    readonly HEAPF32: Float32Array;
    readonly HEAPU8: Uint8Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    _rnnoise_create(model: number): number;
    _rnnoise_init(state: number, model: number): number;
    _rnnoise_destroy(state: number): void;
    /** In and out are 480 floats at 48 kHz in int16 scale; returns the frame's voice probability. */
    _rnnoise_process_frame(state: number, out: number, input: number): number;
  }
  /** Each call instantiates a separate module (its own heap); resolves once the wasm is compiled. */
  const createRnnoiseModule: () => Promise<RnnoiseEmscriptenModule>;
  export default createRnnoiseModule;
}

declare module "@jitsi/rnnoise-wasm/dist/rnnoise-sync.js" {
  import type { RnnoiseEmscriptenModule } from "@echogarden/rnnoise-wasm";
  /** Compiles the inlined wasm synchronously (a separate module per call); usable once `ready` resolves. */
  const createRnnoiseModuleSync: () => RnnoiseEmscriptenModule & { readonly ready: Promise<unknown> };
  export default createRnnoiseModuleSync;
}
