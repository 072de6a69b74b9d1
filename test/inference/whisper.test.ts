import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import { createLogger } from "../../src/logger.js";
import { isInferenceError } from "../../src/inference/models/inference-error.js";
import { WhisperAsr } from "../../src/inference/models/whisper-asr.js";
import {
  createWhisperPreparer,
  prepareWhisper,
  type PreparedWhisper,
} from "../../src/inference/models/whisper-prepare.js";
import { WhisperTokenizer } from "../../src/inference/models/whisper-tokenizer.js";
import { windowCapacitySamples } from "../../src/inference/models/whisper-window.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

/** A file's identity: rewriting it (a new temporary file renamed into place) changes the inode. */
async function identity(path: string): Promise<{ ino: number; mtimeMs: number }> {
  const { ino, mtimeMs } = await stat(path);
  return { ino, mtimeMs };
}

describe("Whisper", () => {
  let modelsDir: string;
  let prepared: PreparedWhisper;
  let asr: WhisperAsr;
  /** Decoding the 75 MB source model is the preparation's first step: one call is one preparation. */
  let decode: MockInstance;
  const logger = createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent");
  const preparer = createWhisperPreparer();

  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), "whisper-models-"));
    decode = vi.spyOn(onnxProto.onnx.ModelProto, "decode");
    // Two concurrent callers share one preparation.
    const [first, second] = await Promise.all([
      preparer.prepare({ modelsDir, logger }),
      preparer.prepare({ modelsDir, logger }),
    ]);
    expect(second).toEqual(first);
    prepared = first;
    asr = await WhisperAsr.load({ modelsDir, logger, preparer, intraOpNumThreads: 2 });
  }, 120_000);

  afterAll(async () => {
    decode?.mockRestore();
    await asr?.close();
    if (modelsDir !== undefined) await rm(modelsDir, { recursive: true, force: true });
  });

  it("prepares once, then finds the prepared files on disk", async () => {
    // Two concurrent prepares and the load: one preparation.
    expect(decode).toHaveBeenCalledTimes(1);
    const files = await readdir(modelsDir);
    expect(files.sort()).toEqual(
      [prepared.modelPath, prepared.vocabularyPath].map((path) => path.slice(modelsDir.length + 1)).sort(),
    );
    const before = await Promise.all([identity(prepared.modelPath), identity(prepared.vocabularyPath)]);

    // A fresh call (no shared preparer, as in another process) finds the files: nothing decoded, nothing rewritten.
    const again = await prepareWhisper({ modelsDir, logger });
    expect(again).toEqual(prepared);
    expect(decode).toHaveBeenCalledTimes(1);
    expect(await Promise.all([identity(prepared.modelPath), identity(prepared.vocabularyPath)])).toEqual(before);
    expect((await readdir(modelsDir)).sort()).toEqual(files);
  });

  it("transcribes synthesized speech", async () => {
    const speech = await createSpeechSynthesizer().synthesize("hello world, this is a test of the meeting engine");
    const result = await asr.transcribe(padWithSilence(speech.samples16k, 300, 300));
    const text = result.text.toLowerCase();
    for (const word of ["hello", "world", "test", "meeting", "engine"]) expect(text).toContain(word);
  });

  it("fits the encoder window to the utterance: 15 s up to its capacity, 30 s past it, the same words", async () => {
    const speech = await createSpeechSynthesizer().synthesize("please send the meeting notes to the whole team today");
    const short = padWithSilence(speech.samples16k, 300, 300);
    const fitted = await asr.transcribe(short);
    expect(fitted).toMatchObject({ windowFrames: 1500, retried: false });
    // The longest input the 15 s window holds runs in it; one sample more takes the 30 s window.
    const atCapacity = padWithSilence(short, 0, (windowCapacitySamples(1500) - short.length) / 16);
    expect(atCapacity.length).toBe(windowCapacitySamples(1500));
    const full = padWithSilence(short, 0, (windowCapacitySamples(1500) + 16 - short.length) / 16);
    const [edge, past] = [await asr.transcribe(atCapacity), await asr.transcribe(full)];
    expect(edge.windowFrames).toBe(1500);
    expect(past.windowFrames).toBe(3000);
    for (const result of [fitted, edge, past]) {
      for (const word of ["send", "meeting", "notes", "today"]) expect(result.text.toLowerCase()).toContain(word);
    }
  });

  it("transcribes again with the 30 s window a run cut at its token bound (a decoder loop)", async () => {
    // A bound of 8 tokens cuts any sentence: the stand-in for a loop, which real speech rarely shows on demand.
    const bounded = await WhisperAsr.load({ modelsDir, logger, preparer, intraOpNumThreads: 2, warmUp: false, maxTokensPerSecond: 0, tokenAllowance: 8 });
    try {
      const speech = await createSpeechSynthesizer().synthesize("we should review the budget before the end of the month");
      const result = await bounded.transcribe(padWithSilence(speech.samples16k, 300, 300));
      expect(result).toMatchObject({ windowFrames: 3000, retried: true });
      expect(result.text.toLowerCase()).toContain("end of the month");
    } finally {
      await bounded.close();
    }
  });

  it("answers empty audio with empty text and rejects more than 30 s", async () => {
    expect(await asr.transcribe(new Float32Array(0))).toEqual({ text: "", runMs: 0, windowFrames: 0, retried: false });
    // A clip shorter than the STFT window still runs (zero-padded).
    expect((await asr.transcribe(new Float32Array(100))).text).toBe("");
    const error = await asr.transcribe(new Float32Array(30 * 16_000 + 1)).catch((caught: unknown) => caught);
    expect(isInferenceError(error, "recording_too_long")).toBe(true);
    expect(error).toMatchObject({ code: "recording_too_long", retryable: false });
  });

  it("decodes token ids through the byte-level vocabulary", async () => {
    const tokenizer = await WhisperTokenizer.fromFile(prepared.vocabularyPath);
    // <|startoftranscript|> <|notimestamps|> "Hello" " world" "." " caf" "é" <|endoftext|>
    expect(tokenizer.decode([50257, 50362, 15496, 995, 13, 50256])).toBe("Hello world.");
    expect(tokenizer.decode([40304])).toBe("café");
    expect(tokenizer.decode([2634])).toBe("é");
  });
});
