import { resample } from "../../src/inference/audio/resample.js";
import { parseWav } from "../../src/inference/audio/wav.js";
import { MODEL_SAMPLE_RATE, SYNTHESIS_DEFAULTS } from "../../src/inference/pool-types.js";
import { espeakWav, loadEspeakRuntime, type EspeakRuntime } from "../../src/inference/tts/espeak-runtime.js";

/**
 * Real synthetic speech for tests: eSpeak NG through the pool's own runtime (src/inference/tts/espeak-runtime.ts, the
 * one copy), on the test's thread. Its 22,050 Hz output is resampled to the models' 16 kHz with the project's resampler.
 */
export interface SynthesizedSpeech {
  samples16k: Float32Array;
  sampleRate: typeof MODEL_SAMPLE_RATE;
}

export interface SpeechSynthesizer {
  synthesize(text: string, voice?: string): Promise<SynthesizedSpeech>;
}

/** Compiles the 18 MB .wasm once per synthesizer; each utterance then gets a fresh instance (≈ 70 ms). */
export function createSpeechSynthesizer(): SpeechSynthesizer {
  let runtime: Promise<EspeakRuntime> | undefined;
  return {
    async synthesize(text, voice = SYNTHESIS_DEFAULTS.voice) {
      runtime ??= loadEspeakRuntime();
      const wav = parseWav(await espeakWav(await runtime, { text, voice, rateWpm: SYNTHESIS_DEFAULTS.rateWpm }));
      return { samples16k: resample(wav.samples, wav.sampleRate, MODEL_SAMPLE_RATE), sampleRate: MODEL_SAMPLE_RATE };
    },
  };
}

/** One-off synthesis; create a synthesizer instead when a test file speaks more than once. */
export async function synthesizeSpeech(text: string): Promise<SynthesizedSpeech> {
  return createSpeechSynthesizer().synthesize(text);
}

/** Surrounds speech with digital silence, as a participant pausing before and after talking. */
export function padWithSilence(
  samples: Float32Array,
  beforeMs: number,
  afterMs: number,
  sampleRate: number = MODEL_SAMPLE_RATE,
): Float32Array {
  const before = Math.round((beforeMs * sampleRate) / 1000);
  const after = Math.round((afterMs * sampleRate) / 1000);
  const padded = new Float32Array(before + samples.length + after);
  padded.set(samples, before);
  return padded;
}
