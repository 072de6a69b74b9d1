import type { AudioLinkHandle, InferenceGateway } from "../inference/inference-gateway.js";
import type { PoolErrorCode, PoolOutput, SampleRate, StageTimings } from "../inference/pool-types.js";
import { ROOM_ERROR_CODES, type RoomErrorCode } from "../protocol/error-codes.js";
import type { Logger } from "../logger.js";

/** A result of the pool, resolved to the participant whose audio it concerns; offsets are session-relative ms. */
export type ParticipantResult =
  | { kind: "speech"; participantId: string; speaking: boolean }
  | {
      kind: "transcript";
      participantId: string;
      segmentId: string;
      text: string;
      startMs: number;
      endMs: number;
      final: boolean;
      /** The pool's stage timings, and when (`performance.now()`) the engine received it: for latency metrics. */
      timings: StageTimings;
      receivedAtMs: number;
    }
  | { kind: "error"; participantId: string; code: RoomErrorCode; message: string };

export type RoomAudioErrorCode = PoolErrorCode | "inference_unavailable";

/**
 * What a participant is told of a pool error: the pool's code when it means something to them, `inference_unavailable`
 * when the pool refused this engine (a wrong secret: the operator's to fix), `internal` for the link's own mistakes.
 */
function participantCode(code: RoomAudioErrorCode): RoomErrorCode {
  if (code === "unauthorized") return "inference_unavailable";
  return (ROOM_ERROR_CODES as readonly string[]).includes(code) ? (code as RoomErrorCode) : "internal";
}

export interface RoomAudioOptions {
  /** How long draining waits for in-flight utterances before giving up on them. */
  drainTimeoutMs: number;
  /** At most one error of each code per participant in this window: a failing pool must not flood the client. */
  errorNoticeMs: number;
}

export const DEFAULT_ROOM_AUDIO_OPTIONS: RoomAudioOptions = { drainTimeoutMs: 30_000, errorNoticeMs: 1_000 };

interface ParticipantStream {
  streamId: string;
  participantId: string;
  seq: number;
  /** Session-relative ms of the stream's first sample: added to the pool's stream offsets. */
  offsetMs: number;
}

/**
 * A room's audio: one pool stream per participant connection, multiplexed on the room's link. It numbers chunks,
 * maps pool results back to participants with session-relative times, and on drain waits for every closed
 * stream's last transcript.
 */
export class RoomAudio {
  readonly #link: AudioLinkHandle;
  readonly #sessionId: string;
  readonly #startedAtMs: number;
  readonly #options: RoomAudioOptions;
  readonly #deliver: (result: ParticipantResult) => void;
  readonly #onError: (code: RoomAudioErrorCode) => void;
  readonly #byParticipant = new Map<string, ParticipantStream>();
  readonly #byStream = new Map<string, ParticipantStream>();
  /** Streams closed but not yet acknowledged by the pool (their last utterance may still be transcribing). */
  readonly #closing = new Map<string, () => void>();
  /** Last notice time per participant and code; a participant's entries go when their stream ends. */
  readonly #lastNoticeMs = new Map<string, Map<RoomAudioErrorCode, number>>();
  #generation = 0;

  constructor(input: {
    gateway: InferenceGateway;
    sessionId: string;
    startedAtMs: number;
    logger: Logger;
    deliver: (result: ParticipantResult) => void;
    /** Told of every error, before the per-participant throttling (metrics count them all). */
    onError?: (code: RoomAudioErrorCode) => void;
    options?: Partial<RoomAudioOptions>;
  }) {
    this.#sessionId = input.sessionId;
    this.#startedAtMs = input.startedAtMs;
    this.#deliver = input.deliver;
    this.#onError = input.onError ?? (() => {});
    this.#options = { ...DEFAULT_ROOM_AUDIO_OPTIONS, ...input.options };
    this.#link = input.gateway.openAudioLink(
      {
        output: (output) => this.#onOutput(output),
        unavailable: (streamId) => this.#onUnavailable(streamId),
      },
      input.logger,
    );
  }

  /** Forwards one chunk, opening the participant's stream on its first. */
  push(participantId: string, sampleRate: SampleRate, pcm16: Uint8Array): void {
    let stream = this.#byParticipant.get(participantId);
    if (stream === undefined) {
      this.#generation += 1;
      const chunkMs = (pcm16.byteLength / 2 / sampleRate) * 1000;
      stream = {
        streamId: `${participantId}#${this.#generation}`,
        participantId,
        seq: 0,
        offsetMs: Math.max(0, Date.now() - this.#startedAtMs - chunkMs),
      };
      this.#byParticipant.set(participantId, stream);
      this.#byStream.set(stream.streamId, stream);
      this.#link.open({ streamId: stream.streamId, sessionId: this.#sessionId, participantId, sampleRate });
    }
    stream.seq += 1;
    this.#link.chunk(stream.streamId, stream.seq, pcm16);
  }

  /**
   * Ends a participant's stream (left, dropped, replaced by a new connection): its last utterance is still
   * transcribed, but they stop speaking now — not once the pool has flushed, and whatever it still says of the stream.
   */
  end(participantId: string): void {
    this.#lastNoticeMs.delete(participantId);
    const stream = this.#byParticipant.get(participantId);
    if (stream === undefined) return;
    this.#byParticipant.delete(participantId);
    this.#closing.set(stream.streamId, () => {});
    this.#link.close(stream.streamId);
    this.#deliver({ kind: "speech", participantId, speaking: false });
  }

  /** Closes every stream and waits (bounded) until the pool has delivered their last transcripts. */
  async drain(): Promise<void> {
    for (const participantId of [...this.#byParticipant.keys()]) this.end(participantId);
    const pending = [...this.#closing.keys()].map(
      (streamId) => new Promise<void>((resolve) => this.#closing.set(streamId, resolve)),
    );
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#options.drainTimeoutMs)));
    await Promise.race([Promise.all(pending), timeout]);
    clearTimeout(timer);
  }

  close(): void {
    this.#link.end();
  }

  #onOutput(output: PoolOutput): void {
    const stream = this.#byStream.get(output.streamId);
    if (stream === undefined) return;
    const participantId = stream.participantId;
    switch (output.kind) {
      case "speech":
        // A closing stream's late events would show a participant who is gone (or on a newer stream) as speaking.
        if (this.#byParticipant.get(participantId) !== stream) return;
        this.#deliver({ kind: "speech", participantId, speaking: output.event === "started" });
        return;
      case "transcript":
        this.#deliver({
          kind: "transcript",
          participantId,
          segmentId: `${output.streamId}/${output.segmentId}`,
          text: output.text,
          startMs: Math.round(stream.offsetMs + output.startMs),
          endMs: Math.round(stream.offsetMs + output.endMs),
          final: output.final,
          timings: output.timings,
          receivedAtMs: performance.now(),
        });
        return;
      case "error":
        this.#notify(participantId, output.code, output.message);
        return;
      case "closed": {
        this.#byStream.delete(output.streamId);
        const resolve = this.#closing.get(output.streamId);
        this.#closing.delete(output.streamId);
        // `end` already cleared `speaking`; saying it again here could clear a newer stream's.
        resolve?.();
        return;
      }
    }
  }

  #onUnavailable(streamId: string): void {
    const stream = this.#byStream.get(streamId);
    if (stream === undefined) return;
    this.#notify(
      stream.participantId,
      "inference_unavailable",
      "the inference pool is unreachable and the audio buffer is full; audio is being dropped",
    );
  }

  #notify(participantId: string, code: RoomAudioErrorCode, message: string): void {
    this.#onError(code);
    const nowMs = Date.now();
    const notices = this.#lastNoticeMs.get(participantId) ?? new Map<RoomAudioErrorCode, number>();
    if (nowMs - (notices.get(code) ?? 0) < this.#options.errorNoticeMs) return;
    notices.set(code, nowMs);
    this.#lastNoticeMs.set(participantId, notices);
    this.#deliver({ kind: "error", participantId, code: participantCode(code), message });
  }
}
