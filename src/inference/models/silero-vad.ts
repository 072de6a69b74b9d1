import { Tensor } from "onnxruntime-node";
import { errorText, InferenceError } from "./inference-error.js";
import type { ModelModule } from "../registry/model-module.js";
import { missingPackagedFile, sileroVadModel, type ExecutionDevice } from "./model-files.js";
import { modelRunError, openModelSession, sessionSettingsFor, type ModelSession, type ModelThread } from "./model-session.js";

/**
 * Silero VAD v5: one 512-sample chunk (32 ms at 16 kHz) per stream → speech probability. The recurrent state is
 * [2, B, 128]; each stream owns its 2×128 slice, so one `runBatch` can serve B independent streams.
 */
export interface SileroVadOptions {
  /** Defaults to the v5 model shipped in @ricky0123/vad-web. */
  modelPath: string;
  /** VAD is cheap (MODELS.md: ≈ 17 k chunks/s batched on one thread); leave the cores to ASR. */
  intraOpNumThreads: number;
  device: ExecutionDevice;
  /** 3 = errors only; lower levels warn about unused initialisers. */
  logSeverityLevel: 0 | 1 | 2 | 3 | 4;
  /** Where the model runs: its own thread (the caller's event loop stays free) or the calling one (no thread hop). */
  thread: ModelThread;
}

export const DEFAULT_SILERO_VAD_OPTIONS: Omit<SileroVadOptions, "modelPath"> = {
  intraOpNumThreads: 1,
  device: "cpu",
  logSeverityLevel: 3,
  thread: "worker",
};

export const VAD_CHUNK_SAMPLES = 512;
export const VAD_STATE_WIDTH = 128;
/** Floats of recurrent state per stream: 2 layers × 128. */
export const VAD_STREAM_STATE_SIZE = 2 * VAD_STATE_WIDTH;

export interface VadBatchResult {
  /** Speech probability per row, in [0, 1]. */
  probabilities: Float32Array<ArrayBuffer>;
  /** Next state, laid out [2, B, 128]; scatter it back to the streams with `readStreamState`. */
  state: Float32Array<ArrayBuffer>;
}

export class SileroVad {
  readonly chunkSamples = VAD_CHUNK_SAMPLES;
  readonly stateSize = VAD_STREAM_STATE_SIZE;
  private readonly session: ModelSession;
  /** The model is trained for 16 kHz input; the rate is a graph input, constant for us. */
  private readonly sampleRate = new Tensor("int64", BigInt64Array.from([16_000n]), []);

  private constructor(session: ModelSession) {
    this.session = session;
  }

  static async load(options: Partial<SileroVadOptions> = {}): Promise<SileroVad> {
    const settings: SileroVadOptions = {
      ...DEFAULT_SILERO_VAD_OPTIONS,
      ...options,
      modelPath: options.modelPath ?? sileroVadModel("v5").path,
    };
    try {
      const session = await openModelSession(
        settings.modelPath,
        sessionSettingsFor(settings),
        settings.thread,
      );
      return new SileroVad(session);
    } catch (cause) {
      throw new InferenceError("model_unavailable", `could not load the Silero VAD model: ${errorText(cause)}`, {
        cause,
      });
    }
  }

  /** A zeroed state for one stream (its state before the first chunk). */
  createStreamState(): Float32Array {
    return new Float32Array(VAD_STREAM_STATE_SIZE);
  }

  /**
   * Runs B chunks (row-major [B, 512]) with their states ([2, B, 128]) in one `session.run`. The arrays are not
   * modified; the returned state is a fresh array.
   */
  async runBatch(input: Float32Array, state: Float32Array, batchSize: number): Promise<VadBatchResult> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InferenceError("internal", `VAD batch size must be a positive integer, got ${batchSize}`);
    }
    if (input.length !== batchSize * VAD_CHUNK_SAMPLES || state.length !== batchSize * VAD_STREAM_STATE_SIZE) {
      throw new InferenceError(
        "internal",
        `VAD batch of ${batchSize} needs ${batchSize * VAD_CHUNK_SAMPLES} samples and ` +
          `${batchSize * VAD_STREAM_STATE_SIZE} state floats, got ${input.length} and ${state.length}`,
      );
    }
    let outputs: Record<string, Tensor>;
    try {
      outputs = await this.session.run({
        input: new Tensor("float32", input, [batchSize, VAD_CHUNK_SAMPLES]),
        state: new Tensor("float32", state, [2, batchSize, VAD_STATE_WIDTH]),
        sr: this.sampleRate,
      });
    } catch (cause) {
      throw modelRunError("Silero VAD run", cause);
    }
    return {
      probabilities: float32Output(outputs, "output", batchSize),
      state: float32Output(outputs, "stateN", batchSize * VAD_STREAM_STATE_SIZE),
    };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Silero VAD v5 in the registry: one session (its batches already gather every stream), sequence batching
 * (vad/vad-batcher.ts), one thread unless configured: VAD is cheap, the cores are ASR's.
 */
export const SILERO_VAD_V5_MODULE: ModelModule<"vad"> = {
  name: "silero_vad_v5",
  task: "vad",
  runtime: "onnxruntime-node",
  batching: "sequence",
  placement: (_cores, requested) => ({ instances: 1, threads: requested.threads ?? DEFAULT_SILERO_VAD_OPTIONS.intraOpNumThreads }),
  unsupported: () => missingPackagedFile(() => sileroVadModel("v5")),
  async load(context) {
    const vad = await SileroVad.load({ device: context.device, intraOpNumThreads: context.placement.threads });
    return { model: vad, dispose: () => vad.close() };
  },
};

/** Copies one stream's [2, 128] state into row `row` of a [2, B, 128] batch state. */
export function writeStreamState(
  batchState: Float32Array,
  batchSize: number,
  row: number,
  streamState: Float32Array,
): void {
  checkRow(batchState, batchSize, row, streamState);
  for (let layer = 0; layer < 2; layer++) {
    const from = layer * VAD_STATE_WIDTH;
    batchState.set(streamState.subarray(from, from + VAD_STATE_WIDTH), (layer * batchSize + row) * VAD_STATE_WIDTH);
  }
}

/** Copies row `row` of a [2, B, 128] batch state into one stream's [2, 128] state (allocated when not given). */
export function readStreamState(
  batchState: Float32Array,
  batchSize: number,
  row: number,
  streamState: Float32Array = new Float32Array(VAD_STREAM_STATE_SIZE),
): Float32Array {
  checkRow(batchState, batchSize, row, streamState);
  for (let layer = 0; layer < 2; layer++) {
    const from = (layer * batchSize + row) * VAD_STATE_WIDTH;
    streamState.set(batchState.subarray(from, from + VAD_STATE_WIDTH), layer * VAD_STATE_WIDTH);
  }
  return streamState;
}

function checkRow(batchState: Float32Array, batchSize: number, row: number, streamState: Float32Array): void {
  if (
    batchState.length !== batchSize * VAD_STREAM_STATE_SIZE ||
    streamState.length !== VAD_STREAM_STATE_SIZE ||
    !Number.isInteger(row) ||
    row < 0 ||
    row >= batchSize
  ) {
    throw new InferenceError("internal", `VAD state row ${row} out of range for a batch of ${batchSize}`);
  }
}

/** Typed over a plain ArrayBuffer so callers can keep `let state = new Float32Array(…)` and assign results to it. */
function float32Output(
  outputs: Record<string, Tensor>,
  name: string,
  length: number,
): Float32Array<ArrayBuffer> {
  const tensor = outputs[name];
  if (tensor === undefined || !(tensor.data instanceof Float32Array) || tensor.data.length !== length) {
    throw new InferenceError("internal", `Silero VAD output ${name} is missing or has the wrong shape`);
  }
  return ownsArrayBuffer(tensor.data) ? tensor.data : new Float32Array(tensor.data);
}

function ownsArrayBuffer(data: Float32Array): data is Float32Array<ArrayBuffer> {
  return data.buffer instanceof ArrayBuffer;
}
