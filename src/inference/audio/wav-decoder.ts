import type { Worker } from "node:worker_threads";
import type { Logger } from "../../logger.js";
import { PoolError } from "../pool-error.js";
import { MAX_RECORDING_MS } from "../pool-types.js";
import { startModuleWorker } from "../worker-entry.js";
import { isAudioError } from "./audio-error.js";
import type { DecodeReply, DecodeRequest } from "./wav-decode-thread.js";
import { readWavLayout, type WavLayout } from "./wav.js";

export interface WavDecoderOptions {
  /** Rates a header may declare. Real recordings are 8–48 kHz; a 16 Hz header would be upsampled ×1000. */
  minRate: number;
  maxRate: number;
  /** Longest recording accepted, computed from the header before any sample is decoded (the pool's limit too). */
  maxRecordingMs: number;
  /** Decodes running or waiting for the thread; one more answers 503 `overloaded`. */
  maxPending: number;
  /** Rate of the PCM produced: the models' rate. */
  toRate: number;
}

export const DEFAULT_WAV_DECODER_OPTIONS: WavDecoderOptions = {
  minRate: 8_000,
  maxRate: 48_000,
  maxRecordingMs: MAX_RECORDING_MS,
  maxPending: 4,
  toRate: 16_000,
};

interface Pending {
  resolve: (pcm16: Uint8Array) => void;
  reject: (error: PoolError) => void;
}

/**
 * Recordings the pool is handed as WAV files → 16-bit mono PCM at the models' rate. The header is checked here (rate,
 * duration: O(chunks)); the decoding and resampling, whose cost grows with the recording, run on a thread of their
 * own, started on first use and started again if it dies, so the pool's event loop, which serves every live stream,
 * never waits for them.
 */
export class WavDecoder {
  readonly #options: WavDecoderOptions;
  readonly #logger: Logger;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | null = null;
  #nextId = 0;
  #closed = false;

  constructor(logger: Logger, options: Partial<WavDecoderOptions> = {}) {
    this.#logger = logger;
    this.#options = { ...DEFAULT_WAV_DECODER_OPTIONS, ...options };
  }

  /** The header, or `invalid_audio` (not WAV, a rate outside the range) / `recording_too_long`. */
  check(bytes: Uint8Array): WavLayout {
    let layout: WavLayout;
    try {
      layout = readWavLayout(bytes);
    } catch (error) {
      if (isAudioError(error)) throw new PoolError("invalid_audio", error.message, { cause: error });
      throw error;
    }
    const { minRate, maxRate, maxRecordingMs } = this.#options;
    if (layout.sampleRate < minRate || layout.sampleRate > maxRate) {
      throw new PoolError("invalid_audio", `the WAV header declares ${layout.sampleRate} Hz; rates from ${minRate} to ${maxRate} Hz are accepted`);
    }
    if ((layout.frames / layout.sampleRate) * 1000 > maxRecordingMs) {
      throw new PoolError("recording_too_long", `recordings are limited to ${maxRecordingMs / 60_000} minutes`);
    }
    return layout;
  }

  /** Checks, then decodes off the event loop. `bytes` is handed to the thread: do not use it afterwards. */
  async toPcm16(bytes: Uint8Array): Promise<Uint8Array> {
    this.check(bytes);
    if (this.#closed) throw stopping();
    if (this.#pending.size >= this.#options.maxPending) {
      throw new PoolError("overloaded", "too many recordings are being decoded; try again shortly");
    }
    // A view on a shared or pooled buffer cannot be transferred: copy it into one of its own (`new Uint8Array`: a
    // Buffer's `slice` is a view too).
    const wav = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
    const id = (this.#nextId += 1);
    const request: DecodeRequest = { id, wav, toRate: this.#options.toRate };
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#thread().postMessage(request, [wav.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#failAll(stopping());
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }

  #thread(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = startModuleWorker(import.meta.url, "./wav-decode-thread");
    // The HTTP server keeps the process alive; an idle decoder thread must not.
    worker.unref();
    worker.on("message", (reply: DecodeReply) => this.#settle(reply));
    worker.on("error", (error) => this.#logger.error({ err: error }, "WAV decoding thread failed"));
    worker.on("exit", () => {
      if (this.#worker === worker) this.#worker = null;
      this.#failAll(new PoolError("internal", "the WAV decoding thread stopped"));
    });
    this.#worker = worker;
    return worker;
  }

  #settle(reply: DecodeReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (reply.ok) {
      pending.resolve(reply.pcm16);
      return;
    }
    if (reply.code === "internal") this.#logger.error({ reason: reply.message }, "WAV decoding failed");
    pending.reject(new PoolError(reply.code, reply.message));
  }

  #failAll(error: PoolError): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

/** A decoder closed with its pool: retryable, another pool (or this one restarted) can take the recording. */
function stopping(): PoolError {
  return new PoolError("model_unavailable", "the inference pool is stopping");
}
