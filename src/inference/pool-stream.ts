import type { Resampler } from "./audio/resample.js";
import type { PoolOutput, StreamOpen } from "./pool-types.js";
import type { SpeechSegmenter } from "./vad/segmenter.js";

/** One audio stream the pool serves: its call, resampler, VAD backlog and carry, segmenter and ASR jobs. */
export interface AudioStream {
  key: string;
  /** Its call: the VAD batcher shares its slots and batch rows fairly between calls. */
  group: string;
  open: StreamOpen;
  /** Makes segment ids unique across calls and pool restarts, so a reopened stream never reuses one. */
  segmentPrefix: string;
  resampler: Resampler;
  /** 16 kHz samples not yet making a whole VAD chunk. */
  carry: Float32Array;
  segmenter: SpeechSegmenter;
  /** Whole VAD chunks waiting to be handed to the batcher (bounded by `maxBacklogMs`). */
  backlog: Float32Array[];
  /** Chunks handed to the batcher whose probability has not been applied yet. */
  vadInFlight: number;
  closing: boolean;
  finished: boolean;
  lastOverloadMs: number;
  utterances: number;
  /** ASR jobs of this stream not yet settled. */
  inFlight: Set<Promise<void>>;
  emit: (output: PoolOutput) => void;
  reportedUnavailable: boolean;
}

/** `a` then `b` (the stream's carry of samples short of a whole VAD chunk, then the new samples). */
export function concat(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length === 0) return b;
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
