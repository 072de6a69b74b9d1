import type { AsrQueue } from "./asr/asr-queue.js";
import { pcm16ToFloat32 } from "./audio/pcm.js";
import { resample } from "./audio/resample.js";
import { PoolError } from "./pool-error.js";
import { MODEL_SAMPLE_RATE, type TranscribeResult } from "./pool-types.js";
import type { AsrModel } from "./registry/model-module.js";
import { segmentRecording } from "./vad/recording-segmentation.js";
import type { SegmenterOptions } from "./vad/segmenter.js";
import type { VadBatcher } from "./vad/vad-batcher.js";

/** What transcribing a whole recording uses of the pool: its VAD batcher, ASR model and queue (file priority). */
export interface RecordingTranscriber {
  batcher: VadBatcher;
  asr: AsrModel;
  queue: AsrQueue<string>;
  segmenter: Partial<SegmenterOptions>;
  chunkSamples: number;
  window: number;
  maxRecordingMs: number;
}

function tooLong(maxRecordingMs: number): PoolError {
  return new PoolError("recording_too_long", `recordings are limited to ${maxRecordingMs / 60_000} minutes`);
}

/** Refused from its size, before decoding or resampling: an oversized request costs no CPU. */
export function checkRecordingSize(pcm16: Uint8Array, sampleRate: number, maxRecordingMs: number): void {
  if (sampleRate > 0 && (pcm16.byteLength / 2 / sampleRate) * 1000 > maxRecordingMs + 1) throw tooLong(maxRecordingMs);
}

/** 16-bit PCM at `sampleRate` → 16 kHz samples, `invalid_audio` when unreadable, `recording_too_long` past the bound. */
export function recordingSamples(pcm16: Uint8Array, sampleRate: number, maxRecordingMs: number): Float32Array {
  let samples: Float32Array;
  try {
    samples = resample(pcm16ToFloat32(pcm16), sampleRate, MODEL_SAMPLE_RATE);
  } catch (error) {
    throw new PoolError("invalid_audio", error instanceof Error ? error.message : "unreadable audio");
  }
  if (Math.round((samples.length / MODEL_SAMPLE_RATE) * 1000) > maxRecordingMs) throw tooLong(maxRecordingMs);
  return samples;
}

/** A whole recording, as stream `key` of the shared batcher: its utterances, each transcribed at file priority. */
export async function transcribeRecording(t: RecordingTranscriber, key: string, samples: Float32Array, startedMs: number): Promise<TranscribeResult> {
  const durationMs = Math.round((samples.length / MODEL_SAMPLE_RATE) * 1000);
  const utterances = await segmentRecording(t.batcher, key, samples, { segmenter: t.segmenter, chunkSamples: t.chunkSamples, window: t.window });
  const vadMs = performance.now() - startedMs;
  let asrMs = 0;
  const segments = [];
  for (const utterance of utterances) {
    const { value, runMs } = await t.queue.submit({ priority: "file", run: async () => (await t.asr.transcribe(utterance.samples)).text });
    asrMs += runMs;
    if (value !== "") segments.push({ text: value, startMs: utterance.startMs, endMs: utterance.endMs });
  }
  return {
    text: segments.map((s) => s.text).join(" "),
    segments,
    durationMs,
    timings: { vadMs, asrMs, totalMs: performance.now() - startedMs },
  };
}
