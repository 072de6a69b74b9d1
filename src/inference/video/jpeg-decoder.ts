import { availableParallelism } from "node:os";
import type { Logger } from "../../logger.js";
import { PoolError } from "../pool-error.js";
import { RequestThreads, type RequestThreadsStats } from "../request-threads.js";
import type { JpegDecodeReply, JpegDecodeRequest } from "./jpeg-decode-thread.js";
import type { JpegFrameLimits } from "./jpeg-frame.js";
import type { RgbImage } from "./rgb-image.js";
import { VideoError } from "./video-error.js";

export interface JpegDecoderOptions {
  /** Decoding threads at most; one more starts only while every started one is busy. */
  threads: number;
}

/**
 * Threads for `cores` CPUs: one per core up to 4, less one core above 2 for the pool's event loop and the models.
 * On 2 cores both decode: decoding is the dearest step of a frame, and the models run between decodes, not beside
 * them (one batch at a time), so a second thread nearly doubles decoding with little left idle (README: bench).
 */
export function defaultJpegDecoderThreads(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(4, cores <= 2 ? cores : cores - 1));
}

export const DEFAULT_JPEG_DECODER_OPTIONS: JpegDecoderOptions = { threads: defaultJpegDecoderThreads() };

/** A frame decoded on a thread: the pixels, the decode's own time there, and which thread (its `threadId`). */
export interface DecodedFrame {
  image: RgbImage;
  decodeMs: number;
  thread: number;
}

/**
 * Camera frames → RGB on a few threads of their own (`RequestThreads`), started on first use and again if one dies,
 * so the pool's event loop (every room's audio and video calls) never waits for a decode. A frame goes to the least
 * busy thread; a frame a thread refuses (`invalid_video`) is answered alone, and that thread goes on with the next.
 * Bounded by its caller: the face pipeline's batcher holds at most a batch of frames here at a time.
 */
export class JpegDecoder {
  readonly #logger: Logger;
  readonly #threads: RequestThreads<JpegDecodeRequest, JpegDecodeReply>;

  constructor(logger: Logger, options: Partial<JpegDecoderOptions> = {}) {
    const { threads } = { ...DEFAULT_JPEG_DECODER_OPTIONS, ...options };
    this.#logger = logger;
    this.#threads = new RequestThreads(logger, { callerUrl: import.meta.url, entry: "./jpeg-decode-thread", name: "JPEG decoding", threads });
  }

  /** Rejects with a `VideoError` for a frame the decoder refuses. `jpeg` is copied: the caller keeps it. */
  async decode(jpeg: Uint8Array, limits: JpegFrameLimits): Promise<RgbImage> {
    return (await this.decodeTimed(jpeg, limits)).image;
  }

  /** As `decode`, with the decode's own time on its thread and that thread's id. */
  async decodeTimed(jpeg: Uint8Array, limits: JpegFrameLimits): Promise<DecodedFrame> {
    // A copy the thread can own: a Buffer's `slice` is a view, and transferring a view's buffer would detach memory
    // the caller (gRPC's receive buffer, Node's Buffer pool) still holds.
    const request: JpegDecodeRequest = { jpeg: new Uint8Array(jpeg), limits };
    const reply = await this.#threads.request(request, [request.jpeg.buffer as ArrayBuffer]);
    if (reply.ok) {
      return { image: { width: reply.width, height: reply.height, data: reply.data }, decodeMs: reply.decodeMs, thread: reply.thread };
    }
    if (reply.code === "internal") this.#logger.error({ reason: reply.message }, "JPEG decoding failed");
    throw reply.code === "invalid_video" ? new VideoError(reply.message) : new PoolError("internal", reply.message);
  }

  stats(): RequestThreadsStats {
    return this.#threads.stats();
  }

  close(): Promise<void> {
    return this.#threads.close();
  }
}
