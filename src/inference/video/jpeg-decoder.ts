import type { Worker } from "node:worker_threads";
import type { Logger } from "../../logger.js";
import { PoolError } from "../pool-error.js";
import { startModuleWorker } from "../worker-entry.js";
import type { JpegDecodeReply, JpegDecodeRequest } from "./jpeg-decode-thread.js";
import type { JpegFrameLimits } from "./jpeg-frame.js";
import type { RgbImage } from "./rgb-image.js";
import { VideoError } from "./video-error.js";

interface Pending {
  resolve: (image: RgbImage) => void;
  reject: (error: Error) => void;
}

/**
 * Camera frames → RGB on a thread of their own, started on first use and again if it dies, so the pool's event
 * loop (every room's audio and video calls) never waits for a decode. Bounded by its caller: the face pipeline's
 * batcher holds at most a batch of frames here at a time.
 */
export class JpegDecoder {
  readonly #logger: Logger;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | null = null;
  #nextId = 0;
  #closed = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Rejects with a `VideoError` for a frame the decoder refuses. `jpeg` is copied: the caller keeps it. */
  decode(jpeg: Uint8Array, limits: JpegFrameLimits): Promise<RgbImage> {
    if (this.#closed) return Promise.reject(new PoolError("model_unavailable", "the inference pool is stopping"));
    const id = (this.#nextId += 1);
    // A copy the thread can own: a Buffer's `slice` is a view, and transferring a view's buffer would detach memory
    // the caller (gRPC's receive buffer, Node's Buffer pool) still holds.
    const request: JpegDecodeRequest = { id, jpeg: new Uint8Array(jpeg), limits };
    return new Promise<RgbImage>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#thread().postMessage(request, [request.jpeg.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#failAll(new PoolError("model_unavailable", "the inference pool is stopping"));
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }

  #thread(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = startModuleWorker(import.meta.url, "./jpeg-decode-thread");
    worker.unref();
    worker.on("message", (reply: JpegDecodeReply) => this.#settle(reply));
    worker.on("error", (error) => this.#logger.error({ err: error }, "JPEG decoding thread failed"));
    worker.on("exit", () => {
      if (this.#worker === worker) this.#worker = null;
      this.#failAll(new PoolError("internal", "the JPEG decoding thread stopped"));
    });
    this.#worker = worker;
    return worker;
  }

  #settle(reply: JpegDecodeReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (reply.ok) {
      pending.resolve({ width: reply.width, height: reply.height, data: reply.data });
      return;
    }
    if (reply.code === "internal") this.#logger.error({ reason: reply.message }, "JPEG decoding failed");
    pending.reject(reply.code === "invalid_video" ? new VideoError(reply.message) : new PoolError("internal", reply.message));
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
