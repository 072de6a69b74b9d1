import { threadId } from "node:worker_threads";
import { serveRequests } from "../request-thread-port.js";
import { decodeJpegFrame, type JpegFrameLimits } from "./jpeg-frame.js";
import { loadThreadTurboJpeg, type TurboJpeg } from "./turbo-jpeg.js";
import { isVideoError } from "./video-error.js";

/**
 * A JPEG decoding thread (`JpegDecoder` starts one or more): camera frame → RGB with libjpeg-turbo (WebAssembly,
 * turbo-jpeg.ts; ≈ 4 ms for a 512×512 frame here), beside the pool's event loop instead of on it. The codec is
 * compiled and started once, when the thread starts; requests sent meanwhile wait in the thread's port (it delivers
 * nothing until a listener is attached). If it cannot load, every request is answered `internal` with why.
 */
export interface JpegDecodeRequest {
  jpeg: Uint8Array;
  limits: JpegFrameLimits;
}

export type JpegDecodeReply =
  /** `decodeMs`: the decode itself, on this thread (no queueing, no message passing); `thread`: this thread's id. */
  | { ok: true; width: number; height: number; data: Uint8Array; decodeMs: number; thread: number }
  /** `invalid_video`: not a frame the decoder reads; `internal`: anything else (logged by the pool). */
  | { ok: false; code: "invalid_video" | "internal"; message: string; thread: number };

function serveWith(codec: TurboJpeg): void {
  serveRequests<JpegDecodeRequest, JpegDecodeReply>((request) => {
    const startedAtMs = performance.now();
    try {
      const image = decodeJpegFrame(request.jpeg, request.limits, codec);
      const decodeMs = performance.now() - startedAtMs;
      return {
        reply: { ok: true, width: image.width, height: image.height, data: image.data, decodeMs, thread: threadId },
        transfer: [image.data.buffer as ArrayBuffer],
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : "the frame could not be decoded";
      return { reply: { ok: false, code: isVideoError(error) ? "invalid_video" : "internal", message, thread: threadId } };
    }
  });
}

loadThreadTurboJpeg().then(serveWith, (error: unknown) => {
  const message = `the JPEG decoder could not load: ${error instanceof Error ? error.message : String(error)}`;
  serveRequests<JpegDecodeRequest, JpegDecodeReply>(() => ({ reply: { ok: false, code: "internal", message, thread: threadId } }));
});
