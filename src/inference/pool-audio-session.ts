import type { AudioSessionHandle } from "./pool-service.js";
import type { PoolOutput, StreamOpen } from "./pool-types.js";

/** What one call's session drives in the pool: streams under pool-wide keys. */
export interface PoolStreamOps {
  open(key: string, open: StreamOpen, emit: (output: PoolOutput) => void): void;
  chunk(key: string, pcm16: Uint8Array): void;
  close(key: string): void;
}

export interface AudioSessionLimits {
  /** Streams one call may have open; one more open answers `too_many_streams`. */
  maxStreamsPerCall: number;
}

/**
 * The book-keeping of one StreamAudio call (one room): which streams it opened, their bound, the order of each
 * stream's chunks. Every refusal is an `error` output for that stream; the call keeps serving its other streams.
 */
export function audioSessionHandle(
  keyPrefix: string,
  ops: PoolStreamOps,
  limits: AudioSessionLimits,
  emit: (output: PoolOutput) => void,
): AudioSessionHandle {
  /** Open streams of this call → the seq of their last chunk (null before the first). */
  const owned = new Map<string, number | null>();
  let ended = false;
  const send = (output: PoolOutput) => {
    if (!ended) emit(output);
  };
  const refuse = (streamId: string, code: "stream_exists" | "unknown_stream" | "too_many_streams" | "invalid_audio", message: string) =>
    send({ kind: "error", streamId, code, message });
  return {
    open(open) {
      if (ended) return;
      if (owned.has(open.streamId)) return refuse(open.streamId, "stream_exists", "that stream is already open");
      if (owned.size >= limits.maxStreamsPerCall) {
        return refuse(open.streamId, "too_many_streams", `a call may have at most ${limits.maxStreamsPerCall} streams open`);
      }
      owned.set(open.streamId, null);
      ops.open(keyPrefix + open.streamId, open, (output) => send({ ...output, streamId: open.streamId }));
    },
    chunk(streamId, seq, pcm16) {
      if (ended) return;
      const last = owned.get(streamId);
      if (last === undefined) return refuse(streamId, "unknown_stream", "audio for a stream that is not open");
      // One call is one ordered HTTP/2 stream: a seq going back means a confused sender, and its audio cannot be
      // placed in the stream's timeline.
      if (last !== null && seq <= last) return refuse(streamId, "invalid_audio", `chunk seq ${seq} does not follow ${last}; dropped`);
      owned.set(streamId, seq);
      ops.chunk(keyPrefix + streamId, pcm16);
    },
    close(streamId) {
      if (ended) return;
      if (!owned.delete(streamId)) return refuse(streamId, "unknown_stream", "close of a stream that is not open");
      ops.close(keyPrefix + streamId);
    },
    end() {
      ended = true;
      for (const streamId of owned.keys()) ops.close(keyPrefix + streamId);
      owned.clear();
    },
  };
}
