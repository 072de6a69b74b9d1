import { SpeechSegmenter, type SegmenterOptions } from "./segmenter.js";
import type { VadBatcher } from "./vad-batcher.js";

export interface RecordingUtterance {
  startMs: number;
  endMs: number;
  samples: Float32Array;
}

/**
 * A whole 16 kHz recording through the VAD (as stream `key` of the shared batcher, so it batches with live
 * streams) and the segmenter: the utterances to transcribe. `window` chunks are in flight at a time, which keeps
 * the batcher's per-stream bound and lets live streams' chunks join the same batches.
 */
export async function segmentRecording(
  batcher: VadBatcher,
  key: string,
  samples: Float32Array,
  options: { segmenter: Partial<SegmenterOptions>; chunkSamples: number; window: number },
): Promise<RecordingUtterance[]> {
  const { chunkSamples, window } = options;
  const segmenter = new SpeechSegmenter(options.segmenter);
  const utterances: RecordingUtterance[] = [];
  batcher.open(key);
  try {
    const chunks = Math.ceil(samples.length / chunkSamples);
    for (let first = 0; first < chunks; first += window) {
      const pending: Float32Array[] = [];
      for (let i = first; i < Math.min(chunks, first + window); i += 1) {
        const chunk = new Float32Array(chunkSamples);
        chunk.set(samples.subarray(i * chunkSamples, Math.min(samples.length, (i + 1) * chunkSamples)));
        pending.push(chunk);
      }
      const probabilities = await Promise.all(pending.map((chunk) => batcher.enqueue(key, chunk)));
      pending.forEach((chunk, i) => {
        for (const event of segmenter.push(chunk, probabilities[i] ?? 0)) if (event.type === "utterance") utterances.push(event);
      });
    }
    for (const event of segmenter.flush()) if (event.type === "utterance") utterances.push(event);
  } finally {
    batcher.closeStream(key);
  }
  return utterances;
}
