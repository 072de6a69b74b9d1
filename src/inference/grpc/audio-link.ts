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

type Pending = { kind: "chunk"; streamId: string; seq: number; pcm16: Uint8Array; ms: number };

/**
 * A room's StreamAudio call, kept alive: when the pool's stream fails it reopens it with exponential backoff,
 * re-opens every participant stream, and replays the audio buffered meanwhile (bounded). Never throws at the room.
 */
export class AudioLink {
  readonly #client: PoolClient;
  readonly #events: AudioLinkEvents;
  readonly #log: Logger;
  readonly #options: AudioLinkOptions;
  readonly #streams = new Map<string, StreamOpen>();
  /** Milliseconds of audio each stream has handed the link (written or buffered): its timeline. */
  readonly #acceptedMs = new Map<string, number>();
  /** Closed streams the pool has not acknowledged yet; a lost call acknowledges them (their audio died with it). */
  readonly #closing = new Set<string>();
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
    if (this.#connected) this.#write({ open: this.#wireOpen(open, open.offsetMs ?? 0) });
  }

  /** False when the chunk was refused (pool unreachable, buffer full); the room tells the sender. */
  chunk(streamId: string, seq: number, pcm16: Uint8Array): boolean {
    const open = this.#streams.get(streamId);
    if (open === undefined) return false;
    const chunkMs = (pcm16.byteLength / 2 / open.sampleRate) * 1000;
    if (this.#connected && this.#buffer.length === 0) {
      this.#write({ chunk: { stream_id: streamId, seq, pcm16 } });
    } else if (this.#bufferedBytes + pcm16.byteLength > this.#options.maxBufferedBytes) {
      this.#events.unavailable(streamId);
      // The refused audio still passed in the sender's timeline.
      this.#acceptedMs.set(streamId, (this.#acceptedMs.get(streamId) ?? 0) + chunkMs);
      return false;
    } else {
      this.#buffer.push({ kind: "chunk", streamId, seq, pcm16, ms: chunkMs });
      this.#bufferedBytes += pcm16.byteLength;
    }
    this.#acceptedMs.set(streamId, (this.#acceptedMs.get(streamId) ?? 0) + chunkMs);
    return true;
  }

  close(streamId: string): void {
    if (!this.#streams.delete(streamId)) return;
    this.#acceptedMs.delete(streamId);
    if (this.#connected) {
      this.#closing.add(streamId);
      this.#write({ close: { stream_id: streamId } });
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
      offset_ms: Math.round(offsetMs),
    };
  }

  #write(message: AudioIn): void {
    this.#call?.write(message);
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
      for (const streamId of this.#closing) this.#events.output({ kind: "closed", streamId });
      this.#closing.clear();
      if (wasConnected) {
        this.#log.warn({ reason, pool: this.#client.address }, "inference stream lost; reconnecting");
        this.#events.connection?.("disconnected");
      }
      this.#scheduleReconnect();
    };
    call.on("data", (message: AudioOut__Output) => {
      const output = outputFromWire(message);
      if (output === null) return;
      if (output.kind === "closed") this.#closing.delete(output.streamId);
      this.#events.output(output);
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
    this.#events.connection?.("connected");
    // A re-opened stream starts at its first buffered chunk: everything before it went to the lost call.
    const bufferedMs = new Map<string, number>();
    for (const p of this.#buffer) bufferedMs.set(p.streamId, (bufferedMs.get(p.streamId) ?? 0) + p.ms);
    for (const open of this.#streams.values()) {
      const startMs = (this.#acceptedMs.get(open.streamId) ?? 0) - (bufferedMs.get(open.streamId) ?? 0);
      this.#write({ open: this.#wireOpen(open, startMs) });
    }
    const replay = this.#buffer;
    this.#buffer = [];
    this.#bufferedBytes = 0;
    for (const p of replay) this.#write({ chunk: { stream_id: p.streamId, seq: p.seq, pcm16: p.pcm16 } });
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
