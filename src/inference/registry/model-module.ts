import type { Logger } from "../../logger.js";
import type { ExecutionDevice } from "../models/model-files.js";
import type { FaceDetection } from "../models/blazeface.js";
import type { ExpressionScores, FaceCrop } from "../models/face-expression.js";
import type { AsrResult } from "../models/whisper-asr.js";
import type { RgbImage } from "../video/rgb-image.js";
import type { BatchedVadModel } from "../vad/vad-batcher-contract.js";

/**
 * What a model of the pool declares (Triton's model config, as code): one module per model, the registry loads the
 * configured ones, and the pool asks it for a task's model instead of naming one. A new model is a new module in
 * `known-models.ts` (and its name in `model-names.ts`), not a branch in the pool.
 */

/** Every task a pool model may serve. A task is served once `TaskModels` says what its model looks like. */
export const MODEL_TASKS = ["vad", "asr", "denoise", "face_detect", "face_expression", "tts", "super_resolution", "deepfake"] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

/** How a model's code runs: the execution library it needs on this machine. */
export const MODEL_RUNTIMES = ["onnxruntime-node", "tfjs-wasm", "wasm"] as const;
export type ModelRuntime = (typeof MODEL_RUNTIMES)[number];

/**
 * How requests share a model run:
 * - `sequence`: stateful, one item per stream per batch, each stream's state carried between runs (Silero VAD).
 * - `dynamic`: stateless, requests queued and run together (batching/dynamic-batcher.ts).
 * - `none`: one item per run; parallelism comes from `instances` run side by side (Whisper's lanes behind its
 *   priority queue: the graph's batch size is 1).
 */
export const BATCHING_KINDS = ["sequence", "dynamic", "none"] as const;
export type BatchingKind = (typeof BATCHING_KINDS)[number];

/** Loaded copies of the model that run side by side (Triton's instance group), and threads each uses. */
export interface ModelPlacement {
  instances: number;
  threads: number;
}

/** The model each served task hands the pool: the contract its consumer codes against, not a model class. */
export interface TaskModels {
  /** Speech probability per 512-sample chunk for many streams per run, each with its own state. */
  vad: BatchedVadModel;
  /** One utterance (16 kHz mono, ≤ 30 s) → text; callers run at most `instances` at once. */
  asr: AsrModel;
  /** Faces in each of a batch of images, best first: one list per image, in order (stateless, dynamic batching). */
  face_detect: FaceDetectModel;
  /** The 7 expression scores of each face crop of a batch, in order (stateless, dynamic batching). */
  face_expression: FaceExpressionModel;
  /** Noise suppression before the VAD: one state per stream, opened and freed by the stream (sequence-style). */
  denoise: DenoiseModel;
  /** One sentence → speech, off the calling thread; callers run at most `instances` at once (unbatched). */
  tts: TtsModel;
  /** One image → the same image `scale` times larger (ESRGAN); callers run at most `instances` at once (unbatched). */
  super_resolution: SuperResolutionModel;
  /** The probability that each image of a batch (a face crop) is synthetic or manipulated (a validated ONNX model). */
  deepfake: DeepfakeModel;
}

export interface SuperResolutionModel {
  /** The scales it has a model for (e.g. 2 and 4). */
  readonly scales: readonly number[];
  /** Rejects `invalid_image` for a scale it lacks; the output is `scale`× the input on each side. */
  upscale(image: RgbImage, scale: number): Promise<RgbImage>;
}

export interface DeepfakeModel {
  /** What each image is resized to before the run (the model's input tensor's height and width). */
  readonly inputWidth: number;
  readonly inputHeight: number;
  /** One probability (0–1) per image, in order: how likely the image is synthetic or manipulated. */
  run(images: readonly RgbImage[]): Promise<number[]>;
}

/** One checked utterance: text trimmed and 1–1,000 characters, a voice the model lists, a rate within bounds. */
export interface TtsUtterance {
  text: string;
  voice: string;
  rateWpm: number;
}

export interface SynthesizedSpeech {
  /** 16-bit mono samples. */
  pcm16: Int16Array;
  sampleRate: number;
  /** The synthesis itself, where it ran (no queueing, no message passing). */
  synthMs: number;
}

export interface TtsModel {
  /** Voice ids it speaks (`en-us`, `en-gb-x-rp`), and the variants a voice may take after `+` (`f3`). */
  readonly voices: readonly string[];
  readonly variants: readonly string[];
  synthesize(utterance: TtsUtterance): Promise<SynthesizedSpeech>;
}

/**
 * One stream's noise suppression: 16 kHz in, 16 kHz out, output sample i being input sample i denoised (the stage
 * holds back a few ms; `flush` returns the rest, so the output is exactly as long as the input).
 */
export interface DenoiseStream {
  process(samples16k: Float32Array): Float32Array;
  /** The rest of the output; the state starts afresh afterwards. */
  flush(): Float32Array;
  /** Frees the stream's state; idempotent. */
  close(): void;
}

export interface DenoiseModel {
  /** Opens one stream's state (never shared between streams); the stream closes it. */
  openStream(): DenoiseStream;
  /** States opened and not yet closed: a leak shows here. */
  readonly openStreams: number;
}

export interface FaceDetectModel {
  run(images: readonly RgbImage[]): Promise<FaceDetection[][]>;
}

export interface FaceExpressionModel {
  run(crops: readonly FaceCrop[]): Promise<ExpressionScores[]>;
}

export interface AsrModel {
  transcribe(samples16k: Float32Array): Promise<AsrResult>;
}

export type ServedTask = keyof TaskModels & ModelTask;

export interface ModelLoadContext {
  /** Where prepared model files are cached. */
  modelsDir: string;
  device: ExecutionDevice;
  logger: Logger;
  /** What this load is sized for (the module's `placement`). */
  placement: ModelPlacement;
}

/** A loaded model: what serves its task, and how to warm and free it (the module's own types stay inside). */
export interface LoadedModel<T extends ServedTask> {
  readonly model: TaskModels[T];
  /** Runs once after load, before the model serves: first runs allocate and are several times slower. */
  warmup?(): Promise<void>;
  /** Frees sessions and threads; called once, after whatever used the model has stopped. */
  dispose(): Promise<void>;
}

export interface ModelModule<T extends ServedTask = ServedTask> {
  /** Stable name: INFERENCE_MODELS lists it, GetStatus and metrics report it. */
  readonly name: string;
  readonly task: T;
  readonly runtime: ModelRuntime;
  readonly batching: BatchingKind;
  /** Instances and threads for this machine's cores and what configuration asked for (unset: the module's choice). */
  placement(cores: number, requested: Partial<ModelPlacement>): ModelPlacement;
  /**
   * Why this machine cannot run it (a package or runtime missing, or an optional model's files nobody placed in
   * `modelsDir`), or null; by default the pool loads those it can.
   */
  unsupported(device: ExecutionDevice, modelsDir: string): string | null;
  /** Loads it (prepares files, opens sessions); throws when it cannot. */
  load(context: ModelLoadContext): Promise<LoadedModel<T>>;
}

/** A module of any served task (each member keeps its task and model types together). */
export type AnyModelModule = { [T in ServedTask]: ModelModule<T> }[ServedTask];
