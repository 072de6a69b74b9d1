import { float32ToPcm16, pcm16ToFloat32 } from "../../src/inference/audio/pcm.js";
import { VAD_CHUNK_SAMPLES } from "../../src/inference/models/silero-vad.js";
import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";
import { createSpeechSynthesizer, padWithSilence } from "../../test/support/speech.js";

/** Short sentences eSpeak NG speaks in about 2.5–3.5 s each, without pauses long enough to split them. */
export const BENCH_SENTENCES = [
  "please send the meeting notes to the whole team today",
  "the quick brown fox jumps over the lazy dog",
  "we should review the budget before the end of the month",
  "can you share your screen so everyone can see the slides",
  "the next lesson covers fractions and decimal numbers",
  "thank you all for joining the call this morning",
] as const;

/** Silence around each ASR utterance, as a speaker pausing before and after. */
const UTTERANCE_PAD_MS = 250;
/** Silence between sentences of the VAD track: longer than the segmenter's 400 ms hangover. */
const TRACK_GAP_MS = 600;

export interface BenchUtterance {
  text: string;
  /** 16 kHz, after a PCM16 round trip, so the raw model and the pool see the same samples. */
  samples16k: Float32Array;
  pcm16: Uint8Array;
  durationMs: number;
}

export interface BenchAudio {
  utterances: BenchUtterance[];
  /** The sentences back to back with gaps: speech and silence as one participant's stream. */
  track: {
    /** 512-sample views into the track (the in-process VAD passes enqueue these). */
    chunks: Float32Array[];
    /** The same chunks as PCM16 (the gRPC passes send these). */
    pcm16Chunks: Uint8Array[];
    durationMs: number;
    speechFraction: number;
  };
  synthesisMs: number;
}

export async function prepareBenchAudio(): Promise<BenchAudio> {
  const startedMs = performance.now();
  const synthesizer = createSpeechSynthesizer();
  const spoken: Float32Array[] = [];
  // One at a time: each synthesis instantiates the WASM runtime (≈ 70 ms); in parallel they only contend.
  for (const text of BENCH_SENTENCES) spoken.push((await synthesizer.synthesize(text)).samples16k);
  const synthesisMs = performance.now() - startedMs;

  const utterances = spoken.map((samples, i): BenchUtterance => {
    const pcm16 = float32ToPcm16(padWithSilence(samples, UTTERANCE_PAD_MS, UTTERANCE_PAD_MS));
    const samples16k = pcm16ToFloat32(pcm16);
    return {
      text: BENCH_SENTENCES[i] ?? "",
      samples16k,
      pcm16,
      durationMs: (samples16k.length / MODEL_SAMPLE_RATE) * 1000,
    };
  });

  const speechSamples = spoken.reduce((sum, samples) => sum + samples.length, 0);
  const gap = Math.round((TRACK_GAP_MS * MODEL_SAMPLE_RATE) / 1000);
  const rawLength = speechSamples + gap * spoken.length;
  const trackLength = Math.ceil(rawLength / VAD_CHUNK_SAMPLES) * VAD_CHUNK_SAMPLES;
  const raw = new Float32Array(trackLength);
  let offset = 0;
  for (const samples of spoken) {
    raw.set(samples, offset);
    offset += samples.length + gap;
  }
  const pcm16 = float32ToPcm16(raw);
  const track = pcm16ToFloat32(pcm16);
  const chunkCount = trackLength / VAD_CHUNK_SAMPLES;
  const chunks: Float32Array[] = [];
  const pcm16Chunks: Uint8Array[] = [];
  for (let i = 0; i < chunkCount; i++) {
    chunks.push(track.subarray(i * VAD_CHUNK_SAMPLES, (i + 1) * VAD_CHUNK_SAMPLES));
    pcm16Chunks.push(pcm16.subarray(i * VAD_CHUNK_SAMPLES * 2, (i + 1) * VAD_CHUNK_SAMPLES * 2));
  }
  return {
    utterances,
    track: {
      chunks,
      pcm16Chunks,
      durationMs: (trackLength / MODEL_SAMPLE_RATE) * 1000,
      speechFraction: speechSamples / trackLength,
    },
    synthesisMs,
  };
}

/**
 * Where stream `index` starts in the looped track: spread out (a stride coprime with most track lengths), so a
 * batch mixes streams in speech with streams in silence, as a real room does.
 */
export function trackOffset(index: number, trackChunks: number): number {
  return (index * 37) % Math.max(1, trackChunks);
}
