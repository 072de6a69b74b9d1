import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InferencePool } from "../../src/inference/pool.js";
import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";
import { combineWordErrorRates, wordErrorRate, type WordErrorRate } from "../../src/inference/quality/word-error-rate.js";
import { createLogger } from "../../src/logger.js";
import { createRecordings, type Recording } from "../support/pocketsphinx-recordings.js";
import { streamRecording } from "../support/streamed-transcription.js";

/**
 * Streamed as well as whole, on recorded human speech (Debian's pocketsphinx-testdata: the five `cards` phrases back
 * to back and `goforward`), real Silero VAD and Whisper tiny.en: the recording streamed through the pool's
 * StreamAudio path in 20 ms chunks, as a room streams a participant, is transcribed with no more word errors than the
 * same recording through `transcribe` (+ 1 point at most). Streamed from its first sample, it must be cut exactly
 * where the whole transcription cuts it; after 1 s of silence (its speech then off the VAD's 32 ms chunk grid, as in
 * a room) only the WER bound holds. `npx tsx scripts/bench/streamed-wer.ts` measures more recordings and lead-ins.
 */
const NAMES = ["cards", "goforward"] as const;
/** Audio ms per wall ms: the pool applies a stream's chunks in order at any pace inside its 30 s backlog. */
const SPEED = 20;

describe("streamed transcripts of recorded speech", () => {
  const logger = createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent");
  let pool: InferencePool;
  let recordings: Recording[];

  beforeAll(async () => {
    pool = new InferencePool({ modelsDir: join(tmpdir(), "engine-test-models"), logger, asr: { lanes: 1 } });
    const media = createRecordings();
    [recordings] = await Promise.all([Promise.all(NAMES.map((name) => media.recording(name))), pool.ready()]);
  }, 180_000);

  afterAll(async () => {
    await pool?.close();
  });

  it("are within 1 point of WER of whole-file transcription, and cut where it cuts", async () => {
    const whole: WordErrorRate[] = [];
    const aligned: WordErrorRate[] = [];
    const shifted: WordErrorRate[] = [];
    for (const recording of recordings) {
      const file = await pool.transcribe(recording.pcm16, MODEL_SAMPLE_RATE);
      const fromStart = await streamRecording(pool, recording.pcm16, { speed: SPEED });
      const afterSilence = await streamRecording(pool, recording.pcm16, { speed: SPEED, leadInMs: 1_000 });
      expect([...fromStart.errors, ...afterSilence.errors]).toEqual([]);
      expect(fromStart.segments.map((s) => [s.startMs, s.endMs]), recording.name).toEqual(file.segments.map((s) => [s.startMs, s.endMs]));
      whole.push(wordErrorRate(recording.reference, file.text));
      aligned.push(wordErrorRate(recording.reference, fromStart.text));
      shifted.push(wordErrorRate(recording.reference, afterSilence.text));
      const detail = `${recording.name}: whole "${file.text}", streamed "${fromStart.text}", after silence "${afterSilence.text}"`;
      expect(aligned.at(-1)?.wer ?? 1, detail).toBeLessThanOrEqual((whole.at(-1)?.wer ?? 0) + 0.01);
      expect(shifted.at(-1)?.wer ?? 1, detail).toBeLessThanOrEqual((whole.at(-1)?.wer ?? 0) + 0.01);
    }
    const wholeWer = combineWordErrorRates(whole).wer;
    // Sanity: the references fit the audio (Whisper tiny.en gets most words of these recordings right).
    expect(wholeWer).toBeLessThan(0.3);
    expect(combineWordErrorRates([...aligned, ...shifted]).wer).toBeLessThanOrEqual(wholeWer + 0.01);
  }, 120_000);
});
