import type { Logger } from "../logger.js";
import type { AsrLayout } from "./asr/asr-lanes.js";
import type { AudioStagesOptions } from "./audio-stages.js";
import type { ExecutionDevice } from "./models/model-files.js";
import type { PoolImagesOptions } from "./pool-images.js";
import type { InterimOptions } from "./pool-interim.js";
import { MAX_RECORDING_MS, UTTERANCE_PADDING_MS } from "./pool-types.js";
import type { PoolSynthesisOptions } from "./tts/pool-synthesis.js";
import type { SegmenterOptions } from "./vad/segmenter.js";
import type { VadBatcherOptions } from "./vad/vad-batcher-contract.js";
import type { FacePipelineOptions } from "./video/face-pipeline.js";

/** What an `InferencePool` is made with (pool.ts); every field but the first three defaults. */
export interface InferencePoolOptions {
  modelsDir: string;
  device: ExecutionDevice;
  logger: Logger;
  /** Models to load, by name (INFERENCE_MODELS); null → every known model this machine can run. */
  models: readonly string[] | null;
  vad: Partial<VadBatcherOptions>;
  segmenter: Partial<SegmenterOptions>;
  /** ASR jobs waiting, both priorities; past it a job is refused with `overloaded`. */
  maxQueuedUtterances: number;
  /** A live utterance not started this long after its end of speech is dropped with `deadline_exceeded`. */
  liveDeadlineMs: number;
  /** Interim captions of speech still going on, on spare ASR lanes only (pool-interim.ts). */
  interim: Partial<InterimOptions>;
  /** The ASR model's instances (Whisper lanes) and threads of each (default: `defaultAsrLayout` for the cores). */
  asr: Partial<AsrLayout>;
  /** Longest recording `transcribe` takes. */
  maxRecordingMs: number;
  /**
   * Audio a stream may have waiting for the VAD (a replay after a reconnect, or audio sent while models load);
   * past it chunks are refused with `overloaded`.
   */
  maxBacklogMs: number;
  /** Streams one audio session (StreamAudio call) may have open: a room holds at most 100 participants + 1. */
  maxStreamsPerCall: number;
  /** The optional stages before the VAD (noise suppression); `maxHeldMs` defaults to `maxBacklogMs`. */
  stages: Partial<AudioStagesOptions>;
  /** The face pipeline of StreamVideo: its batcher, frame limits, decoding threads (`video.decoder.threads`). */
  video: Partial<FacePipelineOptions>;
  /** Synthesize's queue bound and deadline (its concurrency is the `tts` model's threads). */
  tts: Partial<Omit<PoolSynthesisOptions, "concurrency">>;
  /** The still-image calls' codec thread, queues and deadlines (pool-images.ts). */
  images: Partial<PoolImagesOptions>;
}

export const DEFAULT_INFERENCE_POOL_OPTIONS: Omit<InferencePoolOptions, "modelsDir" | "logger"> = {
  device: "cpu",
  models: null,
  vad: {},
  // Silero fires ~100–200 ms into a word; a generous pre-roll keeps the first word whole for Whisper. Speech that runs
  // past 30 s is cut at the quietest chunk of its last 3 s, not mid-word (45 s of LibriVox: 3.5 → 2.8 % WER).
  segmenter: { paddingMs: UTTERANCE_PADDING_MS, cutSearchMs: 3_000 },
  interim: {},
  asr: {},
  maxQueuedUtterances: 64,
  liveDeadlineMs: 15_000,
  maxRecordingMs: MAX_RECORDING_MS,
  maxBacklogMs: 30_000,
  maxStreamsPerCall: 128,
  stages: {},
  video: {},
  tts: {},
  images: {},
};
