import { describe, expect, it } from "vitest";
import { activeSpeechLevel, meanSquare, mixAtSnr, whiteNoise } from "../support/noisy-speech.js";
import { mulberry32 } from "../support/seeded-random.js";

/** A 440 Hz tone in bursts with silence between: stands in for speech with pauses. */
function bursts(seconds: number, amplitude: number): Float32Array {
  const samples = new Float32Array(seconds * 16_000);
  for (let i = 0; i < samples.length; i++) {
    const on = Math.floor(i / 8_000) % 2 === 0;
    samples[i] = on ? amplitude * Math.sin((2 * Math.PI * 440 * i) / 16_000) : 0;
  }
  return samples;
}

describe("noise mixing", () => {
  it("makes the same white noise for the same seed and different noise for another", () => {
    expect(whiteNoise(1000, 7)).toEqual(whiteNoise(1000, 7));
    expect(whiteNoise(1000, 7)).not.toEqual(whiteNoise(1000, 8));
    const random = mulberry32(1);
    const values = Array.from({ length: 1000 }, random);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
  });

  it("makes white noise with unit variance, zero mean and a flat spectrum", () => {
    const noise = whiteNoise(160_000, 3);
    expect(meanSquare(noise)).toBeCloseTo(1, 1);
    expect(noise.reduce((sum, value) => sum + value, 0) / noise.length).toBeCloseTo(0, 1);
    // Neighbouring samples are uncorrelated (white), unlike any low-passed noise.
    let lag1 = 0;
    for (let i = 1; i < noise.length; i++) lag1 += (noise[i] ?? 0) * (noise[i - 1] ?? 0);
    expect(Math.abs(lag1 / noise.length)).toBeLessThan(0.01);
  });

  it("measures the active level over talking frames only", () => {
    // Half the time silent: the plain mean square halves, the active level does not.
    const signal = bursts(4, 0.5);
    expect(activeSpeechLevel(signal)).toBeCloseTo(0.125, 3);
    expect(meanSquare(signal)).toBeCloseTo(0.0625, 3);
    expect(activeSpeechLevel(new Float32Array(16_000))).toBe(0);
  });

  it("mixes noise at the requested SNR against the active level", () => {
    // Quiet enough that even 0 dB stays clear of the clipping guard.
    const speech = bursts(4, 0.05);
    for (const snr of [0, 5, 10]) {
      const mixed = mixAtSnr(speech, whiteNoise(speech.length, 11), snr);
      const noise = mixed.map((value, i) => value - (speech[i] ?? 0));
      expect(10 * Math.log10(activeSpeechLevel(speech) / meanSquare(noise))).toBeCloseTo(snr, 3);
    }
  });

  it("scales a mix that would clip down as a whole, keeping the SNR", () => {
    const speech = bursts(2, 0.9);
    const mixed = mixAtSnr(speech, whiteNoise(speech.length, 5), 0);
    const unclipped = mixAtSnrUnclipped(speech, 0);
    const peak = Math.max(...unclipped.map(Math.abs));
    expect(peak).toBeGreaterThan(1);
    expect(Math.max(...mixed.map(Math.abs))).toBeCloseTo(0.98, 6);
    // Every sample shrank by the same factor, speech and noise alike.
    for (const i of [100, 5_000, 20_000]) expect(mixed[i]).toBeCloseTo(((unclipped[i] ?? 0) * 0.98) / peak, 6);
  });

  it("refuses noise shorter than the speech and silent inputs", () => {
    expect(() => mixAtSnr(bursts(1, 0.3), whiteNoise(100, 1), 5)).toThrow(RangeError);
    expect(() => mixAtSnr(new Float32Array(16_000), whiteNoise(16_000, 1), 5)).toThrow(RangeError);
  });
});

/** The same mix as mixAtSnr without the clipping guard, to find the guard's factor. */
function mixAtSnrUnclipped(speech: Float32Array, snrDb: number): Float32Array {
  const noise = whiteNoise(speech.length, 5);
  const gain = Math.sqrt(activeSpeechLevel(speech) / (meanSquare(noise) * 10 ** (snrDb / 10)));
  return speech.map((value, i) => value + gain * (noise[i] ?? 0));
}
