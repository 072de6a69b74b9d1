import { beforeAll, describe, expect, it } from "vitest";
import { Denoiser, denoiseRecording } from "../../src/inference/audio/denoise/denoiser.js";
import {
  RNNOISE_BUILDS,
  RNNOISE_FRAME_SAMPLES,
  RNNOISE_LAG_SAMPLES,
  RnnoiseLoader,
  type RnnoiseRuntime,
} from "../../src/inference/audio/denoise/rnnoise-runtime.js";
import { resample } from "../../src/inference/audio/resample.js";
import { concatenate, meanSquare, mixAtSnr, speechTrack, whiteNoise, type SpeechTrack } from "../support/noisy-speech.js";
import { createSpeechSynthesizer } from "../support/speech.js";

/** The lag (in samples, within ±maxLag) at which `output` best matches `input`, and that normalized correlation. */
function bestLag(input: Float32Array, output: Float32Array, maxLag: number): { lag: number; correlation: number } {
  let best = { lag: 0, correlation: -Infinity };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let dot = 0;
    let inPower = 0;
    let outPower = 0;
    for (let i = Math.max(0, -lag); i < input.length && i + lag < output.length; i++) {
      const x = input[i] ?? 0;
      const y = output[i + lag] ?? 0;
      dot += x * y;
      inPower += x * x;
      outPower += y * y;
    }
    const correlation = dot / Math.sqrt(inPower * outPower);
    if (correlation > best.correlation) best = { lag, correlation };
  }
  return best;
}

/** Index of the first sample where a and b differ (bit for bit), or -1; cheaper than a deep equality on 60 k floats. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const left = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const right = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < left.length; i++) if (left[i] !== right[i]) return i;
  return -1;
}

/** The second after the leading pause: speech, where the correlation search looks. */
function speechExcerpt(samples: Float32Array, rate: number): Float32Array {
  return samples.subarray(Math.round(0.8 * rate), Math.round(1.8 * rate));
}

function decibels(ratio: number): number {
  return 10 * Math.log10(ratio);
}

/** Chunks of varied sizes (1 sample up to 0.1 s), as a stream delivers them, cycling a fixed pattern. */
function chunked(samples: Float32Array): Float32Array[] {
  const sizes = [320, 1, 37, 160, 1_600, 479, 2, 640, 1_000];
  const chunks: Float32Array[] = [];
  for (let at = 0, n = 0; at < samples.length; n++) {
    const size = sizes[n % sizes.length] ?? 320;
    chunks.push(samples.subarray(at, at + size));
    at += size;
  }
  return chunks;
}


let track: SpeechTrack;
const loader = new RnnoiseLoader();

beforeAll(async () => {
  track = await speechTrack(createSpeechSynthesizer(), ["the weather report says it will rain tomorrow afternoon"], 700);
}, 60_000);

describe("RNNoise loader", () => {
  it("instantiates each build once per loader, and separately for another loader", async () => {
    const [first, second] = await Promise.all([loader.load("echogarden"), loader.load("echogarden")]);
    expect(second).toBe(first);
    expect(await loader.load()).toBe(first);
    expect(await new RnnoiseLoader().load("echogarden")).not.toBe(first);
  });
});

describe.each(RNNOISE_BUILDS)("Denoiser (%s)", (build) => {
  let runtime: RnnoiseRuntime;

  beforeAll(async () => {
    runtime = await loader.load(build);
  });

  it("runs RNNoise with the lag the stage compensates", () => {
    // Raw frames at 48 kHz, no compensation: the output matches the input RNNOISE_LAG_SAMPLES later.
    const input = resample(track.samples, 16_000, 48_000);
    const framed = input.slice(0, Math.floor(input.length / RNNOISE_FRAME_SAMPLES) * RNNOISE_FRAME_SAMPLES);
    const output = framed.slice();
    const state = runtime.openState();
    for (let offset = 0; offset < output.length; offset += RNNOISE_FRAME_SAMPLES) state.processFrame(output, offset);
    state.close();
    // Searching one second of speech keeps the ±1,440-lag search cheap.
    const excerpt = speechExcerpt(framed, 48_000);
    const start = excerpt.byteOffset / Float32Array.BYTES_PER_ELEMENT;
    const { lag, correlation } = bestLag(excerpt, output.subarray(start, start + excerpt.length + 2_000), 3 * RNNOISE_FRAME_SAMPLES);
    expect(lag).toBe(RNNOISE_LAG_SAMPLES[build]);
    expect(correlation).toBeGreaterThan(0.95);
  });

  it("returns 16 kHz output as long as its input and aligned with it", () => {
    const output = denoiseRecording(runtime, track.samples);
    expect(output.length).toBe(track.samples.length);
    const { lag, correlation } = bestLag(speechExcerpt(track.samples, 16_000), speechExcerpt(output, 16_000), 400);
    expect(lag).toBe(0);
    expect(correlation).toBeGreaterThan(0.95);
  });

  it("gives the same output chunk by chunk as in one call, never ahead of its input and at most ≈ 22–32 ms behind", () => {
    const noisy = mixAtSnr(track.samples, whiteNoise(track.samples.length, 1), 5);
    const whole = denoiseRecording(runtime, noisy);
    const denoiser = new Denoiser(runtime);
    const parts: Float32Array[] = [];
    let fed = 0;
    let emitted = 0;
    // Framing (< 160) + RNNoise's lag + both resamplers' look-ahead (18 + 18), at 16 kHz.
    const maxBehind = 160 + RNNOISE_LAG_SAMPLES[build] / 3 + 36;
    for (const chunk of chunked(noisy)) {
      const out = denoiser.process(chunk);
      fed += chunk.length;
      emitted += out.length;
      expect(emitted).toBeLessThanOrEqual(fed);
      expect(fed - emitted).toBeLessThanOrEqual(maxBehind);
      parts.push(out);
    }
    parts.push(denoiser.flush());
    denoiser.close();
    expect(firstDifference(concatenate(parts), whole)).toBe(-1);
  });

  it("starts afresh after flush", () => {
    const noisy = mixAtSnr(track.samples, whiteNoise(track.samples.length, 2), 5);
    const denoiser = new Denoiser(runtime);
    const first = concatenate([denoiser.process(noisy), denoiser.flush()]);
    const second = concatenate([denoiser.process(noisy), denoiser.flush()]);
    denoiser.close();
    expect(firstDifference(second, first)).toBe(-1);
  });

  it("keeps one state per stream: interleaved streams give what each gives alone", () => {
    const a = mixAtSnr(track.samples, whiteNoise(track.samples.length, 3), 0);
    const b = mixAtSnr(track.samples, whiteNoise(track.samples.length, 4), 10);
    const [alone, otherAlone] = [denoiseRecording(runtime, a), denoiseRecording(runtime, b)];
    const first = new Denoiser(runtime);
    const second = new Denoiser(runtime);
    const partsA: Float32Array[] = [];
    const partsB: Float32Array[] = [];
    for (let at = 0; at < a.length; at += 320) {
      partsA.push(first.process(a.subarray(at, at + 320)));
      partsB.push(second.process(b.subarray(at, at + 320)));
    }
    partsA.push(first.flush());
    partsB.push(second.flush());
    first.close();
    second.close();
    expect(firstDifference(concatenate(partsA), alone)).toBe(-1);
    expect(firstDifference(concatenate(partsB), otherAlone)).toBe(-1);
  });

  it("quiets white noise in the pauses by ≥ 10 dB and keeps the speech within 6 dB", () => {
    const noisy = mixAtSnr(track.samples, whiteNoise(track.samples.length, 5), 5);
    const output = denoiseRecording(runtime, noisy);
    // The 700 ms of leading silence, after 200 ms for RNNoise to estimate the noise.
    const pause = { from: 3_200, to: 11_200 };
    const noiseBefore = meanSquare(noisy.subarray(pause.from, pause.to));
    const noiseAfter = meanSquare(output.subarray(pause.from, pause.to));
    expect(decibels(noiseBefore / noiseAfter)).toBeGreaterThan(10);
    const speech = { from: 11_200, to: track.samples.length - 11_200 };
    const speechBefore = meanSquare(track.samples.subarray(speech.from, speech.to));
    const speechAfter = meanSquare(output.subarray(speech.from, speech.to));
    expect(Math.abs(decibels(speechAfter / speechBefore))).toBeLessThan(6);
  });

  it("frees its wasm state on close: 1,000 streams opened and closed do not grow the heap", () => {
    // One stream first, so the heap holds what a single stream needs before measuring.
    new Denoiser(runtime).close();
    const heapBefore = runtime.heapBytes;
    const openBefore = runtime.openStates;
    // One 20 ms chunk each (at least one RNNoise frame), so every state and buffer is used before it is freed.
    const noisy = whiteNoise(320, 6);
    for (let i = 0; i < 1_000; i++) {
      const denoiser = new Denoiser(runtime);
      denoiser.process(noisy);
      denoiser.close();
      denoiser.close();
    }
    expect(runtime.heapBytes).toBe(heapBefore);
    expect(runtime.openStates).toBe(openBefore);
  });

  it("would show a leak: 1,000 streams left open grow the heap, and streams keep working across the growth", async () => {
    // A separate heap, so the leaked states do not burden the other tests.
    const leaky = await new RnnoiseLoader().load(build);
    const clip = mixAtSnr(track.samples, whiteNoise(track.samples.length, 7), 5).subarray(0, 16_000);
    const before = denoiseRecording(leaky, clip);
    const early = new Denoiser(leaky);
    const heapBefore = leaky.heapBytes;
    for (let i = 0; i < 1_000; i++) new Denoiser(leaky);
    expect(leaky.openStates).toBe(1_001);
    expect(leaky.heapBytes).toBeGreaterThan(heapBefore);
    // Growth replaces the wasm memory's views: a stream opened before it still reads and writes the right place.
    expect(firstDifference(concatenate([early.process(clip), early.flush()]), before)).toBe(-1);
  });

  it("refuses to run once closed, and takes empty chunks", () => {
    const denoiser = new Denoiser(runtime);
    expect(denoiser.process(new Float32Array(0))).toHaveLength(0);
    expect(denoiser.flush()).toHaveLength(0);
    denoiser.close();
    expect(denoiser.closed).toBe(true);
    expect(() => denoiser.process(new Float32Array(320))).toThrow(/closed/);
    expect(() => denoiser.flush()).toThrow(/closed/);
  });
});
