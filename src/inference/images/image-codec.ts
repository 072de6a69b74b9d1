import type { Logger } from "../../logger.js";
import type { StillImageFormat } from "../image-types.js";
import { PoolError } from "../pool-error.js";
import { RequestThreads, type RequestThreadsStats } from "../request-threads.js";
import { RGB_CHANNELS, type RgbImage } from "../video/rgb-image.js";
import type { ImageCodecReply, ImageCodecRequest, PixelsMessage } from "./image-codec-thread.js";
import type { FitBox, StillImageLimits } from "./still-image.js";

export interface ImageCodecOptions {
  /** Codec threads at most; one more starts only while every started one is busy. */
  threads: number;
}

/**
 * One thread: still images are bounded by their callers' queues (a few at a time), and on the two cores here a
 * second thread would only contend with the models. Their own threads, not the camera frames' (`JpegDecoder`): a
 * 4096×4096 decode (≈ 0.6 s) on a frame thread would hold the live frames queued behind it.
 */
export const DEFAULT_IMAGE_CODEC_OPTIONS: ImageCodecOptions = { threads: 1 };

export interface DecodedStillImage {
  format: StillImageFormat;
  width: number;
  height: number;
  /** The whole image, when asked for. */
  full: RgbImage | null;
  /** The copy fitted into the asked box (the whole image itself when it fits already), when asked for. */
  fitted: RgbImage | null;
  /** On its thread: the decode (and the fit). */
  decodeMs: number;
}

export interface DecodeOptions {
  limits: StillImageLimits;
  fit?: FitBox;
  /** Send back the whole image (default true); false with `fit`: only the fitted copy crosses back. */
  keepFull?: boolean;
}

/**
 * Still images ↔ RGB on threads of their own (`RequestThreads`, image-codec-thread.ts), started on first use and
 * again if one dies, so the pool's event loop never decodes, fits or encodes an image. A refused image rejects with
 * `invalid_image`, and its thread goes on with the next.
 */
export class ImageCodec {
  readonly #logger: Logger;
  readonly #threads: RequestThreads<ImageCodecRequest, ImageCodecReply>;

  constructor(logger: Logger, options: Partial<ImageCodecOptions> = {}) {
    const { threads } = { ...DEFAULT_IMAGE_CODEC_OPTIONS, ...options };
    this.#logger = logger;
    this.#threads = new RequestThreads(logger, { callerUrl: import.meta.url, entry: "./image-codec-thread", name: "image codec", threads });
  }

  /** `bytes` is copied: the caller keeps it. */
  async decode(bytes: Uint8Array, options: DecodeOptions): Promise<DecodedStillImage> {
    // A copy the thread can own: a Buffer's `slice` is a view, and transferring a view's buffer would detach memory
    // the caller (gRPC's receive buffer, Node's Buffer pool) still holds.
    const request: ImageCodecRequest = { op: "decode", bytes: new Uint8Array(bytes), limits: options.limits, fit: options.fit ?? null, keepFull: options.keepFull ?? true };
    const reply = this.#check(await this.#threads.request(request, [request.bytes.buffer as ArrayBuffer]));
    if (reply.op !== "decode") throw new PoolError("internal", "the image codec answered a decode with something else");
    const { format, width, height, full, fitted, decodeMs } = reply;
    return { format, width, height, full: full && pixels(full), fitted: fitted && pixels(fitted), decodeMs };
  }

  /**
   * `quality` is JPEG's, 1–100. `image`'s pixels are copied, or with `moveImage` handed to the thread (no copy of up to
   * 12 MB; the caller must not touch them afterwards) when they own their whole buffer.
   */
  async encode(image: RgbImage, format: StillImageFormat, quality: number, moveImage = false): Promise<{ bytes: Uint8Array; encodeMs: number }> {
    const { data: pixels } = image;
    if (pixels.length !== image.width * image.height * RGB_CHANNELS) {
      throw new PoolError("internal", `an image to encode holds ${pixels.length} bytes, not ${image.width}×${image.height} RGB`);
    }
    const owned = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength && pixels.buffer instanceof ArrayBuffer;
    const data = moveImage && owned ? pixels : new Uint8Array(pixels);
    const request: ImageCodecRequest = { op: "encode", image: { width: image.width, height: image.height, data }, format, quality };
    const reply = this.#check(await this.#threads.request(request, [data.buffer as ArrayBuffer]));
    if (reply.op !== "encode") throw new PoolError("internal", "the image codec answered an encode with something else");
    return { bytes: reply.bytes, encodeMs: reply.encodeMs };
  }

  stats(): RequestThreadsStats {
    return this.#threads.stats();
  }

  close(): Promise<void> {
    return this.#threads.close();
  }

  #check(reply: ImageCodecReply): Extract<ImageCodecReply, { ok: true }> {
    if (reply.ok) return reply;
    if (reply.code === "internal") this.#logger.error({ reason: reply.message }, "image codec failed");
    throw new PoolError(reply.code, reply.message);
  }
}

function pixels(message: PixelsMessage): RgbImage {
  return { width: message.width, height: message.height, data: message.data };
}
