import { DynamicBatcher, type DynamicBatcherConfig, type DynamicBatcherStats } from "../batching/dynamic-batcher.js";
import type { FrameFace, FrameTimings } from "../pool-types.js";
import type { FaceDetectModel, FaceExpressionModel } from "../registry/model-module.js";
import { FaceAnalyzer } from "./face-analysis.js";
import type { Logger } from "../../logger.js";
import type { RequestThreadsStats } from "../request-threads.js";
import { DEFAULT_JPEG_DECODER_OPTIONS, JpegDecoder, type JpegDecoderOptions } from "./jpeg-decoder.js";
import { checkJpegFrame, VIDEO_FRAME_LIMITS, type JpegFrameLimits } from "./jpeg-frame.js";
import type { RgbImage } from "./rgb-image.js";
import { VideoError } from "./video-error.js";

export interface FacePipelineOptions {
  /** One batch decodes its frames, runs the detector on all of them, then the expression model on every face. */
  batcher: DynamicBatcherConfig<"live">;
  limits: JpegFrameLimits;
  /** The decoding threads (`threads`: default by the machine's cores, `defaultJpegDecoderThreads`). */
  decoder: Partial<JpegDecoderOptions>;
}

export const DEFAULT_FACE_PIPELINE_OPTIONS: FacePipelineOptions = {
  // Frames of many streams share a run; a frame waits at most 10 ms for company (2 fps cameras rarely coincide).
  batcher: { maxBatchSize: 16, maxQueueDelayMs: 10, maxQueueSize: 256, lanes: ["live"] },
  limits: VIDEO_FRAME_LIMITS,
  decoder: DEFAULT_JPEG_DECODER_OPTIONS,
};

interface FrameInput {
  jpeg: Uint8Array;
  /** When it joined the batcher's queue. */
  queuedAtMs: number;
}

type FrameAnalysis =
  | { kind: "faces"; faces: FrameFace[]; queueMs: number; decodeMs: number; detectMs: number; expressionMs: number }
  /** This frame alone failed to decode: answered `invalid_video`, the rest of its batch goes on. */
  | { kind: "invalid"; error: VideoError };

type Decoded = { ok: true; image: RgbImage; decodeMs: number } | { ok: false; error: VideoError };

/** A frame's answer; `timings.decodeMs` is its own decode on its thread, the other stages are its batch's. */
export type FrameResult = { kind: "faces"; faces: FrameFace[]; timings: FrameTimings } | { kind: "dropped" };

/**
 * A camera frame → its faces with their expression, through one dynamic batch across every stream's frames: decode
 * (libjpeg-turbo, bounded), the detector on the batch, the expression model on every face of it in one execution.
 *
 * Frames queue undecoded, so keep-newest works where the cost is: decoding is a step of its own (≈ 4 ms for 512×512
 * here with libjpeg-turbo, the models ≈ 10 ms each), and a frame decoded on arrival would hold the pool's event loop
 * before any newer frame could replace it. A frame not started when a newer one of its stream comes is `dropped` (the
 * batcher's `dropped_stale`). Sizes and dimensions are checked from the header on arrival (a header scan, no pixels); a
 * frame that then fails to decode is refused alone, not its batch. Decoding runs on threads of its own (`JpegDecoder`),
 * so the pool's event loop, which carries every room's audio, never waits for it; a batch's frames are spread over them
 * (`decoder.threads`) and decode side by side.
 */
export class FacePipeline {
  readonly #analyzer: FaceAnalyzer<FaceDetectModel, FaceExpressionModel>;
  readonly #batcher: DynamicBatcher<FrameInput, FrameAnalysis, "live">;
  readonly #limits: JpegFrameLimits;
  readonly #decoder: JpegDecoder;

  constructor(
    detect: FaceDetectModel,
    expression: FaceExpressionModel,
    logger: Logger,
    options: Partial<FacePipelineOptions> = {},
  ) {
    const merged: FacePipelineOptions = {
      ...DEFAULT_FACE_PIPELINE_OPTIONS,
      ...options,
      batcher: { ...DEFAULT_FACE_PIPELINE_OPTIONS.batcher, ...options.batcher },
      decoder: { ...DEFAULT_FACE_PIPELINE_OPTIONS.decoder, ...options.decoder },
    };
    this.#limits = merged.limits;
    this.#analyzer = new FaceAnalyzer(detect, expression);
    this.#decoder = new JpegDecoder(logger, merged.decoder);
    this.#batcher = new DynamicBatcher<FrameInput, FrameAnalysis, "live">((inputs) => this.#run(inputs), merged.batcher);
  }

  openStream(key: string): void {
    this.#batcher.openStream(key);
  }

  closeStream(key: string): void {
    this.#batcher.closeStream(key);
  }

  /** A stream whose call ended: its queued frame is dropped unanalysed (nobody would receive the answer). */
  abandonStream(key: string): void {
    this.#batcher.cancelQueued(key);
    this.#batcher.closeStream(key);
  }

  /** Rejects with a coded error: `invalid_video` (this frame), `overloaded`, `model_unavailable`, a run's failure. */
  async analyze(streamKey: string, jpeg: Uint8Array): Promise<FrameResult> {
    const receivedAtMs = performance.now();
    checkJpegFrame(jpeg, this.#limits);
    const outcome = await this.#batcher.submit({ jpeg, queuedAtMs: performance.now() }, { lane: "live", streamKey, keepNewest: true });
    if (outcome.kind !== "done") return { kind: "dropped" };
    const analysis = outcome.output;
    if (analysis.kind === "invalid") throw analysis.error;
    const { faces, queueMs, decodeMs, detectMs, expressionMs } = analysis;
    return { kind: "faces", faces, timings: { queueMs, decodeMs, detectMs, expressionMs, totalMs: performance.now() - receivedAtMs } };
  }

  stats(): DynamicBatcherStats {
    return this.#batcher.stats();
  }

  /** The decoding threads: how many run, what each has answered, restarts. */
  decoderStats(): RequestThreadsStats {
    return this.#decoder.stats();
  }

  async close(): Promise<void> {
    await this.#batcher.close();
    await this.#decoder.close();
  }

  async #run(inputs: FrameInput[]): Promise<FrameAnalysis[]> {
    const startedAtMs = performance.now();
    // The frames spread over the decoding threads; each frame's time is its own decode on its thread.
    const decoded = await Promise.all(
      inputs.map((input) =>
        this.#decoder.decodeTimed(input.jpeg, this.#limits).then(
          ({ image, decodeMs }): Decoded => ({ ok: true, image, decodeMs }),
          (error: unknown): Decoded => {
            if (error instanceof VideoError) return { ok: false, error };
            throw error;
          },
        ),
      ),
    );
    const images = decoded.flatMap((d) => (d.ok ? [d.image] : []));
    const { faces, detectMs, expressionMs } = await this.#analyzer.runTimed(images);
    let next = 0;
    return decoded.map((d, i): FrameAnalysis => {
      if (!d.ok) return { kind: "invalid", error: d.error };
      const found = faces[next++] ?? [];
      return {
        kind: "faces",
        faces: found.map((face) => ({ box: face.box, score: face.score, expression: face.expression.dominant, scores: face.expression.scores })),
        queueMs: startedAtMs - (inputs[i]?.queuedAtMs ?? startedAtMs),
        decodeMs: d.decodeMs,
        detectMs,
        expressionMs,
      };
    });
  }
}
