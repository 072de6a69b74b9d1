import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { denoiseRecording } from "../../src/inference/audio/denoise/denoiser.js";
import { DEFAULT_RNNOISE_BUILD, RnnoiseLoader, type RnnoiseRuntime } from "../../src/inference/audio/denoise/rnnoise-runtime.js";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { InferencePool } from "../../src/inference/pool.js";
import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";
import { combineWordErrorRates, wordErrorRate, type WordErrorRate } from "../../src/inference/quality/word-error-rate.js";
import { createLogger } from "../../src/logger.js";
import { mixAtSnr, speechTrack, whiteNoise, type SpeechTrack } from "../support/noisy-speech.js";
import { createSpeechSynthesizer } from "../support/speech.js";

/**
 * Whether RNNoise helps the engine's transcripts, measured with the real models: five eSpeak NG sentences with 3 s
 * pauses (≈ 33 s, 49 words) in seeded white noise at 5 dB SNR, transcribed the way the engine transcribes a recording
 * (InferencePool.transcribe: Silero VAD segmentation, Whisper tiny.en per utterance), as is and after the default
 * denoiser. Three noise seeds, errors pooled: one draw of noise moves the WER by ± 10 points on its own.
 */
const SNR_DB = 5;
const SEEDS = [1, 2, 3];

describe("noise suppression and Whisper's word error rate", () => {
  const logger = createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent");
  let pool: InferencePool;
  let runtime: RnnoiseRuntime;
  let track: SpeechTrack;

  beforeAll(async () => {
    pool = new InferencePool({ modelsDir: join(tmpdir(), "engine-test-models"), logger, asr: { lanes: 1 } });
    [runtime, track] = await Promise.all([
      new RnnoiseLoader().load(DEFAULT_RNNOISE_BUILD),
      speechTrack(createSpeechSynthesizer()),
      pool.ready(),
    ]);
  }, 120_000);

  afterAll(async () => {
    await pool?.close();
  });

  const transcribe = async (samples: Float32Array): Promise<WordErrorRate> => {
    const result = await pool.transcribe(float32ToPcm16(samples), MODEL_SAMPLE_RATE);
    return wordErrorRate(track.reference, result.text);
  };

  it(`lowers the word error rate at ${SNR_DB} dB white noise`, async () => {
    const without: WordErrorRate[] = [];
    const withSuppression: WordErrorRate[] = [];
    for (const seed of SEEDS) {
      const noisy = mixAtSnr(track.samples, whiteNoise(track.samples.length, seed), SNR_DB);
      without.push(await transcribe(noisy));
      withSuppression.push(await transcribe(denoiseRecording(runtime, noisy)));
    }
    const off = combineWordErrorRates(without);
    const on = combineWordErrorRates(withSuppression);
    // Sanity: the noise is loud enough to cost words, and not so loud that nothing is left to recover.
    expect(off.wer).toBeGreaterThan(0.2);
    expect(off.wer).toBeLessThan(0.9);
    expect(on.wer, `WER with suppression ${on.wer.toFixed(3)}, without ${off.wer.toFixed(3)}`).toBeLessThan(off.wer);
  }, 180_000);
});
