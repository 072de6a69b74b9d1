import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isInferenceError } from "../../src/inference/models/inference-error.js";
import { WhisperAsr } from "../../src/inference/models/whisper-asr.js";
import {
  createWhisperPreparer,
  prepareWhisper,
  type PreparedWhisper,
} from "../../src/inference/models/whisper-prepare.js";
import { WhisperTokenizer } from "../../src/inference/models/whisper-tokenizer.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

/** A pino logger whose messages the test can read. */
function capturingLogger(): { logger: pino.Logger; messages: string[] } {
  const messages: string[] = [];
  const stream = new Writable({
    write(line: Buffer, _encoding, done) {
      const parsed: unknown = JSON.parse(line.toString());
      if (typeof parsed === "object" && parsed !== null && "msg" in parsed) messages.push(String(parsed.msg));
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), messages };
}

describe("Whisper", () => {
  let modelsDir: string;
  let prepared: PreparedWhisper;
  let asr: WhisperAsr;
  let prepareMs: number;
  const { logger, messages } = capturingLogger();
  const preparer = createWhisperPreparer();

  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), "whisper-models-"));
    const startedAt = performance.now();
    // Two concurrent callers share one preparation.
    const [first, second] = await Promise.all([
      preparer.prepare({ modelsDir, logger }),
      preparer.prepare({ modelsDir, logger }),
    ]);
    prepareMs = performance.now() - startedAt;
    expect(second).toEqual(first);
    prepared = first;
    asr = await WhisperAsr.load({ modelsDir, logger, preparer, intraOpNumThreads: 2 });
  }, 120_000);

  afterAll(async () => {
    await asr?.close();
    if (modelsDir !== undefined) await rm(modelsDir, { recursive: true, force: true });
  });

  it("prepares once, then finds the prepared files on disk", async () => {
    console.log(`Whisper prepare (decode, strip BpeDecoder, encode, write): ${Math.round(prepareMs)} ms`);
    expect(messages.filter((message) => message === "preparing whisper model (one-time)")).toHaveLength(1);
    const files = await readdir(modelsDir);
    expect(files.sort()).toEqual(
      [prepared.modelPath, prepared.vocabularyPath].map((path) => path.slice(modelsDir.length + 1)).sort(),
    );

    const startedAt = performance.now();
    const again = await prepareWhisper({ modelsDir, logger });
    const cachedMs = performance.now() - startedAt;
    expect(again).toEqual(prepared);
    expect(cachedMs).toBeLessThan(500);
    expect(messages.filter((message) => message === "preparing whisper model (one-time)")).toHaveLength(1);
  });

  it("transcribes synthesized speech", async () => {
    const speech = await createSpeechSynthesizer().synthesize("hello world, this is a test of the meeting engine");
    const result = await asr.transcribe(padWithSilence(speech.samples16k, 300, 300));
    console.log(
      `Whisper ASR (greedy, 2 threads, warmed up), ${(speech.samples16k.length / 16_000).toFixed(1)} s utterance: ` +
        `${Math.round(result.runMs)} ms → "${result.text}"`,
    );
    const text = result.text.toLowerCase();
    for (const word of ["hello", "world", "test", "meeting", "engine"]) expect(text).toContain(word);
  });

  it("answers empty audio with empty text and rejects more than 30 s", async () => {
    expect(await asr.transcribe(new Float32Array(0))).toEqual({ text: "", runMs: 0 });
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
