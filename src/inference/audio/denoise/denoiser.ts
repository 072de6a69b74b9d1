import { MODEL_SAMPLE_RATE } from "../../pool-types.js";
import { Resampler } from "../resample.js";
import {
  RNNOISE_FRAME_SAMPLES,
  RNNOISE_SAMPLE_RATE,
  type RnnoiseRuntime,
  type RnnoiseState,
} from "./rnnoise-runtime.js";

/**
 * The noise-suppression stage of one stream, before the VAD: 16 kHz in, 16 kHz out, RNNoise at 48 kHz in between.
 *
 * Alignment: output sample i is the denoised input sample i, so sample counts (and the VAD's timestamps) mean the
 * same before and after the stage. To get there the first samples RNNoise returns at 48 kHz are discarded (its lag:
 * one frame, two for the jitsi build, see RNNOISE_LAG_SAMPLES), and each `process` call returns only what is ready:
 * input waits for a whole 48 kHz frame (< 10 ms), for RNNoise's lag (10 or 20 ms) and for the two resamplers'
 * look-ahead (≈ 1.1 ms each): ≈ 22 ms at most (32 ms for jitsi). Output so far never exceeds input so far; `flush`
 * pushes silence through to return the rest, so a whole stream comes out exactly as long as it went in.
 */
export class Denoiser {
  readonly #state: RnnoiseState;
  readonly #up = new Resampler(MODEL_SAMPLE_RATE, RNNOISE_SAMPLE_RATE);
  readonly #down = new Resampler(RNNOISE_SAMPLE_RATE, MODEL_SAMPLE_RATE);
  /** 48 kHz samples short of a whole frame, carried to the next call. */
  #pending = new Float32Array(0);
  /** 48 kHz output samples still to discard for RNNoise's lag. */
  #lagLeft: number;
  #inputSamples = 0;
  #outputSamples = 0;
  #closed = false;

  /** Opens one RNNoise state in `runtime`'s heap; `close` frees it. */
  constructor(runtime: RnnoiseRuntime) {
    this.#state = runtime.openState();
    this.#lagLeft = this.#state.lagSamples;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Denoises the next chunk of the stream; returns the output aligned with the input so far (see the class note). */
  process(samples16k: Float32Array): Float32Array {
    this.#assertOpen();
    this.#inputSamples += samples16k.length;
    return this.#count(this.#down.push(this.#denoise(this.#up.push(samples16k), false)));
  }

  /** Returns the rest of the stream's output and resets the stage (and the RNNoise state) for a new stream. */
  flush(): Float32Array {
    this.#assertOpen();
    const denoised = this.#denoise(this.#up.flush(), true);
    const body = this.#down.push(denoised);
    const tail = this.#down.flush();
    const due = this.#inputSamples - this.#outputSamples;
    const output = new Float32Array(due);
    output.set(body.subarray(0, due), 0);
    if (body.length < due) output.set(tail.subarray(0, due - body.length), body.length);
    this.#pending = new Float32Array(0);
    this.#lagLeft = this.#state.lagSamples;
    this.#inputSamples = 0;
    this.#outputSamples = 0;
    this.#state.reset();
    return output;
  }

  /** Frees the RNNoise state and its wasm buffer; idempotent. The stage cannot be used afterwards. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#state.close();
  }

  /**
   * Runs every whole frame of pending + `samples48k` through RNNoise, keeps the remainder, and drops the lag. At the
   * end of a stream (`drain`) the remainder is completed with zeros plus the lag, so RNNoise returns every
   * real sample.
   */
  #denoise(samples48k: Float32Array, drain: boolean): Float32Array {
    const available = this.#pending.length + samples48k.length;
    const length = drain
      ? Math.ceil((available + this.#state.lagSamples) / RNNOISE_FRAME_SAMPLES) * RNNOISE_FRAME_SAMPLES
      : available;
    const frames = Math.floor(length / RNNOISE_FRAME_SAMPLES);
    const work = new Float32Array(Math.max(length, available));
    work.set(this.#pending, 0);
    work.set(samples48k, this.#pending.length);
    const framed = frames * RNNOISE_FRAME_SAMPLES;
    for (let offset = 0; offset < framed; offset += RNNOISE_FRAME_SAMPLES) this.#state.processFrame(work, offset);
    this.#pending = work.slice(framed, available);
    const drop = Math.min(this.#lagLeft, framed);
    this.#lagLeft -= drop;
    return work.subarray(drop, framed);
  }

  #count(output: Float32Array): Float32Array {
    this.#outputSamples += output.length;
    return output;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("denoiser is closed");
  }
}

/** A whole recording through a fresh stage (process, flush, close): the output is exactly as long as the input. */
export function denoiseRecording(runtime: RnnoiseRuntime, samples16k: Float32Array): Float32Array {
  const denoiser = new Denoiser(runtime);
  try {
    const body = denoiser.process(samples16k);
    const tail = denoiser.flush();
    const output = new Float32Array(body.length + tail.length);
    output.set(body, 0);
    output.set(tail, body.length);
    return output;
  } finally {
    denoiser.close();
  }
}
