import { availableParallelism } from "node:os";
import { Tensor } from "onnxruntime-node";
import { createLogger, type Logger } from "../../logger.js";
import { AsrLanes, defaultAsrLayout } from "../asr/asr-lanes.js";
import { MODEL_SAMPLE_RATE } from "../pool-types.js";
import type { ModelModule } from "../registry/model-module.js";
import { errorText, InferenceError } from "./inference-error.js";
import { missingPackagedFile, whisperSourceModel, type ExecutionDevice } from "./model-files.js";
import { modelRunError, openModelSession, sessionSettingsFor, type ModelSession, type ModelThread } from "./model-session.js";
import { createWhisperPreparer, type WhisperPreparer } from "./whisper-prepare.js";
import { WhisperTokenizer } from "./whisper-tokenizer.js";
import { pickWindow, validWindow, WHISPER_FULL_WINDOW_FRAMES, WINDOW_INPUT } from "./whisper-window.js";

/**
 * Whisper tiny.en (int8) speech recognition: 16 kHz mono audio of up to 30 s in, text out. Log-mel features and
 * beam search run inside the graph, so one `session.run` transcribes one utterance.
 */
export interface WhisperAsrOptions {
  /** Where the prepared model is cached (see `prepareWhisper`). Required. */
  modelsDir: string;
  device: ExecutionDevice;
  /** Threads of this session; the pool picks them per lane (`defaultAsrLayout`). */
  intraOpNumThreads: number;
  /** Token limit including the 3–4 prompt tokens; Whisper's own limit is 448. */
  maxLength: number;
  /**
   * Encoder windows (log-mel frames, 10 ms each) an utterance may be padded to: the smallest that holds it is used.
   * The shipped model always used 3000 (30 s); 1500 (15 s) runs ≈ 2.3× faster on short utterances with the same word
   * errors on recorded speech, and 1000 (10 s) made the decoder loop (README, "Whisper's window"). Must include 3000.
   */
  windowsFrames: readonly number[];
  /**
   * Tokens a run may produce per second of audio, above `tokenAllowance`: a bound far above speech (≈ 4 tokens/s
   * read aloud) that stops a decoder caught in a loop. A run cut by it is transcribed again with the 30 s window.
   */
  maxTokensPerSecond: number;
  tokenAllowance: number;
  minLength: number;
  /** 1 = greedy. Beam search gained nothing on test speech and costs time (see whisper.test.ts). */
  numBeams: number;
  lengthPenalty: number;
  repetitionPenalty: number;
  /** Run one second of silence at load: the first run is ≈ 5× slower (allocations), so no utterance pays for it. */
  warmUp: boolean;
  logger: Logger;
  /** Share one across loads so a process prepares the model once. */
  preparer: WhisperPreparer;
  /** Where the model runs: its own thread (the caller's event loop stays free for ≈ 100 ms runs) or the calling one. */
  thread: ModelThread;
}

/** Defaults for everything but the folder and what is built per load (threads = cores, logger, preparer). */
export const DEFAULT_WHISPER_ASR_OPTIONS: Omit<
  WhisperAsrOptions,
  "modelsDir" | "intraOpNumThreads" | "logger" | "preparer"
> = {
  device: "cpu",
  maxLength: 448,
  windowsFrames: [1500, WHISPER_FULL_WINDOW_FRAMES],
  maxTokensPerSecond: 12,
  tokenAllowance: 16,
  minLength: 0,
  numBeams: 1,
  lengthPenalty: 1,
  repetitionPenalty: 1,
  warmUp: true,
  thread: "worker",
};

/** The encoder's window: longer input fails inside the graph. */
export const WHISPER_MAX_SAMPLES = 30 * MODEL_SAMPLE_RATE;
/** The graph's STFT reflect-pads by 200 samples and fails on shorter input; shorter clips are zero-padded to this. */
const MIN_SAMPLES = MODEL_SAMPLE_RATE / 10;

export interface AsrResult {
  text: string;
  /** Time in `session.run` (both runs when it was transcribed again). */
  runMs: number;
  /** The encoder window of the run whose text this is (log-mel frames). */
  windowFrames: number;
  /** The first run hit its token bound (a loop) and the utterance was transcribed again with the 30 s window. */
  retried: boolean;
}

interface WindowRun {
  text: string;
  runMs: number;
  /** The sequence reached its length bound without ending. */
  cut: boolean;
}

export class WhisperAsr {
  private readonly session: ModelSession;
  private readonly tokenizer: WhisperTokenizer;
  private readonly decodingInputs: Record<string, Tensor>;
  private readonly options: WhisperAsrOptions;

  private constructor(session: ModelSession, tokenizer: WhisperTokenizer, options: WhisperAsrOptions) {
    this.session = session;
    this.tokenizer = tokenizer;
    this.options = options;
    this.decodingInputs = {
      min_length: int32Scalar(options.minLength),
      num_beams: int32Scalar(options.numBeams),
      num_return_sequences: int32Scalar(1),
      length_penalty: float32Scalar(options.lengthPenalty),
      repetition_penalty: float32Scalar(options.repetitionPenalty),
    };
  }

  static async load(options: Partial<WhisperAsrOptions> & Pick<WhisperAsrOptions, "modelsDir">): Promise<WhisperAsr> {
    const settings: WhisperAsrOptions = {
      ...DEFAULT_WHISPER_ASR_OPTIONS,
      intraOpNumThreads: availableParallelism(),
      ...options,
      logger: options.logger ?? createLogger("silent"),
      preparer: options.preparer ?? createWhisperPreparer(),
    };
    if (settings.numBeams < 1 || settings.maxLength < 8 || settings.maxLength > 448) {
      throw new InferenceError("internal", "Whisper needs numBeams ≥ 1 and 8 ≤ maxLength ≤ 448");
    }
    if (!settings.windowsFrames.includes(WHISPER_FULL_WINDOW_FRAMES) || !settings.windowsFrames.every(validWindow)) {
      throw new InferenceError("internal", `Whisper windows must be even frame counts ≤ ${WHISPER_FULL_WINDOW_FRAMES}, including ${WHISPER_FULL_WINDOW_FRAMES}`);
    }
    const prepared = await settings.preparer.prepare({ modelsDir: settings.modelsDir, logger: settings.logger });
    const tokenizer = await WhisperTokenizer.fromFile(prepared.vocabularyPath);
    let session: ModelSession;
    try {
      session = await openModelSession(
        prepared.modelPath,
        sessionSettingsFor({ ...settings, logSeverityLevel: 3 }),
        settings.thread,
      );
    } catch (cause) {
      throw new InferenceError("model_unavailable", `could not load the Whisper model: ${errorText(cause)}`, { cause });
    }
    const asr = new WhisperAsr(session, tokenizer, settings);
    if (settings.warmUp) {
      try {
        await asr.warmUp();
      } catch (error) {
        await asr.close();
        throw error;
      }
    }
    return asr;
  }

  /** Runs one second of silence: the first run is ≈ 5× slower (allocations), so no utterance pays for it. */
  async warmUp(): Promise<void> {
    try {
      await this.transcribe(new Float32Array(MODEL_SAMPLE_RATE));
    } catch (cause) {
      throw new InferenceError("model_unavailable", `the Whisper model loads but does not run: ${errorText(cause)}`, { cause });
    }
  }

  /** Transcribes one utterance (16 kHz mono, ≤ 30 s). Empty audio gives "" without running the model. */
  async transcribe(samples16k: Float32Array): Promise<AsrResult> {
    if (samples16k.length === 0) return { text: "", runMs: 0, windowFrames: 0, retried: false };
    if (samples16k.length > WHISPER_MAX_SAMPLES) {
      throw new InferenceError(
        "recording_too_long",
        `utterance of ${(samples16k.length / MODEL_SAMPLE_RATE).toFixed(1)} s exceeds Whisper's 30 s window; ` +
          "split it with the VAD first",
      );
    }
    const audio = samples16k.length >= MIN_SAMPLES ? samples16k : padTo(samples16k, MIN_SAMPLES);
    const window = pickWindow(this.options.windowsFrames, audio.length) ?? WHISPER_FULL_WINDOW_FRAMES;
    const seconds = audio.length / MODEL_SAMPLE_RATE;
    const bound = Math.min(this.options.maxLength, Math.ceil(this.options.tokenAllowance + seconds * this.options.maxTokensPerSecond));
    const first = await this.run(audio, window, bound);
    if (!first.cut || window === WHISPER_FULL_WINDOW_FRAMES) return { text: first.text, runMs: first.runMs, windowFrames: window, retried: false };
    // A fitted window can leave the decoder repeating itself until its bound; the full window is what it was trained on.
    this.options.logger.info({ window_frames: window, audio_ms: Math.round(seconds * 1000) }, "whisper run cut at its token bound; transcribing with the 30 s window");
    const second = await this.run(audio, WHISPER_FULL_WINDOW_FRAMES, this.options.maxLength);
    return { text: second.text, runMs: first.runMs + second.runMs, windowFrames: WHISPER_FULL_WINDOW_FRAMES, retried: true };
  }

  private async run(audio: Float32Array, windowFrames: number, maxLength: number): Promise<WindowRun> {
    const startedAt = performance.now();
    let outputs: Record<string, Tensor>;
    try {
      outputs = await this.session.run({
        audio_pcm: new Tensor("float32", audio, [1, audio.length]),
        [WINDOW_INPUT]: new Tensor("int64", BigInt64Array.from([BigInt(windowFrames)]), []),
        max_length: int32Scalar(maxLength),
        ...this.decodingInputs,
      });
    } catch (cause) {
      throw modelRunError("Whisper run", cause);
    }
    const runMs = performance.now() - startedAt;
    const sequences = outputs["sequences"]?.data;
    if (!(sequences instanceof Int32Array)) {
      throw new InferenceError("internal", "Whisper output `sequences` is missing or not int32");
    }
    const last = sequences[sequences.length - 1];
    const cut = sequences.length >= maxLength && last !== this.tokenizer.endOfTextId;
    return { text: this.tokenizer.decode(sequences), runMs, cut };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Whisper tiny.en int8 in the registry. Its graph runs one utterance at a time (batch size 1), so it does not batch:
 * `instances` sessions (the ASR lanes, `defaultAsrLayout`) run side by side behind the pool's priority queue.
 */
export const WHISPER_TINY_EN_INT8_MODULE: ModelModule<"asr"> = {
  name: "whisper_tiny_en_int8",
  task: "asr",
  runtime: "onnxruntime-node",
  batching: "none",
  placement(cores, requested) {
    const layout = defaultAsrLayout(cores, requested.instances, requested.threads);
    return { instances: layout.lanes, threads: layout.threadsPerLane };
  },
  unsupported: () => missingPackagedFile(whisperSourceModel),
  async load(context) {
    // One preparer for every lane: the first prepares the model, the others find it.
    const preparer = createWhisperPreparer();
    const sessions: WhisperAsr[] = [];
    const lanes = await AsrLanes.load(context.placement.instances, async () => {
      const session = await WhisperAsr.load({
        modelsDir: context.modelsDir,
        device: context.device,
        logger: context.logger,
        intraOpNumThreads: context.placement.threads,
        preparer,
        warmUp: false,
      });
      sessions.push(session);
      return session;
    });
    return {
      model: lanes,
      warmup: async () => {
        for (const session of sessions) await session.warmUp();
        // The line start-up scripts wait for (scripts/bench/memory-servers.ts), as the pool logged it before the registry.
        context.logger.info({ lanes: sessions.length, threads_per_lane: context.placement.threads }, "whisper loaded");
      },
      dispose: () => lanes.close(),
    };
  },
};

function padTo(samples: Float32Array, length: number): Float32Array {
  const padded = new Float32Array(length);
  padded.set(samples, 0);
  return padded;
}

function int32Scalar(value: number): Tensor {
  return new Tensor("int32", Int32Array.from([value]), [1]);
}

function float32Scalar(value: number): Tensor {
  return new Tensor("float32", Float32Array.from([value]), [1]);
}
