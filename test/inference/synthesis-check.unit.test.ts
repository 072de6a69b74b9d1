import { describe, expect, it } from "vitest";
import { int16ToPcm16, pcm16ToInt16 } from "../../src/inference/audio/pcm.js";
import { synthesisRequestFromWire, synthesisRequestToWire, synthesisResultFromWire, synthesisResultToWire } from "../../src/inference/grpc/synthesis-wire.js";
import { PoolError } from "../../src/inference/pool-error.js";
import type { SynthesisRequest } from "../../src/inference/pool-types.js";
import { espeakArguments } from "../../src/inference/tts/espeak-runtime.js";
import { checkSynthesis } from "../../src/inference/tts/synthesis-check.js";

/** A catalogue as eSpeak NG lists its voices (a few of them). */
const VOICES = { voices: ["en-us", "en-gb", "en-gb-x-rp", "de"], variants: ["f3", "m1", "klatt"] };

function refusal(request: SynthesisRequest, voices = VOICES): unknown {
  try {
    checkSynthesis(request, voices);
  } catch (error) {
    return error;
  }
  throw new Error("expected invalid_text");
}

describe("checkSynthesis", () => {
  it("trims the text and fills in the defaults (en-us, 175 wpm)", () => {
    expect(checkSynthesis({ text: "  Hello there.  " }, VOICES)).toEqual({ text: "Hello there.", voice: "en-us", rateWpm: 175 });
    expect(checkSynthesis({ text: "Hi", voice: "en-gb-x-rp", rateWpm: 80 }, VOICES)).toEqual({ text: "Hi", voice: "en-gb-x-rp", rateWpm: 80 });
    expect(checkSynthesis({ text: "Hi", voice: "en-us+f3", rateWpm: 450 }, VOICES).voice).toBe("en-us+f3");
  });

  it("counts characters, not UTF-16 units: 1,000 emoji pass, 1,001 letters do not", () => {
    expect(checkSynthesis({ text: "😀".repeat(1_000) }, VOICES).text).toHaveLength(2_000);
    expect(refusal({ text: "a".repeat(1_001) })).toMatchObject({ code: "invalid_text", retryable: false });
    expect(checkSynthesis({ text: ` ${"a".repeat(1_000)} ` }, VOICES).text).toHaveLength(1_000);
  });

  it("refuses empty text, a rate outside 80–450 or not whole, and voices or variants the synthesizer lacks", () => {
    const bad: SynthesisRequest[] = [
      { text: "" },
      { text: " \n\t " },
      { text: "Hi", rateWpm: 79 },
      { text: "Hi", rateWpm: 451 },
      { text: "Hi", rateWpm: 0 },
      { text: "Hi", rateWpm: 175.5 },
      { text: "Hi", rateWpm: Number.NaN },
      { text: "Hi", voice: "xx-yy" },
      { text: "Hi", voice: "en-us+nope" },
      { text: "Hi", voice: "" },
      { text: "Hi", voice: "EN-US" },
      { text: "Hi", voice: "en-us -s 900" },
      { text: "Hi", voice: "-v" },
      { text: "Hi", voice: "en-us+f3+m1" },
    ];
    for (const request of bad) {
      const error = refusal(request);
      expect(error, JSON.stringify(request)).toBeInstanceOf(PoolError);
      expect(error).toMatchObject({ code: "invalid_text", retryable: false });
    }
  });

  it("without the catalogue (the model still loading) checks the voice's shape only", () => {
    expect(checkSynthesis({ text: "Hi", voice: "xx-yy+zz" }).voice).toBe("xx-yy+zz");
    expect(() => checkSynthesis({ text: "Hi", voice: "x y" })).toThrow(PoolError);
  });
});

describe("eSpeak's arguments", () => {
  it("put the text after `--`, as one element, whatever it starts with", () => {
    expect(espeakArguments({ text: "--help", voice: "en-us", rateWpm: 175 })).toEqual(["-v", "en-us", "-s", "175", "-w", "/out.wav", "--", "--help"]);
    const first = espeakArguments({ text: "-v xx", voice: "en-gb", rateWpm: 90 });
    const second = espeakArguments({ text: "-v xx", voice: "en-gb", rateWpm: 90 });
    expect(first).not.toBe(second);
    expect(first.at(-1)).toBe("-v xx");
  });
});

describe("Synthesize on the wire", () => {
  it("an unset voice and rate travel as proto3's empty values and come back unset", () => {
    expect(synthesisRequestToWire({ text: "Hi" })).toEqual({ text: "Hi", voice: "", rate_wpm: 0, continuation: false });
    expect(synthesisRequestFromWire({ text: "Hi", voice: "", rate_wpm: 0, continuation: false })).toEqual({ text: "Hi" });
    expect(synthesisRequestFromWire({ text: "Hi", voice: "en-gb", rate_wpm: 120, continuation: false })).toEqual({ text: "Hi", voice: "en-gb", rateWpm: 120 });
    // A reply's later sentence says so; its first goes as an ordinary request.
    expect(synthesisRequestToWire({ text: "Then.", continuation: true })).toMatchObject({ continuation: true });
    expect(synthesisRequestFromWire({ text: "Then.", voice: "", rate_wpm: 0, continuation: true })).toEqual({ text: "Then.", continuation: true });
  });

  it("samples go as little-endian bytes and come back equal, from a Buffer at an odd offset too", () => {
    const pcm16 = Int16Array.from([0, 1, -1, 32_767, -32_768, 258]);
    const bytes = int16ToPcm16(pcm16);
    expect([...bytes.subarray(0, 6)]).toEqual([0, 0, 1, 0, 0xff, 0xff]);
    const odd = Buffer.alloc(bytes.byteLength + 1);
    odd.set(bytes, 1);
    expect(pcm16ToInt16(odd.subarray(1))).toEqual(pcm16);
    const wire = synthesisResultToWire({ pcm16, sampleRate: 22_050, durationMs: 0.27, timings: { queueMs: 1, synthMs: 2, totalMs: 3 } });
    const back = synthesisResultFromWire({ pcm16: Buffer.from(wire.pcm16 as Uint8Array), sample_rate: 22_050, duration_ms: 0.27, timings: { queue_ms: 1, synth_ms: 2, total_ms: 3 } });
    expect(back).toEqual({ pcm16, sampleRate: 22_050, durationMs: 0.27, timings: { queueMs: 1, synthMs: 2, totalMs: 3 } });
  });
});
