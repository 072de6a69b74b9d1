import { UTTERANCE_PADDING_MS } from "../pool-types.js";

/** A chunk of a stream's audio: `atMs` is where it was captured in its stream's timeline, `ms` its duration. */
export interface TimedChunk {
  streamId: string;
  seq: number;
  pcm16: Uint8Array;
  atMs: number;
  ms: number;
}

export interface AudioRetentionOptions {
  /**
   * Most audio kept per stream (its oldest goes first past it), and the most replayed to a new pool with what was
   * buffered meanwhile: under the pool's own backlog bound (30 s by default), so a replay is never refused there.
   */
  retainMs: number;
  /**
   * Audio the pool has said nothing about this long after it was written, with no speech of the stream waiting for
   * its transcript, is taken as silence the pool has heard and is no longer kept. Above the longest a speech onset
   * stays unconfirmed (the VAD's minimum speech plus the longest end-of-turn silence, 3 s, plus its pre-roll).
   */
  silenceSettleMs: number;
  /** Most bytes kept across the link's streams; past it the stream keeping the most loses its oldest chunk. */
  maxRetainedBytes: number;
}

export const DEFAULT_AUDIO_RETENTION_OPTIONS: AudioRetentionOptions = {
  retainMs: 25_000,
  silenceSettleMs: 6_000,
  // ≈ 4 min of 16 kHz audio across a room's streams.
  maxRetainedBytes: 8 * 1024 * 1024,
};

/**
 * Kept before a speech onset the pool reported: its pre-roll (the utterance's audio starts that far before the
 * speech) and a VAD chunk of rounding.
 */
const ONSET_MARGIN_MS = UTTERANCE_PADDING_MS + 100;

interface Kept extends TimedChunk {
  /** When it was written to the pool (performance.now()). */
  writtenAtMs: number;
}

/** A speech the pool reported on the current call whose transcript has not come yet. */
interface Speech {
  startMs: number;
  endMs: number | null;
  /** When its end was reported (performance.now()). */
  endedAtMs: number | null;
}

interface StreamRetention {
  chunks: Kept[];
  ms: number;
  bytes: number;
  speech: Speech[];
}

/**
 * Per stream, the audio written to the current pool call that the pool has not turned into a final transcript:
 * what a new pool must hear again when this one is lost, so that no utterance is lost and none is transcribed
 * twice. A chunk leaves once it is inside a delivered final transcript (its middle within the transcript's start and
 * end), or once it is before every speech still waiting for its transcript and either before a speech the pool has
 * reported since or written `silenceSettleMs` ago. Bounded per stream (`retainMs`) and per link
 * (`maxRetainedBytes`): past them the oldest audio goes, and an utterance in flight longer than that is heard again
 * from where the kept audio starts.
 */
export class AudioRetention {
  readonly #options: AudioRetentionOptions;
  readonly #onDropped: (streamId: string, ms: number) => void;
  readonly #streams = new Map<string, StreamRetention>();
  #bytes = 0;

  constructor(options: Partial<AudioRetentionOptions>, onDropped: (streamId: string, ms: number) => void) {
    this.#options = { ...DEFAULT_AUDIO_RETENTION_OPTIONS, ...options };
    this.#onDropped = onDropped;
  }

  get retainMs(): number {
    return this.#options.retainMs;
  }

  /** A chunk just written to the pool. */
  written(chunk: TimedChunk, nowMs: number = performance.now()): void {
    if (this.#options.retainMs <= 0) return;
    const stream = this.#streamOf(chunk.streamId);
    stream.chunks.push({ ...chunk, writtenAtMs: nowMs });
    stream.ms += chunk.ms;
    stream.bytes += chunk.pcm16.byteLength;
    this.#bytes += chunk.pcm16.byteLength;
    this.#settle(stream, nowMs);
    while (stream.ms > this.#options.retainMs) this.#dropOldest(chunk.streamId, stream, true);
    while (this.#bytes > this.#options.maxRetainedBytes) this.#dropFromLargest();
  }

  /** The pool reported speech starting or ending on the current call. */
  speech(streamId: string, event: "started" | "ended", atMs: number, nowMs: number = performance.now()): void {
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return;
    if (event === "started") stream.speech.push({ startMs: atMs, endMs: null, endedAtMs: null });
    else {
      const open = stream.speech.findLast((s) => s.endMs === null);
      if (open !== undefined) {
        open.endMs = atMs;
        open.endedAtMs = nowMs;
      }
    }
    this.#settle(stream, nowMs);
  }

  /** A final transcript of the stream, delivered: its audio is never heard again. */
  final(streamId: string, startMs: number, endMs: number, nowMs: number = performance.now()): void {
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return;
    stream.chunks = stream.chunks.filter((c) => {
      const middle = c.atMs + c.ms / 2;
      if (middle < startMs || middle > endMs) return true;
      this.#forget(stream, c);
      return false;
    });
    // The speech it ends (a long speech's earlier pieces end inside it too).
    stream.speech = stream.speech.filter((s) => s.endMs === null || s.endMs < startMs || s.endMs > endMs);
    this.#settle(stream, nowMs);
  }

  /** The kept audio of every stream, oldest first, for a replay; the retention starts over (the replay refills it). */
  takeAll(): Map<string, TimedChunk[]> {
    const taken = new Map<string, TimedChunk[]>();
    for (const [streamId, stream] of this.#streams) {
      if (stream.chunks.length > 0) taken.set(streamId, stream.chunks.map(({ writtenAtMs: _written, ...chunk }) => chunk));
    }
    this.clear();
    return taken;
  }

  has(streamId: string): boolean {
    return (this.#streams.get(streamId)?.chunks.length ?? 0) > 0;
  }

  drop(streamId: string): void {
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return;
    this.#bytes -= stream.bytes;
    this.#streams.delete(streamId);
  }

  clear(): void {
    this.#streams.clear();
    this.#bytes = 0;
  }

  #streamOf(streamId: string): StreamRetention {
    let stream = this.#streams.get(streamId);
    if (stream === undefined) {
      stream = { chunks: [], ms: 0, bytes: 0, speech: [] };
      this.#streams.set(streamId, stream);
    }
    return stream;
  }

  /** Lets go of the oldest audio the pool is done with (see the class comment). */
  #settle(stream: StreamRetention, nowMs: number): void {
    // A speech whose end came a whole retention ago without a transcript failed in the pool (its deadline is 15 s).
    stream.speech = stream.speech.filter((s) => s.endedAtMs === null || nowMs - s.endedAtMs < this.#options.retainMs);
    const waiting = stream.speech.reduce((min, s) => Math.min(min, s.startMs), Number.POSITIVE_INFINITY);
    const floorMs = waiting - ONSET_MARGIN_MS;
    const heardSpeech = stream.speech.length > 0;
    for (;;) {
      const head = stream.chunks[0];
      if (head === undefined || head.atMs + head.ms > floorMs) return;
      // Before a speech the pool reported, the pool has heard it; otherwise only once it has had time to.
      if (!heardSpeech && nowMs - head.writtenAtMs < this.#options.silenceSettleMs) return;
      stream.chunks.shift();
      this.#forget(stream, head);
    }
  }

  #dropOldest(streamId: string, stream: StreamRetention, counted: boolean): void {
    const head = stream.chunks.shift();
    if (head === undefined) return;
    this.#forget(stream, head);
    if (counted) this.#onDropped(streamId, head.ms);
  }

  #dropFromLargest(): void {
    let largest: [string, StreamRetention] | null = null;
    for (const entry of this.#streams) if (largest === null || entry[1].bytes > largest[1].bytes) largest = entry;
    if (largest === null || largest[1].chunks.length === 0) {
      this.#bytes = 0;
      return;
    }
    this.#dropOldest(largest[0], largest[1], true);
  }

  #forget(stream: StreamRetention, chunk: TimedChunk): void {
    stream.ms -= chunk.ms;
    stream.bytes -= chunk.pcm16.byteLength;
    this.#bytes -= chunk.pcm16.byteLength;
  }
}
