// Runs in the AudioWorkletGlobalScope: `sampleRate`, `AudioWorkletProcessor` and `registerProcessor` are globals there.
declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void;

/** The engine's rate: 16 kHz mono 16-bit. */
const TARGET_RATE = 16_000;
/** 20 ms at 16 kHz: 320 samples, 640 bytes per message. */
const FRAME_SAMPLES = 320;

/** Box-filter decimation to 16 kHz (averaging each window is the anti-alias filter), posted as 20 ms Int16 frames. */
class CaptureProcessor extends AudioWorkletProcessor {
  readonly #step = sampleRate / TARGET_RATE;
  #phase = 0;
  #sum = 0;
  #count = 0;
  #frame = new Int16Array(FRAME_SAMPLES);
  #filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel === undefined) return true;
    for (const sample of channel) {
      this.#sum += sample;
      this.#count += 1;
      this.#phase += 1;
      if (this.#phase < this.#step) continue;
      this.#phase -= this.#step;
      const value = Math.max(-1, Math.min(1, this.#sum / this.#count));
      this.#sum = 0;
      this.#count = 0;
      this.#frame[this.#filled++] = value < 0 ? value * 0x8000 : value * 0x7fff;
      if (this.#filled === FRAME_SAMPLES) {
        const buffer = this.#frame.buffer;
        this.port.postMessage(buffer, [buffer]);
        this.#frame = new Int16Array(FRAME_SAMPLES);
        this.#filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("capture-16k", CaptureProcessor);
