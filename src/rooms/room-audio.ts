import type { AudioLinkHandle, InferenceGateway } from "../inference/inference-gateway.js";
import type { AudioStage, PoolOutput, SampleRate, StreamVad } from "../inference/pool-types.js";
import type { Logger } from "../logger.js";
import { ClosingStreams } from "./closing-streams.js";
import { ErrorNotices, participantCode, type MediaErrorCode } from "./error-notices.js";
import type { MediaResultListener, RoomMediaInput } from "./room-media.js";

export type RoomAudioErrorCode = MediaErrorCode;

/** The stages a stream with noise suppression asks for; shared, never mutated. */
const DENOISE: readonly AudioStage[] = ["denoise"];

/** Who hears of a room's audio: the room itself (an object it already is, not a bag of closures per session). */
export interface RoomAudioListener extends MediaResultListener {
  /** Every pool error, before the per-participant throttling (metrics count them all). */
  audioError(code: RoomAudioErrorCode): void;
}

export interface RoomAudioOptions {
  /** How long draining waits for in-flight utterances before giving up on them. */
  drainTimeoutMs: number;
  /** At most one error of each code per participant in this window: a failing pool must not flood the client. */
  errorNoticeMs: number;
  /**
   * The session's noise suppression (option `noise_suppression`): each stream asks the pool for it unless its
   * participant's join option says otherwise.
   */
  noiseSuppression: boolean;
  /** The streams' turn-taking (a tutoring session's tutor profile); null: the pool's defaults. */
  vad: StreamVad | null;
}

export const DEFAULT_ROOM_AUDIO_OPTIONS: RoomAudioOptions = { drainTimeoutMs: 30_000, errorNoticeMs: 1_000, noiseSuppression: false, vad: null };

/** A room's streams, made with its link on the first chunk: an idle session holds neither. */
interface StreamBook {
  link: AudioLinkHandle;
  byParticipant: Map<string, ParticipantStream>;
  byStream: Map<string, ParticipantStream>;
  /** Streams closed but not yet acknowledged by the pool (their last utterance may still be transcribing). */
  closing: ClosingStreams;
  /** A participant's entries go when their stream ends. */
  notices: ErrorNotices;
}

interface ParticipantStream {
  streamId: string;
  participantId: string;
  seq: number;
  /** Session-relative ms of the stream's first sample: added to the pool's stream offsets. */
  offsetMs: number;
  /** Audio sent on the stream so far, in ms of its own timeline. */
  sentMs: number;
}

/**
 * A room's audio: one pool stream per participant connection, multiplexed on the room's link. It numbers chunks,
 * maps pool results back to participants with session-relative times, and on drain waits for every closed
 * stream's last transcript.
 */
export class RoomAudio {
  readonly #gateway: InferenceGateway;
  readonly #logger: Logger;
  readonly #sessionId: string;
  readonly #startedAtMs: number;
  readonly #options: RoomAudioOptions;
  readonly #listener: RoomAudioListener;
  /** The link (a gRPC stream: ≈ 23 KB across the engine and the pool) and maps, made on the first chunk. */
  #book: StreamBook | undefined;
  #generation = 0;

  constructor(input: RoomMediaInput<RoomAudioListener, RoomAudioOptions>) {
    this.#sessionId = input.sessionId;
    this.#startedAtMs = input.startedAtMs;
    this.#listener = input.listener;
    this.#options = input.options === undefined ? DEFAULT_ROOM_AUDIO_OPTIONS : { ...DEFAULT_ROOM_AUDIO_OPTIONS, ...input.options };
    this.#gateway = input.gateway;
    this.#logger = input.logger;
  }

  /**
   * Forwards one chunk, opening the participant's stream on its first: at `sampleRate`, with noise suppression when
   * `noiseSuppression` (their join option) says so, or when unset and the session's option does.
   */
  push(participantId: string, sampleRate: SampleRate, pcm16: Uint8Array, noiseSuppression?: boolean): void {
    const book = this.#opened();
    let stream = book.byParticipant.get(participantId);
    if (stream === undefined) {
      this.#generation += 1;
      const chunkMs = (pcm16.byteLength / 2 / sampleRate) * 1000;
      stream = {
        streamId: `${participantId}#${this.#generation}`,
        participantId,
        seq: 0,
        sentMs: 0,
        offsetMs: Math.max(0, Date.now() - this.#startedAtMs - chunkMs),
      };
      book.byParticipant.set(participantId, stream);
      book.byStream.set(stream.streamId, stream);
      const stages = (noiseSuppression ?? this.#options.noiseSuppression) ? { stages: DENOISE } : {};
      const vad = this.#options.vad === null ? {} : { vad: this.#options.vad };
      book.link.open({ streamId: stream.streamId, sessionId: this.#sessionId, participantId, sampleRate, ...stages, ...vad });
    }
    stream.seq += 1;
    stream.sentMs += (pcm16.byteLength / 2 / sampleRate) * 1000;
    book.link.chunk(stream.streamId, stream.seq, pcm16);
  }

  /**
   * Ends a participant's stream (left, dropped, replaced by a new connection): its last utterance is still
   * transcribed, but they stop speaking now — not once the pool has flushed, and whatever it still says of the stream.
   */
  end(participantId: string): void {
    const book = this.#book;
    if (book === undefined) return;
    book.notices.forget(participantId);
    const stream = book.byParticipant.get(participantId);
    if (stream === undefined) return;
    book.byParticipant.delete(participantId);
    book.closing.add(stream.streamId);
    book.link.close(stream.streamId);
    this.#listener.mediaResult({ kind: "speech", participantId, speaking: false });
  }

  /** Closes every stream and waits (bounded) until the pool has delivered their last transcripts. */
  async drain(): Promise<void> {
    const book = this.#book;
    if (book === undefined) return;
    for (const participantId of [...book.byParticipant.keys()]) this.end(participantId);
    await book.closing.settled(this.#options.drainTimeoutMs);
  }

  close(): void {
    this.#book?.link.end();
  }

  #opened(): StreamBook {
    this.#book ??= {
      link: this.#gateway.openAudioLink(
        {
          output: (output) => this.#onOutput(output),
          unavailable: (streamId) => this.#onUnavailable(streamId),
        },
        this.#logger,
      ),
      byParticipant: new Map(),
      byStream: new Map(),
      closing: new ClosingStreams(),
      notices: new ErrorNotices(this.#options.errorNoticeMs),
    };
    return this.#book;
  }

  #onOutput(output: PoolOutput): void {
    const book = this.#opened();
    const stream = book.byStream.get(output.streamId);
    if (stream === undefined) return;
    const participantId = stream.participantId;
    switch (output.kind) {
      case "speech":
        // A closing stream's late events would show a participant who is gone (or on a newer stream) as speaking.
        if (book.byParticipant.get(participantId) !== stream) return;
        // The pool confirms speech only after some of it (its minimum speech): how much had been sent by now.
        this.#listener.mediaResult({ kind: "speech", participantId, speaking: output.event === "started", heardMs: Math.max(0, Math.round(stream.sentMs - output.atMs)) });
        return;
      case "transcript":
        this.#listener.mediaResult({
          kind: "transcript",
          participantId,
          segmentId: roomSegmentId(output.streamId, output.segmentId),
          text: output.text,
          startMs: Math.round(stream.offsetMs + output.startMs),
          endMs: Math.round(stream.offsetMs + output.endMs),
          final: output.final,
          timings: output.timings,
          receivedAtMs: performance.now(),
        });
        return;
      case "error":
        // A failed utterance's interim line comes down whether or not its sender is told (notices are throttled).
        if (output.segmentId !== undefined) {
          this.#listener.mediaResult({ kind: "transcript_failed", participantId, segmentId: roomSegmentId(output.streamId, output.segmentId) });
        }
        this.#notify(participantId, output.code, output.message);
        return;
      case "closed": {
        book.byStream.delete(output.streamId);
        // `end` already cleared `speaking`; saying it again here could clear a newer stream's.
        book.closing.closed(output.streamId);
        return;
      }
    }
  }

  #onUnavailable(streamId: string): void {
    const stream = this.#opened().byStream.get(streamId);
    if (stream === undefined) return;
    this.#notify(
      stream.participantId,
      "inference_unavailable",
      "the inference pool is unreachable and the audio buffer is full; audio is being dropped",
    );
  }

  #notify(participantId: string, code: RoomAudioErrorCode, message: string): void {
    this.#listener.audioError(code);
    if (!this.#opened().notices.allow(participantId, code, Date.now())) return;
    this.#listener.mediaResult({ kind: "error", participantId, media: "audio", code: participantCode(code), message });
  }
}

/** A pool segment id as the room's transcripts carry it: unique across the participant's streams. */
function roomSegmentId(streamId: string, segmentId: string): string {
  return `${streamId}/${segmentId}`;
}
