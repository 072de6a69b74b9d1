import { afterAll, describe, expect, it } from "vitest";
import { WavDecoder } from "../../src/inference/audio/wav-decoder.js";
import { PoolError } from "../../src/inference/pool-error.js";
import { encodeWav } from "../../src/inference/audio/wav.js";
import { createLogger } from "../../src/logger.js";
import { rejection } from "../support/rejection.js";

/** The pool's WAV decoder (both WAV routes end there): header bounds, the decoding thread, its queue bound, shutdown. */

const decoder = new WavDecoder(createLogger("silent"), { maxPending: 1 });
afterAll(async () => {
  await decoder.close();
});

function codeOf(error: unknown): { code: string; retryable: boolean } | null {
  return error instanceof PoolError ? { code: error.code, retryable: error.retryable } : null;
}

describe("WavDecoder", () => {
  it("decodes on its thread to 16 kHz 16-bit mono", async () => {
    const pcm = await decoder.toPcm16(encodeWav(new Float32Array(44_100), 44_100));
    expect(pcm.byteLength).toBe(16_000 * 2);
  });

  it("refuses rates outside 8–48 kHz and recordings over 10 minutes from the header", async () => {
    expect(codeOf(await rejection(decoder.toPcm16(encodeWav(new Float32Array(16), 16))))).toEqual({ code: "invalid_audio", retryable: false });
    expect(codeOf(await rejection(decoder.toPcm16(encodeWav(new Float32Array(8_000 * 601), 8_000))))).toEqual({ code: "recording_too_long", retryable: false });
  });

  it("a rate the resampler cannot convert exactly (8001 Hz) fails on the thread as invalid_audio", async () => {
    expect(codeOf(await rejection(decoder.toPcm16(encodeWav(new Float32Array(8_001), 8_001))))).toEqual({ code: "invalid_audio", retryable: false });
  });

  it("past its queue bound it answers overloaded (retryable) and serves the decode already queued", async () => {
    const first = decoder.toPcm16(encodeWav(new Float32Array(48_000), 48_000));
    expect(codeOf(await rejection(decoder.toPcm16(encodeWav(new Float32Array(48_000), 48_000))))).toEqual({ code: "overloaded", retryable: true });
    expect((await first).byteLength).toBe(16_000 * 2);
  });

  it("once closed with its pool, a decode in flight and any later one fail with model_unavailable (retryable)", async () => {
    const closing = new WavDecoder(createLogger("silent"));
    const inFlight = rejection(closing.toPcm16(encodeWav(new Float32Array(48_000 * 10), 48_000)));
    await closing.close();
    expect(codeOf(await inFlight)).toEqual({ code: "model_unavailable", retryable: true });
    expect(codeOf(await rejection(closing.toPcm16(encodeWav(new Float32Array(160), 16_000))))).toEqual({ code: "model_unavailable", retryable: true });
  });
});
