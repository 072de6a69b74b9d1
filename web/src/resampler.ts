/**
 * Streaming sample-rate conversion for the capture worklet: windowed-sinc interpolation, low-passed below the lower of
 * the two Nyquist rates so a 48 or 44.1 kHz microphone does not alias into the 16 kHz the engine gets (the box filter
 * it replaces let a 12 kHz tone through at −9.5 dB, as 4 kHz). Pure: no Web Audio, so Node tests run it too.
 */

/** Zero crossings of the sinc on each side: with the Blackman window, a transition band ≈ 0.3 of the cutoff wide. */
const ZERO_CROSSINGS = 16;
/** Fractional positions tabulated between two input samples: a timing error of 1/1024 sample at most. */
const PHASES = 512;
/** Cutoff as a share of the lower Nyquist rate: the transition band ends about at Nyquist (≈ 70 dB down past it). */
const PASS_BAND = 0.85;

/** The Blackman window at x in [-1, 1]. */
function blackman(x: number): number {
  return 0.42 + 0.5 * Math.cos(Math.PI * x) + 0.08 * Math.cos(2 * Math.PI * x);
}

export class StreamResampler {
  readonly #step: number;
  readonly #halfTaps: number;
  /** PHASES + 1 rows of 2 × halfTaps taps: row p filters the output at fraction p / PHASES past an input sample. */
  readonly #table: Float32Array;
  readonly #passThrough: boolean;
  /** Input not yet consumed, starting at absolute input index #base. */
  #history: Float32Array;
  #historyLength = 0;
  #base = 0;
  /** Absolute input position of the next output sample. */
  #position = 0;

  constructor(inputRate: number, outputRate: number) {
    if (!(inputRate > 0 && outputRate > 0)) throw new RangeError("rates must be positive");
    this.#step = inputRate / outputRate;
    this.#passThrough = inputRate === outputRate;
    // The cutoff, in cycles per input sample.
    const cutoff = (PASS_BAND * Math.min(inputRate, outputRate)) / 2 / inputRate;
    this.#halfTaps = Math.ceil(ZERO_CROSSINGS / (2 * cutoff));
    const width = 2 * this.#halfTaps;
    this.#table = new Float32Array((PHASES + 1) * width);
    for (let p = 0; p <= PHASES; p++) {
      const fraction = p / PHASES;
      let sum = 0;
      for (let j = 0; j < width; j++) {
        // Distance from the output position to input tap j (taps run from -halfTaps + 1 to halfTaps).
        const t = j - this.#halfTaps + 1 - fraction;
        const x = 2 * cutoff * t;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const tap = Math.abs(t) >= this.#halfTaps ? 0 : 2 * cutoff * sinc * blackman(t / this.#halfTaps);
        this.#table[p * width + j] = tap;
        sum += tap;
      }
      // Unity gain at DC for every phase.
      if (sum !== 0) for (let j = 0; j < width; j++) this.#table[p * width + j]! /= sum;
    }
    this.#history = new Float32Array(4 * width + 1024);
    // Starts half a filter in, so the first output is filtered from real input on both sides (a fixed delay).
    this.#position = this.#halfTaps - 1;
  }

  /** Converts the next block of input; returns the output samples it completes (possibly none). */
  push(input: Float32Array): Float32Array {
    if (this.#passThrough) return input.slice();
    this.#append(input);
    const width = 2 * this.#halfTaps;
    const end = this.#base + this.#historyLength;
    const count = Math.max(0, Math.ceil((end - this.#halfTaps - this.#position) / this.#step));
    const output = new Float32Array(count);
    let written = 0;
    // An output needs input up to floor(position) + halfTaps.
    while (Math.floor(this.#position) + this.#halfTaps < end && written < count) {
      const whole = Math.floor(this.#position);
      const phase = Math.round((this.#position - whole) * PHASES);
      const row = phase * width;
      const first = whole - this.#halfTaps + 1 - this.#base;
      let acc = 0;
      for (let j = 0; j < width; j++) acc += this.#history[first + j]! * this.#table[row + j]!;
      output[written++] = acc;
      this.#position += this.#step;
    }
    this.#discard(Math.floor(this.#position) - this.#halfTaps + 1);
    return written === count ? output : output.subarray(0, written);
  }

  #append(input: Float32Array): void {
    const needed = this.#historyLength + input.length;
    if (needed > this.#history.length) {
      const grown = new Float32Array(Math.max(needed, 2 * this.#history.length));
      grown.set(this.#history.subarray(0, this.#historyLength));
      this.#history = grown;
    }
    this.#history.set(input, this.#historyLength);
    this.#historyLength = needed;
  }

  /** Drops input before absolute index `keepFrom`: no later output reads it. */
  #discard(keepFrom: number): void {
    const drop = Math.min(this.#historyLength, Math.max(0, keepFrom - this.#base));
    if (drop === 0) return;
    this.#history.copyWithin(0, drop, this.#historyLength);
    this.#historyLength -= drop;
    this.#base += drop;
  }
}
