import type { Logger } from "../../logger.js";
import type { VideoOutput, VideoStreamOpen } from "../pool-types.js";
import type { VideoIn } from "./generated/engine/inference/v1/VideoIn.js";
import type { VideoOut__Output } from "./generated/engine/inference/v1/VideoOut.js";
import type { PoolClient } from "./pool-client.js";
import { DEFAULT_RESILIENT_CALL_OPTIONS, ResilientCall, type PoolRoute, type ResilientCallOptions } from "./resilient-call.js";
import { videoOutputFromWire } from "./video-wire.js";

export interface VideoLinkOptions extends ResilientCallOptions {
  /** Streams the link keeps open at once; one more open is refused `too_many_streams`. */
  maxStreams: number;
}

export const DEFAULT_VIDEO_LINK_OPTIONS: VideoLinkOptions = {
  ...DEFAULT_RESILIENT_CALL_OPTIONS,
  // What the pool allows one call (maxStreamsPerCall): more would only be refused there, after a reconnect each time.
  maxStreams: 128,
};

export interface VideoLinkEvents {
  output(output: VideoOutput): void;
  connection?(state: "connected" | "disconnected"): void;
}

/** A frame not yet written: the newest of its stream while the pool was unreachable. */
type Kept = { seq: number; jpeg: Uint8Array; capturedAtMs: number };

/**
 * A room's StreamVideo call, kept alive: when the pool's stream fails it reopens it with exponential backoff
 * (ResilientCall, on another healthy pool when its route has one), re-opens every camera stream and writes the frame
 * each kept meanwhile. Never throws at the room. Frames are analysed one at a time with no state between them, so
 * moving to another pool loses nothing but the frames in flight (their answers never come; newer frames follow).
 *
 * Unlike audio, a late frame is worth nothing: while the pool is unreachable, or reads slower than frames come (the
 * call congested), the link keeps only the newest frame of each stream, and a frame it replaces is answered `dropped` (as the pool answers a frame replaced in its queue), so
 * what it holds is bounded by one frame per open stream and `maxStreams` streams.
 */
export class VideoLink {
  readonly #events: VideoLinkEvents;
  readonly #options: VideoLinkOptions;
  readonly #streams = new Map<string, VideoStreamOpen>();
  readonly #kept = new Map<string, Kept>();
  /**
   * The room's closes written on the current call and not acknowledged yet, per stream (an id may be closed, opened
   * and closed again before the pool answers); a lost call acknowledges them all. Every close is the room's (no gap
   * closes as audio has), so one count per stream is all the book-keeping.
   */
  readonly #closing = new Map<string, number>();
  readonly #call: ResilientCall<VideoIn, VideoOut__Output>;

  constructor(route: PoolClient | PoolRoute, events: VideoLinkEvents, logger: Logger, options: Partial<VideoLinkOptions> = {}) {
    this.#events = events;
    this.#options = { ...DEFAULT_VIDEO_LINK_OPTIONS, ...options };
    const { reconnectMinMs, reconnectMaxMs } = this.#options;
    this.#call = new ResilientCall(
      route,
      (grpc) => grpc.StreamVideo(),
      {
        connected: () => this.#onConnected(),
        lost: () => this.#onLost(),
        data: (message, current) => this.#onData(message, current),
        drained: () => this.#writeKept(),
      },
      logger.child({ rpc: "StreamVideo" }),
      { reconnectMinMs, reconnectMaxMs },
    );
  }

  get connected(): boolean {
    return this.#call.connected;
  }

  /** The pool the link's call is on (or trying), `host:port`. */
  get pool(): string | null {
    return this.#call.pool;
  }

  open(open: VideoStreamOpen): void {
    if (!this.#streams.has(open.streamId) && this.#streams.size >= this.#options.maxStreams) {
      const message = `a video link may have at most ${this.#options.maxStreams} streams open`;
      this.#events.output({ kind: "error", streamId: open.streamId, code: "too_many_streams", message });
      return;
    }
    this.#streams.set(open.streamId, open);
    // While disconnected it is opened on the next call, with the others.
    this.#call.write(wireOpen(open));
  }

  /**
   * False for a stream that is not open. While the pool is unreachable, or its call congested (the pool reads slower
   * than frames come), the frame is kept, replacing an older one: frames never pile up in the call's buffers, where
   * the pool's own keep-newest could not reach them.
   */
  frame(streamId: string, seq: number, jpeg: Uint8Array, capturedAtMs: number): boolean {
    if (!this.#streams.has(streamId)) return false;
    const frame: Kept = { seq, jpeg, capturedAtMs };
    if (!this.#call.congested && this.#call.write(wireFrame(streamId, frame))) {
      // A frame kept while congested is older than this one: it will never be worth analysing now.
      const stale = this.#kept.get(streamId);
      if (stale !== undefined) {
        this.#kept.delete(streamId);
        this.#events.output({ kind: "dropped", streamId, seq: stale.seq });
      }
      return true;
    }
    const replaced = this.#kept.get(streamId);
    this.#kept.set(streamId, frame);
    if (replaced !== undefined) this.#events.output({ kind: "dropped", streamId, seq: replaced.seq });
    return true;
  }

  close(streamId: string): void {
    if (!this.#streams.delete(streamId)) return;
    if (this.#call.write({ close: { stream_id: streamId } })) {
      this.#closing.set(streamId, (this.#closing.get(streamId) ?? 0) + 1);
      return;
    }
    // No pool holds it: its kept frame will never be analysed, and nothing more will come for it.
    const kept = this.#kept.get(streamId);
    this.#kept.delete(streamId);
    if (kept !== undefined) this.#events.output({ kind: "dropped", streamId, seq: kept.seq });
    this.#events.output({ kind: "closed", streamId });
  }

  /** Ends the call for good; what it kept is dropped unreported (the room is going). */
  end(): void {
    this.#streams.clear();
    this.#kept.clear();
    this.#closing.clear();
    this.#call.end();
  }

  #onData(message: VideoOut__Output, current: boolean): void {
    const output = videoOutputFromWire(message);
    if (output === null) return;
    if (output.kind !== "closed") return this.#events.output(output);
    // A lost call's closes were reported when it was lost; only the current call's count.
    const pending = this.#closing.get(output.streamId);
    if (!current || pending === undefined) return;
    // The room hears of it once, when the last close it wrote for the id is answered.
    if (pending > 1) return void this.#closing.set(output.streamId, pending - 1);
    this.#closing.delete(output.streamId);
    this.#events.output(output);
  }

  #onLost(): void {
    // Whatever the lost call held died with it: nothing more will come of those pool streams.
    for (const streamId of this.#closing.keys()) this.#events.output({ kind: "closed", streamId });
    this.#closing.clear();
    this.#events.connection?.("disconnected");
  }

  #onConnected(): void {
    for (const open of this.#streams.values()) this.#call.write(wireOpen(open));
    this.#writeKept();
    this.#events.connection?.("connected");
  }

  /** Writes the kept frames, oldest stream first, until the call is congested again. */
  #writeKept(): void {
    for (const [streamId, frame] of this.#kept) {
      if (this.#call.congested || !this.#call.write(wireFrame(streamId, frame))) return;
      this.#kept.delete(streamId);
    }
  }
}

function wireOpen(open: VideoStreamOpen): VideoIn {
  return { open: { stream_id: open.streamId, session_id: open.sessionId, participant_id: open.participantId } };
}

function wireFrame(streamId: string, frame: Kept): VideoIn {
  return { frame: { stream_id: streamId, seq: frame.seq, jpeg: frame.jpeg, captured_at_ms: frame.capturedAtMs } };
}
