import { AudioError } from "./audio-error.js";

/**
 * Streaming sample-rate conversion with a polyphase windowed-sinc (Kaiser) filter: the ratio is reduced to
 * up/down = toRate/fromRate and each output sample is a dot product of the input around its exact position with
 * one of `up` precomputed phases. Input history is kept between `push` calls, so chunked output is identical to
 * one-shot output (no clicks at chunk edges); the cost is a look-ahead of `halfTaps` input samples (≤ 3.4 ms
 * for the supported rates) held back until the next push or `flush`.
 */
export interface ResamplerOptions {
  /** Zero crossings of the sinc on each side of the centre: more gives a steeper low-pass and more CPU. */
  zeroCrossings: number;
  /** Cutoff as a fraction of the lower Nyquist frequency; < 1 leaves room for the transition band. */
  rolloff: number;
  /** Kaiser window beta: 8.6 gives about 80 dB stop-band attenuation. */
  kaiserBeta: number;
}

export const DEFAULT_RESAMPLER_OPTIONS: ResamplerOptions = {
  zeroCrossings: 16,
  rolloff: 0.9,
  kaiserBeta: 8.6,
};

/** Bounds the phase table (up × taps floats): 44.1 kHz → 16 kHz needs 160 phases, so this is generous. */
const MAX_PHASES = 1024;

export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  private readonly up: number;
  private readonly down: number;
  private readonly halfTaps: number;
  /** `up` phases × `2 * halfTaps` coefficients; phase p serves output positions with fraction p / up. */
  private readonly coefficients: Float32Array;
  /** Input samples kept for the filter; index 0 is absolute input index `bufferStart` (negative: leading zeros). */
  private buffer: Float32Array;
  private bufferStart: number;
  /** Absolute input index and phase of the next output sample. */
  private nextIndex = 0;
  private nextPhase = 0;

  constructor(fromRate: number, toRate: number, options: Partial<ResamplerOptions> = {}) {
    if (!isValidRate(fromRate) || !isValidRate(toRate)) {
      throw new AudioError(`unsupported sample rate conversion ${fromRate} Hz → ${toRate} Hz`);
    }
    const settings = { ...DEFAULT_RESAMPLER_OPTIONS, ...options };
    const divisor = gcd(fromRate, toRate);
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.up = toRate / divisor;
    this.down = fromRate / divisor;
    if (this.up > MAX_PHASES) {
      throw new AudioError(`unsupported sample rate conversion ${fromRate} Hz → ${toRate} Hz (ratio too fine)`);
    }
    // Cutoff in cycles per input sample: below the lower of the two Nyquist frequencies.
    const cutoff = 0.5 * Math.min(1, this.up / this.down) * settings.rolloff;
    this.halfTaps = fromRate === toRate ? 0 : Math.ceil(settings.zeroCrossings / (2 * cutoff));
    this.coefficients = buildPhases(this.up, this.halfTaps, cutoff, settings.kaiserBeta);
    // The first outputs need halfTaps - 1 samples before input index 0: start with that many zeros.
    this.buffer = new Float32Array(Math.max(0, this.halfTaps - 1));
    this.bufferStart = -this.buffer.length;
  }

  get isPassThrough(): boolean {
    return this.fromRate === this.toRate;
  }

  /**
   * Converts the next chunk of the stream. Output lags input by up to `halfTaps` input samples; `flush` returns
   * that tail at the end of the stream. A pass-through resampler returns `input` itself.
   */
  push(input: Float32Array): Float32Array {
    if (this.isPassThrough) return input;
    const merged = new Float32Array(this.buffer.length + input.length);
    merged.set(this.buffer, 0);
    merged.set(input, this.buffer.length);
    this.buffer = merged;
    const end = this.bufferStart + merged.length;
    // An output at nextIndex reads input up to nextIndex + halfTaps: emit only those whose input has arrived.
    const output = this.produce(end - this.halfTaps);
    this.discardConsumed();
    return output;
  }

  /** Emits the held-back tail (reading zeros past the end) and resets the resampler for a new stream. */
  flush(): Float32Array {
    if (this.isPassThrough) return new Float32Array(0);
    const end = this.bufferStart + this.buffer.length;
    const padded = new Float32Array(this.buffer.length + this.halfTaps);
    padded.set(this.buffer, 0);
    this.buffer = padded;
    const output = this.produce(end);
    this.reset();
    return output;
  }

  reset(): void {
    this.buffer = new Float32Array(Math.max(0, this.halfTaps - 1));
    this.bufferStart = -this.buffer.length;
    this.nextIndex = 0;
    this.nextPhase = 0;
  }

  /** Emits every output whose centre input index is below `limit`. */
  private produce(limit: number): Float32Array {
    const count = this.countOutputsBelow(limit);
    const output = new Float32Array(count);
    const taps = 2 * this.halfTaps;
    const buffer = this.buffer;
    const coefficients = this.coefficients;
    let index = this.nextIndex;
    let phase = this.nextPhase;
    for (let n = 0; n < count; n++) {
      // Taps cover input indices index - halfTaps + 1 … index + halfTaps.
      const first = index - this.halfTaps + 1 - this.bufferStart;
      const base = phase * taps;
      let sum = 0;
      for (let k = 0; k < taps; k++) {
        sum += (buffer[first + k] ?? 0) * (coefficients[base + k] ?? 0);
      }
      output[n] = sum;
      phase += this.down;
      index += Math.floor(phase / this.up);
      phase %= this.up;
    }
    this.nextIndex = index;
    this.nextPhase = phase;
    return output;
  }

  private countOutputsBelow(limit: number): number {
    if (this.nextIndex >= limit) return 0;
    // Output n (counted from the next one) sits at nextIndex + (nextPhase + n * down) / up.
    const span = (limit - this.nextIndex) * this.up - this.nextPhase;
    return Math.ceil(span / this.down);
  }

  private discardConsumed(): void {
    const keepFrom = this.nextIndex - this.halfTaps + 1;
    const drop = keepFrom - this.bufferStart;
    if (drop > 0) {
      this.buffer = this.buffer.slice(drop);
      this.bufferStart = keepFrom;
    }
  }
}

/** One-shot conversion of a whole signal; same filter as the streaming `Resampler`. */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  const resampler = new Resampler(fromRate, toRate);
  if (resampler.isPassThrough) return samples.slice();
  const body = resampler.push(samples);
  const tail = resampler.flush();
  const output = new Float32Array(body.length + tail.length);
  output.set(body, 0);
  output.set(tail, body.length);
  return output;
}

function buildPhases(up: number, halfTaps: number, cutoff: number, beta: number): Float32Array {
  const taps = 2 * halfTaps;
  const table = new Float32Array(up * taps);
  const i0Beta = besselI0(beta);
  for (let phase = 0; phase < up; phase++) {
    const fraction = phase / up;
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      // Distance from the output position to input sample index (k - halfTaps + 1), in input samples.
      const distance = k - halfTaps + 1 - fraction;
      const x = 2 * cutoff * distance;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const ratio = distance / halfTaps;
      const window = Math.abs(ratio) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - ratio * ratio)) / i0Beta;
      const value = 2 * cutoff * sinc * window;
      table[phase * taps + k] = value;
      sum += value;
    }
    // Unity gain at DC for every phase, so a constant signal stays constant.
    for (let k = 0; k < taps; k++) {
      const at = phase * taps + k;
      table[at] = (table[at] ?? 0) / sum;
    }
  }
  return table;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series (converges fast for beta ≤ 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const half = x / 2;
  for (let k = 1; k < 50; k++) {
    term *= (half / k) * (half / k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function isValidRate(rate: number): boolean {
  return Number.isInteger(rate) && rate > 0 && rate <= 384_000;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
