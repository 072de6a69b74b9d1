import type { ServerDuplexStream } from "@grpc/grpc-js";
import type { Logger } from "../../logger.js";
import type { InferencePoolService, VideoSessionHandle } from "../pool-service.js";
import type { VideoOutput } from "../pool-types.js";
import { VIDEO_FRAME_LIMITS } from "../video/jpeg-frame.js";
import type { VideoIn__Output } from "./generated/engine/inference/v1/VideoIn.js";
import type { VideoOut } from "./generated/engine/inference/v1/VideoOut.js";
import { isMalformed, malformedReason, type Malformed } from "./lenient-decoding.js";
import { serveMediaCall } from "./media-call.js";
import type { ServerCounters } from "./server-counters.js";
import { exactUint64, MAX_ID_CHARS, MAX_STREAM_ID_CHARS, validId } from "./stream-limits.js";
import { videoOutputToWire } from "./video-wire.js";

export interface VideoCallContext {
  pool: InferencePoolService;
  counters: ServerCounters;
  /** The server's open media calls (ended when it closes). */
  calls: Set<{ end(): void }>;
  logger: Logger;
}

type VideoCall = ServerDuplexStream<VideoIn__Output | Malformed, VideoOut>;

function streamIdOf(message: VideoIn__Output | Malformed): string {
  if (isMalformed(message)) return "";
  return message.open?.stream_id ?? message.frame?.stream_id ?? message.close?.stream_id ?? "";
}

/**
 * One StreamVideo call: its messages to the pool's video session, the session's outputs back. As for audio, no input
 * reaches the process as an exception: a bad message gets `invalid_video` (or the session's code) for its stream, and
 * a handler's exception is counted and answered `internal` to that stream alone.
 */
export function serveVideoCall(call: VideoCall, context: VideoCallContext): void {
  const { pool, counters, calls } = context;
  const refuse = (reply: (output: VideoOutput) => void, streamId: string, message: string) =>
    reply({ kind: "error", streamId, code: "invalid_video", message });
  serveMediaCall<VideoIn__Output, VideoOutput, VideoSessionHandle>(call, {
    rpc: "StreamVideo",
    counters,
    calls,
    log: context.logger.child({ rpc: "StreamVideo" }),
    open: (reply) => pool.openVideoSession(reply),
    toWire: videoOutputToWire,
    internal: (message, detail) => ({ kind: "error", streamId: streamIdOf(message), code: "internal", message: detail }),
    handle(session, message, reply) {
      if (isMalformed(message)) {
        counters.malformed();
        return refuse(reply, "", `the message did not decode as VideoIn (${malformedReason(message)})`);
      }
      if (message.open) {
        const open = message.open;
        if (!validId(open.stream_id, MAX_STREAM_ID_CHARS) || !validId(open.session_id) || !validId(open.participant_id)) {
          return refuse(reply, open.stream_id, `stream ids need 1–${MAX_STREAM_ID_CHARS} characters, session and participant ids 1–${MAX_ID_CHARS}`);
        }
        session.open({ streamId: open.stream_id, sessionId: open.session_id, participantId: open.participant_id });
      } else if (message.frame) {
        const frame = message.frame;
        // Refused before the session sees it: the decoder's own bound, checked where the bytes arrive.
        if (frame.jpeg.byteLength > VIDEO_FRAME_LIMITS.maxBytes) {
          return refuse(reply, frame.stream_id, `frame ${frame.seq}: a frame is limited to ${VIDEO_FRAME_LIMITS.maxBytes} bytes`);
        }
        if (!exactUint64(frame.seq) || !exactUint64(frame.captured_at_ms)) {
          return refuse(reply, frame.stream_id, "a frame's seq and captured_at_ms must be below 2^53");
        }
        session.frame(frame.stream_id, frame.seq, frame.jpeg, frame.captured_at_ms);
      } else if (message.close) {
        session.close(message.close.stream_id);
      } else {
        counters.malformed();
        refuse(reply, "", "a VideoIn carries one of open, frame or close");
      }
    },
  });
}
