import { describe, expect, it } from "vitest";
import { StreamResampler } from "../../web/src/resampler.js";

/** A sine of `hz` at `rate`, `seconds` long. */
function tone(hz: number, rate: number, seconds: number): Float32Array {
  const samples = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < samples.length; i++) samples[i] = 0.5 * Math.sin((2 * Math.PI * hz * i) / rate);
  return samples;
}

/** Resamples in the worklet's 128-sample render quanta. */
function run(input: Float32Array, from: number, to: number, block = 128): Float32Array {
  const resampler = new StreamResampler(from, to);
  const parts: Float32Array[] = [];
  for (let i = 0; i < input.length; i += block) parts.push(resampler.push(input.subarray(i, i + block)));
  const output = new Float32Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    output.set(part, offset);
    offset += part.length;
  }
  return output;
}

/** RMS of the middle, away from the start-up edge. */
function rms(samples: Float32Array): number {
  const middle = samples.subarray(Math.floor(samples.length / 4), Math.floor((3 * samples.length) / 4));
  return Math.sqrt(middle.reduce((sum, x) => sum + x * x, 0) / middle.length);
}

/** Amplitude of the `hz` component (a single DFT bin over the middle). */
function amplitudeAt(samples: Float32Array, hz: number, rate: number): number {
  const middle = samples.subarray(Math.floor(samples.length / 4), Math.floor((3 * samples.length) / 4));
  let re = 0;
  let im = 0;
  for (let i = 0; i < middle.length; i++) {
    re += middle[i]! * Math.cos((2 * Math.PI * hz * i) / rate);
    im -= middle[i]! * Math.sin((2 * Math.PI * hz * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / middle.length;
}

const dB = (ratio: number) => 20 * Math.log10(ratio);

describe("capture resampler", () => {
  it.each([48_000, 44_100, 24_000, 32_000, 22_050])("%d Hz → 16 kHz: speech band kept, no drift in length", (rate) => {
    const input = tone(1_000, rate, 2);
    const output = run(input, rate, 16_000);
    expect(Math.abs(output.length - (input.length * 16_000) / rate)).toBeLessThanOrEqual(200);
    expect(amplitudeAt(output, 1_000, 16_000)).toBeCloseTo(0.5, 2);
  });

  it.each([48_000, 44_100])("%d Hz → 16 kHz: a tone above 8 kHz does not alias into the band (> 60 dB down)", (rate) => {
    for (const hz of [9_000, 12_000, 15_000]) {
      const output = run(tone(hz, rate, 1), rate, 16_000);
      expect(dB(rms(output) / (0.5 / Math.SQRT2))).toBeLessThan(-60);
    }
  });

  it("keeps 6 kHz within 1 dB (the pass band reaches past speech's main energy)", () => {
    const output = run(tone(6_000, 48_000, 1), 48_000, 16_000);
    expect(Math.abs(dB(amplitudeAt(output, 6_000, 16_000) / 0.5))).toBeLessThan(1);
  });

  it("8 kHz → 16 kHz: upsampled without images above 4 kHz", () => {
    const output = run(tone(1_000, 8_000, 1), 8_000, 16_000);
    expect(amplitudeAt(output, 1_000, 16_000)).toBeCloseTo(0.5, 2);
    expect(dB(amplitudeAt(output, 7_000, 16_000) / 0.5)).toBeLessThan(-60);
  });

  it("same rate passes samples through unchanged, whatever the block size", () => {
    const input = tone(440, 16_000, 0.1);
    expect(run(input, 16_000, 16_000, 100)).toEqual(input);
  });

  it("the output does not depend on how the input is split into blocks", () => {
    const input = tone(1_000, 44_100, 0.5);
    const a = run(input, 44_100, 16_000, 128);
    const b = run(input, 44_100, 16_000, 37);
    expect(b.length).toBe(a.length);
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 6);
  });
});
