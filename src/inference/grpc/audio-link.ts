import type { Logger } from "../../logger.js";
import type { PoolOutput, StreamOpen } from "../pool-types.js";
import { AudioRetention, DEFAULT_AUDIO_RETENTION_OPTIONS, type AudioRetentionOptions, type TimedChunk } from "./audio-retention.js";
import { ChunkCoalescer, DEFAULT_CHUNK_COALESCER_OPTIONS, type ChunkCoalescerOptions } from "./chunk-coalescer.js";
import type { AudioIn } from "./generated/engine/inference/v1/AudioIn.js";
import type { AudioOut__Output } from "./generated/engine/inference/v1/AudioOut.js";
import { outputFromWire, type PoolClient } from "./pool-client.js";
import { openToWire } from "./pool-wire.js";
import { DEFAULT_RESILIENT_CALL_OPTIONS, ResilientCall, type PoolRoute, type ResilientCallOptions } from "./resilient-call.js";

export interface AudioLinkOptions extends ResilientCallOptions, AudioRetentionOptions, ChunkCoalescerOptions {
  /** Audio kept while the pool is unreachable, across the link's streams; past it chunks are refused. */
  maxBufferedBytes: number;
}

export const DEFAULT_AUDIO_LINK_OPTIONS: AudioLinkOptions = {
  ...DEFAULT_RESILIENT_CALL_OPTIONS,
  ...DEFAULT_AUDIO_RETENTION_OPTIONS,
  ...DEFAULT_CHUNK_COALESCER_OPTIONS,
  // ≈ 16 s of one 16 kHz stream, or 5 s of three 48 kHz ones.
  maxBufferedBytes: 512 * 1024,
};

export interface AudioLinkEvents {
  output(output: PoolOutput): void;
  /** A chunk of this stream was refused: the pool is unreachable and the buffer is full. */
  unavailable(streamId: string): void;
  connection?(state: "connected" | "disconnected"): void;
  /** Kept audio of a stream dropped past the retention's bounds (`ms` of it): a replay would start after it. */
  retentionDropped?(streamId: string, ms: number): void;
}

/**
 * Audio missing from a stream for at least this long (refused while the pool was unreachable, or already
 * transcribed when a replay skips it) ends its pool stream there and reopens it where the audio resumes; less is
 * rounding (offsets travel as whole milliseconds).
 */
const MIN_GAP_MS = 1;

/**
 * A room's StreamAudio call, kept alive: when the pool's stream fails it is made again (ResilientCall, on another
 * healthy pool when the route has one), every participant stream is re-opened, and the audio the lost call had not
 * finished with is replayed: what it was sent but had not turned into a final transcript (AudioRetention), then
 * what was buffered while no pool took it (bounded). Never throws at the room.
 *
 * Exactly once across a lost pool: a delivered final transcript's audio is never sent again (the replay skips it as
 * a gap, below), and whatever a lost or abandoned call still says is dropped (`current` false: its audio is being
 * replayed to the new call, whose transcripts are the ones that count). Segment ids come from the pool that heard
 * the audio, so the new pool's never repeat the old one's.
 *
 * Times across an outage: each stream is re-opened at the offset where its first replayed chunk was captured, and
 * where audio is missing (already transcribed, or refused once the buffer was full) the pool stream is closed at
 * the gap and re-opened at the offset where audio resumes (see StreamClose in proto/inference.proto), so every
 * utterance keeps the times it was spoken at and none spans the missing audio. Those closes are the link's own: the
 * room sees one `closed` per stream, once every pool stream of it has been acknowledged. A stream the room closed
 * whose last audio the lost call had not finished is re-opened on the next call, replayed and closed again there.
 *
 * While the call is congested (its write buffer full: the pool or the socket is behind, a big replay), a stream's
 * chunks are merged into fewer messages, for `coalesceMaxDelayMs` at most (ChunkCoalescer): they count as written
 * (kept by the retention chunk by chunk, lost with the call like its own buffer), and a close or open of the stream
 * writes them first.
 */
export class AudioLink {
  readonly #events: AudioLinkEvents;
  readonly #options: AudioLinkOptions;
  readonly #streams = new Map<string, StreamOpen>();
  /** Where each stream's next chunk sits in its timeline: the audio handed to the link (written, buffered or refused). */
  readonly #acceptedMs = new Map<string, number>();
  /** Where each stream's audio written on the current call ends in the pool's timeline (its open's offset onwards). */
  readonly #writtenMs = new Map<string, number>();
  /** Streams the room closed whose close the pool has not acknowledged yet; a lost call may carry them over. */
  readonly #closing = new Map<string, StreamOpen>();
  /** Closes written on the current call and not yet acknowledged, per stream: the room's and the gaps'. */
  readonly #unacked = new Map<string, number>();
  readonly #retention: AudioRetention;
  readonly #call: ResilientCall<AudioIn, AudioOut__Output>;
  /** While the call is congested, a stream's chunks are merged into fewer messages (they count as written). */
  readonly #coalescer: ChunkCoalescer;
  #buffer: TimedChunk[] = [];
  #bufferedBytes = 0;

  constructor(route: PoolClient | PoolRoute, events: AudioLinkEvents, logger: Logger, options: Partial<AudioLinkOptions> = {}) {
    this.#events = events;
    this.#options = { ...DEFAULT_AUDIO_LINK_OPTIONS, ...options };
    const { reconnectMinMs, reconnectMaxMs, retainMs, silenceSettleMs, maxRetainedBytes, coalesceMaxDelayMs, coalesceMaxBytes } = this.#options;
    this.#retention = new AudioRetention({ retainMs, silenceSettleMs, maxRetainedBytes }, (streamId, ms) => this.#events.retentionDropped?.(streamId, ms));
    this.#call = new ResilientCall(
      route,
      (grpc) => grpc.StreamAudio(),
      {
        connected: () => this.#onConnected(),
        lost: () => this.#onLost(),
        data: (message, current) => this.#onData(message, current),
        drained: () => this.#coalescer.flushAll(),
      },
      logger,
      { reconnectMinMs, reconnectMaxMs },
    );
    this.#coalescer = new ChunkCoalescer(
      {
        busy: () => this.#call.congested,
        write: ({ streamId, seq, pcm16 }) => this.#write({ chunk: { stream_id: streamId, seq, pcm16 } }),
      },
      { coalesceMaxDelayMs, coalesceMaxBytes },
    );
  }

  get connected(): boolean {
    return this.#call.connected;
  }

  /** The pool the link's call is on (or trying), `host:port`. */
  get pool(): string | null {
    return this.#call.pool;
  }

  /** Chunks written to the pool's calls and the messages that carried them (several a message while one is congested). */
  get written(): { messages: number; chunks: number } {
    return this.#coalescer.written;
  }

  open(open: StreamOpen): void {
    this.#streams.set(open.streamId, open);
    this.#acceptedMs.set(open.streamId, open.offsetMs ?? 0);
    if (this.#call.connected) this.#writeOpen(open, open.offsetMs ?? 0);
  }

  /** False when the chunk was refused (pool unreachable, buffer full); the room tells the sender. */
  chunk(streamId: string, seq: number, pcm16: Uint8Array): boolean {
    const open = this.#streams.get(streamId);
    if (open === undefined) return false;
    const chunkMs = (pcm16.byteLength / 2 / open.sampleRate) * 1000;
    const atMs = this.#acceptedMs.get(streamId) ?? 0;
    // Refused audio still passed in the sender's timeline: what follows it sits after it.
    this.#acceptedMs.set(streamId, atMs + chunkMs);
    if (this.#call.connected && this.#buffer.length === 0) {
      this.#writeChunk({ streamId, seq, pcm16, atMs, ms: chunkMs });
    } else if (this.#bufferedBytes + pcm16.byteLength > this.#options.maxBufferedBytes) {
      this.#events.unavailable(streamId);
      return false;
    } else {
      this.#buffer.push({ streamId, seq, pcm16, atMs, ms: chunkMs });
      this.#bufferedBytes += pcm16.byteLength;
    }
    return true;
  }

  close(streamId: string): void {
    const open = this.#streams.get(streamId);
    if (open === undefined) return;
    this.#streams.delete(streamId);
    this.#acceptedMs.delete(streamId);
    if (this.#call.connected) {
      this.#writtenMs.delete(streamId);
      this.#closing.set(streamId, open);
      this.#writeClose(streamId);
    } else if (this.#options.retainMs > 0 && (this.#retention.has(streamId) || this.#buffer.some((p) => p.streamId === streamId))) {
      // Its last audio still has to reach a pool: replayed and closed on the next call.
      this.#closing.set(streamId, open);
    } else {
      // Without retention (retainMs 0) the link promises no replay: unsent audio goes with its stream.
      this.#dropBuffered(streamId);
      this.#writtenMs.delete(streamId);
      this.#events.output({ kind: "closed", streamId });
    }
  }

  /** Ends the call for good. */
  end(): void {
    // What waits to be merged goes out before the call's end, as the call's own buffer does.
    if (this.#call.connected) this.#coalescer.flushAll();
    this.#coalescer.clear();
    this.#buffer = [];
    this.#bufferedBytes = 0;
    this.#retention.clear();
    this.#call.end();
  }

  #write(message: AudioIn): void {
    // Only ever called while connected: unsent audio waits in #buffer, not in the call.
    this.#call.write(message);
  }

  /** Opens the stream's pool stream with its first sample at `offsetMs` of the stream's timeline. */
  #writeOpen(open: StreamOpen, offsetMs: number): void {
    // Whole milliseconds on the wire: the pool's timeline of this stream starts exactly there.
    const rounded = Math.round(offsetMs);
    this.#coalescer.flush(open.streamId);
    this.#write({ open: openToWire(open, rounded) });
    this.#writtenMs.set(open.streamId, rounded);
  }

  #writeClose(streamId: string): void {
    this.#unacked.set(streamId, (this.#unacked.get(streamId) ?? 0) + 1);
    // The stream's audio merged so far goes first: the close ends the pool stream after it.
    this.#coalescer.flush(streamId);
    this.#write({ close: { stream_id: streamId } });
  }

  #writeChunk(p: TimedChunk): void {
    this.#skipTo(p.streamId, p.atMs);
    // Retained chunk by chunk, whatever message carries it: a transcript's bounds release exactly its chunks.
    this.#coalescer.push(p.streamId, p.seq, p.pcm16);
    this.#writtenMs.set(p.streamId, (this.#writtenMs.get(p.streamId) ?? 0) + p.ms);
    this.#retention.written(p);
  }

  /**
   * The stream's audio up to `atMs` is not coming (refused while no pool took it, or transcribed already): close its
   * pool stream where the written audio ends, so the utterance in progress ends there, and reopen it at `atMs`.
   */
  #skipTo(streamId: string, atMs: number): void {
    const open = this.#streams.get(streamId) ?? this.#closing.get(streamId);
    const writtenMs = this.#writtenMs.get(streamId);
    if (open === undefined || writtenMs === undefined || atMs - writtenMs < MIN_GAP_MS) return;
    this.#writeClose(streamId);
    this.#writeOpen(open, atMs);
  }

  /** The pool acknowledged one close of the stream; the room hears of it once all of them are, if it closed it. */
  #acknowledged(streamId: string): void {
    const unacked = (this.#unacked.get(streamId) ?? 0) - 1;
    if (unacked > 0) {
      this.#unacked.set(streamId, unacked);
      return;
    }
    this.#unacked.delete(streamId);
    if (this.#closing.delete(streamId)) this.#closed(streamId);
  }

  #closed(streamId: string): void {
    this.#retention.drop(streamId);
    this.#writtenMs.delete(streamId);
    this.#events.output({ kind: "closed", streamId });
  }

  #dropBuffered(streamId: string): void {
    this.#buffer = this.#buffer.filter((p) => {
      if (p.streamId !== streamId) return true;
      this.#bufferedBytes -= p.pcm16.byteLength;
      return false;
    });
  }

  #onData(message: AudioOut__Output, current: boolean): void {
    // A lost or abandoned call's outputs are stale: its closes were settled when it was lost, and the audio behind
    // anything else it says is being replayed to the current call, whose answers are the ones that count.
    if (!current) return;
    const output = outputFromWire(message);
    if (output === null) return;
    if (output.kind === "closed") return this.#acknowledged(output.streamId);
    if (output.kind === "speech") this.#retention.speech(output.streamId, output.event, output.atMs);
    else if (output.kind === "transcript" && output.final) this.#retention.final(output.streamId, output.startMs, output.endMs);
    this.#events.output(output);
  }

  #onLost(): void {
    // Whatever the lost call held died with it. A closed stream whose audio it had not finished is carried over to
    // the next call; one with nothing left to hear is closed now.
    for (const streamId of [...this.#closing.keys()]) {
      if (this.#retention.has(streamId)) continue;
      this.#closing.delete(streamId);
      this.#closed(streamId);
    }
    this.#coalescer.clear();
    this.#unacked.clear();
    this.#writtenMs.clear();
    this.#events.connection?.("disconnected");
  }

  #onConnected(): void {
    const replay = this.#replay();
    // A re-opened stream starts where its first replayed chunk was captured, or where its next chunk will sit when
    // nothing is replayed.
    for (const open of [...this.#streams.values(), ...this.#closing.values()]) {
      const first = replay.get(open.streamId)?.[0];
      this.#writeOpen(open, first?.atMs ?? this.#acceptedMs.get(open.streamId) ?? 0);
    }
    for (const chunks of replay.values()) for (const p of chunks) this.#writeChunk(p);
    // Audio refused after a stream's last buffered chunk: its pool stream ends now, not when live audio comes.
    for (const [streamId, atMs] of this.#acceptedMs) this.#skipTo(streamId, atMs);
    for (const streamId of this.#closing.keys()) this.#writeClose(streamId);
    this.#events.connection?.("connected");
  }

  /**
   * Per stream, oldest first: what the lost call had not finished with, then what was buffered meanwhile; at most
   * `retainMs` of it (the oldest goes), so that a replay stays inside the pool's own backlog.
   */
  #replay(): Map<string, TimedChunk[]> {
    const replay = this.#retention.takeAll();
    for (const p of this.#buffer) {
      const chunks = replay.get(p.streamId);
      if (chunks === undefined) replay.set(p.streamId, [p]);
      else chunks.push(p);
    }
    this.#buffer = [];
    this.#bufferedBytes = 0;
    if (this.#retention.retainMs <= 0) return replay;
    for (const [streamId, chunks] of replay) {
      let ms = chunks.reduce((sum, p) => sum + p.ms, 0);
      let dropped = 0;
      while (ms > this.#retention.retainMs && chunks.length > 1) {
        const oldest = chunks.shift();
        ms -= oldest?.ms ?? 0;
        dropped += oldest?.ms ?? 0;
      }
      if (dropped > 0) this.#events.retentionDropped?.(streamId, dropped);
    }
    return replay;
  }
}
