import { describe, expect, it } from "vitest";
import { AudioError } from "../../src/inference/audio/audio-error.js";
import { float32ToPcm16, pcm16ToFloat32 } from "../../src/inference/audio/pcm.js";
import { resample, Resampler } from "../../src/inference/audio/resample.js";
import { encodeWav, parseWav } from "../../src/inference/audio/wav.js";

function expectAudioError(action: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AudioError);
  expect(caught).toMatchObject({ code: "invalid_audio", retryable: false });
  expect(caught instanceof AudioError ? caught.message : "").toMatch(message);
}

function sine(frequencyHz: number, sampleRate: number, seconds: number, amplitude = 0.5): Float32Array {
  const samples = new Float32Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < samples.length; i++) {
    samples[i] = amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRate);
  }
  return samples;
}

/** Frequency from the count of rising zero crossings over the middle of the signal (edges skipped). */
function zeroCrossingFrequency(samples: Float32Array, sampleRate: number): number {
  const from = Math.floor(samples.length * 0.1);
  const to = Math.floor(samples.length * 0.9);
  let rising = 0;
  for (let i = from + 1; i < to; i++) if ((samples[i - 1] ?? 0) < 0 && (samples[i] ?? 0) >= 0) rising++;
  return rising / ((to - from) / sampleRate);
}

function rms(samples: Float32Array, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += (samples[i] ?? 0) ** 2;
  return Math.sqrt(sum / (to - from));
}

describe("pcm", () => {
  it("round-trips every int16 value, also from a Buffer at an odd offset", () => {
    const original = new Uint8Array(65536 * 2);
    const view = new DataView(original.buffer);
    for (let value = -32768; value <= 32767; value++) view.setInt16((value + 32768) * 2, value, true);
    const pooled = Buffer.alloc(original.length + 1);
    pooled.set(original, 1);
    const floats = pcm16ToFloat32(pooled.subarray(1));
    expect(floats[0]).toBe(-1);
    expect(Math.max(...floats.subarray(0, 1000))).toBeLessThan(1);
    expect(float32ToPcm16(floats)).toEqual(original);
  });

  it("clips out-of-range floats", () => {
    const bytes = float32ToPcm16(Float32Array.from([2, -2, Number.NaN]));
    const view = new DataView(bytes.buffer);
    expect([view.getInt16(0, true), view.getInt16(2, true), view.getInt16(4, true)]).toEqual([32767, -32768, 0]);
  });

  it("rejects an odd byte count with invalid_audio", () => {
    expectAudioError(() => pcm16ToFloat32(new Uint8Array(3)), /even number of bytes/);
  });
});

describe("wav", () => {
  it("encodes and parses 16-bit mono", () => {
    const samples = sine(440, 16_000, 0.25);
    const parsed = parseWav(encodeWav(samples, 16_000));
    expect(parsed.sampleRate).toBe(16_000);
    expect(parsed.channels).toBe(1);
    expect(parsed.samples.length).toBe(samples.length);
    for (let i = 0; i < samples.length; i++) {
      expect(Math.abs((parsed.samples[i] ?? 0) - (samples[i] ?? 0))).toBeLessThan(1 / 32768);
    }
  });

  it("skips LIST chunks, downmixes stereo and reads 32-bit float", () => {
    const frames = [
      [0.5, -0.5],
      [0.25, 0.75],
    ];
    const list = chunk("LIST", new TextEncoder().encode("INFOISFT\u0005\u0000\u0000\u0000test\u0000\u0000"));
    const float = new Uint8Array(16);
    const floatView = new DataView(float.buffer);
    frames.flat().forEach((value, i) => floatView.setFloat32(i * 4, value, true));
    const parsed = parseWav(riff([fmtChunk(3, 2, 48_000, 32), list, chunk("data", float)]));
    expect(parsed).toMatchObject({ sampleRate: 48_000, channels: 2 });
    expect([...parsed.samples]).toEqual([0, 0.5]);

    const pcm = float32ToPcm16(Float32Array.from(frames.flat()));
    const stereo = parseWav(riff([list, fmtChunk(1, 2, 8_000, 16), chunk("data", pcm)]));
    expect([...stereo.samples]).toEqual([0, 0.5]);
  });

  it("rejects bad files with invalid_audio and a clear message", () => {
    expectAudioError(() => parseWav(new TextEncoder().encode("ID3 this is an mp3 file")), /not a WAV file/);
    const adpcm = riff([fmtChunk(2, 1, 16_000, 4), chunk("data", new Uint8Array(8))]);
    expectAudioError(() => parseWav(adpcm), /unsupported WAV encoding/);
    const twelveBit = riff([fmtChunk(1, 1, 16_000, 12), chunk("data", new Uint8Array(6))]);
    expectAudioError(() => parseWav(twelveBit), /unsupported WAV sample size/);
    const full = encodeWav(sine(440, 16_000, 0.1), 16_000);
    expectAudioError(() => parseWav(full.subarray(0, full.length - 100)), /truncated/);
    expectAudioError(() => parseWav(riff([fmtChunk(1, 1, 16_000, 16)])), /no data chunk/);
    expectAudioError(() => parseWav(riff([chunk("data", new Uint8Array(4))])), /data chunk before fmt/);
  });
});

describe("resampler", () => {
  for (const fromRate of [48_000, 24_000, 22_050, 8_000]) {
    it(`keeps a 440 Hz tone's frequency and level from ${fromRate} Hz to 16 kHz`, () => {
      const input = sine(440, fromRate, 1);
      const output = resample(input, fromRate, 16_000);
      expect(output.length).toBe(Math.ceil((input.length * 16_000) / fromRate));
      expect(Math.abs(zeroCrossingFrequency(output, 16_000) - 440)).toBeLessThan(2);
      expect(rms(output, 1600, 14_400)).toBeCloseTo(0.5 / Math.SQRT2, 2);
    });
  }

  it("removes content above the new Nyquist frequency instead of aliasing it", () => {
    const output = resample(sine(10_000, 48_000, 0.5), 48_000, 16_000);
    expect(rms(output, 800, output.length - 800)).toBeLessThan(0.005);
  });

  it("gives the same output in chunks as in one shot", () => {
    for (const fromRate of [48_000, 22_050, 8_000]) {
      const input = sine(440, fromRate, 0.5);
      for (let i = 0; i < input.length; i++) input[i] = (input[i] ?? 0) + 0.1 * Math.sin(i * 0.37);
      const whole = resample(input, fromRate, 16_000);
      const resampler = new Resampler(fromRate, 16_000);
      const parts: Float32Array[] = [];
      const sizes = [1, 0, 7, 160, 480, 1, 1024, 333];
      for (let offset = 0, n = 0; offset < input.length; n++) {
        const size = sizes[n % sizes.length] ?? 1;
        parts.push(resampler.push(input.subarray(offset, offset + size)));
        offset += size;
      }
      parts.push(resampler.flush());
      const chunked = Float32Array.from(parts.flatMap((part) => [...part]));
      expect(chunked.length).toBe(whole.length);
      let maxDifference = 0;
      for (let i = 0; i < whole.length; i++) {
        maxDifference = Math.max(maxDifference, Math.abs((chunked[i] ?? 0) - (whole[i] ?? 0)));
      }
      expect(maxDifference).toBeLessThan(1e-6);
    }
  });

  it("passes 16 kHz through untouched", () => {
    const input = sine(440, 16_000, 0.1);
    const resampler = new Resampler(16_000, 16_000);
    expect(resampler.push(input)).toBe(input);
    expect(resampler.flush().length).toBe(0);
    expect(resample(input, 16_000, 16_000)).toEqual(input);
  });

  it("rejects impossible rates with invalid_audio", () => {
    expectAudioError(() => new Resampler(0, 16_000), /unsupported sample rate/);
    expectAudioError(() => new Resampler(44_100.5, 16_000), /unsupported sample rate/);
  });
});

function chunk(id: string, body: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(8 + body.length + (body.length % 2));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) view.setUint8(i, id.charCodeAt(i));
  view.setUint32(4, body.length, true);
  bytes.set(body, 8);
  return bytes;
}

function fmtChunk(tag: number, channels: number, sampleRate: number, bits: number): Uint8Array {
  const body = new Uint8Array(16);
  const view = new DataView(body.buffer);
  view.setUint16(0, tag, true);
  view.setUint16(2, channels, true);
  view.setUint32(4, sampleRate, true);
  view.setUint32(8, (sampleRate * channels * bits) / 8, true);
  view.setUint16(12, (channels * bits) / 8, true);
  view.setUint16(14, bits, true);
  return chunk("fmt ", body);
}

function riff(chunks: Uint8Array[]): Uint8Array {
  const size = chunks.reduce((total, part) => total + part.length, 4);
  const bytes = new Uint8Array(8 + size);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode("RIFFxxxxWAVE"), 0);
  view.setUint32(4, size, true);
  let offset = 12;
  for (const part of chunks) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}
