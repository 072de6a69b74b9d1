import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { VideoError } from "./video-error.js";

/**
 * libjpeg-turbo 8-bit compiled to WebAssembly (`@cornerstonejs/codec-libjpeg-turbo-8bit`, no native code): ≈ 3.6 ms
 * a 512×512 frame here against jpeg-js's ≈ 38 ms. One `TurboJpeg` per thread (`threadTurboJpeg()`): a wasm instance
 * with its own heap and one decoder object in it, used by one caller at a time (decoding is synchronous).
 *
 * The codec refuses a bad frame by throwing a C++ exception that it never frees (≈ 3.5 KB of the wasm heap a
 * refusal), and a wasm heap only grows; so after `recreateAfterRefusals` refusals, or once its heap is over
 * `maxHeapBytes`, the instance is dropped and a fresh one made from the compiled module (≈ 1 ms; counted in `stats`).
 * It takes bytes the caller has already checked (jpeg-frame.ts: size, header, dimensions, an end-of-image marker);
 * this only decodes, and refuses what it cannot read or a layout other than grey or YCbCr, with a `VideoError`.
 */
export interface TurboJpegOptions {
  /** Refusals an instance takes before it is replaced (each leaks ≈ 3.5 KB: 1,000 ≈ 3.5 MB). */
  recreateAfterRefusals: number;
  /** Its wasm heap's size past which an instance is replaced after a decode (it starts at 50 MB, room for 1280×720). */
  maxHeapBytes: number;
}

export const DEFAULT_TURBO_JPEG_OPTIONS: TurboJpegOptions = {
  recreateAfterRefusals: 1_000,
  maxHeapBytes: 64 * 1024 * 1024,
};

/** A decoded frame: RGB, 3 bytes a pixel, row by row (grey frames are widened to RGB). */
export interface TurboJpegImage {
  width: number;
  height: number;
  /** What the JPEG held: 1 (grey) or 3 (colour). */
  components: 1 | 3;
  data: Uint8Array;
}

export interface TurboJpegStats {
  decoded: number;
  refused: number;
  /** Instances made so far, the first included. */
  instances: number;
  /** Instances replaced for their refusals, their heap's size, a trap (not a libjpeg-turbo refusal). */
  replacedForRefusals: number;
  replacedForHeap: number;
  replacedForTraps: number;
}

/** The part of the package's embind API used here (its `JPEGDecoder` class). */
interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
}

interface WasmJpegDecoder {
  /** A view of `length` bytes of the wasm heap to copy the JPEG into. */
  getEncodedBuffer(length: number): Uint8Array;
  /** Throws (a C++ exception, seen as a number) for data it cannot decode. */
  decode(): void;
  getFrameInfo(): FrameInfo;
  /** A view of the decoded pixels on the wasm heap (a Uint8ClampedArray in 1.2.8), valid until the next call. */
  getDecodedBuffer(): Uint8Array | Uint8ClampedArray;
  /** Frees the C++ object. */
  delete(): void;
}

/** Emscripten's module object: `instantiateWasm` is its documented hook; the rest is filled in by the runtime. */
interface CodecModule {
  instantiateWasm: (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) => WebAssembly.Exports;
  JPEGDecoder?: new () => WasmJpegDecoder;
  HEAPU8?: Uint8Array;
}

type CodecFactory = (module: CodecModule) => Promise<CodecModule>;

const PACKAGE = "@cornerstonejs/codec-libjpeg-turbo-8bit";
const require = createRequire(import.meta.url);

/** The package's decode-only build: the Emscripten factory (`./decodewasmjs`) and its wasm (`./decodewasm`). */
function codecFactory(): CodecFactory {
  return require(`${PACKAGE}/decodewasmjs`) as CodecFactory;
}

function wasmPath(): string {
  return require.resolve(`${PACKAGE}/decodewasm`);
}

/** One wasm instance and its decoder. */
interface Instance {
  module: CodecModule;
  decoder: WasmJpegDecoder;
  refusals: number;
}

/**
 * Instantiates synchronously: the module is compiled already, and with `instantiateWasm` answering at once the
 * Emscripten runtime starts before its factory returns (no other run dependency), so `JPEGDecoder` is on the module
 * object then. Checked, not assumed: a package update that broke it fails here, loudly.
 */
function instantiate(compiled: WebAssembly.Module): Instance {
  const module: CodecModule = {
    instantiateWasm(imports, receive) {
      const instance = new WebAssembly.Instance(compiled, imports);
      receive(instance);
      return instance.exports;
    },
  };
  void codecFactory()(module).catch(() => undefined); // settled already; a failure shows as the check below
  const Decoder = module.JPEGDecoder;
  if (Decoder === undefined) throw new Error(`${PACKAGE} did not start synchronously (no JPEGDecoder on its module)`);
  return { module, decoder: new Decoder(), refusals: 0 };
}

export class TurboJpeg {
  readonly #compiled: WebAssembly.Module;
  readonly #options: TurboJpegOptions;
  #instance: Instance;
  readonly #stats: TurboJpegStats = { decoded: 0, refused: 0, instances: 1, replacedForRefusals: 0, replacedForHeap: 0, replacedForTraps: 0 };

  private constructor(compiled: WebAssembly.Module, options: Partial<TurboJpegOptions>) {
    this.#options = { ...DEFAULT_TURBO_JPEG_OPTIONS, ...options };
    if (!Number.isInteger(this.#options.recreateAfterRefusals) || this.#options.recreateAfterRefusals < 1) {
      throw new RangeError("recreateAfterRefusals must be a whole number ≥ 1");
    }
    this.#compiled = compiled;
    this.#instance = instantiate(compiled);
  }

  /** Reads and compiles the wasm off the calling thread's critical path (a decoding thread, at its start). */
  static async load(options: Partial<TurboJpegOptions> = {}): Promise<TurboJpeg> {
    const compiled = await WebAssembly.compile(await readFile(wasmPath()));
    return new TurboJpeg(compiled, options);
  }

  /** The same, blocking (≈ 10–20 ms once): for a caller that decodes in place without a thread's start. */
  static loadSync(options: Partial<TurboJpegOptions> = {}): TurboJpeg {
    return new TurboJpeg(new WebAssembly.Module(readFileSync(wasmPath())), options);
  }

  /** `jpeg` is copied into the wasm heap, the pixels out of it: neither is kept. */
  decode(jpeg: Uint8Array): TurboJpegImage {
    const instance = this.#instance;
    let info: FrameInfo;
    try {
      instance.decoder.getEncodedBuffer(jpeg.length).set(jpeg);
      instance.decoder.decode();
      info = instance.decoder.getFrameInfo();
    } catch (cause) {
      // libjpeg-turbo's refusals are C++ exceptions (a number here); anything else is a trap that may have left the
      // instance unusable (an Emscripten abort), so that one is replaced at once.
      if (typeof cause === "number") {
        this.#refused(instance);
      } else {
        this.#stats.refused += 1;
        this.#replace("trap");
      }
      throw new VideoError("the JPEG is truncated or corrupt (libjpeg-turbo could not decode it)", { cause });
    }
    const { width, height, componentCount, bitsPerSample } = info;
    if ((componentCount !== 1 && componentCount !== 3) || bitsPerSample !== 8) {
      this.#refused(instance);
      throw new VideoError(`the JPEG decoded to ${componentCount} components of ${bitsPerSample} bits; 8-bit grey or colour is supported`);
    }
    const pixels = instance.decoder.getDecodedBuffer();
    if (pixels.length !== width * height * componentCount) {
      this.#refused(instance);
      throw new VideoError("the JPEG is corrupt: its decoded size differs from its frame info");
    }
    const data = componentCount === 3 ? copyOut(pixels) : greyToRgb(pixels);
    this.#stats.decoded += 1;
    if ((instance.module.HEAPU8?.length ?? 0) > this.#options.maxHeapBytes) this.#replace("heap");
    return { width, height, components: componentCount, data };
  }

  stats(): TurboJpegStats {
    return { ...this.#stats };
  }

  #refused(instance: Instance): void {
    this.#stats.refused += 1;
    instance.refusals += 1;
    if (instance.refusals >= this.#options.recreateAfterRefusals) this.#replace("refusals");
  }

  #replace(why: "refusals" | "heap" | "trap"): void {
    const old = this.#instance;
    this.#instance = instantiate(this.#compiled);
    try {
      old.decoder.delete(); // the old heap goes with its instance; this only ends the embind handle
    } catch {
      // a trapped instance may not run even this; it is dropped all the same
    }
    this.#stats.instances += 1;
    if (why === "refusals") this.#stats.replacedForRefusals += 1;
    else if (why === "heap") this.#stats.replacedForHeap += 1;
    else this.#stats.replacedForTraps += 1;
  }
}

/** A plain Uint8Array that owns its bytes (one memcpy out of the wasm heap). */
function copyOut(view: Uint8Array | Uint8ClampedArray): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

function greyToRgb(grey: Uint8Array | Uint8ClampedArray): Uint8Array {
  const rgb = new Uint8Array(grey.length * 3);
  for (let i = 0, o = 0; i < grey.length; i++, o += 3) {
    const value = grey[i] ?? 0;
    rgb[o] = value;
    rgb[o + 1] = value;
    rgb[o + 2] = value;
  }
  return rgb;
}

let threadCodec: TurboJpeg | undefined;
let threadLoading: Promise<TurboJpeg> | undefined;

/** This thread's codec, loaded asynchronously once (a decoding thread awaits it before serving). */
export function loadThreadTurboJpeg(): Promise<TurboJpeg> {
  if (threadCodec !== undefined) return Promise.resolve(threadCodec);
  threadLoading ??= TurboJpeg.load().then((codec) => {
    threadCodec ??= codec;
    return threadCodec;
  });
  return threadLoading;
}

/** This thread's codec, loaded synchronously on first use if `loadThreadTurboJpeg` has not loaded it. */
export function threadTurboJpeg(): TurboJpeg {
  threadCodec ??= TurboJpeg.loadSync();
  return threadCodec;
}
