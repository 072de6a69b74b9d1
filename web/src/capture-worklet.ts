// Runs in the AudioWorkletGlobalScope: `sampleRate`, `AudioWorkletProcessor` and `registerProcessor` are globals there.
import { StreamResampler } from "./resampler.js";
import { CAPTURE_PROCESSOR, FRAME_MS, type CaptureOptions } from "./capture-format.js";

declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new (options: { processorOptions?: CaptureOptions }) => AudioWorkletProcessor): void;

/** Converts the context's rate (the device's) to the rate the page joined with, and posts 20 ms 16-bit frames. */
class CaptureProcessor extends AudioWorkletProcessor {
  readonly #resampler: StreamResampler;
  readonly #frameSamples: number;
  #frame: Int16Array;
  #filled = 0;

  constructor(options: { processorOptions?: CaptureOptions }) {
    super();
    const targetRate = options.processorOptions?.targetRate ?? sampleRate;
    this.#resampler = new StreamResampler(sampleRate, targetRate);
    this.#frameSamples = (targetRate * FRAME_MS) / 1000;
    this.#frame = new Int16Array(this.#frameSamples);
  }

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel === undefined) return true;
    for (const sample of this.#resampler.push(channel)) {
      const value = Math.max(-1, Math.min(1, sample));
      this.#frame[this.#filled++] = value < 0 ? value * 0x8000 : value * 0x7fff;
      if (this.#filled === this.#frameSamples) {
        const buffer = this.#frame.buffer;
        this.port.postMessage(buffer, [buffer]);
        this.#frame = new Int16Array(this.#frameSamples);
        this.#filled = 0;
      }
    }
    return true;
  }
}

registerProcessor(CAPTURE_PROCESSOR, CaptureProcessor);
