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

/** What the call has seen of one stream id: it may be closed and opened again (a sender's gap). */
interface StreamHistory {
  /** Times the id was opened on this call. */
  opens: number;
  /** The newest of those opens that has reported speech (0: none). */
  speaking: number;
  /** Its opens not finished yet (no `closed` from the pool). */
  live: number;
}

/**
 * The book-keeping of one StreamAudio call (one room): which streams it opened, their bound, the order of each
 * stream's chunks. Every refusal is an `error` output for that stream; the call keeps serving its other streams.
 *
 * A stream id may be opened again once closed: a sender that lost audio closes the stream at the gap and reopens it
 * where audio resumes, while the earlier open may still be finishing its last utterance. Each open is its own pool
 * stream (its own key, VAD state and segmenter); its segment ids get `~<n>` (its open of that id) so they never
 * repeat an earlier open's (ids are remembered while open and for the call's latest `maxStreamsPerCall` finished
 * ones), and once a newer open has reported speech an older one's speech events are stale.
 */
export function audioSessionHandle(
  keyPrefix: string,
  ops: PoolStreamOps,
  limits: AudioSessionLimits,
  emit: (output: PoolOutput) => void,
): AudioSessionHandle {
  /** Open streams of this call → the seq of their last chunk (null before the first). */
  const owned = new Map<string, number | null>();
  /** Ids with an open not finished yet: a reopen must not repeat their segment ids or keys. */
  const history = new Map<string, StreamHistory>();
  /**
   * Ids whose opens have all finished, the latest `maxStreamsPerCall` of them (oldest first): a sender reopens an id
   * right after closing it, and the earlier open may finish first. Bounded: a long call's churn of ids does not grow it.
   */
  const finished = new Map<string, StreamHistory>();
  const historyOf = (streamId: string): StreamHistory => {
    const seen = history.get(streamId) ?? finished.get(streamId) ?? { opens: 0, speaking: 0, live: 0 };
    finished.delete(streamId);
    history.set(streamId, seen);
    return seen;
  };
  const finishedOne = (streamId: string, seen: StreamHistory) => {
    seen.live -= 1;
    if (seen.live > 0 || history.get(streamId) !== seen) return;
    history.delete(streamId);
    finished.set(streamId, seen);
    const oldest = finished.keys().next();
    if (finished.size > limits.maxStreamsPerCall && oldest.done !== true) finished.delete(oldest.value);
  };
  let ended = false;
  const send = (output: PoolOutput) => {
    if (!ended) emit(output);
  };
  /** The pool key of the stream's current open. */
  const keyOf = (streamId: string) => `${keyPrefix}${streamId}#${history.get(streamId)?.opens ?? 0}`;
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
      const seen = historyOf(open.streamId);
      seen.opens += 1;
      seen.live += 1;
      const n = seen.opens;
      // `#<n>` ends every key, so keys of different ids or opens never meet; the last `#` splits them back.
      ops.open(`${keyPrefix}${open.streamId}#${n}`, open, (output) => {
        if (output.kind === "closed") finishedOne(open.streamId, seen);
        if (output.kind === "speech") {
          if (n < seen.speaking) return;
          seen.speaking = n;
        }
        const renamed =
          (output.kind === "transcript" || output.kind === "error") && output.segmentId !== undefined && n > 1
            ? { ...output, segmentId: `${output.segmentId}~${n}` }
            : output;
        send({ ...renamed, streamId: open.streamId });
      });
    },
    chunk(streamId, seq, pcm16) {
      if (ended) return;
      const last = owned.get(streamId);
      if (last === undefined) return refuse(streamId, "unknown_stream", "audio for a stream that is not open");
      // One call is one ordered HTTP/2 stream: a seq going back means a confused sender, and its audio cannot be
      // placed in the stream's timeline.
      if (last !== null && seq <= last) return refuse(streamId, "invalid_audio", `chunk seq ${seq} does not follow ${last}; dropped`);
      owned.set(streamId, seq);
      ops.chunk(keyOf(streamId), pcm16);
    },
    close(streamId) {
      if (ended) return;
      if (!owned.delete(streamId)) return refuse(streamId, "unknown_stream", "close of a stream that is not open");
      ops.close(keyOf(streamId));
    },
    end() {
      ended = true;
      for (const streamId of owned.keys()) ops.close(keyOf(streamId));
      owned.clear();
      finished.clear();
    },
  };
}
