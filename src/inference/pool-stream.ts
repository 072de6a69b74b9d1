import type { StreamStages } from "./audio-stages.js";
import { Resampler } from "./audio/resample.js";
import { MODEL_SAMPLE_RATE, type PoolOutput, type StreamOpen, type StreamVad } from "./pool-types.js";
import { SpeechSegmenter, type SegmenterOptions } from "./vad/segmenter.js";

/** One stream's interim captions (pool-interim.ts): which open utterance (its number), when its next is due. */
export interface StreamInterim {
  segment: number;
  /** Audio of the open utterance (ms) at which its next interim is due. */
  nextAtMs: number;
  running: boolean;
}

/** One audio stream the pool serves: its call, resampler, VAD backlog and carry, segmenter and ASR jobs. */
export interface AudioStream {
  key: string;
  /** Its call: the VAD batcher shares its slots and batch rows fairly between calls. */
  group: string;
  open: StreamOpen;
  /** Makes segment ids unique across calls and pool restarts, so a reopened stream never reuses one. */
  segmentPrefix: string;
  resampler: Resampler;
  /** The optional stages it asked for (noise suppression), run before the VAD; null: none. */
  stages: StreamStages | null;
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
  /** Utterances the segmenter has ended (the open one, if any, will be number `utterances + 1`). */
  utterances: number;
  /** Ended utterances (by number) whose final transcript (or its error) has not been emitted yet. */
  awaitingFinal: Set<number>;
  /** Interim captions of the open utterance (pool-interim.ts). */
  interim: StreamInterim;
  /** ASR jobs of this stream not yet settled. */
  inFlight: Set<Promise<void>>;
  emit: (output: PoolOutput) => void;
  reportedUnavailable: boolean;
}

/** A new stream of a call, before its first audio. */
export function newAudioStream(
  ids: Pick<AudioStream, "key" | "group" | "open" | "segmentPrefix" | "emit">,
  segmenter: Partial<SegmenterOptions>,
): AudioStream {
  return {
    ...ids,
    resampler: new Resampler(ids.open.sampleRate, MODEL_SAMPLE_RATE),
    stages: null,
    carry: new Float32Array(0),
    segmenter: new SpeechSegmenter(segmenter),
    backlog: [],
    vadInFlight: 0,
    closing: false,
    finished: false,
    lastOverloadMs: 0,
    utterances: 0,
    awaitingFinal: new Set(),
    interim: { segment: 0, nextAtMs: 0, running: false },
    inFlight: new Set(),
    reportedUnavailable: false,
  };
}

/** The segment id of the stream's utterance number `n` (its final and its interims share it). */
export function segmentIdOf(stream: Pick<AudioStream, "segmentPrefix">, n: number): string {
  return `${stream.segmentPrefix}.${n}`;
}

/** Hysteresis kept below a stream's own speech threshold (the pool's defaults: 0.5 → 0.35). */
const SILENCE_BELOW_SPEECH = 0.15;
const MIN_SILENCE_THRESHOLD = 0.05;

/** The pool's segmenter settings with a stream's own turn-taking over them. */
export function streamSegmenter(pool: Partial<SegmenterOptions>, vad: StreamVad | undefined): Partial<SegmenterOptions> {
  if (vad === undefined) return pool;
  const threshold = vad.speechThreshold;
  return {
    ...pool,
    ...(threshold === undefined ? {} : { speechThreshold: threshold, silenceThreshold: Math.max(MIN_SILENCE_THRESHOLD, threshold - SILENCE_BELOW_SPEECH) }),
    ...(vad.endOfTurnSilenceMs === undefined ? {} : { hangoverMs: vad.endOfTurnSilenceMs }),
  };
}

/** `a` then `b` (the stream's carry of samples short of a whole VAD chunk, then the new samples). */
export function concat(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length === 0) return b;
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** `samples` zero-padded to whole chunks of `chunk` samples (a stream's last audio, for the VAD). */
export function padToChunks(samples: Float32Array, chunk: number): Float32Array {
  if (samples.length % chunk === 0) return samples;
  const padded = new Float32Array(chunk * Math.ceil(samples.length / chunk));
  padded.set(samples);
  return padded;
}
