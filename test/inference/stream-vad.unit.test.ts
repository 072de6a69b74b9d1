import { describe, expect, it } from "vitest";
import { vadFromWire } from "../../src/inference/grpc/pool-wire.js";
import { streamSegmenter } from "../../src/inference/pool-stream.js";

describe("a stream's own turn-taking", () => {
  it("goes over the pool's segmenter settings, keeping hysteresis below the speech threshold", () => {
    const pool = { paddingMs: 300, cutSearchMs: 3_000 };
    expect(streamSegmenter(pool, undefined)).toBe(pool);
    expect(streamSegmenter(pool, { speechThreshold: 0.6, endOfTurnSilenceMs: 500 })).toEqual({
      paddingMs: 300,
      cutSearchMs: 3_000,
      speechThreshold: 0.6,
      silenceThreshold: expect.closeTo(0.45, 6),
      hangoverMs: 500,
    });
    expect(streamSegmenter(pool, { speechThreshold: 0.1 })).toMatchObject({ speechThreshold: 0.1, silenceThreshold: 0.05 });
    expect(streamSegmenter(pool, { endOfTurnSilenceMs: 1_000 })).toEqual({ ...pool, hangoverMs: 1_000 });
  });

  it("is read from the wire with 0 as unset, and refused out of range", () => {
    expect(vadFromWire(null)).toEqual({ vad: undefined });
    expect(vadFromWire({ speech_threshold: 0, end_of_turn_silence_ms: 0 })).toEqual({ vad: {} });
    expect(vadFromWire({ speech_threshold: 0.5, end_of_turn_silence_ms: 700 })).toEqual({ vad: { speechThreshold: 0.5, endOfTurnSilenceMs: 700 } });
    expect(vadFromWire({ speech_threshold: 0.99, end_of_turn_silence_ms: 0 })).toMatchObject({ refused: expect.stringContaining("speech_threshold") });
    expect(vadFromWire({ speech_threshold: Number.NaN, end_of_turn_silence_ms: 0 })).toMatchObject({ refused: expect.any(String) });
    expect(vadFromWire({ speech_threshold: 0, end_of_turn_silence_ms: 5_000 })).toMatchObject({ refused: expect.stringContaining("end_of_turn_silence_ms") });
  });
});
