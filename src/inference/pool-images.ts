import type { Logger } from "../logger.js";
import { AsrQueue, type AsrJob, type AsrQueueStats } from "./asr/asr-queue.js";
import { DynamicBatcher } from "./batching/dynamic-batcher.js";
import { STILL_IMAGE_LIMITS, type DeepfakeResult, type EnhanceImageRequest, type EnhanceImageResult, type ImageFacesResult, type PoolImageCall } from "./image-types.js";
import { DEFAULT_IMAGE_CODEC_OPTIONS, ImageCodec, type DecodedStillImage, type ImageCodecOptions } from "./images/image-codec.js";
import { checkEnhanceRequest } from "./images/enhance-check.js";
import { deepfakeFaces, deepfakeRegions, scaleFaceBox } from "./images/image-work.js";
import { readStillImageHeader, type FitBox, type StillImageLimits } from "./images/still-image.js";
import { asUnavailable, PoolError } from "./pool-error.js";
import { priorityQueueServing } from "./pool-status.js";
import type { FrameFace } from "./pool-types.js";
import type { ModelRegistry } from "./registry/model-registry.js";
import type { ServedTask } from "./registry/model-module.js";
import { FaceAnalyzer, type AnalyzedFace } from "./video/face-analysis.js";
import { VIDEO_FRAME_LIMITS } from "./video/jpeg-frame.js";
import type { RgbImage } from "./video/rgb-image.js";

/** A queue in front of one kind of image work: how many wait, and how long one may wait to start. */
export interface ImageQueueBound {
  maxQueued: number;
  deadlineMs: number;
}

export interface PoolImagesOptions {
  codec: Partial<ImageCodecOptions>;
  /** DetectFaces: images decoded and analysed at once (each holds its decoded copy), and their queue. */
  faces: ImageQueueBound & { concurrency: number };
  /** EnhanceImage: one at a time per `super_resolution` instance, behind this queue. */
  enhance: ImageQueueBound;
  /** DetectDeepfake: one at a time; each face's crop takes `faceMargin` of its box more on every side. */
  deepfake: ImageQueueBound & { faceMargin: number };
  /** The copy of an image the face detector sees: a camera frame's size, so it costs what a frame costs. */
  detectorFit: FitBox;
}

export const DEFAULT_POOL_IMAGES_OPTIONS: PoolImagesOptions = {
  codec: DEFAULT_IMAGE_CODEC_OPTIONS,
  // A photo is ≈ 5–40 ms of decoding and ≈ 10 ms of models: 32 waiting is about a second of work.
  faces: { concurrency: 2, maxQueued: 32, deadlineMs: 10_000 },
  // ×4 of 512×512 takes ≈ 10 s of a core here (×2: ≈ 5 s; 128×128: ≈ 0.4 s): 4 waiting is ≈ 40 s behind the one
  // running, inside the deadline; past them a caller hears `overloaded` at once rather than after a minute's wait.
  enhance: { maxQueued: 4, deadlineMs: 60_000 },
  // Crops of 1.3× the face box, as deepfake detectors are commonly trained on.
  deepfake: { maxQueued: 8, deadlineMs: 10_000, faceMargin: 0.15 },
  detectorFit: { maxLongSide: VIDEO_FRAME_LIMITS.maxLongSide, maxShortSide: VIDEO_FRAME_LIMITS.maxShortSide },
};

/** The longest a due face batch waits for live speech queued for Whisper, and how often it looks again. */
const YIELD_TO_SPEECH = { maxHoldMs: 1_000, recheckMs: 20 } as const;
const ENHANCE_LIMITS: StillImageLimits = { maxBytes: STILL_IMAGE_LIMITS.maxBytes, maxWidth: STILL_IMAGE_LIMITS.maxEnhanceSide, maxHeight: STILL_IMAGE_LIMITS.maxEnhanceSide };

interface ImageAnalysis {
  faces: AnalyzedFace[];
  detectMs: number;
  expressionMs: number;
}

/**
 * The pool's still-image calls: DetectFaces, EnhanceImage, DetectDeepfake. Each checks the image's header on arrival
 * (format, size, dimensions: no pixels, so a bad image is refused at once, model loaded or not), waits for its model,
 * then joins a bounded queue (`overloaded`, `deadline_exceeded`, a cancelled call dropped): a job decodes on the
 * codec thread, runs its model, and (EnhanceImage) encodes on the codec thread, so at most `concurrency` decoded
 * images exist per kind, whatever the number of callers.
 *
 * Faces go through the registry's two face models (`FaceAnalyzer`) behind a dynamic batcher of their own, not the
 * StreamVideo pipeline's: that one queues JPEG camera frames under the frame limits and decodes them itself, while a
 * still image is decoded here (any size up to 4096×4096, PNG too) and only its copy fitted to a camera frame's size
 * reaches the detector. Both batchers yield to live speech queued for Whisper, and their runs interleave on the
 * same models; on these CPUs BlazeFace runs one image at a time anyway, so sharing a batch would save nothing.
 */
export class PoolImages {
  readonly #registry: ModelRegistry;
  readonly #options: PoolImagesOptions;
  readonly #speechQueued: () => boolean;
  readonly #codec: ImageCodec;
  readonly #faceQueue: AsrQueue<{ decoded: DecodedStillImage; analysis: ImageAnalysis }>;
  readonly #enhanceQueue: AsrQueue<Omit<EnhanceImageResult, "model" | "timings"> & { decodeMs: number; upscaleMs: number; encodeMs: number }>;
  readonly #deepfakeQueue: AsrQueue<{ decoded: DecodedStillImage; regions: ReturnType<typeof deepfakeRegions>; probabilities: number[]; detectMs: number; runMs: number }>;
  #faceBatcher: Promise<DynamicBatcher<RgbImage, ImageAnalysis, "live">> | undefined;

  constructor(registry: ModelRegistry, logger: Logger, options: Partial<PoolImagesOptions> & { speechQueued: () => boolean }) {
    this.#registry = registry;
    this.#options = { ...DEFAULT_POOL_IMAGES_OPTIONS, ...options };
    this.#speechQueued = options.speechQueued;
    this.#codec = new ImageCodec(logger, this.#options.codec);
    const { faces, enhance, deepfake } = this.#options;
    const queue = <T>(name: string, concurrency: number, bound: ImageQueueBound) => new AsrQueue<T>({ name, concurrency, maxQueued: bound.maxQueued, liveEvictsFile: false });
    this.#faceQueue = queue("face detection", faces.concurrency, faces);
    this.#enhanceQueue = queue("super-resolution", registry.placement("super_resolution")?.instances ?? 1, enhance);
    this.#deepfakeQueue = queue("deepfake detection", 1, deepfake);
    registry.attach("super_resolution", () => priorityQueueServing(this.#enhanceQueue.stats()));
    registry.attach("deepfake", () => priorityQueueServing(this.#deepfakeQueue.stats()));
  }

  async detectFaces(bytes: Uint8Array, call: PoolImageCall = {}): Promise<ImageFacesResult> {
    const receivedMs = performance.now();
    readStillImageHeader(bytes);
    const batcher = await this.#faces();
    const { detectorFit: fit, faces } = this.#options;
    const job = await this.#submit(this.#faceQueue, faces, call, receivedMs, async () => {
      const decoded = await this.#codec.decode(bytes, { limits: STILL_IMAGE_LIMITS, fit, keepFull: false });
      const outcome = await batcher.submit(fittedOf(decoded), { lane: "live" });
      if (outcome.kind !== "done") throw new PoolError("internal", "a still image's face analysis was dropped");
      return { decoded, analysis: outcome.output };
    });
    const { decoded, analysis } = job.value;
    const fitted = fittedOf(decoded);
    const toFace = (face: AnalyzedFace): FrameFace => ({
      box: scaleFaceBox(face.box, fitted, decoded),
      score: face.score,
      expression: face.expression.dominant,
      scores: face.expression.scores,
    });
    return {
      width: decoded.width,
      height: decoded.height,
      format: decoded.format,
      faces: analysis.faces.map(toFace),
      timings: { queueMs: job.queueMs, decodeMs: decoded.decodeMs, detectMs: analysis.detectMs, expressionMs: analysis.expressionMs, totalMs: performance.now() - receivedMs },
    };
  }

  async enhanceImage(request: EnhanceImageRequest, call: PoolImageCall = {}): Promise<EnhanceImageResult> {
    const receivedMs = performance.now();
    const quality = checkEnhanceRequest(request);
    readStillImageHeader(request.image, ENHANCE_LIMITS);
    const model = await this.#registry.whenLoaded("super_resolution");
    if (!model.scales.includes(request.scale)) {
      throw new PoolError("invalid_image", `scale ${request.scale} is not one the model has (it has ${model.scales.join(", ")})`);
    }
    const job = await this.#submit(this.#enhanceQueue, this.#options.enhance, call, receivedMs, async () => {
      const decoded = await this.#codec.decode(request.image, { limits: ENHANCE_LIMITS });
      const input = fullOf(decoded);
      const upscaleStartMs = performance.now();
      const output = await model.upscale(input, request.scale);
      const upscaleMs = performance.now() - upscaleStartMs;
      const { width, height } = output;
      const { bytes, encodeMs } = await this.#codec.encode(output, request.format, quality, true);
      return { image: bytes, format: request.format, width, height, inputWidth: input.width, inputHeight: input.height, scale: request.scale, decodeMs: decoded.decodeMs, upscaleMs, encodeMs };
    });
    const { decodeMs, upscaleMs, encodeMs, ...result } = job.value;
    return { ...result, model: this.#modelName("super_resolution"), timings: { queueMs: job.queueMs, decodeMs, upscaleMs, encodeMs, totalMs: performance.now() - receivedMs } };
  }

  /** The header first (bytes that are not an image are `invalid_image` with or without a model), then the model. */
  async detectDeepfake(bytes: Uint8Array, call: PoolImageCall = {}): Promise<DeepfakeResult> {
    const receivedMs = performance.now();
    readStillImageHeader(bytes);
    const model = await this.#registry.whenLoaded("deepfake");
    const { detectorFit: fit, deepfake } = this.#options;
    const job = await this.#submit(this.#deepfakeQueue, deepfake, call, receivedMs, async () => {
      const decoded = await this.#codec.decode(bytes, { limits: STILL_IMAGE_LIMITS, fit, keepFull: false });
      const fitted = fittedOf(decoded);
      // Without a detector the whole image is scored: still an answer, and said so (`wholeImage`).
      const detector = await this.#registry.whenLoaded("face_detect").catch(() => null);
      const detectStartMs = performance.now();
      const found = detector === null ? [] : ((await detector.run([fitted]))[0] ?? []);
      const detectMs = performance.now() - detectStartMs;
      const regions = deepfakeRegions(found, fitted, deepfake.faceMargin, model);
      const runStartMs = performance.now();
      const probabilities = await model.run(regions.map((region) => region.crop));
      return { decoded, regions, probabilities, detectMs, runMs: performance.now() - runStartMs };
    });
    const { decoded, regions, probabilities, detectMs, runMs } = job.value;
    const faces = deepfakeFaces(regions, probabilities, fittedOf(decoded), decoded);
    return {
      width: decoded.width,
      height: decoded.height,
      format: decoded.format,
      model: this.#modelName("deepfake"),
      faces,
      wholeImage: regions.every((region) => region.face === null),
      timings: { queueMs: job.queueMs, decodeMs: decoded.decodeMs, detectMs, runMs, totalMs: performance.now() - receivedMs },
    };
  }

  /** DetectFaces' queue (GetStatus reports the face models under StreamVideo's batcher). */
  faceQueueStats(): AsrQueueStats {
    return this.#faceQueue.stats();
  }

  /** Refuses what waits (`model_unavailable`), waits for what runs, then stops the codec thread. */
  async close(): Promise<void> {
    await Promise.all([this.#faceQueue.close(), this.#enhanceQueue.close(), this.#deepfakeQueue.close()]);
    await this.#faceBatcher?.then((batcher) => batcher.close(), () => undefined);
    await this.#codec.close();
  }

  /** A job on `queue`, its deadline the sooner of the pool's and the call's; `queueMs` counts from `receivedMs`. */
  async #submit<T>(queue: AsrQueue<T>, bound: ImageQueueBound, call: PoolImageCall, receivedMs: number, run: AsrJob<T>["run"]) {
    const waitedMs = performance.now() - receivedMs;
    const deadlineMs = Math.min(Date.now() + bound.deadlineMs, call.deadlineMs ?? Number.POSITIVE_INFINITY);
    const job = await queue.submit({ priority: "live", deadlineMs, signal: call.signal, run });
    return { ...job, queueMs: waitedMs + job.queueMs };
  }

  /** Made once both face models are loaded (rejects `model_unavailable` when either is not). */
  #faces(): Promise<DynamicBatcher<RgbImage, ImageAnalysis, "live">> {
    this.#faceBatcher ??= Promise.all([this.#registry.whenLoaded("face_detect"), this.#registry.whenLoaded("face_expression")]).then(
      ([detect, expression]) => {
        const analyzer = new FaceAnalyzer(detect, expression);
        const run = async (images: RgbImage[]) => {
          const { faces, detectMs, expressionMs } = await analyzer.runTimed(images);
          return images.map((_, i) => ({ faces: faces[i] ?? [], detectMs, expressionMs }));
        };
        const { concurrency, maxQueued } = this.#options.faces;
        const yieldTo = { busy: this.#speechQueued, ...YIELD_TO_SPEECH };
        return new DynamicBatcher<RgbImage, ImageAnalysis, "live">(run, { maxBatchSize: concurrency, maxQueueDelayMs: 0, maxQueueSize: maxQueued, lanes: ["live"], yieldTo });
      },
      (error: unknown) => Promise.reject(asUnavailable(error)),
    );
    return this.#faceBatcher;
  }

  #modelName(task: ServedTask): string {
    return this.#registry.status().find((model) => model.task === task && model.loaded)?.name ?? task;
  }
}

function fittedOf(decoded: DecodedStillImage): RgbImage {
  if (decoded.fitted === null) throw new PoolError("internal", "the image codec sent no fitted copy");
  return decoded.fitted;
}

function fullOf(decoded: DecodedStillImage): RgbImage {
  if (decoded.full === null) throw new PoolError("internal", "the image codec sent no image");
  return decoded.full;
}
