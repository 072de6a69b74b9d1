import type { InferenceGateway, VideoLinkHandle } from "../inference/inference-gateway.js";
import type { VideoOutput } from "../inference/pool-types.js";
import type { Logger } from "../logger.js";
import { ClosingStreams } from "./closing-streams.js";
import { ErrorNotices, participantCode, type MediaErrorCode } from "./error-notices.js";
import { ExpressionTracker, type ExpressionTrackerOptions } from "./expression-tracker.js";
import type { MediaResultListener, RoomMediaInput } from "./room-media.js";

/** Who hears of a room's video: the room itself. Called on gRPC callbacks: the listener guards its work. */
export interface RoomVideoListener extends MediaResultListener {
  /** Every frame's fate in the pool, and every error before the per-participant throttling (for metrics). */
  videoOutcome(outcome: "analysed" | "dropped_stale" | MediaErrorCode): void;
}

export interface RoomVideoOptions {
  /** How long draining waits for the frames in analysis. */
  drainTimeoutMs: number;
  /** At most one error of each code per participant in this window. */
  errorNoticeMs: number;
  expressions: Partial<ExpressionTrackerOptions>;
}

export const DEFAULT_ROOM_VIDEO_OPTIONS: RoomVideoOptions = { drainTimeoutMs: 5_000, errorNoticeMs: 1_000, expressions: {} };

interface CameraStream {
  streamId: string;
  participantId: string;
  seq: number;
}

/** Made with the first frame: a session nobody films holds none of it. */
interface CameraBook {
  link: VideoLinkHandle;
  byParticipant: Map<string, CameraStream>;
  byStream: Map<string, CameraStream>;
  /** Streams closed and not yet acknowledged (a frame may still be in analysis). */
  closing: ClosingStreams;
  notices: ErrorNotices;
  expressions: ExpressionTracker;
}

/**
 * A room's cameras: one pool video stream per participant connection, on the room's own `StreamVideo` link. It
 * numbers frames, stamps their capture time (arrival here), maps the pool's answers back to participants in the
 * session's timeline, and keeps what each camera last showed (`expressions`).
 */
export class RoomVideo {
  readonly #gateway: InferenceGateway;
  readonly #logger: Logger;
  readonly #sessionId: string;
  readonly #startedAtMs: number;
  readonly #listener: RoomVideoListener;
  readonly #options: RoomVideoOptions;
  #book: CameraBook | undefined;
  #generation = 0;

  constructor(input: RoomMediaInput<RoomVideoListener, RoomVideoOptions>) {
    this.#gateway = input.gateway;
    this.#logger = input.logger;
    this.#sessionId = input.sessionId;
    this.#startedAtMs = input.startedAtMs;
    this.#listener = input.listener;
    const options = input.options;
    this.#options =
      options === undefined
        ? DEFAULT_ROOM_VIDEO_OPTIONS
        : { ...DEFAULT_ROOM_VIDEO_OPTIONS, ...options, expressions: { ...DEFAULT_ROOM_VIDEO_OPTIONS.expressions, ...options.expressions } };
  }

  /** What each participant's camera last showed (made with the first frame). */
  get expressions(): ExpressionTracker {
    return this.#opened().expressions;
  }

  /** Forwards one frame, opening the participant's stream on its first. */
  push(participantId: string, jpeg: Uint8Array): void {
    const book = this.#opened();
    let stream = book.byParticipant.get(participantId);
    if (stream === undefined) {
      this.#generation += 1;
      stream = { streamId: `${participantId}#v${this.#generation}`, participantId, seq: 0 };
      book.byParticipant.set(participantId, stream);
      book.byStream.set(stream.streamId, stream);
      book.link.open({ streamId: stream.streamId, sessionId: this.#sessionId, participantId });
    }
    stream.seq += 1;
    book.link.frame(stream.streamId, stream.seq, jpeg, Date.now());
  }

  /** Ends a participant's camera stream (left, dropped, replaced); the frame in analysis is still answered. */
  end(participantId: string): void {
    const book = this.#book;
    if (book === undefined) return;
    book.notices.forget(participantId);
    book.expressions.forget(participantId);
    const stream = book.byParticipant.get(participantId);
    if (stream === undefined) return;
    book.byParticipant.delete(participantId);
    book.closing.add(stream.streamId);
    book.link.close(stream.streamId);
  }

  /** Closes every stream and waits (bounded) for the frames still in analysis. */
  async drain(): Promise<void> {
    const book = this.#book;
    if (book === undefined) return;
    for (const participantId of [...book.byParticipant.keys()]) this.end(participantId);
    await book.closing.settled(this.#options.drainTimeoutMs);
  }

  close(): void {
    this.#book?.link.end();
  }

  #opened(): CameraBook {
    this.#book ??= {
      link: this.#gateway.openVideoLink({ output: (output) => this.#onOutput(output) }, this.#logger),
      byParticipant: new Map(),
      byStream: new Map(),
      closing: new ClosingStreams(),
      notices: new ErrorNotices(this.#options.errorNoticeMs),
      expressions: new ExpressionTracker(this.#options.expressions),
    };
    return this.#book;
  }

  #onOutput(output: VideoOutput): void {
    const book = this.#opened();
    const stream = book.byStream.get(output.streamId);
    if (stream === undefined) return;
    const participantId = stream.participantId;
    switch (output.kind) {
      case "faces":
        this.#listener.videoOutcome("analysed");
        // A closing stream's last answer is stale: the participant is gone, or films on a newer stream.
        if (book.byParticipant.get(participantId) !== stream) return;
        this.#listener.mediaResult({
          kind: "faces",
          participantId,
          atMs: Math.max(0, output.atMs - this.#startedAtMs),
          faces: output.faces,
          timings: output.timings,
          ageMs: Math.max(0, Date.now() - output.atMs),
          receivedAtMs: performance.now(),
        });
        return;
      case "dropped":
        this.#listener.videoOutcome("dropped_stale");
        return;
      case "error":
        this.#notify(participantId, output.code, output.message);
        return;
      case "closed": {
        book.byStream.delete(output.streamId);
        book.closing.closed(output.streamId);
        return;
      }
    }
  }

  #notify(participantId: string, code: MediaErrorCode, message: string): void {
    this.#listener.videoOutcome(code);
    if (!this.#opened().notices.allow(participantId, code, Date.now())) return;
    this.#listener.mediaResult({ kind: "error", participantId, media: "video", code: participantCode(code), message });
  }
}
