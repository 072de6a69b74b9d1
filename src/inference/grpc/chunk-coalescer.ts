/** One AudioChunk message: a stream's consecutive chunks merged, with the seq of the last of them. */
export interface CoalescedChunk {
  streamId: string;
  seq: number;
  pcm16: Uint8Array;
  /** Chunks handed to the coalescer that this message carries. */
  chunks: number;
}

/** Where merged chunks go: a StreamAudio call (AudioLink's ResilientCall, the bench's raw call). */
export interface ChunkCoalescerSink {
  /**
   * The call's write buffer is past its high-water mark (its last `write` returned false and 'drain' has not come):
   * a chunk written now only queues behind the others, so it waits to be merged instead.
   */
  busy(): boolean;
  write(message: CoalescedChunk): void;
}

export interface ChunkCoalescerOptions {
  /**
   * Longest a chunk waits for others of its stream while the call is busy; then whatever waits is written even if the
   * call is still busy. 0 never holds a chunk (one message per chunk, as before).
   */
  coalesceMaxDelayMs: number;
  /** Most PCM bytes one merged message carries (the pool refuses chunks over 64 KiB); a larger chunk goes alone. */
  coalesceMaxBytes: number;
}

export const DEFAULT_CHUNK_COALESCER_OPTIONS: ChunkCoalescerOptions = {
  // One VAD chunk (512 samples at 16 kHz): speech is detected at most one chunk later than without merging.
  coalesceMaxDelayMs: 32,
  // ≈ 0.5 s of 16 kHz audio, 170 ms of 48 kHz: a quarter of the pool's per-chunk limit.
  coalesceMaxBytes: 16 * 1024,
};

interface Pending {
  seq: number;
  parts: Uint8Array[];
  bytes: number;
}

/**
 * Fewer messages on a busy StreamAudio call. While the call takes every message at once, each chunk is written as it
 * comes: no added latency. Once its write buffer is full (the pool or the socket is behind), a stream's next chunks
 * wait here and are merged into one message per stream, written when the call drains, after `coalesceMaxDelayMs`
 * at most, or when the next would pass `coalesceMaxBytes`. Each message costs grpc-js a serialization, a write
 * callback and an HTTP/2 frame, and the pool a decode and a handler call, whatever its size: on a call carrying
 * many streams this is most of the transport's cost per chunk.
 *
 * Per stream the order is kept: a chunk never passes one waiting before it, and the owner calls `flush(streamId)`
 * before it writes anything else of that stream (a close, an open). A merged message carries its last chunk's seq,
 * so seqs stay increasing on the call (the pool requires increasing, not consecutive, seqs). Across streams the order
 * may change, which the protocol allows.
 */
export class ChunkCoalescer {
  readonly #sink: ChunkCoalescerSink;
  readonly #options: ChunkCoalescerOptions;
  /** Streams with chunks waiting, in the order their first one came. */
  readonly #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | null = null;
  #messages = 0;
  #chunks = 0;

  constructor(sink: ChunkCoalescerSink, options: Partial<ChunkCoalescerOptions> = {}) {
    this.#sink = sink;
    this.#options = { ...DEFAULT_CHUNK_COALESCER_OPTIONS, ...options };
  }

  /** Messages written and the chunks they carried, since the coalescer was made. */
  get written(): { messages: number; chunks: number } {
    return { messages: this.#messages, chunks: this.#chunks };
  }

  /** Chunks waiting across streams. */
  get waiting(): number {
    let chunks = 0;
    for (const pending of this.#pending.values()) chunks += pending.parts.length;
    return chunks;
  }

  /** A chunk of the stream, after every earlier one of it. */
  push(streamId: string, seq: number, pcm16: Uint8Array): void {
    const pending = this.#pending.get(streamId);
    if (pending !== undefined) {
      if (pending.bytes + pcm16.byteLength <= this.#options.coalesceMaxBytes) {
        pending.parts.push(pcm16);
        pending.bytes += pcm16.byteLength;
        pending.seq = seq;
        return;
      }
      this.flush(streamId);
    }
    const holds = this.#options.coalesceMaxDelayMs > 0 && pcm16.byteLength < this.#options.coalesceMaxBytes;
    if (!holds || !this.#sink.busy()) return this.#write(streamId, seq, pcm16, 1);
    this.#pending.set(streamId, { seq, parts: [pcm16], bytes: pcm16.byteLength });
    // One timer for all streams, armed by the first chunk to wait: none waits past it, which is all the bound needs.
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.flushAll();
    }, this.#options.coalesceMaxDelayMs);
  }

  /** Writes the stream's waiting chunks now: before a close or open of it, which must follow its audio. */
  flush(streamId: string): void {
    const pending = this.#pending.get(streamId);
    if (pending === undefined) return;
    this.#pending.delete(streamId);
    const pcm16 = pending.parts.length === 1 ? pending.parts[0] : Buffer.concat(pending.parts);
    this.#write(streamId, pending.seq, pcm16 ?? new Uint8Array(0), pending.parts.length);
    if (this.#pending.size === 0) this.#stopTimer();
  }

  /** Writes every stream's waiting chunks: the call drained, or the delay is up. */
  flushAll(): void {
    for (const streamId of [...this.#pending.keys()]) this.flush(streamId);
    this.#stopTimer();
  }

  /** The call is gone: what waits goes with it (its owner replays it from what it kept, as the call's own buffer). */
  clear(): void {
    this.#pending.clear();
    this.#stopTimer();
  }

  #write(streamId: string, seq: number, pcm16: Uint8Array, chunks: number): void {
    this.#messages += 1;
    this.#chunks += chunks;
    this.#sink.write({ streamId, seq, pcm16, chunks });
  }

  #stopTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
