import { parentPort } from "node:worker_threads";
import { decodeJpegFrame, type JpegFrameLimits } from "./jpeg-frame.js";
import { isVideoError } from "./video-error.js";

/**
 * The JPEG decoding thread (`JpegDecoder` starts it): camera frame → RGB. jpeg-js is plain JavaScript (≈ 50 ms for a
 * 512×512 frame), so it runs here, beside the pool's event loop instead of on it.
 */
export interface JpegDecodeRequest {
  id: number;
  jpeg: Uint8Array;
  limits: JpegFrameLimits;
}

export type JpegDecodeReply =
  | { id: number; ok: true; width: number; height: number; data: Uint8Array }
  /** `invalid_video`: not a frame the decoder reads; `internal`: anything else (logged by the pool). */
  | { id: number; ok: false; code: "invalid_video" | "internal"; message: string };

function decode(request: JpegDecodeRequest): JpegDecodeReply {
  try {
    const image = decodeJpegFrame(request.jpeg, request.limits);
    return { id: request.id, ok: true, width: image.width, height: image.height, data: image.data };
  } catch (error) {
    const message = error instanceof Error ? error.message : "the frame could not be decoded";
    return { id: request.id, ok: false, code: isVideoError(error) ? "invalid_video" : "internal", message };
  }
}

const port = parentPort;
if (port !== null) {
  port.on("message", (request: JpegDecodeRequest) => {
    const reply = decode(request);
    port.postMessage(reply, reply.ok ? [reply.data.buffer as ArrayBuffer] : []);
  });
}
