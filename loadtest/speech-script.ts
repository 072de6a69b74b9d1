import { readFile } from "node:fs/promises";
import { float32ToPcm16 } from "../src/inference/audio/pcm.js";
import { resample } from "../src/inference/audio/resample.js";
import { parseWav } from "../src/inference/audio/wav.js";
import { MODEL_SAMPLE_RATE } from "../src/inference/pool-types.js";
import { createSpeechSynthesizer, padWithSilence } from "../test/support/speech.js";

/** 20 ms at 16 kHz, 16-bit: what each generator client sends per message, as a browser would. */
export const FRAME_MS = 20;
export const FRAME_SAMPLES = (MODEL_SAMPLE_RATE * FRAME_MS) / 1000;
export const FRAME_BYTES = FRAME_SAMPLES * 2;

export interface Utterance {
  /** Bounds inside the audio, in ms from its first sample. */
  startMs: number;
  endMs: number;
}

/** The audio every speaker loops: 16 kHz PCM16 cut to whole frames, and where its utterances are. */
export interface SpeechScript {
  pcm16: Uint8Array;
  durationMs: number;
  utterances: Utterance[];
  source: string;
}

/** Sentences of the default audio: distinct lengths, and a silence after each that ends the utterance. */
export const DEFAULT_SENTENCES = [
  "hello everyone, welcome to the weekly planning meeting",
  "today we will review the budget and the hiring plan",
  "please send your questions before the end of the day",
  "thank you, let us meet again next week",
];
const DEFAULT_GAP_MS = 1_500;

/**
 * Utterance detection for the generator's own bookkeeping (which stretches are speech, so it knows when each
 * utterance ended): 20 ms RMS above −40 dBFS, gaps under 600 ms merged, runs under 200 ms ignored. Not the engine's
 * VAD, which is what is being measured.
 */
export function findUtterances(samples: Float32Array, sampleRate: number): Utterance[] {
  const frame = Math.round((sampleRate * FRAME_MS) / 1000);
  const threshold = 0.01;
  const runs: Utterance[] = [];
  let start = -1;
  let lastVoiced = -1;
  for (let i = 0; i + frame <= samples.length; i += frame) {
    let sum = 0;
    for (let j = i; j < i + frame; j++) sum += (samples[j] ?? 0) ** 2;
    const voiced = Math.sqrt(sum / frame) > threshold;
    const ms = (i / sampleRate) * 1000;
    if (voiced) {
      if (start < 0) start = ms;
      else if (ms - lastVoiced > 600) {
        runs.push({ startMs: start, endMs: lastVoiced + FRAME_MS });
        start = ms;
      }
      lastVoiced = ms;
    }
  }
  if (start >= 0) runs.push({ startMs: start, endMs: lastVoiced + FRAME_MS });
  return runs.filter((u) => u.endMs - u.startMs >= 200).map((u) => ({ startMs: Math.round(u.startMs), endMs: Math.round(u.endMs) }));
}

export async function loadSpeechScript(audioPath: string | null): Promise<SpeechScript> {
  let samples: Float32Array;
  let source: string;
  if (audioPath === null) {
    samples = await synthesizeDefault();
    source = `espeak-ng: ${DEFAULT_SENTENCES.length} sentences, ${DEFAULT_GAP_MS} ms apart`;
  } else {
    const wav = parseWav(await readFile(audioPath));
    samples = resample(wav.samples, wav.sampleRate, MODEL_SAMPLE_RATE);
    source = audioPath;
  }
  const whole = samples.subarray(0, samples.length - (samples.length % FRAME_SAMPLES));
  const utterances = findUtterances(whole, MODEL_SAMPLE_RATE);
  if (utterances.length === 0) throw new Error(`no speech found in ${source}`);
  const durationMs = (whole.length / MODEL_SAMPLE_RATE) * 1000;
  // Looping must not glue the last utterance to the first: the engine would hear one long utterance.
  const last = utterances[utterances.length - 1];
  const first = utterances[0];
  if (last !== undefined && first !== undefined && durationMs - last.endMs + first.startMs < 800) {
    throw new Error(`${source} needs at least 800 ms of silence between its end and its start when looped`);
  }
  return { pcm16: float32ToPcm16(whole), durationMs, utterances, source };
}

async function synthesizeDefault(): Promise<Float32Array> {
  const synthesizer = createSpeechSynthesizer();
  const parts: Float32Array[] = [];
  for (const sentence of DEFAULT_SENTENCES) {
    const { samples16k } = await synthesizer.synthesize(sentence);
    parts.push(padWithSilence(samples16k, DEFAULT_GAP_MS / 2, DEFAULT_GAP_MS / 2));
  }
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
