import type { Logger } from "../../logger.js";
import type { PoolOutput, StreamOpen } from "../pool-types.js";
import type { AudioIn } from "./generated/engine/inference/v1/AudioIn.js";
import type { AudioOut__Output } from "./generated/engine/inference/v1/AudioOut.js";
import { outputFromWire, type PoolClient } from "./pool-client.js";
import { openToWire } from "./pool-wire.js";
import { DEFAULT_RESILIENT_CALL_OPTIONS, ResilientCall, type ResilientCallOptions } from "./resilient-call.js";

export interface AudioLinkOptions extends ResilientCallOptions {
  /** Audio kept while the pool is unreachable, across the link's streams; past it chunks are refused. */
  maxBufferedBytes: number;
}

export const DEFAULT_AUDIO_LINK_OPTIONS: AudioLinkOptions = {
  ...DEFAULT_RESILIENT_CALL_OPTIONS,
  // ≈ 16 s of one 16 kHz stream, or 5 s of three 48 kHz ones.
  maxBufferedBytes: 512 * 1024,
};

export interface AudioLinkEvents {
  output(output: PoolOutput): void;
  /** A chunk of this stream was refused: the pool is unreachable and the buffer is full. */
  unavailable(streamId: string): void;
  connection?(state: "connected" | "disconnected"): void;
}

/** A chunk not yet written; `atMs` is where it was captured in its stream's timeline, `ms` its duration. */
type Pending = { streamId: string; seq: number; pcm16: Uint8Array; atMs: number; ms: number };

/**
 * Audio missing from a stream for at least this long (refused while the pool was unreachable) ends its pool stream
 * there and reopens it where the audio resumes; less is rounding (offsets travel as whole milliseconds).
 */
const MIN_GAP_MS = 1;

/**
 * A room's StreamAudio call, kept alive: when the pool's stream fails it reopens it with exponential backoff
 * (ResilientCall), re-opens every participant stream, and replays the audio buffered meanwhile (bounded). Never
 * throws at the room.
 *
 * Times across an outage: each stream is re-opened at the offset where its first unsent chunk was captured, and
 * where audio is missing (refused once the buffer was full) the pool stream is closed at the gap and re-opened at
 * the offset where audio resumes (see StreamClose in proto/inference.proto), so every utterance keeps the times it
 * was spoken at and none spans the missing audio. Those closes are the link's own: the room sees one `closed` per
 * stream, once every pool stream of it has been acknowledged.
 */
export class AudioLink {
  readonly #events: AudioLinkEvents;
  readonly #options: AudioLinkOptions;
  readonly #streams = new Map<string, StreamOpen>();
  /** Where each stream's next chunk sits in its timeline: the audio handed to the link (written, buffered or refused). */
  readonly #acceptedMs = new Map<string, number>();
  /** Where each stream's audio written on the current call ends in the pool's timeline (its open's offset onwards). */
  readonly #writtenMs = new Map<string, number>();
  /** Streams the room closed whose close the pool has not acknowledged yet; a lost call acknowledges them. */
  readonly #closing = new Set<string>();
  /** Closes written on the current call and not yet acknowledged, per stream: the room's and the gaps'. */
  readonly #unacked = new Map<string, number>();
  readonly #call: ResilientCall<AudioIn, AudioOut__Output>;
  #buffer: Pending[] = [];
  #bufferedBytes = 0;

  constructor(client: PoolClient, events: AudioLinkEvents, logger: Logger, options: Partial<AudioLinkOptions> = {}) {
    this.#events = events;
    this.#options = { ...DEFAULT_AUDIO_LINK_OPTIONS, ...options };
    const { reconnectMinMs, reconnectMaxMs } = this.#options;
    this.#call = new ResilientCall(
      client,
      (grpc) => grpc.StreamAudio(),
      { connected: () => this.#onConnected(), lost: () => this.#onLost(), data: (message, current) => this.#onData(message, current) },
      logger,
      { reconnectMinMs, reconnectMaxMs },
    );
  }

  get connected(): boolean {
    return this.#call.connected;
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
    if (!this.#streams.delete(streamId)) return;
    this.#acceptedMs.delete(streamId);
    this.#writtenMs.delete(streamId);
    if (this.#call.connected) {
      this.#closing.add(streamId);
      this.#writeClose(streamId);
    } else {
      // Unsent audio of a stream closed while disconnected is dropped with it; report it closed.
      this.#dropBuffered(streamId);
      this.#events.output({ kind: "closed", streamId });
    }
  }

  /** Ends the call for good. */
  end(): void {
    this.#buffer = [];
    this.#bufferedBytes = 0;
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
    this.#write({ open: openToWire(open, rounded) });
    this.#writtenMs.set(open.streamId, rounded);
  }

  #writeClose(streamId: string): void {
    this.#unacked.set(streamId, (this.#unacked.get(streamId) ?? 0) + 1);
    this.#write({ close: { stream_id: streamId } });
  }

  #writeChunk(p: Pending): void {
    this.#skipTo(p.streamId, p.atMs);
    this.#write({ chunk: { stream_id: p.streamId, seq: p.seq, pcm16: p.pcm16 } });
    this.#writtenMs.set(p.streamId, (this.#writtenMs.get(p.streamId) ?? 0) + p.ms);
  }

  /**
   * The stream's audio up to `atMs` never reached the pool (refused while it was unreachable): close its pool stream
   * where the written audio ends, so the utterance in progress ends there, and reopen it at `atMs`.
   */
  #skipTo(streamId: string, atMs: number): void {
    const open = this.#streams.get(streamId);
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
    if (this.#closing.delete(streamId)) this.#events.output({ kind: "closed", streamId });
  }

  #dropBuffered(streamId: string): void {
    this.#buffer = this.#buffer.filter((p) => {
      if (p.streamId !== streamId) return true;
      this.#bufferedBytes -= p.pcm16.byteLength;
      return false;
    });
  }

  #onData(message: AudioOut__Output, current: boolean): void {
    const output = outputFromWire(message);
    if (output === null) return;
    if (output.kind !== "closed") return this.#events.output(output);
    // A lost call's closes were acknowledged when it was lost; only the current call's count.
    if (current) this.#acknowledged(output.streamId);
  }

  #onLost(): void {
    // Whatever the lost call held died with it: nothing more will come of those pool streams.
    for (const streamId of this.#closing) this.#events.output({ kind: "closed", streamId });
    this.#closing.clear();
    this.#unacked.clear();
    this.#writtenMs.clear();
    this.#events.connection?.("disconnected");
  }

  #onConnected(): void {
    // A re-opened stream starts where its first buffered chunk was captured (everything before it went to the lost
    // call), or where its next chunk will sit when nothing is buffered.
    const firstAtMs = new Map<string, number>();
    for (const p of this.#buffer) if (!firstAtMs.has(p.streamId)) firstAtMs.set(p.streamId, p.atMs);
    for (const open of this.#streams.values()) {
      this.#writeOpen(open, firstAtMs.get(open.streamId) ?? this.#acceptedMs.get(open.streamId) ?? 0);
    }
    const replay = this.#buffer;
    this.#buffer = [];
    this.#bufferedBytes = 0;
    for (const p of replay) this.#writeChunk(p);
    // Audio refused after a stream's last buffered chunk: its pool stream ends now, not when live audio comes.
    for (const [streamId, atMs] of this.#acceptedMs) this.#skipTo(streamId, atMs);
    this.#events.connection?.("connected");
  }
}
