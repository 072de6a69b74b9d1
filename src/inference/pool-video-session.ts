import { poolErrorCodeOf, type VideoOutput } from "./pool-types.js";
import type { VideoSessionHandle } from "./pool-service.js";
import type { FacePipeline } from "./video/face-pipeline.js";

export interface VideoSessionLimits {
  /** Camera streams one call may have open; one more open answers `too_many_streams`. */
  maxStreamsPerCall: number;
}

interface VideoStream {
  /** The pipeline's key of this open: a reopened id is another stream (its frames never replace the old one's). */
  key: string;
  lastSeq: number | null;
  /** Frames submitted and not answered yet. */
  inFlight: number;
  closing: boolean;
}

/**
 * The book-keeping of one StreamVideo call (one room): its camera streams, the order of each stream's frames, and
 * each frame's answer (`faces`, `dropped` when a newer frame replaced it before it started, or an `error` for that
 * frame alone). A closed stream answers `closed` once its frames in analysis are answered. The face models may be
 * missing: every frame then answers `model_unavailable`, never a made-up face.
 */
export function videoSessionHandle(
  keyPrefix: string,
  pipeline: () => Promise<FacePipeline>,
  limits: VideoSessionLimits,
  emit: (output: VideoOutput) => void,
): VideoSessionHandle {
  const streams = new Map<string, VideoStream>();
  /** Open streams and closed ones whose last frame is still unanswered. */
  const unsettled = new Set<VideoStream>();
  let opens = 0;
  let ended = false;
  const send = (output: VideoOutput) => {
    if (!ended) emit(output);
  };
  const refuse = (streamId: string, code: "stream_exists" | "unknown_stream" | "too_many_streams" | "invalid_video", message: string) =>
    send({ kind: "error", streamId, code, message });
  /** The stream's last frame is answered after its close: nothing more will come of it. */
  const settle = (streamId: string, stream: VideoStream) => {
    if (!stream.closing || stream.inFlight > 0) return;
    unsettled.delete(stream);
    void pipeline().then((p) => p.closeStream(stream.key), () => undefined);
    send({ kind: "closed", streamId });
  };
  const analyze = async (streamId: string, stream: VideoStream, seq: number, jpeg: Uint8Array, capturedAtMs: number) => {
    try {
      const result = await (await pipeline()).analyze(stream.key, jpeg);
      if (result.kind === "dropped") send({ kind: "dropped", streamId, seq });
      else send({ kind: "faces", streamId, seq, atMs: capturedAtMs, faces: result.faces, timings: result.timings });
    } catch (error) {
      const message = error instanceof Error ? error.message : "the frame could not be analysed";
      send({ kind: "error", streamId, code: poolErrorCodeOf(error), message: `frame ${seq}: ${message}` });
    } finally {
      stream.inFlight -= 1;
      settle(streamId, stream);
    }
  };
  return {
    open(open) {
      if (ended) return;
      if (streams.has(open.streamId)) return refuse(open.streamId, "stream_exists", "that stream is already open");
      if (streams.size >= limits.maxStreamsPerCall) {
        return refuse(open.streamId, "too_many_streams", `a call may have at most ${limits.maxStreamsPerCall} streams open`);
      }
      opens += 1;
      const stream: VideoStream = { key: `${keyPrefix}${open.streamId}#${opens}`, lastSeq: null, inFlight: 0, closing: false };
      streams.set(open.streamId, stream);
      unsettled.add(stream);
      // The batcher waits for company only from open streams: it learns of this one once the models are there.
      void pipeline().then((p) => p.openStream(stream.key), () => undefined);
    },
    frame(streamId, seq, jpeg, capturedAtMs) {
      if (ended) return;
      const stream = streams.get(streamId);
      if (stream === undefined || stream.closing) return refuse(streamId, "unknown_stream", "a frame for a stream that is not open");
      if (stream.lastSeq !== null && seq <= stream.lastSeq) {
        return refuse(streamId, "invalid_video", `frame seq ${seq} does not follow ${stream.lastSeq}; dropped`);
      }
      stream.lastSeq = seq;
      stream.inFlight += 1;
      void analyze(streamId, stream, seq, jpeg, capturedAtMs);
    },
    close(streamId) {
      if (ended) return;
      const stream = streams.get(streamId);
      if (stream === undefined || stream.closing) return refuse(streamId, "unknown_stream", "close of a stream that is not open");
      streams.delete(streamId);
      stream.closing = true;
      settle(streamId, stream);
    },
    end() {
      ended = true;
      // Nobody will receive these streams' answers: their queued frames are dropped, not analysed ahead of others'.
      for (const stream of unsettled) {
        stream.closing = true;
        void pipeline().then((p) => p.abandonStream(stream.key), () => undefined);
      }
      unsettled.clear();
      streams.clear();
    },
  };
}
