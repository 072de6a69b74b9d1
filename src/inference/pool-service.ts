import type { DeepfakeResult, EnhanceImageRequest, EnhanceImageResult, ImageFacesResult, PoolImageCall } from "./image-types.js";
import type { BatchingKind, ModelRuntime, ModelTask } from "./registry/model-module.js";
import type { PoolOutput, StreamOpen, SynthesisRequest, SynthesisResult, TranscribeResult, VideoOutput, VideoStreamOpen } from "./pool-types.js";
import type { PoolSynthesisCall } from "./tts/pool-synthesis.js";

/** One StreamAudio call: the participant streams of one room. Problems come back as `error` outputs, never throws. */
export interface AudioSessionHandle {
  open(open: StreamOpen): void;
  chunk(streamId: string, seq: number, pcm16: Uint8Array): void;
  close(streamId: string): void;
  /** The call ended: free every stream it opened (their pending utterances are still transcribed, not emitted). */
  end(): void;
}

/** One StreamVideo call: the camera streams of one room. Problems come back as `error` outputs, never throws. */
export interface VideoSessionHandle {
  open(open: VideoStreamOpen): void;
  /** A JPEG frame captured at `capturedAtMs` of its stream's timeline; a newer one replaces it if it has not started. */
  frame(streamId: string, seq: number, jpeg: Uint8Array, capturedAtMs: number): void;
  close(streamId: string): void;
  /** The call ended: free every stream it opened. */
  end(): void;
}

export interface ModelState {
  name: string;
  loaded: boolean;
  error: string | null;
}

/** A bucket of a histogram the pool keeps since it started: values in (previous `le`, `le`]; not cumulative. */
export interface HistogramBucket {
  le: number;
  count: number;
}

/** How a model's runs have been batched since the pool started. */
export interface BatchStatsView {
  batches: number;
  items: number;
  meanBatchSize: number;
  maxBatchSize: number;
  sizeBuckets: HistogramBucket[];
  /** Model run time per batch (ms), failed runs included. */
  runMsTotal: number;
  runMsBuckets: HistogramBucket[];
}

/** Work waiting for and run by a model: `queuedLive` is its whole queue where it has no priorities (VAD chunks). */
export interface QueueStatusView {
  queuedLive: number;
  queuedFile: number;
  running: number;
  completed: number;
  rejectedOverloaded: number;
  rejectedDeadline: number;
}

/**
 * Per-stream states of a stateful model whose scheduler counts them (RNNoise's): held now, and since the pool
 * started, opened and freed (by the stream's close or the call's end, or after idling). `open` back at its baseline
 * once streams are gone is what says no state leaked.
 */
export interface StreamStatesView {
  open: number;
  opened: number;
  freedOnClose: number;
  freedIdle: number;
}

/** What the scheduler in front of a model reports (null: it has none of that kind, or none yet). */
export interface ModelServingStats {
  batch: BatchStatsView | null;
  queue: QueueStatusView | null;
  /** Absent where the scheduler does not count per-stream states. */
  streamStates?: StreamStatesView;
  /** Interim (best-effort) runs: the ASR model's interim captions. Absent where the scheduler takes none. */
  interim?: InterimStatusView;
}

/**
 * Interim runs since the pool started (interim captions, pool-interim.ts): `skipped` were due but found no spare
 * lane (every lane busy or kept for finals, or a final waiting), so the caption came later or not at all.
 */
export interface InterimStatusView {
  running: number;
  completed: number;
  skipped: number;
  failed: number;
}

export type ModelLoadState = "loading" | "loaded" | "failed";

/**
 * One model of the pool's registry. `task`, `runtime` and `batching` are null only from a pool older than the
 * registry (which did not say); `loadMs`/`warmupMs` are null until measured.
 */
export interface ModelStatusView extends ModelState, ModelServingStats {
  task: ModelTask | null;
  runtime: ModelRuntime | null;
  batching: BatchingKind | null;
  state: ModelLoadState;
  /** Threads of each instance, and instances run side by side (0: not said). */
  threads: number;
  instances: number;
  loadMs: number | null;
  warmupMs: number | null;
}

export interface PoolStatusView {
  models: ModelStatusView[];
  executionProvider: string;
  openStreams: number;
  /** Deprecated: the `vad` model's `queue.queuedLive`. */
  vadPending: number;
  /** Deprecated: the `vad` model's `batch`. */
  vad: BatchStatsView;
  /** Deprecated: the `asr` model's `queue`. */
  asr: QueueStatusView;
  /** Counted by the pool's gRPC server (zero in the pool's own in-process view, which no server stands in front of). */
  server: { handlerFaults: number; unauthenticatedCalls: number; malformedMessages: number };
}

/** What the gRPC server exposes: the pool as seen by one process, whatever models it could load. */
export interface InferencePoolService {
  openAudioSession(emit: (output: PoolOutput) => void): AudioSessionHandle;
  openVideoSession(emit: (output: VideoOutput) => void): VideoSessionHandle;
  /** A whole recording at `sampleRate` (16-bit PCM); throws `PoolError` (model_unavailable, recording_too_long, ...). */
  transcribe(pcm16: Uint8Array, sampleRate: number): Promise<TranscribeResult>;
  /** A whole WAV file, decoded by the pool: `invalid_audio` when it is not one it reads, else as `transcribe`. */
  transcribeWav(wav: Uint8Array): Promise<TranscribeResult>;
  /**
   * One sentence → speech (the `tts` model); throws `PoolError` (invalid_text, model_unavailable, overloaded,
   * deadline_exceeded) or, once `call.signal` aborts, `AbortedError`.
   */
  synthesize(request: SynthesisRequest, call?: PoolSynthesisCall): Promise<SynthesisResult>;
  /**
   * The still-image calls (pool-images.ts): JPEG or PNG bytes as they came. Each throws `PoolError` (invalid_image,
   * model_unavailable, overloaded, deadline_exceeded) or, once `call.signal` aborts, `AbortedError`.
   */
  detectFaces(image: Uint8Array, call?: PoolImageCall): Promise<ImageFacesResult>;
  /** ≤ 512×512 in, `scale`× out, encoded as asked. */
  enhanceImage(request: EnhanceImageRequest, call?: PoolImageCall): Promise<EnhanceImageResult>;
  /** `model_unavailable` unless a validated deepfake model is loaded (none ships); the header is checked first. */
  detectDeepfake(image: Uint8Array, call?: PoolImageCall): Promise<DeepfakeResult>;
  status(): PoolStatusView;
  close(): Promise<void>;
}
