import { threadId } from "node:worker_threads";
import type { StillImageFormat } from "../image-types.js";
import { PoolError } from "../pool-error.js";
import { serveRequests } from "../request-thread-port.js";
import { loadThreadTurboJpeg, type TurboJpeg } from "../video/turbo-jpeg.js";
import { decodeStillImage, encodeStillImage, fitImage, type FitBox, type StillImageLimits } from "./still-image.js";

/**
 * A still-image codec thread (`ImageCodec` starts it): JPEG or PNG → RGB, and RGB → PNG or JPEG, beside the pool's
 * event loop instead of on it (a 4096×4096 JPEG takes ≈ 0.6 s to decode here, a 2048×2048 PNG ≈ 0.3 s to encode).
 * libjpeg-turbo is compiled and started once, when the thread starts; requests sent meanwhile wait in the port.
 */
export interface PixelsMessage {
  width: number;
  height: number;
  data: Uint8Array;
}

export type ImageCodecRequest =
  /** `fit`: also (or only, `keepFull: false`) a copy shrunk to fit it, for a detector. */
  | { op: "decode"; bytes: Uint8Array; limits: StillImageLimits; fit: FitBox | null; keepFull: boolean }
  | { op: "encode"; image: PixelsMessage; format: StillImageFormat; quality: number };

export type ImageCodecReply =
  /** `full` unless not kept; `fitted` when a fit was asked (the same pixels as `full` when the image fits already). */
  | { ok: true; op: "decode"; format: StillImageFormat; width: number; height: number; full: PixelsMessage | null; fitted: PixelsMessage | null; decodeMs: number; thread: number }
  | { ok: true; op: "encode"; bytes: Uint8Array; encodeMs: number; thread: number }
  /** `invalid_image`: not an image this codec reads; `internal`: anything else (logged by the pool). */
  | { ok: false; code: "invalid_image" | "internal"; message: string; thread: number };

function answer(request: ImageCodecRequest, codec: TurboJpeg): { reply: ImageCodecReply; transfer: ArrayBuffer[] } {
  const startedAtMs = performance.now();
  if (request.op === "encode") {
    const bytes = encodeStillImage(request.image, request.format, request.quality);
    return { reply: { ok: true, op: "encode", bytes, encodeMs: performance.now() - startedAtMs, thread: threadId }, transfer: [bytes.buffer as ArrayBuffer] };
  }
  const { header, image } = decodeStillImage(request.bytes, request.limits, codec);
  const fitted = request.fit === null ? null : fitImage(image, request.fit);
  const full = request.keepFull ? image : null;
  const transfer = new Set([full?.data.buffer, fitted?.data.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer));
  const { format, width, height } = header;
  return { reply: { ok: true, op: "decode", format, width, height, full, fitted, decodeMs: performance.now() - startedAtMs, thread: threadId }, transfer: [...transfer] };
}

function serveWith(codec: TurboJpeg): void {
  serveRequests<ImageCodecRequest, ImageCodecReply>((request) => {
    try {
      return answer(request, codec);
    } catch (error) {
      const message = error instanceof Error ? error.message : "the image could not be decoded";
      const refused = error instanceof PoolError && error.code === "invalid_image";
      return { reply: { ok: false, code: refused ? "invalid_image" : "internal", message, thread: threadId } };
    }
  });
}

loadThreadTurboJpeg().then(serveWith, (error: unknown) => {
  const message = `the JPEG decoder could not load: ${error instanceof Error ? error.message : String(error)}`;
  serveRequests<ImageCodecRequest, ImageCodecReply>(() => ({ reply: { ok: false, code: "internal", message, thread: threadId } }));
});
