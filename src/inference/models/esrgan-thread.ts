import { serveRequestsInOrder, type ThreadAnswer } from "../request-thread-port.js";
import { poolErrorCodeOf, type PoolErrorCode } from "../pool-types.js";
import type { EsrganVariant } from "./esrgan-files.js";
import { EsrganUpscaler } from "./esrgan-upscaler.js";
import { TfWasmRuntime } from "./tfjs-wasm.js";

/**
 * A super-resolution thread (esrgan.ts starts it through RequestThreads): one 512×512 image takes seconds, which on
 * the pool's event loop would hold every VAD batch and camera frame that long. This thread's realm has its own
 * TF.js engine and wasm backend (started once, by the one runtime here). Every request names its variant and the
 * thread loads it on first use, so a thread started again after a crash serves the next request unprompted.
 */
export type EsrganRequest =
  | { kind: "load"; variant: EsrganVariant }
  | { kind: "upscale"; variant: EsrganVariant; scale: number; width: number; height: number; data: Uint8Array };

export type EsrganReply =
  | { ok: true; kind: "load"; scales: number[]; loadMs: number; weightBytes: number; heapBytes: number | null }
  /** `upscaleMs`: the run on this thread, tiles included; `heapBytes`: the wasm heap after it. */
  | { ok: true; kind: "upscale"; width: number; height: number; data: Uint8Array; upscaleMs: number; heapBytes: number | null }
  | { ok: false; code: PoolErrorCode; message: string };

/** This thread's loaded variants, each loaded once, on first use (the registry's warm-up is a small upscale). */
class ThreadUpscalers {
  readonly #runtime = new TfWasmRuntime();
  readonly #loaded = new Map<EsrganVariant, Promise<EsrganUpscaler>>();

  get(variant: EsrganVariant): Promise<EsrganUpscaler> {
    let loading = this.#loaded.get(variant);
    if (loading === undefined) {
      loading = EsrganUpscaler.load({ variant, runtime: this.#runtime });
      // A failed load is tried again by the next request.
      loading.catch(() => this.#loaded.delete(variant));
      this.#loaded.set(variant, loading);
    }
    return loading;
  }
}

async function handle(upscalers: ThreadUpscalers, request: EsrganRequest): Promise<ThreadAnswer<EsrganReply>> {
  try {
    const model = await upscalers.get(request.variant);
    if (request.kind === "load") {
      const { loadMs, weightBytes } = model.figures;
      return { reply: { ok: true, kind: "load", scales: [...model.scales], loadMs, weightBytes, heapBytes: model.heapBytes() } };
    }
    const startedMs = performance.now();
    const out = await model.upscale({ width: request.width, height: request.height, data: request.data }, request.scale);
    const reply: EsrganReply = { ok: true, kind: "upscale", ...out, upscaleMs: performance.now() - startedMs, heapBytes: model.heapBytes() };
    return { reply, transfer: [out.data.buffer as ArrayBuffer] };
  } catch (error) {
    return { reply: { ok: false, code: poolErrorCodeOf(error), message: error instanceof Error ? error.message : String(error) } };
  }
}

const upscalers = new ThreadUpscalers();
serveRequestsInOrder<EsrganRequest, EsrganReply>((request) => handle(upscalers, request));
