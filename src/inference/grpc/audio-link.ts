import { status as grpcStatus, type ClientDuplexStream } from "@grpc/grpc-js";
import type { Logger } from "../../logger.js";
import type { PoolOutput, StreamOpen } from "../pool-types.js";
import type { AudioIn } from "./generated/engine/inference/v1/AudioIn.js";
import type { AudioOut__Output } from "./generated/engine/inference/v1/AudioOut.js";
import { outputFromWire, type PoolClient } from "./pool-client.js";

export interface AudioLinkOptions {
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Audio kept while the pool is unreachable, across the link's streams; past it chunks are refused. */
  maxBufferedBytes: number;
}

export const DEFAULT_AUDIO_LINK_OPTIONS: AudioLinkOptions = {
  reconnectMinMs: 100,
  reconnectMaxMs: 5_000,
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
 * A room's StreamAudio call, kept alive: when the pool's stream fails it reopens it with exponential backoff,
 * re-opens every participant stream, and replays the audio buffered meanwhile (bounded). Never throws at the room.
 *
 * Times across an outage: each stream is re-opened at the offset where its first unsent chunk was captured, and
 * where audio is missing (refused once the buffer was full) the pool stream is closed at the gap and re-opened at
 * the offset where audio resumes (see StreamClose in proto/inference.proto), so every utterance keeps the times it
 * was spoken at and none spans the missing audio. Those closes are the link's own: the room sees one `closed` per
 * stream, once every pool stream of it has been acknowledged.
 */
export class AudioLink {
  readonly #client: PoolClient;
  readonly #events: AudioLinkEvents;
  readonly #log: Logger;
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
  #call: ClientDuplexStream<AudioIn, AudioOut__Output> | null = null;
  #connected = false;
  #buffer: Pending[] = [];
  #bufferedBytes = 0;
  #attempt = 0;
  #timer: NodeJS.Timeout | null = null;
  #ended = false;
  /** A refused INFERENCE_TOKEN is logged once per link; the link keeps retrying (the pool may be fixed). */
  #refusalLogged = false;

  constructor(client: PoolClient, events: AudioLinkEvents, logger: Logger, options: Partial<AudioLinkOptions> = {}) {
    this.#client = client;
    this.#events = events;
    this.#log = logger;
    this.#options = { ...DEFAULT_AUDIO_LINK_OPTIONS, ...options };
    this.#connect();
  }

  get connected(): boolean {
    return this.#connected;
  }

  open(open: StreamOpen): void {
    this.#streams.set(open.streamId, open);
    this.#acceptedMs.set(open.streamId, open.offsetMs ?? 0);
    if (this.#connected) this.#writeOpen(open, open.offsetMs ?? 0);
  }

  /** False when the chunk was refused (pool unreachable, buffer full); the room tells the sender. */
  chunk(streamId: string, seq: number, pcm16: Uint8Array): boolean {
    const open = this.#streams.get(streamId);
    if (open === undefined) return false;
    const chunkMs = (pcm16.byteLength / 2 / open.sampleRate) * 1000;
    const atMs = this.#acceptedMs.get(streamId) ?? 0;
    // Refused audio still passed in the sender's timeline: what follows it sits after it.
    this.#acceptedMs.set(streamId, atMs + chunkMs);
    if (this.#connected && this.#buffer.length === 0) {
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
    if (this.#connected) {
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
    this.#ended = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#buffer = [];
    this.#bufferedBytes = 0;
    const call = this.#call;
    this.#call = null;
    this.#connected = false;
    call?.end();
  }

  #wireOpen(open: StreamOpen, offsetMs: number): NonNullable<AudioIn["open"]> {
    return {
      stream_id: open.streamId,
      session_id: open.sessionId,
      participant_id: open.participantId,
      sample_rate: open.sampleRate,
      tutor_id: open.tutorId ?? "",
      offset_ms: offsetMs,
    };
  }

  #write(message: AudioIn): void {
    this.#call?.write(message);
  }

  /** Opens the stream's pool stream with its first sample at `offsetMs` of the stream's timeline. */
  #writeOpen(open: StreamOpen, offsetMs: number): void {
    // Whole milliseconds on the wire: the pool's timeline of this stream starts exactly there.
    const rounded = Math.round(offsetMs);
    this.#write({ open: this.#wireOpen(open, rounded) });
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

  #connect(): void {
    if (this.#ended) return;
    // No waitForReady: while the pool is down a call fails at once and we back off, instead of grpc-js queueing
    // writes without bound. Until the pool's metadata arrives, chunks go to our bounded buffer.
    const call = this.#client.grpc.StreamAudio();
    this.#call = call;
    let failed = false;
    const fail = (reason: string) => {
      if (failed || this.#call !== call) return;
      failed = true;
      this.#call = null;
      const wasConnected = this.#connected;
      this.#connected = false;
      // Whatever the lost call held died with it: nothing more will come of those pool streams.
      for (const streamId of this.#closing) this.#events.output({ kind: "closed", streamId });
      this.#closing.clear();
      this.#unacked.clear();
      this.#writtenMs.clear();
      if (wasConnected) {
        this.#log.warn({ reason, pool: this.#client.address }, "inference stream lost; reconnecting");
        this.#events.connection?.("disconnected");
      }
      this.#scheduleReconnect();
    };
    call.on("data", (message: AudioOut__Output) => {
      const output = outputFromWire(message);
      if (output === null) return;
      if (output.kind !== "closed") return this.#events.output(output);
      // A lost call's closes were acknowledged when it was lost; only the current call's count.
      if (this.#call === call) this.#acknowledged(output.streamId);
    });
    call.on("error", (error) => fail(error.message));
    call.on("end", () => fail("stream ended by the pool"));
    call.on("status", (status) => {
      if (status.code === grpcStatus.UNAUTHENTICATED && !this.#refusalLogged) {
        this.#refusalLogged = true;
        this.#log.error({ pool: this.#client.address }, "the inference pool refused INFERENCE_TOKEN; retrying");
      }
      if (status.code !== 0) fail(status.details);
    });
    // The pool sends its metadata as soon as it accepts the call: only then is the link up.
    call.on("metadata", () => {
      if (this.#call !== call || this.#connected) return;
      this.#onConnected();
    });
  }

  #onConnected(): void {
    this.#connected = true;
    if (this.#attempt > 0) this.#log.info({ pool: this.#client.address, attempts: this.#attempt }, "inference stream restored");
    this.#attempt = 0;
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

  #scheduleReconnect(): void {
    if (this.#ended || this.#timer !== null) return;
    const delay = Math.min(this.#options.reconnectMaxMs, this.#options.reconnectMinMs * 2 ** this.#attempt);
    this.#attempt += 1;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#connect();
    }, delay);
  }
}
