import type { Logger } from "../../logger.js";
import { PoolError } from "../pool-error.js";
import { MAX_RECORDING_MS } from "../pool-types.js";
import { RequestThreads } from "../request-threads.js";
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

/**
 * Recordings the pool is handed as WAV files → 16-bit mono PCM at the models' rate. The header is checked here (rate,
 * duration: O(chunks)); the decoding and resampling, whose cost grows with the recording, run on a thread of their
 * own (`RequestThreads` with one thread), started on first use and started again if it dies, so the pool's event
 * loop, which serves every live stream, never waits for them.
 */
export class WavDecoder {
  readonly #options: WavDecoderOptions;
  readonly #logger: Logger;
  readonly #thread: RequestThreads<DecodeRequest, DecodeReply>;

  constructor(logger: Logger, options: Partial<WavDecoderOptions> = {}) {
    this.#logger = logger;
    this.#options = { ...DEFAULT_WAV_DECODER_OPTIONS, ...options };
    this.#thread = new RequestThreads(logger, { callerUrl: import.meta.url, entry: "./wav-decode-thread", name: "WAV decoding", threads: 1 });
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
    if (this.#thread.inFlight >= this.#options.maxPending) {
      throw new PoolError("overloaded", "too many recordings are being decoded; try again shortly");
    }
    // A view on a shared or pooled buffer cannot be transferred: copy it into one of its own (`new Uint8Array`: a
    // Buffer's `slice` is a view too).
    const wav = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
    const reply = await this.#thread.request({ wav, toRate: this.#options.toRate }, [wav.buffer as ArrayBuffer]);
    if (reply.ok) return reply.pcm16;
    if (reply.code === "internal") this.#logger.error({ reason: reply.message }, "WAV decoding failed");
    throw new PoolError(reply.code, reply.message);
  }

  /** Fails a decode in flight, and every later one, with `model_unavailable` (retryable); stops the thread. */
  close(): Promise<void> {
    return this.#thread.close();
  }
}
