import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";
import type { SpeechSynthesizer } from "./speech.js";
import { mulberry32 } from "./seeded-random.js";

/**
 * Speech in noise at a chosen SNR, for the noise-suppression test and bench. sox is not installed on these
 * machines, so the noise is made here, in code:
 * - white: Gaussian samples (Box–Muller over a seeded mulberry32), so every run mixes the same noise;
 * - babble: several eSpeak NG talkers (different voices, different text from the target speech), each looped from a
 *   seeded offset and brought to the same level, summed and normalized.
 *
 * SNR is the target speech's active level over the noise's mean power, in dB. The active level is the mean square
 * over the 20 ms frames within 40 dB of the loudest one (a simplified ITU-T P.56), so the pauses between sentences do
 * not dilute it: "5 dB" means 5 dB while someone is talking.
 */
export type NoiseKind = "white" | "babble";

/** Unit-variance Gaussian white noise, the same for the same seed. */
export function whiteNoise(length: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const noise = new Float32Array(length);
  for (let i = 0; i < length; i += 2) {
    // Box–Muller: two uniforms → two independent normals; 1 - u keeps the log away from 0.
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    noise[i] = radius * Math.cos(angle);
    if (i + 1 < length) noise[i + 1] = radius * Math.sin(angle);
  }
  return noise;
}

export function meanSquare(samples: Float32Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return samples.length === 0 ? 0 : sum / samples.length;
}

const LEVEL_FRAME_MS = 20;
const ACTIVE_RANGE_DB = 40;

/** Mean square over the active frames (within 40 dB of the loudest 20 ms frame); 0 for silence. */
export function activeSpeechLevel(samples: Float32Array, sampleRate: number = MODEL_SAMPLE_RATE): number {
  const frame = Math.round((sampleRate * LEVEL_FRAME_MS) / 1000);
  const powers: number[] = [];
  for (let start = 0; start + frame <= samples.length; start += frame) powers.push(meanSquare(samples.subarray(start, start + frame)));
  const loudest = Math.max(0, ...powers);
  if (loudest === 0) return 0;
  const active = powers.filter((power) => power >= loudest * 10 ** (-ACTIVE_RANGE_DB / 10));
  return active.reduce((sum, power) => sum + power, 0) / active.length;
}

/**
 * speech + noise scaled to `snrDb` below the speech's active level (noise is used from its start and must be at
 * least as long). If the sum would clip PCM16, the whole mix is scaled down, which keeps the SNR.
 */
export function mixAtSnr(speech: Float32Array, noise: Float32Array, snrDb: number): Float32Array {
  if (noise.length < speech.length) throw new RangeError("noise is shorter than the speech");
  const used = noise.subarray(0, speech.length);
  const noisePower = meanSquare(used);
  const speechLevel = activeSpeechLevel(speech);
  if (noisePower === 0 || speechLevel === 0) throw new RangeError("speech and noise must both be audible");
  const gain = Math.sqrt(speechLevel / (noisePower * 10 ** (snrDb / 10)));
  const mixed = new Float32Array(speech.length);
  let peak = 0;
  for (let i = 0; i < mixed.length; i++) {
    const value = (speech[i] ?? 0) + gain * (used[i] ?? 0);
    mixed[i] = value;
    peak = Math.max(peak, Math.abs(value));
  }
  const limit = 0.98;
  if (peak > limit) for (let i = 0; i < mixed.length; i++) mixed[i] = ((mixed[i] ?? 0) * limit) / peak;
  return mixed;
}

/** Target speech: short meeting-like sentences without digits (so the reference needs no number normalization). */
export const NOISY_SPEECH_SENTENCES = [
  "please send the meeting notes to the whole team today",
  "we should review the budget before the end of the month",
  "can you share your screen so everyone can see the slides",
  "the next lesson covers fractions and decimal numbers",
  "thank you all for joining the call this morning",
] as const;

/** Babble talkers: other voices reading other text, so their words are not the target's. */
export const BABBLE_TALKERS: readonly { voice: string; text: string }[] = [
  { voice: "en-gb", text: "the train was late again so i walked across the bridge and bought a coffee near the station" },
  { voice: "en-us+f3", text: "my sister grows tomatoes and peppers in the garden behind the old house every summer" },
  { voice: "en+m3", text: "they painted the kitchen yellow last weekend and the neighbours came over for dinner" },
  { voice: "en-gb-scotland", text: "the river flooded the fields after the storm and the farmers moved their sheep uphill" },
  { voice: "en+f2", text: "our football club lost the final but everybody sang loudly on the bus back home" },
  { voice: "en-029", text: "a small bakery on the corner sells warm bread and sweet pastries early in the morning" },
];

/**
 * Silence between (and around) the sentences of a track: a participant pausing between sentences, so the noise runs
 * alone for a while, as in a meeting. It changes the result: in 5 dB white noise RNNoise lowered Whisper's WER with
 * 3 s pauses (61 % → 46 %, 3 seeds; 7 of 8 seeds in an earlier run) but raised it with 0.7 s ones (48 % → 55 %).
 * The bench takes `--pause-ms` to measure either.
 */
export const SENTENCE_PAUSE_MS = 3_000;

export interface SpeechTrack {
  samples: Float32Array;
  /** What is said, sentence after sentence: the WER reference. */
  reference: string;
}

/** The sentences spoken one after another (default voice), with silence around and between them. */
export async function speechTrack(
  synthesizer: SpeechSynthesizer,
  sentences: readonly string[] = NOISY_SPEECH_SENTENCES,
  gapMs = SENTENCE_PAUSE_MS,
): Promise<SpeechTrack> {
  const gap = new Float32Array(Math.round((gapMs * MODEL_SAMPLE_RATE) / 1000));
  const parts: Float32Array[] = [gap];
  // One at a time: each synthesis instantiates eSpeak's wasm runtime; in parallel they only contend for the cores.
  for (const sentence of sentences) parts.push((await synthesizer.synthesize(sentence)).samples16k, gap);
  return { samples: concatenate(parts), reference: sentences.join(" ") };
}

/** Babble `length` samples long: every talker looped from a seeded offset, at equal active level, summed to unit power. */
export async function babbleNoise(
  synthesizer: SpeechSynthesizer,
  length: number,
  seed: number,
  talkers: readonly { voice: string; text: string }[] = BABBLE_TALKERS,
): Promise<Float32Array> {
  const random = mulberry32(seed);
  const babble = new Float32Array(length);
  for (const talker of talkers) {
    const voice = (await synthesizer.synthesize(talker.text, talker.voice)).samples16k;
    const gain = 1 / Math.sqrt(activeSpeechLevel(voice));
    const offset = Math.floor(random() * voice.length);
    for (let i = 0; i < length; i++) babble[i] = (babble[i] ?? 0) + gain * (voice[(offset + i) % voice.length] ?? 0);
  }
  const scale = 1 / Math.sqrt(meanSquare(babble));
  for (let i = 0; i < length; i++) babble[i] = (babble[i] ?? 0) * scale;
  return babble;
}

/** Noise of `kind` for a track `length` samples long; babble needs a synthesizer. */
export async function makeNoise(kind: NoiseKind, length: number, seed: number, synthesizer: SpeechSynthesizer): Promise<Float32Array> {
  return kind === "white" ? whiteNoise(length, seed) : babbleNoise(synthesizer, length, seed);
}

/** The parts end to end, in one array. */
export function concatenate(parts: readonly Float32Array[]): Float32Array {
  const output = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    output.set(part, at);
    at += part.length;
  }
  return output;
}
